// Starts the installed Node-RED (4.1 in development) with this package installed in a user directory
// of its own, on loopback. Shared by the demo (scripts/demo.js), the browser test (test/system/browser.test.ts)
// and the pack test (test/system/pack.test.ts), so all run Node-RED the same way. Needs a build (dist/) first.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const dgram = require('node:dgram');
const path = require('node:path');
const { setInterval, clearInterval, setTimeout, clearTimeout } = require('node:timers');

const PROJECT_ROOT = path.resolve(__dirname, '..');
const PACKAGE_NAME = require(path.join(PROJECT_ROOT, 'package.json')).name;
const NODE_RED_MAIN = path.join(PROJECT_ROOT, 'node_modules', 'node-red', 'red.js');
const LOOPBACK = '127.0.0.1';
const PREFERRED_EDITOR_PORT = 1880;
const STARTUP_TIMEOUT_MS = 30000;
const STOP_TIMEOUT_MS = 10000;

/** Resolves with a TCP port nobody listens on now (`preferred` if it is free, else any). */
function freeTcpPort(preferred = 0) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err) => {
      if (preferred !== 0 && err.code === 'EADDRINUSE') resolve(freeTcpPort(0));
      else reject(err);
    });
    server.listen({ host: LOOPBACK, port: preferred, exclusive: true }, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves with a UDP port free now, e.g. for the TDDP replies a device sends back. */
function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, LOOPBACK, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/**
 * Makes `userDir` a Node-RED user directory in which this package is installed: a package.json
 * naming it and node_modules/<name> linking to the project, so Node-RED loads it as a module
 * (palette, icons, locales, examples) rather than as loose node files. With `linkPackage` false
 * the package is left as it is there (installed from a tarball, as a user would).
 */
function prepareUserDir(userDir, flows, editorPort, linkPackage, extraSettings) {
  if (linkPackage) {
    const link = path.join(userDir, 'node_modules', ...PACKAGE_NAME.split('/'));
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.rmSync(link, { recursive: false, force: true });
    fs.symlinkSync(path.relative(path.dirname(link), PROJECT_ROOT), link, 'dir');
    const manifest = { name: 'kasa-flows-demo', private: true, dependencies: { [PACKAGE_NAME]: 'file:..' } };
    fs.writeFileSync(path.join(userDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  const settings = {
    uiHost: LOOPBACK,
    uiPort: editorPort,
    userDir,
    flowFile: 'flows.json',
    // The demo keeps no secrets; plain credentials avoid a generated key file.
    credentialSecret: false,
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    editorTheme: { tours: false, projects: { enabled: false } },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    ...extraSettings,
  };
  fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  fs.writeFileSync(path.join(userDir, 'flows.json'), `${JSON.stringify(flows, null, 2)}\n`);
  fs.rmSync(path.join(userDir, 'flows_cred.json'), { force: true });
}

/** Resolves when `child` prints a line matching `pattern`; rejects if it exits or time runs out. */
function waitForOutput(child, pattern, timeoutMs, output) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`Node-RED did not start within ${timeoutMs} ms:\n${output.text}`)), timeoutMs);
    const onData = () => {
      if (pattern.test(output.text)) finish();
    };
    const onExit = (code) => finish(new Error(`Node-RED exited (code ${code}) while starting:\n${output.text}`));
    function finish(err) {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve();
    }
    child.stdout.on('data', onData);
    child.once('exit', onExit);
    onData();
  });
}

/**
 * Starts Node-RED as a child process with this package and `flows`.
 * options: userDir (created if missing), port (default 1880 if free, else any free port; 0 = any),
 * log (a writable stream for Node-RED's output, default none), linkPackage (default true: link
 * the project into userDir; false: use the package already installed there), settings (more
 * settings.js entries).
 * Resolves with { url, port, pid, userDir, output(), stop() } once the flows have started.
 */
