/**
 * Requests per second against the simulated devices. Contenders take turns round after round,
 * in a rotating order, so a change in the machine's load hits all of them alike; the devices'
 * own counters confirm that every request the client counted was one round trip they answered.
 */
import { performance } from 'node:perf_hooks';
import type { DeviceHost, HostStats } from './device-host';
import { Summary, summarise } from './stats';

/** One sequential stream of requests: the next starts when the previous one has its reply. */
export type Lane = () => Promise<unknown>;

export interface OpenContender {
  /** One lane per device; they run side by side. */
  lanes: readonly Lane[];
  close(): Promise<void>;
  /**
   * Sockets the client says it has opened so far, where it keeps count. UDP has no connections
   * for the devices to count, so this is what shows whether a shared socket is really shared.
   */
  socketsOpened?(): number;
}

export interface Contender {
  name: string;
  open(): Promise<OpenContender>;
  /** The device id in a reply, to check it is the sysinfo of the device that lane talks to. */
  deviceIdOf(reply: unknown): unknown;
  /** Expected deviceIdOf() of each lane's replies. */
  expectedDeviceIds: readonly string[];
  /** This contender's requests and connections as the devices count them. */
  seenByDevices(stats: HostStats): { requests: number; connections: number };
}

export interface RequestResult {
  name: string;
  /** Requests per second, one sample per round. */
  rates: number[];
  rate: Summary;
  /** TCP connections the devices accepted per request, over every timed round. */
  connectionsPerRequest: number;
  /** Sockets the client opened over the timed rounds, by its own count; undefined where it keeps none. */
  socketsOpened: number | undefined;
  requests: number;
}

export interface RequestBenchOptions {
  rounds: number;
  roundMs: number;
  /** Untimed run of each contender before the first round. */
  warmUpMs: number;
}

/** Requests made on each lane before timing, to check replies and the devices' counts. */
const CHECK_REQUESTS = 10;

export async function runRequestBench(host: DeviceHost, contenders: readonly Contender[], options: RequestBenchOptions): Promise<RequestResult[]> {
  const opened: OpenContender[] = [];
  try {
    for (const contender of contenders) {
      const open = await contender.open();
      opened.push(open);
      await checkContender(host, contender, open);
      await runFor(open.lanes, options.warmUpMs);
    }
    const results = contenders.map((contender) => ({ name: contender.name, rates: [] as number[], requests: 0, connections: 0, sockets: 0 }));
    for (let round = 0; round < options.rounds; round++) {
      for (let turn = 0; turn < contenders.length; turn++) {
        const index = (round + turn) % contenders.length;
        const contender = contenders[index]!;
        const result = results[index]!;
        const open = opened[index]!;
        const before = contender.seenByDevices(await host.stats());
        const socketsBefore = open.socketsOpened?.() ?? 0;
        const { requests, seconds } = await runFor(open.lanes, options.roundMs);
        const socketsAfter = open.socketsOpened?.() ?? 0;
        const after = contender.seenByDevices(await host.stats());
        if (after.requests - before.requests !== requests) {
          throw new Error(`${contender.name}: the client counted ${requests} requests, the devices answered ${after.requests - before.requests}`);
        }
        result.rates.push(requests / seconds);
        result.requests += requests;
        result.connections += after.connections - before.connections;
        result.sockets += socketsAfter - socketsBefore;
      }
    }
    return results.map((result, index) => ({
      name: result.name,
      rates: result.rates,
      rate: summarise(result.rates),
      connectionsPerRequest: result.connections / result.requests,
      socketsOpened: opened[index]!.socketsOpened === undefined ? undefined : result.sockets,
      requests: result.requests,
    }));
  } finally {
    await Promise.all(opened.map((open) => open.close()));
  }
}

/** Replies must be the sysinfo of the lane's own device, one device request per client request. */
async function checkContender(host: DeviceHost, contender: Contender, open: OpenContender): Promise<void> {
  const before = contender.seenByDevices(await host.stats());
  await Promise.all(
    open.lanes.map(async (lane, index) => {
      for (let i = 0; i < CHECK_REQUESTS; i++) {
        const id = contender.deviceIdOf(await lane());
        if (id !== contender.expectedDeviceIds[index]) {
          throw new Error(`${contender.name}: lane ${index} got a reply from device ${String(id)}, expected ${contender.expectedDeviceIds[index]}`);
        }
      }
    }),
  );
  const after = contender.seenByDevices(await host.stats());
  const expected = CHECK_REQUESTS * open.lanes.length;
  if (after.requests - before.requests !== expected) {
    throw new Error(`${contender.name}: ${expected} requests made, the devices answered ${after.requests - before.requests}`);
  }
}

/** Every lane keeps one request in flight until `ms` have passed; requests under way are finished and counted. */
async function runFor(lanes: readonly Lane[], ms: number): Promise<{ requests: number; seconds: number }> {
  const started = performance.now();
  const deadline = started + ms;
  let requests = 0;
  await Promise.all(
    lanes.map(async (lane) => {
      while (performance.now() < deadline) {
        await lane();
        requests++;
      }
    }),
  );
  return { requests, seconds: (performance.now() - started) / 1000 };
}
