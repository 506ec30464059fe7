/**
 * `npm run heap`: is the heap flat over time? A real Node-RED runtime (embedded, no editor) drives
 * simulated Kasa and Tapo devices (a worker thread, with faults and restarts) for an hour: every
 * device watched by a plug-control or strip-outlet and metered by a plug-energy, toggled and asked
 * for statistics at random. Every minute the script forces full garbage collections and records
 * the heap; after the warm-up (the first ten minutes) the heap must not grow by more than 5%.
 * Writes the curve as a PNG (docs/heap-curve.png). Not part of CI: it runs as long as it is told.
 * Options: --minutes 60  --every 60 (seconds between samples)  --warm-up 10 (minutes)  --kasa 100
 * --tapo 50  --out <dir>  --seed <n>  --snapshots <dir> (a V8 heap snapshot at every sample, to
 * compare). Needs --expose-gc (the npm script passes it).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeHeapSnapshot } from 'node:v8';
import { Worker } from 'node:worker_threads';
import nodeRed from 'node-red';
import type { HeapDevice, HeapDevicesCommand, HeapDevicesMessage, HeapDevicesOptions } from './heap-devices';
import { plotPng } from './png';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const LOOPBACK = '127.0.0.1';
/** After the warm-up the heap may grow by this share at most. */
const GROWTH_TARGET = 0.05;
const MiB = 1024 * 1024;

interface Settings {
  minutes: number;
  everySeconds: number;
  warmUpMinutes: number;
  kasa: number;
  tapo: number;
  outDir: string;
  seed: number;
  /** Write a V8 heap snapshot there at every sample (to find what grows; large files). */
  snapshotDir?: string;
  /** Seconds between relay toggles sent to some node, and between statistics asked of some meter. */
  toggleEverySeconds: number;
  statsEverySeconds: number;
}

const USAGE =
  'usage: node --expose-gc dist/bench/heap.js [--minutes 60] [--every 60] [--warm-up 10] [--kasa 100] [--tapo 50] [--out docs] [--seed n] [--snapshots dir]';

