/**
 * Child-process entry of the fleet benchmark: a real Node-RED 4 runtime (embedded, no editor, no
 * HTTP server) running one polling node per simulated device, all wired to one counting node, and
 * at first a warm-up tab (see WarmUp) that a "modified flows" deploy then removes. It runs alone
 * in its process so process.cpuUsage() is the runtime's CPU and nothing else's.
 * Started by bench/fleet-run.ts, which sends one RunRequest and reads RuntimeMessages back.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import nodeRed from 'node-red';
import { arrivalsEver, arrivalsSoFar, beginMeasuring, endMeasuring, installPollerProbe, heardFromCount, nextPollStart, stampSentMessages, sustainedRate } from './fleet-probe';
import { GcWatch } from './fleet-gc';
import type { ContenderName, Family, Layout, RunRequest, RuntimeMessage, WindowFigures } from './fleet-protocol';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const LOOPBACK = '127.0.0.1';
const STARTUP_TIMEOUT_MS = 60_000;
/** After the warm-up, the window waits for this long a spell without a full garbage collection... */
const GC_QUIET_MS = 3_000;
/** ...but not longer than this. */
const GC_WAIT_CAP_MS = 20_000;
/** The window is cut into this many slices, each with its own CPU time and readings. */
const SLICES = 5;
const BENCH_NODES_PACKAGE = 'kasa-fleet-bench-nodes';
/** plug-energy polls at most every 0.1 s. */
const FASTEST_INTERVAL_SECONDS = 0.1;
/** Most warm-up polling nodes per device (a fleet of one device gets this many). */
const MAX_WARM_UP_COPIES = 20;

/** What this process uses of the embedded Node-RED API (its typings want an HTTP server). */
interface EmbeddedNodeRed {
  init(settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  hooks: { add(name: string, handler: typeof stampSentMessages): void };
  /** The runtime's own nodes module; setFlows(flows, 'flows') deploys as the editor's "modified flows". */
  nodes: { setFlows(flows: unknown[], type: 'flows'): Promise<unknown>; getNode(id: string): object | null };
}

function send(message: RuntimeMessage, sent?: () => void): void {
  process.send?.(message, undefined, {}, () => sent?.());
}

/**
 * A package holding the benchmark's own node types, in Node-RED's usual form (package.json with a
 * `node-red` section, X.js with X.html beside it); X.js loads the compiled bench/fleet-nodes.
 */
function writeBenchNodesPackage(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const manifest = { name: BENCH_NODES_PACKAGE, version: '1.0.0', private: true, 'node-red': { nodes: { 'fleet-bench': 'fleet-bench.js' } } };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest));
  fs.writeFileSync(path.join(dir, 'fleet-bench.js'), `module.exports = require(${JSON.stringify(path.join(__dirname, 'fleet-nodes.js'))});\n`);
  fs.writeFileSync(path.join(dir, 'fleet-bench.html'), '');
}

/**
 * Tab `fleet`: per device a polling node (with its tplink-device config node for ours), all wired to
 * one counter. In the trio layout each device has a relay-watching node (wired to nothing: it sends
 * only changes, and nothing changes the relays here) and two energy nodes, both counted.
 */
function fleetFlow(contender: ContenderName, family: Family, layout: Layout, ports: readonly number[], intervalSeconds: number): Record<string, unknown>[] {
  const flow: Record<string, unknown>[] = [
    { id: 'fleet', type: 'tab', label: 'fleet benchmark' },
    { id: 'counter', type: 'fleet-counter', z: 'fleet', x: 600, y: 100, wires: [] },
  ];
  ports.forEach((port, i) => {
    if (contender === 'ours') flow.push(deviceConfig(family, `device-${i}`, `plug ${i}`, port));
    flow.push(pollingNode(contender, family, `energy-${i}`, i, port, intervalSeconds, 'fleet', 'counter'));
    if (layout === 'trio') {
      flow.push(pollingNode(contender, family, `energy-b-${i}`, i, port, intervalSeconds, 'fleet', 'counter'));
      flow.push(watchingNode(contender, family, `watch-${i}`, i, port, intervalSeconds));
    }
  });
  return flow;
}

/** Our config node: XOR over TCP for Kasa; KLAP on the device's HTTP port for Tapo (unbound: the Tapo default login). */
function deviceConfig(family: Family, id: string, name: string, port: number): Record<string, unknown> {
  const common = { id, type: 'tplink-device', name, host: LOOPBACK, tddpPort: 1040, tddpReplyPort: 61000 };
  return family === 'kasa' ? { ...common, port, transport: 'tcp' } : { ...common, port: 9999, transport: 'klap', klapPort: port };
}

