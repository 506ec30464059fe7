// Starts the installed Node-RED (4.1 in development) with this package installed in a user directory
// of its own, on loopback. Shared by the demo (scripts/demo.js), the browser test (test/system/browser.test.ts)
// and the pack test (test/system/pack.test.ts), so all run Node-RED the same way. Needs a build (dist/) first.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const dgram = require('node:dgram');
const path = require('node:path');
const { setTimeout, clearTimeout, setInterval, clearInterval } = require('node:timers');

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
 * The demo's flows: every example on a tab of its own (their ids never collide, a test sees to
 * that), each device node pointed at the simulators: a Tapo device (its name says which) at the
 * simulated P110M, P300 or H100 hub over KLAP, a device that a strip-outlet node uses at the HS300, any
 * other at the HS110; TDDP at the responder.
 */
function demoFlows({ hs110Port, hs300Port, p110mPort, p300Port, h100Port, tddpPort, tddpReplyPort }) {
  const flows = exampleFlows().flatMap(({ flow }) => flow);
  const strips = new Set(flows.filter((node) => node.type === 'strip-outlet').map((node) => node.device));
  for (const node of flows) {
    if (node.type === 'tplink-device') {
      const tapo = /\bTapo (P110M|P300|H100)\b/.exec(String(node.name || ''));
      let port;
      if (tapo) {
        port = { P300: p300Port, P110M: p110mPort, H100: h100Port }[tapo[1]];
        Object.assign(node, { host: LOOPBACK, klapPort: port, transport: 'klap', tddpPort, tddpReplyPort });
      } else {
        port = strips.has(node.id) ? hs300Port : hs110Port;
        Object.assign(node, { host: LOOPBACK, port, transport: 'tcp', tddpPort, tddpReplyPort });
      }
      node.name = String(node.name || '').replace(/127\.0\.0\.1(:\d+)?/, `${LOOPBACK}:${port}`);
    } else if (node.type === 'comment' && node.info) {
      node.info = `In the demo (npm start) the simulated devices already run and this tab's device node points at them.\n\n${node.info}`;
    }
  }
  return flows;
}

/** The address of the first Dashboard 2 page of `flows` (ui-base path + ui-page path), or null. */
function dashboardPath(flows) {
  const page = flows.find((node) => node.type === 'ui-page');
  const base = page && flows.find((node) => node.id === page.ui);
  return base ? `${base.path}${page.path}`.replace(/^\//, '') : null;
}

/**
 * The whole demo on loopback: a simulated HS110, an HS300, a Tapo P110M, a P300 and an H100 hub
 * (SMART over KLAP, unbound: no account needed), a TDDP responder, and Node-RED with every example
 * wired to them. With `fireEveryMs`, the hub's sensors fire the simulator's demo events (a door
 * opening, presses, ...) one after another at that interval. Resolves with { url, dashboardUrl,
 * nodeRed, hs110, hs300, p110m, p300, h100, tddp, tddpReplyPort, stop() }.
 */
async function startDemo({ userDir = path.join(PROJECT_ROOT, '.demo'), port = PREFERRED_EDITOR_PORT, log, fireEveryMs = 0, onFired } = {}) {
  const { SimulatedDevice } = require(path.join(PROJECT_ROOT, 'dist', 'src', 'simulator', 'server.js'));
  const { TddpResponder } = require(path.join(PROJECT_ROOT, 'dist', 'src', 'simulator', 'tddp-responder.js'));
  const { SmartSimulatedDevice } = require(path.join(PROJECT_ROOT, 'dist', 'src', 'simulator', 'smart', 'server.js'));
  const hs110 = new SimulatedDevice({ model: 'hs110', host: LOOPBACK, port: 0, alias: 'Demo lamp' });
  const hs300 = new SimulatedDevice({ model: 'hs300', host: LOOPBACK, port: 0, alias: 'Demo strip' });
  const p110m = new SmartSimulatedDevice({ model: 'p110m', host: LOOPBACK, port: 0, nickname: 'Demo Tapo plug' });
  const p300 = new SmartSimulatedDevice({ model: 'p300', host: LOOPBACK, port: 0, nickname: 'Demo Tapo strip' });
  const h100 = new SmartSimulatedDevice({ model: 'h100', host: LOOPBACK, port: 0, nickname: 'Demo Tapo hub' });
  const tddpReplyPort = await freeUdpPort();
  const tddp = new TddpResponder({ profile: 'hs110', host: LOOPBACK, port: 0, replyTo: 'reply-port', replyPort: tddpReplyPort });
  const started = [];
  let firing = null;
  const stopSimulators = () => {
    if (firing !== null) clearInterval(firing);
    return Promise.all(started.map((part) => part.stop()));
  };
  try {
    for (const part of [hs110, hs300, p110m, p300, h100, tddp]) {
      await part.start();
      started.push(part);
    }
    const flows = demoFlows({ hs110Port: hs110.port, hs300Port: hs300.port, p110mPort: p110m.port, p300Port: p300.port, h100Port: h100.port, tddpPort: tddp.port, tddpReplyPort });
    const settings = {
      // Nothing of the demo listens beyond this machine: TDDP replies come to loopback only.
      tddpQueryReplyAddress: LOOPBACK,
      // The device dialog's search finds the simulated devices (broadcasts would not reach their ports).
      tplinkDeviceSearchHosts: [hs110, hs300].map((device) => `${LOOPBACK}:${device.udpPort}`).join(', '),
    };
    const nodeRed = await startNodeRed({ userDir, flows, port, log, settings });
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
      await nodeRed.stop();
      await stopSimulators();
    };
    const dashboard = dashboardPath(flows);
    return { url: nodeRed.url, dashboardUrl: dashboard && nodeRed.url + dashboard, nodeRed, hs110, hs300, p110m, p300, h100, tddp, tddpReplyPort, stop };
  } catch (err) {
    await stopSimulators();
    throw err;
  }
}

module.exports = { PROJECT_ROOT, LOOPBACK, freeTcpPort, freeUdpPort, startNodeRed, startDemo, demoFlows };
