/**
 * `npm run bench:layers`: the CPU one meter reading costs at each layer it passes through, from a
 * bare client up to the device hub the nodes use, and the peer libraries doing the same, so the
 * fleet's figures can be taken apart. Two ways of asking:
 * - a tight loop: one device, readings back to back (hot code, warm caches);
 * - bursts: N devices each read once a second on its own Poller, as a fleet polls, outside Node-RED
 *   (code that runs N times and then waits: what a poll really costs).
 * The devices are the project's simulator in a child process, so this process's CPU is the
 * client's alone. Options: --devices 50  --seconds 10  --loop 2000.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client as PeerKasaClient } from 'tplink-smarthome-api';
import { loginDeviceByIp } from 'tp-link-tapo-connect';
import { DeviceHub } from '../src/device/device-hub';
import { Poller } from '../src/device/poller';
import { connectDevice } from '../src/family/connect';
import { KasaClient } from '../src/family/iot/client';
import { SmartClient } from '../src/family/smart/client';
import { HttpConnection } from '../src/transport/http/http-connection';
import { KlapTransport } from '../src/transport/klap';
import { TAPO_DEFAULT_PASSWORD, TAPO_DEFAULT_USERNAME } from '../src/transport/klap/credentials';
import { BareKlapClient, BareXorClient, KASA_REALTIME, TAPO_ENERGY_USAGE } from './bare-clients';
import { formatNumber, summarise } from './stats';
import { Row, renderTable } from './table';

const HOST = '127.0.0.1';
const SIMULATOR = path.join(__dirname, '..', 'bin', 'tplink-sim.js');

/** One way of reading a device's meter, opened per device: asked again and again (`read`), or polling by itself (`watch`). */
interface Layer {
  name: string;
  open(port: number): Promise<OpenLayer>;
  /** Not run in bursts (a reference for the tight loop only). */
  loopOnly?: boolean;
}

interface OpenLayer {
  read?: () => Promise<unknown>;
  /** Polls once a second by itself, calling `onRead` for each reading (the hub). */
  watch?: (onRead: () => void) => void;
  close: () => Promise<void> | void;
}

const kasaLayers: Layer[] = [
  {
    name: 'bare XOR socket (framing only)',
    open: async (port) => {
      const client = await BareXorClient.open(HOST, port);
      return { read: () => client.request(KASA_REALTIME), close: () => client.close() };
    },
  },
  {
    name: 'KasaClient.send',
    open: async (port) => {
      const client = new KasaClient({ host: HOST, port });
      return { read: () => client.send(KASA_REALTIME), close: () => client.close() };
    },
  },
  {
    name: 'Device.poll, the meter alone',
    open: async (port) => {
      const device = await connectDevice({ transport: 'tcp', host: HOST, port });
      await device.getSysinfo();
      return { read: () => device.poll({ meters: [() => [device]], state: false }), close: () => device.close() };
    },
  },
  {
    name: 'DeviceHub, a meter subscriber (as plug-energy)',
    open: hubLayer((port) => connectDevice({ transport: 'tcp', host: HOST, port })),
  },
  {
    name: 'tplink-smarthome-api emeter.getRealtime (TCP)',
    open: async (port) => {
      const device = await new PeerKasaClient().getDevice({ host: HOST, port });
      return { read: () => device.emeter.getRealtime(), close: () => device.closeConnection() };
    },
  },
];