/** The peer's node types per family. */
const PEER_TYPES: Record<Family, { energy: string; watch: string }> = {
  kasa: { energy: 'fleet-peer-energy', watch: 'fleet-peer-watch' },
  tapo: { energy: 'fleet-peer-tapo-energy', watch: 'fleet-peer-tapo-watch' },
};

/** A node that watches the relay every interval and sends only changes. */
function watchingNode(contender: ContenderName, family: Family, id: string, device: number, port: number, intervalSeconds: number): Record<string, unknown> {
  const place = { id, z: 'fleet', x: 400, y: 100 + device * 40, wires: [[]] };
  if (contender === 'ours') return { type: 'plug-control', device: `device-${device}`, action: '', pollInterval: intervalSeconds, ...place };
  return { type: PEER_TYPES[family].watch, host: LOOPBACK, port, interval: intervalSeconds, ...place };
}

/** Tab `warm-up`: `copies` more polling nodes per device, on the same config nodes, wired to a counter of their own. */
function warmUpTab(contender: ContenderName, family: Family, ports: readonly number[], copies: number, intervalSeconds: number): Record<string, unknown>[] {
  const tab: Record<string, unknown>[] = [
    { id: 'warm-up', type: 'tab', label: 'warm-up' },
    { id: 'warm-up-counter', type: 'fleet-counter', z: 'warm-up', x: 600, y: 100, wires: [] },
  ];
  ports.forEach((port, i) => {
    for (let copy = 0; copy < copies; copy++) tab.push(pollingNode(contender, family, `warm-${i}-${copy}`, i, port, intervalSeconds, 'warm-up', 'warm-up-counter'));
  });
  return tab;
}

function pollingNode(
  contender: ContenderName,
  family: Family,
  id: string,
  device: number,
  port: number,
  intervalSeconds: number,
  tab: string,
  counter: string,
): Record<string, unknown> {
  // Flow nodes need x and y, or Node-RED takes them for config nodes.
  const place = { id, z: tab, x: 200, y: 100 + device * 40, wires: [[counter]] };
  if (contender === 'ours') {
    return { type: 'plug-energy', device: `device-${device}`, interval: intervalSeconds, output: 'power', command: 'realtime', deadband: 0, ...place };
  }
  if (contender === 'floor') return { type: 'fleet-floor-energy', interval: intervalSeconds, ...place };
  if (contender === 'bare') return { type: family === 'kasa' ? 'fleet-bare-energy' : 'fleet-bare-tapo-energy', host: LOOPBACK, port, interval: intervalSeconds, ...place };
  return { type: PEER_TYPES[family].energy, host: LOOPBACK, port, interval: intervalSeconds, ...place };
}

function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

/**
 * Milliseconds from now to `at`, rounded up to a whole number: a timer with a fractional delay
 * gives V8's timer objects another layout, and the optimised code that arms timers (Node's timer
 * lists, request timeouts, pollers) is dropped for it. The window's own timers must not do that
 * to the code it measures.
 */
function wholeMsUntil(at: number): number {
  return Math.ceil(Math.max(0, at - performance.now()));
}

/**
 * Samples the open TCP sockets and writes to the parent's channel once a second, from the start of
 * the runtime to its end, so that opening the window runs nothing the runtime had not been running
 * (see RuntimeMessage's 'alive').
 */
class Background {
  private maxTcpSockets = 0;
  private readonly timer = setInterval(() => {
    this.sample();
    send({ kind: 'alive' });
  }, 1000);

  sample(): void {
    this.maxTcpSockets = Math.max(this.maxTcpSockets, resourceCounts()['TCPSocketWrap'] ?? 0);
  }