function parseArguments(args: readonly string[]): Settings {
  const settings: Settings = {
    minutes: 60,
    everySeconds: 60,
    warmUpMinutes: 10,
    kasa: 100,
    tapo: 50,
    outDir: path.join(PROJECT_ROOT, 'docs'),
    seed: Date.now() % 100_000,
    toggleEverySeconds: 0.1,
    statsEverySeconds: 1,
  };
  let warmUpGiven = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = args[++i];
    if (value === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
    const number = (min: number, max: number): number => {
      const n = Number(value);
      if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${arg}: ${JSON.stringify(value)} is not a number from ${min} to ${max}\n${USAGE}`);
      return n;
    };
    if (arg === '--minutes') settings.minutes = number(1, 24 * 60);
    else if (arg === '--every') settings.everySeconds = number(5, 3600);
    else if (arg === '--warm-up') {
      settings.warmUpMinutes = number(0, 24 * 60);
      warmUpGiven = true;
    } else if (arg === '--kasa') settings.kasa = Math.round(number(0, 1000));
    else if (arg === '--tapo') settings.tapo = Math.round(number(0, 1000));
    else if (arg === '--seed') settings.seed = Math.round(number(0, 2 ** 31));
    else if (arg === '--out') settings.outDir = path.resolve(value);
    else if (arg === '--snapshots') settings.snapshotDir = path.resolve(value);
    else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  // A short run keeps a third of its time for the warm-up, unless told otherwise.
  if (!warmUpGiven) settings.warmUpMinutes = Math.min(settings.warmUpMinutes, settings.minutes / 3);
  if (settings.kasa + settings.tapo === 0) throw new Error(`no devices\n${USAGE}`);
  return settings;
}

/** What this script uses of the embedded Node-RED API (its typings want an HTTP server). */
interface EmbeddedNodeRed {
  init(settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  hooks: { add(name: string, handler: (event: CompleteEvent) => void): void };
  nodes: { getNode(id: string): { receive(msg: Record<string, unknown>): void } | null };
}

interface CompleteEvent {
  msg: Record<string, unknown>;
  node: { id: string };
  error?: { code?: unknown };
}

/** The flow: per device a config node, a watching relay node and (with a meter) a plug-energy; one Catch for all. */
function heapFlow(devices: readonly HeapDevice[]): { flow: Record<string, unknown>[]; controls: string[]; meters: string[] } {
  const flow: Record<string, unknown>[] = [
    { id: 'heap', type: 'tab', label: 'heap run' },
    { id: 'catch-all', type: 'catch', z: 'heap', x: 100, y: 40, scope: null, uncaught: false, wires: [[]] },
  ];
  const controls: string[] = [];
  const meters: string[] = [];
  devices.forEach((device, i) => {
    const place = (column: number) => ({ z: 'heap', x: 200 + column * 200, y: 80 + i * 40, wires: [[]] });
    const transport = device.family === 'kasa' ? { port: device.port, transport: 'tcp' } : { port: 9999, transport: 'klap', klapPort: device.port };
    flow.push({ id: `dev-${i}`, type: 'tplink-device', name: `${device.model} ${i}`, host: LOOPBACK, timeout: 1500, tddpPort: 1040, tddpReplyPort: 61000, ...transport });
    const outlet = device.strip ? { outlet: '1' } : {};
    flow.push({ id: `ctl-${i}`, type: device.strip ? 'strip-outlet' : 'plug-control', device: `dev-${i}`, action: '', pollInterval: 5, ...outlet, ...place(0) });
    controls.push(`ctl-${i}`);
    if (device.meter) {
      flow.push({ id: `en-${i}`, type: 'plug-energy', device: `dev-${i}`, interval: 2, output: 'power', command: 'realtime', deadband: 0, ...outlet, ...place(1) });
      meters.push(`en-${i}`);
    }
  });
  return { flow, controls, meters };
}

interface Sample {
  minute: number;
  heapUsedMiB: number;
  rssMiB: number;
  externalMiB: number;
  done: number;
  failed: number;
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('run with --expose-gc (npm run heap does)');
  collect();
}

/** Full collections until the heap stops shrinking (at most five), between turns of the event loop. */
async function settledHeap(): Promise<number> {
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    const used = process.memoryUsage().heapUsed;
    if (used >= last * 0.999) return used;
    last = used;
  }
  return process.memoryUsage().heapUsed;
}

function startDevices(options: HeapDevicesOptions): Promise<{ worker: Worker; devices: HeapDevice[] }> {
  const worker = new Worker(path.join(__dirname, 'heap-devices.js'), { workerData: options });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: HeapDevicesMessage) => {
      if (message.kind === 'ready') resolve({ worker, devices: message.devices });
      else reject(new Error(`the simulated devices did not start: ${message.kind === 'failed' ? message.message : message.kind}`));
    });
  });
}

function askFaults(worker: Worker): Promise<Record<string, number>> {
  return new Promise((resolve) => {
    const id = Math.random();
    const listen = (message: HeapDevicesMessage): void => {
      if (message.kind !== 'faults' || message.id !== id) return;
      worker.off('message', listen);
      resolve(message.counts);
    };
    worker.on('message', listen);
    worker.postMessage({ kind: 'faults', id } satisfies HeapDevicesCommand);
  });
}

function stopDevices(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    worker.once('exit', () => resolve());
    worker.postMessage({ kind: 'stop' } satisfies HeapDevicesCommand);
  });
}

/** Least-squares slope of y over x. */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

const mib = (bytes: number): number => Math.round((bytes / MiB) * 100) / 100;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const settings = parseArguments(args);
  console.log('kasa-flows heap run: a Node-RED runtime polling and switching simulated devices with faults');
  console.log(`Date:     ${new Date().toISOString()}`);
  console.log(`Node:     ${process.version}; ${os.cpus().length} logical cores; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(
    `Devices:  ${settings.kasa} Kasa (TCP) and ${settings.tapo} Tapo (KLAP v2), worker thread; a fault or restart every 0.5 s; ` +
      `a toggle every ${settings.toggleEverySeconds} s, statistics every ${settings.statsEverySeconds} s; seed ${settings.seed}`,
  );
  console.log(`Run:      ${settings.minutes} min, heap after forced GC every ${settings.everySeconds} s; warm-up ${settings.warmUpMinutes} min; target growth after it <= ${GROWTH_TARGET * 100}%\n`);

  const { worker, devices } = await startDevices({ kasa: settings.kasa, tapo: settings.tapo, faultEveryMs: 500, seed: settings.seed });
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kasa-heap-'));
  const { flow, controls, meters } = heapFlow(devices);
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flow));
  const RED = nodeRed as unknown as EmbeddedNodeRed;
  RED.init({
    userDir,
    flowFile: 'flows.json',
    httpAdminRoot: false,
    httpNodeRoot: false,
    nodesDir: [PROJECT_ROOT],
    credentialSecret: false,
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    // Faults make errors every second: the Catch node takes them, the console stays readable.
    logging: { console: { level: 'fatal', metrics: false, audit: false } },
  });
  let done = 0;
  let failed = 0;
  const codes = new Map<string, number>();
  RED.hooks.add('onComplete.heap', (event: CompleteEvent) => {
    if (event.msg['heapRun'] !== true) return;
    done++;
    if (event.error !== undefined) {
      failed++;
      const code = String(event.error.code ?? 'NO_CODE');
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
  });
  await RED.start();

  let seed = settings.seed;
  const draw = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pick = (ids: readonly string[]): string => ids[Math.floor(draw() * ids.length)]!;
  const deliver = (id: string, msg: Record<string, unknown>): void => RED.nodes.getNode(id)?.receive({ ...msg, heapRun: true, topic: `heap ${id}` });
  const toggles = setInterval(() => deliver(pick(controls), { payload: 'toggle' }), settings.toggleEverySeconds * 1000);
  const stats =
    meters.length === 0 ? null : setInterval(() => deliver(pick(meters), { command: draw() < 0.7 ? 'daystat' : 'monthstat' }), settings.statsEverySeconds * 1000);

  const samples: Sample[] = [];
  const started = Date.now();
  const sample = async (): Promise<void> => {
    const heapUsed = await settledHeap();
    const memory = process.memoryUsage();
    const s: Sample = {
      minute: Math.round(((Date.now() - started) / 60_000) * 100) / 100,
      heapUsedMiB: mib(heapUsed),
      rssMiB: mib(memory.rss),
      externalMiB: mib(memory.external),
      done,
      failed,
    };
    samples.push(s);
    if (settings.snapshotDir !== undefined) {
      fs.mkdirSync(settings.snapshotDir, { recursive: true });
      writeHeapSnapshot(path.join(settings.snapshotDir, `heap-${s.minute.toFixed(1)}.heapsnapshot`));
    }
    console.log(
      `${s.minute.toFixed(1).padStart(6)} min  heap ${s.heapUsedMiB.toFixed(2).padStart(7)} MiB  rss ${s.rssMiB.toFixed(1).padStart(6)} MiB  ` +
        `external ${s.externalMiB.toFixed(2).padStart(6)} MiB  messages ${done} (${failed} failed)`,
    );
  };
  try {
    await sample();
    const end = started + settings.minutes * 60_000;
    for (let next = started + settings.everySeconds * 1000; next <= end + 1000; next += settings.everySeconds * 1000) {
      await sleep(Math.max(0, next - Date.now()));
      await sample();
    }
  } finally {
    clearInterval(toggles);
    if (stats !== null) clearInterval(stats);
    await RED.stop();
    const faults = await askFaults(worker);
    await stopDevices(worker);
    fs.rmSync(userDir, { recursive: true, force: true });
    console.log(`\nFaults shown: ${Object.entries(faults).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log(`Errors by code: ${[...codes].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
  }
  report(settings, samples);
}

function report(settings: Settings, samples: readonly Sample[]): void {
  const baseline = samples.find((s) => s.minute >= settings.warmUpMinutes - 0.05) ?? samples[samples.length - 1]!;
  const after = samples.filter((s) => s.minute >= baseline.minute);
  const last = samples[samples.length - 1]!;
  const peak = Math.max(...after.map((s) => s.heapUsedMiB));
  const growth = (last.heapUsedMiB - baseline.heapUsedMiB) / baseline.heapUsedMiB;
  const peakGrowth = (peak - baseline.heapUsedMiB) / baseline.heapUsedMiB;
  const perHour = slope(after.map((s) => [s.minute / 60, s.heapUsedMiB] as const));
  console.log(
    `\nHeap after forced GC: ${baseline.heapUsedMiB.toFixed(2)} MiB at ${baseline.minute.toFixed(1)} min (end of warm-up), ` +
      `${last.heapUsedMiB.toFixed(2)} MiB at ${last.minute.toFixed(1)} min: ${(growth * 100).toFixed(1)}% (highest ${(peakGrowth * 100).toFixed(1)}%); ` +
      `trend ${perHour >= 0 ? '+' : ''}${perHour.toFixed(2)} MiB/h`,
  );
  console.log(`RSS ${samples[0]!.rssMiB.toFixed(0)} -> ${baseline.rssMiB.toFixed(0)} -> ${last.rssMiB.toFixed(0)} MiB (start, end of warm-up, end)`);
  const pass = after.length >= 2 && peakGrowth <= GROWTH_TARGET;
  console.log(`Target (growth after the warm-up <= ${GROWTH_TARGET * 100}%, every sample): ${after.length < 2 ? 'NOT JUDGED (too few samples after the warm-up)' : pass ? 'PASS' : 'MISS'}`);
  fs.mkdirSync(settings.outDir, { recursive: true });
  const file = path.join(settings.outDir, 'heap-curve.png');
  fs.writeFileSync(
    file,
    plotPng({
      title: `HEAP AFTER FORCED GC: ${settings.kasa} KASA + ${settings.tapo} TAPO, ${settings.minutes} MIN, ${new Date().toISOString().slice(0, 10)}`,
      xLabel: 'MINUTES',
      yLabel: 'MIB',
      series: [{ label: 'HEAP USED', color: [30, 90, 200], points: samples.map((s) => [s.minute, s.heapUsedMiB] as const) }],
      markerX: baseline.minute,
      band: [baseline.heapUsedMiB, baseline.heapUsedMiB * (1 + GROWTH_TARGET)],
    }),
  );
  console.log(`Plot: ${path.relative(process.cwd(), file)} (dashed line: end of warm-up; green band: +${GROWTH_TARGET * 100}% over the heap there)`);
  if (!pass) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
