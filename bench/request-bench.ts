/**
 * Requests per second against the simulated devices. Contenders take turns round after round,
 * in a rotating order, so a change in the machine's load hits all of them alike; the devices'
 * own counters confirm that every request the client counted was one round trip they answered
 * (and, for a contender that switches, one change of the relay).
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

/** What the devices counted of a contender's work. */
export interface DeviceCounts {
  requests: number;
  connections: number;
  /** Changes of a relay, for a contender that switches: one per request. */
  switches?: number;
}

export interface Contender {
  name: string;
  open(): Promise<OpenContender>;
  /**
   * Throws unless one check request's reply on lane `lane` is right: the sysinfo of that lane's
   * device, or the switch it asked for; `devices` reads the devices' own state after it.
   */
  checkReply(reply: unknown, lane: number, devices: () => Promise<HostStats>): Promise<void>;
  /** This contender's requests and connections (and switches) as the devices count them. */
  seenByDevices(stats: HostStats): DeviceCounts;
}

/** The check of a reading contender: each lane's replies name that lane's device. */
export function fromDevices(name: string, expectedDeviceIds: readonly string[], deviceIdOf: (reply: unknown) => unknown): Contender['checkReply'] {
  return (reply, lane) => {
    const id = deviceIdOf(reply);
    if (id !== expectedDeviceIds[lane]) throw new Error(`${name}: lane ${lane} got a reply from device ${String(id)}, expected ${expectedDeviceIds[lane]}`);
    return Promise.resolve();
  };
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
        checkCounts(contender.name, `the client counted ${requests} requests`, requests, before, after);
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

/** Replies must be right for the lane (its device's sysinfo, or its switch), one device request per client request. */
async function checkContender(host: DeviceHost, contender: Contender, open: OpenContender): Promise<void> {
  const before = contender.seenByDevices(await host.stats());
  const devices = (): Promise<HostStats> => host.stats();
  await Promise.all(
    open.lanes.map(async (lane, index) => {
      for (let i = 0; i < CHECK_REQUESTS; i++) await contender.checkReply(await lane(), index, devices);
    }),
  );
  const after = contender.seenByDevices(await host.stats());
  const expected = CHECK_REQUESTS * open.lanes.length;
  checkCounts(contender.name, `${expected} requests made`, expected, before, after);
}

/** One device request per client request, and where the contender switches, one relay change per request. */
function checkCounts(name: string, made: string, requests: number, before: DeviceCounts, after: DeviceCounts): void {
  const answered = after.requests - before.requests;
  if (answered !== requests) throw new Error(`${name}: ${made}, the devices answered ${answered}`);
  if (before.switches === undefined || after.switches === undefined) return;
  const switched = after.switches - before.switches;
  if (switched !== requests) throw new Error(`${name}: ${made}, the relay changed ${switched} times`);
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