  /** The most TCP sockets open at once since the last call. */
  takeMaxTcpSockets(): number {
    this.sample();
    const max = this.maxTcpSockets;
    this.maxTcpSockets = 0;
    return max;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

async function measureWindow(seconds: number, gc: GcWatch, background: Background): Promise<WindowFigures> {
  send({ kind: 'window-start' });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  beginMeasuring();
  gc.beginCounting();
  background.takeMaxTcpSockets();
  const slices: WindowFigures['slices'] = [];
  // Whole seconds per slice, so slice edges fall between the bursts as the window's edges do.
  const sliceSeconds = Math.max(1, Math.floor(seconds / SLICES));
  let cpuAt = cpuBefore;
  let doneAt = 0;
  for (let i = 1; i * sliceSeconds <= seconds; i++) {
    await sleep(wholeMsUntil(started + i * sliceSeconds * 1000));
    const cpu = process.cpuUsage();
    const done = arrivalsSoFar();
    slices.push({ seconds: sliceSeconds, cpuMs: (cpu.user + cpu.system - cpuAt.user - cpuAt.system) / 1000, done: done - doneAt });
    cpuAt = cpu;
    doneAt = done;
  }
  await sleep(wholeMsUntil(started + seconds * 1000));
  const { arrivals, ...counts } = endMeasuring();
  const collections = gc.endCounting();
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedSeconds = (performance.now() - started) / 1000;
  const memory = process.memoryUsage();
  const maxTcpSockets = background.takeMaxTcpSockets();
  send({ kind: 'window-end' });
  return {
    seconds: elapsedSeconds,
    ...counts,
    sustainedPerSecond: sustainedRate(arrivals, elapsedSeconds),
    ...collections,
    cpuMs: (cpu.user + cpu.system) / 1000,
    slices,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    maxTcpSockets,
    resourcesAtEnd: resourceCounts(),
  };
}

/** Extra polling nodes per device and their interval, so the warm-up tab polls at about `perSecond`. */
function warmUpShape(devices: number, perSecond: number): { copies: number; intervalSeconds: number } {
  const copies = Math.min(MAX_WARM_UP_COPIES, Math.max(1, Math.ceil((perSecond * FASTEST_INTERVAL_SECONDS) / devices)));
  return { copies, intervalSeconds: Math.max(FASTEST_INTERVAL_SECONDS, (copies * devices) / perSecond) };
}

async function run(request: RunRequest): Promise<WindowFigures> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kasa-fleet-'));
  const gc = new GcWatch();
  try {
    const benchNodesDir = path.join(userDir, BENCH_NODES_PACKAGE);
    writeBenchNodesPackage(benchNodesDir);
    const measured = fleetFlow(request.contender, request.family, request.layout, request.ports, request.intervalSeconds);
    const shape = warmUpShape(request.ports.length, request.warmUp.perSecond);
    const warmUp = warmUpTab(request.contender, request.family, request.ports, shape.copies, shape.intervalSeconds);
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify([...measured, ...warmUp]));
    installPollerProbe();
    const RED = nodeRed as unknown as EmbeddedNodeRed;
    RED.init({
      userDir,
      flowFile: 'flows.json',
      // No editor and no HTTP endpoints: the runtime alone, listening on nothing.
      httpAdminRoot: false,
      httpNodeRoot: false,
      nodesDir: [PROJECT_ROOT, benchNodesDir],
      credentialSecret: false,
      telemetry: { enabled: false, updateNotification: false },
      diagnostics: { enabled: false, ui: false },
      externalModules: { autoInstall: false, palette: { allowInstall: false } },
      logging: { console: { level: 'warn', metrics: false, audit: false } },
    });
    RED.hooks.add('onSend.fleet-bench', stampSentMessages);
    await RED.start();
    const background = new Background();
    try {
      // Started once every counted node (measured and warm-up) has delivered a reading: counting
      // the nodes rather than their pollers holds whether each node polls or its device's hub does.
      const counted = [...measured, ...warmUp].filter((node) => Array.isArray(node['wires']) && (node['wires'] as string[][]).some((w) => w.length > 0)).map((node) => String(node['id']));
      await waitUntil(() => heardFromCount(counted) === counted.length, STARTUP_TIMEOUT_MS, `Readings from all ${counted.length} polling nodes`);
      const warmUpEnds = performance.now() + request.warmUp.maxSeconds * 1000;
      await waitUntil(() => arrivalsEver() >= request.warmUp.polls || performance.now() > warmUpEnds, STARTUP_TIMEOUT_MS + request.warmUp.maxSeconds * 1000, 'The warm-up');
      // A "flows" deploy, as from the editor: the warm-up tab stops, the measured tab runs on untouched.
      const measuredIds = measured.map((node) => String(node['id']));
      const before = measuredIds.map((id) => RED.nodes.getNode(id));
      await RED.nodes.setFlows(measured, 'flows');
      if (measuredIds.some((id, i) => RED.nodes.getNode(id) !== before[i])) throw new Error('removing the warm-up tab restarted the measured nodes');
      await sleep(request.settleSeconds * 1000);
      await gc.settled(GC_QUIET_MS, GC_WAIT_CAP_MS);
      // The nodes started together and poll in bursts: opening (and so closing) the window half an
      // interval after a burst keeps its edges between bursts, where no poll is under way.
      await nextPollStart();
      await sleep(request.intervalSeconds * 500);
      return await measureWindow(request.seconds, gc, background);
    } finally {
      background.stop();
      await RED.stop();
    }
  } finally {
    gc.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

/** Sends the last message, then closes the channel: with nothing else open, the process exits by itself. */
function finish(message: RuntimeMessage): void {
  send(message, () => process.disconnect?.());
}

process.once('message', (request: RunRequest) => {
  run(request).then(
    (figures) => finish({ kind: 'result', figures }),
    (err: unknown) => finish({ kind: 'failed', message: err instanceof Error ? err.message : String(err) }),
  );
});