const tapoLayers: Layer[] = [
  {
    name: 'bare KLAP on a raw socket (AES and SHA-256 only)',
    open: async (port) => {
      const client = await BareKlapClient.open(HOST, port);
      return { read: () => client.request(TAPO_ENERGY_USAGE), close: () => client.close() };
    },
  },
  {
    name: "a keep-alive POST through Node's http, no crypto",
    loopOnly: true,
    open: async (port) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const body = Buffer.alloc(96, 1);
      const read = (): Promise<void> =>
        new Promise((resolve, reject) => {
          const headers = { 'Content-Length': body.length, 'Content-Type': 'application/octet-stream' };
          const req = http.request({ host: HOST, port, path: '/app/handshake1', method: 'POST', agent, headers }, (res) => {
            res.resume();
            res.on('end', resolve);
          });
          req.on('error', reject);
          req.end(body);
        });
      return { read, close: () => agent.destroy() };
    },
  },
  {
    name: 'a keep-alive POST through our HttpConnection, no crypto',
    loopOnly: true,
    open: async (port) => {
      const connection = new HttpConnection();
      const body = Buffer.alloc(96, 1);
      const read = (): Promise<unknown> =>
        connection.post({
          host: HOST,
          port,
          path: '/app/handshake1',
          body,
          contentType: 'application/octet-stream',
          device: `${HOST}:${port}`,
          repeatable: true,
          deadline: Date.now() + 5000,
          budgetMs: 5000,
          maxReplyBytes: 4096,
        });
      return { read, close: () => connection.close() };
    },
  },
  {
    name: 'KlapTransport.exchange',
    open: async (port) => {
      const transport = new KlapTransport({ host: HOST, port, family: 'smart' });
      const json = JSON.stringify(TAPO_ENERGY_USAGE);
      return { read: () => transport.exchange(json, 5000), close: () => transport.close() };
    },
  },
  {
    name: 'SmartClient.call',
    open: async (port) => {
      const client = new SmartClient({ transport: new KlapTransport({ host: HOST, port, family: 'smart' }) });
      return { read: () => client.call('get_energy_usage'), close: () => client.close() };
    },
  },
  {
    name: 'Device.poll, the meter alone',
    open: async (port) => {
      const device = await connectDevice({ transport: 'klap', host: HOST, port: 9999, klapPort: port });
      await device.getSysinfo();
      return { read: () => device.poll({ meters: [() => [device]], state: false }), close: () => device.close() };
    },
  },
  {
    name: 'DeviceHub, a meter subscriber (as plug-energy)',
    open: hubLayer((port) => connectDevice({ transport: 'klap', host: HOST, port: 9999, klapPort: port })),
  },
  {
    name: 'tp-link-tapo-connect getEnergyUsage',
    open: async (port) => {
      const device = await loginDeviceByIp(TAPO_DEFAULT_USERNAME, TAPO_DEFAULT_PASSWORD, `${HOST}:${port}`);
      return { read: () => device.getEnergyUsage(), close: () => undefined };
    },
  },
];

/**
 * The hub as the device node runs it, with one subscriber that wants the meter once a second (as a
 * plug-energy node): its own Poller polls, so it runs in bursts only.
 */
function hubLayer(connect: (port: number) => ReturnType<typeof connectDevice>): Layer['open'] {
  return async (port) => {
    const device = await connect(port);
    await device.getSysinfo();
    const hub = new DeviceHub((request) => device.poll(request));
    return {
      watch: (onRead: () => void) =>
        hub.subscribe({
          intervalMs: 1000,
          meters: () => [device],
          follows: () => new Set(),
          onEvent: (event) => {
            if (event.type === 'reading') onRead();
          },
        }),
      close: async () => {
        await hub.stop();
        await device.close();
      },
    };
  };
}

interface Settings {
  devices: number;
  seconds: number;
  loop: number;
}

function parseArguments(args: readonly string[]): Settings {
  const settings: Settings = { devices: 50, seconds: 10, loop: 2000 };
  for (let i = 0; i < args.length; i += 2) {
    const [option, value] = [args[i], Number(args[i + 1])];
    if (!Number.isInteger(value) || value < 1) throw new Error(`${option}: a whole number above 0, please`);
    if (option === '--devices') settings.devices = value;
    else if (option === '--seconds') settings.seconds = value;
    else if (option === '--loop') settings.loop = value;
    else throw new Error(`unknown option ${String(option)} (--devices, --seconds, --loop)`);
  }
  return settings;
}