async function startNodeRed({ userDir, flows = [], port = PREFERRED_EDITOR_PORT, log, linkPackage = true, settings = {} } = {}) {
  if (linkPackage && !fs.existsSync(path.join(PROJECT_ROOT, 'dist', 'nodes'))) throw new Error('No build: run `npm run build` first.');
  fs.mkdirSync(userDir, { recursive: true });
  const editorPort = await freeTcpPort(port);
  prepareUserDir(userDir, flows, editorPort, linkPackage, settings);
  const child = spawn(process.execPath, [NODE_RED_MAIN, '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
    cwd: userDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { text: '' };
  const collect = (chunk) => {
    output.text += chunk.toString('utf8');
    if (log) log.write(chunk);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  async function stop() {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    child.kill('SIGINT');
    // Node-RED gets STOP_TIMEOUT_MS to close its flows, then it is killed.
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      return await exited;
    } finally {
      clearTimeout(killer);
    }
  }

  try {
    await waitForOutput(child, /Started flows/, STARTUP_TIMEOUT_MS, output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `http://${LOOPBACK}:${editorPort}/`, port: editorPort, pid: child.pid, userDir, output: () => output.text, stop };
}

/** Every example of the package (examples/*.json, as Import > Examples offers them), in file order. */
function exampleFlows() {
  const dir = path.join(PROJECT_ROOT, 'examples');
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => ({ name, flow: JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) }));
}

/**
 * The demo's preferred ports, fixed so that what `npm start` prints stays the same from one start to
 * the next; a port in use falls back to any free one (printed all the same). None is an example's
 * own (examples/*.json use 9901-9910 and 8171-8176), so an example's simulator can run beside the demo.
 */
const DEMO_PORTS = { hs110: 9991, hs300: 9992, kl430: 9993, p110m: 8191, p300: 8192, l530: 8193, h100: 8194, p110mTdp: 20191, p300Tdp: 20192, l530Tdp: 20193, h100Tdp: 20194 };

/** The demo's device nodes, one per simulated device, every example's device node replaced by one of them. */
const DEMO_DEVICES = [
  { key: 'hs110', model: 'HS110' },
  { key: 'hs300', model: 'HS300' },
  { key: 'kl430', model: 'KL430', named: /\bKL430\b/ },
  { key: 'p110m', model: 'Tapo P110M', tapo: true, named: /\bTapo P110M\b/ },
  { key: 'p300', model: 'Tapo P300', tapo: true, named: /\bTapo P300\b/ },
  { key: 'l530', model: 'Tapo L530', tapo: true, named: /\bTapo L530\b/ },
  { key: 'h100', model: 'Tapo H100 hub', tapo: true, named: /\bTapo H100\b/ },
];

/**
 * The demo's flows: every example on a tab of its own (their ids never collide, a test sees to
 * that), with one device node per simulated device in place of the examples' own: a Tapo device
 * or a KL430 (its name says which) becomes that simulated device, a device that a strip-outlet node
 * uses the HS300, any other the HS110 (with the TDDP responder's ports).
 */
function demoFlows({ ports, tddpPort, tddpReplyPort }) {
  const examples = exampleFlows().flatMap(({ flow }) => flow);
  const strips = new Set(examples.filter((node) => node.type === 'strip-outlet').map((node) => node.device));
  const template = examples.find((node) => node.type === 'tplink-device');
  const shared = DEMO_DEVICES.map(({ key, model, tapo }) => ({
    ...template,
    id: `demo-device-${key}`,
    name: `Simulated ${model} (${LOOPBACK}:${ports[key]})`,
    host: LOOPBACK,
    ...(tapo ? { transport: 'klap', klapPort: ports[key] } : { transport: 'tcp', port: ports[key], klapPort: 80 }),
    tddpPort,
    tddpReplyPort,
  }));
  const replacement = new Map();
  for (const node of examples) {
    if (node.type !== 'tplink-device') continue;
    const named = DEMO_DEVICES.find((device) => device.named !== undefined && device.named.test(String(node.name || '')));
    const key = named ? named.key : strips.has(node.id) ? 'hs300' : 'hs110';
    replacement.set(node.id, `demo-device-${key}`);
  }
  const flows = examples.filter((node) => node.type !== 'tplink-device');
  // A tab that needs an MQTT broker (the scale-out example) is there, but disabled: the demo runs none.
  const needsBroker = new Set(flows.filter((node) => node.type === 'mqtt in' || node.type === 'mqtt out').map((node) => node.z));
  for (const node of flows) {
    if (replacement.has(node.device)) node.device = replacement.get(node.device);
    else if (node.type === 'tab' && needsBroker.has(node.id)) node.disabled = true;
    else if (node.type === 'comment' && node.info) {
      const note = needsBroker.has(node.z)
        ? 'In the demo (npm start) this tab is disabled: it needs an MQTT broker. Start one on localhost:1883, then enable the tab (double-click it) and deploy; the simulated HS110 already runs.'
        : "In the demo (npm start) the simulated devices already run and this tab's nodes use them.";
      node.info = `${note}\n\n${node.info}`;
    }
  }
  return [...flows, ...shared];
}

/**
 * Starts a simulator made by `make(true)` on its preferred port(s), or the one `make(false)` makes
 * on any free port when they are taken (the simulators refuse a port in use with BAD_INPUT saying so).
 */
async function startPreferring(make) {
  const first = make(true);
  try {
    await first.start();
    return first;
  } catch (err) {
    if (!/already in use/.test(String(err && err.message))) throw err;
  }
  const fallback = make(false);
  await fallback.start();
  return fallback;
}

/** The address of the first Dashboard 2 page of `flows` (ui-base path + ui-page path), or null. */
function dashboardPath(flows) {
  const page = flows.find((node) => node.type === 'ui-page');
  const base = page && flows.find((node) => node.id === page.ui);
  return base ? `${base.path}${page.path}`.replace(/^\//, '') : null;
}

/**
 * The whole demo on loopback: a simulated HS110, an HS300, a KL430 light strip, a Tapo P110M, a
 * P300, an L530 bulb and an H100 hub with one child of each kind (SMART over KLAP, unbound: no account needed, each answering TP-Link's
 * discovery on a UDP port of its own), a TDDP responder, and Node-RED with every example wired to
 * them; the device dialog's search asks every simulated device (tplinkDeviceSearchHosts). With
 * `fireEveryMs`, the hub's sensors fire demo events (a door, a press, ...), each told to `onFired`. Resolves
 * with { url, dashboardUrl, nodeRed, hs110, hs300, kl430, p110m, p300, l530, h100, tddp, tddpReplyPort,
 * searchHosts, stop() }.
 */
async function startDemo({ userDir = path.join(PROJECT_ROOT, '.demo'), port = PREFERRED_EDITOR_PORT, log, ports = DEMO_PORTS, fireEveryMs = 0, onFired } = {}) {
  const { SimulatedDevice } = require(path.join(PROJECT_ROOT, 'dist', 'src', 'simulator', 'server.js'));
  const { TddpResponder } = require(path.join(PROJECT_ROOT, 'dist', 'src', 'simulator', 'tddp-responder.js'));
  const { SmartSimulatedDevice } = require(path.join(PROJECT_ROOT, 'dist', 'src', 'simulator', 'smart', 'server.js'));
  const kasa = (model, alias, preferred) => (fixed) => new SimulatedDevice({ model, host: LOOPBACK, port: fixed ? preferred : 0, alias });
  const tapo = (model, nickname, preferred, tdpPreferred) => (fixed) =>
    new SmartSimulatedDevice({ model, host: LOOPBACK, port: fixed ? preferred : 0, tdpPort: fixed ? tdpPreferred : 0, nickname });
  const tddpReplyPort = await freeUdpPort();
  const started = [];
  const stopSimulators = () => Promise.all(started.map((part) => part.stop()));
  try {
    const start = async (make) => {
      const part = await startPreferring(make);
      started.push(part);
      return part;
    };
    const hs110 = await start(kasa('hs110', 'Demo lamp', ports.hs110));
    const hs300 = await start(kasa('hs300', 'Demo strip', ports.hs300));
    const p110m = await start(tapo('p110m', 'Demo Tapo plug', ports.p110m, ports.p110mTdp));
    const kl430 = await start(kasa('kl430', 'Demo light strip', ports.kl430));
    const p300 = await start(tapo('p300', 'Demo Tapo strip', ports.p300, ports.p300Tdp));
    const l530 = await start(tapo('l530', 'Demo Tapo bulb', ports.l530, ports.l530Tdp));
    const h100 = await start(tapo('h100', 'Demo Tapo hub', ports.h100, ports.h100Tdp));
    const tddp = new TddpResponder({ profile: 'hs110', host: LOOPBACK, port: 0, replyTo: 'reply-port', replyPort: tddpReplyPort });
    await tddp.start();
    started.push(tddp);
    const devices = { hs110, hs300, kl430, p110m, p300, l530, h100 };
    const flows = demoFlows({ ports: Object.fromEntries(Object.entries(devices).map(([key, device]) => [key, device.port])), tddpPort: tddp.port, tddpReplyPort });
    // Kasa devices answer their sysinfo over UDP on their port, Tapo ones TP-Link's discovery (TDP):
    // each on a port of its own, which a broadcast would not reach, so the search lists them all.
    const searchHosts = [hs110.udpPort, hs300.udpPort, kl430.udpPort, p110m.tdpPort, p300.tdpPort, l530.tdpPort, h100.tdpPort].map((udpPort) => `${LOOPBACK}:${udpPort}`).join(', ');
    const settings = {
      // Nothing of the demo listens beyond this machine: TDDP replies come to loopback only.
      tddpQueryReplyAddress: LOOPBACK,
      tplinkDeviceSearchHosts: searchHosts,
    };
    const nodeRed = await startNodeRed({ userDir, flows, port, log, settings });
    // With fireEveryMs, the hub's sensors fire the simulator's demo events one after another.
    let firing;
    if (fireEveryMs > 0) {
      const { DEMO_EVENTS, describeFired, fireOn } = require(path.join(PROJECT_ROOT, 'dist', 'src', 'simulator', 'smart', 'hub-commands.js'));
      let next = 0;
      firing = setInterval(() => {
        const { child, event } = DEMO_EVENTS[next++ % DEMO_EVENTS.length];
        const fired = fireOn(h100.device.hub, event, child);
        if (onFired) onFired(describeFired(fired.child, event, fired.entry));
      }, fireEveryMs);
    }
    const stop = async () => {
      clearInterval(firing);
      await nodeRed.stop();
      await stopSimulators();
    };
    const dashboard = dashboardPath(flows);
    return { url: nodeRed.url, dashboardUrl: dashboard && nodeRed.url + dashboard, nodeRed, ...devices, tddp, tddpReplyPort, searchHosts, stop };
  } catch (err) {
    await stopSimulators();
    throw err;
  }
}

module.exports = { PROJECT_ROOT, LOOPBACK, DEMO_PORTS, freeTcpPort, freeUdpPort, startNodeRed, startDemo, demoFlows };