/** Simulated devices in a child process; resolves with their ports once all listen. */
async function startSimulator(model: string, count: number): Promise<{ ports: number[]; child: ChildProcess }> {
  const child = spawn(process.execPath, [SIMULATOR, '--model', model, '--count', String(count), '--port', '0', '--no-udp'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ports: number[] = [];
  let text = '';
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the simulator stopped (${String(code)})`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      for (const match of text.matchAll(/listening on 127\.0\.0\.1:(\d+)/g)) if (!ports.includes(Number(match[1]))) ports.push(Number(match[1]));
      if (ports.length >= count) resolve();
    });
  });
  child.removeAllListeners('exit');
  return { ports, child };
}

/** CPU microseconds per read, back to back on one device: the median of 5 rounds after a warm-up; undefined for a layer that polls by itself. */
async function tightLoop(layer: Layer, port: number, reads: number): Promise<number | undefined> {
  const opened = await layer.open(port);
  const read = opened.read;
  try {
    if (read === undefined) return undefined;
    for (let i = 0; i < Math.min(500, reads); i++) await read();
    const rounds: number[] = [];
    for (let round = 0; round < 5; round++) {
      const before = process.cpuUsage();
      for (let i = 0; i < reads; i++) await read();
      const used = process.cpuUsage(before);
      rounds.push((used.user + used.system) / reads);
    }
    return summarise(rounds).median;
  } finally {
    await opened.close();
  }
}

/** Slices of a burst window: their median per read is the steady cost, which a full GC landing in one slice does not move. */
const SLICES = 5;

/** CPU microseconds per read with every device read once a second on its own Poller: the median of the window's slices. */
async function bursts(layer: Layer, ports: readonly number[], seconds: number): Promise<{ perRead: number; reads: number }> {
  const opened = await Promise.all(ports.map((port) => layer.open(port)));
  let reads = 0;
  const counted = (): void => void reads++;
  const pollers = opened.flatMap((device) => (device.read === undefined ? [] : [new Poller(1000, device.read, { onResult: counted, onOutage: () => undefined })]));
  try {
    for (const poller of pollers) poller.start();
    for (const device of opened) device.watch?.(counted);
    await sleep(5000); // warm-up: the JIT and the connections
    const perRead: number[] = [];
    const readsBefore = reads;
    for (let slice = 0; slice < SLICES; slice++) {
      const before = process.cpuUsage();
      const sliceReads = reads;
      await sleep((seconds * 1000) / SLICES);
      const used = process.cpuUsage(before);
      perRead.push((used.user + used.system) / Math.max(1, reads - sliceReads));
    }
    return { perRead: summarise(perRead).median, reads: reads - readsBefore };
  } finally {
    await Promise.all(pollers.map((poller) => poller.stop()));
    await Promise.all(opened.map((device) => device.close()));
  }
}

const FAMILIES = {
  kasa: { title: 'Kasa HS110 (XOR over TCP)', model: 'hs110', layers: kasaLayers },
  tapo: { title: 'Tapo P110 (SMART over KLAP v2)', model: 'p110', layers: tapoLayers },
} as const;
type FamilyName = keyof typeof FAMILIES;

interface LayerResult {
  loop?: number;
  burst?: { perRead: number; reads: number };
}

/**
 * Each layer runs in a process of its own (this script again, with --run): in one process the
 * layers measured later would find the JIT warmer and cost less for that alone.
 */
function runLayerProcess(family: FamilyName, index: number, ports: readonly number[], settings: Settings): Promise<LayerResult> {
  const args = [__filename, '--run', `${family}:${index}:${ports.join(',')}`, '--devices', String(settings.devices), '--seconds', String(settings.seconds), '--loop', String(settings.loop)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LayerResult) : reject(new Error(`the run of layer ${family}:${index} failed (${String(code)})`))));
  });
}

async function measureLayer(family: FamilyName, index: number, ports: readonly number[], settings: Settings): Promise<LayerResult> {
  const layer = FAMILIES[family].layers[index]!;
  const loop = await tightLoop(layer, ports[0]!, settings.loop);
  const burst = layer.loopOnly === true ? undefined : await bursts(layer, ports, settings.seconds);
  return { ...(loop === undefined ? {} : { loop }), ...(burst === undefined ? {} : { burst }) };
}

async function measureFamily(family: FamilyName, settings: Settings): Promise<void> {
  const { title, model, layers } = FAMILIES[family];
  const { ports, child } = await startSimulator(model, settings.devices);
  const rows: Row[] = [];
  try {
    for (const [index, layer] of layers.entries()) {
      process.stdout.write(`  ${title}: ${layer.name}... `);
      const { loop, burst } = await runLayerProcess(family, index, ports, settings);
      process.stdout.write('done\n');
      rows.push([layer.name, loop === undefined ? '-' : formatNumber(loop), burst === undefined ? '-' : formatNumber(burst.perRead), burst === undefined ? '-' : String(burst.reads)]);
    }
  } finally {
    child.kill();
  }
  console.log(`\n${title}: CPU us per meter reading (the layer's process only; the devices run in another)\n`);
  console.log(renderTable(['layer', 'tight loop', `bursts of ${settings.devices}, 1/s`, 'reads in the bursts'], rows));
  console.log('');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const run = args.indexOf('--run');
  if (run >= 0) {
    // One layer, in this process: --run family:index:port,port,... (see runLayerProcess).
    const [family, index, ports] = (args[run + 1] ?? '').split(':');
    const settings = parseArguments([...args.slice(0, run), ...args.slice(run + 2)]);
    const result = await measureLayer(family as FamilyName, Number(index), ports!.split(',').map(Number), settings);
    process.stdout.write(JSON.stringify(result));
    process.exit(0); // the peers' clients keep sockets of their own open
  }
  const settings = parseArguments(args);
  console.log('kasa-flows layers benchmark: one meter reading, layer by layer, each layer in a process of its own');
  console.log(`Date:  ${new Date().toISOString()}`);
  console.log(`Node:  ${process.version}; load average ${os.loadavg().map((load) => load.toFixed(2)).join(' ')}`);
  console.log(
    `Runs:  tight loop ${settings.loop} reads x 5 rounds (median); bursts ${settings.devices} devices for ${settings.seconds} s after 5 s (median of ${SLICES} slices)\n`,
  );
  await measureFamily('kasa', settings);
  await measureFamily('tapo', settings);
  console.log(`Load average at the end: ${os.loadavg().map((load) => load.toFixed(2)).join(' ')}`);
}

main().catch((err: unknown) => {
  console.error(`\nLayers benchmark failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
