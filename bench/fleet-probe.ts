/**
 * Instruments the Node-RED runtime of the fleet benchmark, the same way for every contender:
 * the project's Poller class is swapped for a subclass that notes when each poll task starts;
 * a Node-RED onSend hook ties the message a node sends from its poll result to that start; the
 * counting node looks the start up when the message arrives. So a latency is "poll task begins"
 * to "reading delivered to the next node", through the runtime's real message routing.
 */
import { performance } from 'node:perf_hooks';
import * as pollerModule from '../src/device/poller';
import { Poller, PollerEvents } from '../src/device/poller';

/** The part of Node-RED's onSend hook event the probe reads. */
interface SendEvent {
  msg: object;
  source: { id: string };
}

/** Arrivals of one node's readings in the window. */
interface NodeArrivals {
  count: number;
  firstMs: number;
  lastMs: number;
}

interface Counts {
  started: number;
  failed: number;
  done: number;
  unstamped: number;
  latenciesMs: number[];
  arrivals: Map<string, NodeArrivals>;
}

const freshCounts = (): Counts => ({ started: 0, failed: 0, done: 0, unstamped: 0, latenciesMs: [], arrivals: new Map() });

// Counted all the time, the window only starting afresh: opening it must not change what the
// polling path runs (a branch taken for the first time there costs a recompilation inside it).
let counts = freshCounts();
let pollersCreated = 0;
/** Readings the counting node received since the process started, in the window or not. */
let everArrived = 0;
/** Nodes whose poll readings reached the counting node since the process started. */
const heardFrom = new Set<string>();
/** Start of the poll whose result handler is running now; null outside a result handler. */
let resultOfPollStartedAt: number | null = null;
/** Messages sent from a poll result handler, by identity, with their poll's start and sending node. */
const pollStarts = new WeakMap<object, { startedAt: number; nodeId: string }>();
let pollStartWaiters: Array<() => void> = [];

/** Behaves exactly as Poller; only notes when each task starts and fails, and marks result handling. */
class MeasuredPoller<T> extends Poller<T> {
  constructor(intervalMs: number, task: () => Promise<T>, events: PollerEvents<T>) {
    // One run at a time per Poller, so a single variable holds the start of the current run.
    let startedAt = 0;
    const timedTask = async (): Promise<T> => {
      startedAt = performance.now();
      counts.started++;
      if (pollStartWaiters.length > 0) {
        pollStartWaiters.forEach((wake) => wake());
        pollStartWaiters = [];
      }
      try {
        return await task();
      } catch (err) {
        counts.failed++;
        throw err;
      }
    };
    const onResult = (value: T): void => {
      resultOfPollStartedAt = startedAt;
      try {
        events.onResult(value);
      } finally {
        resultOfPollStartedAt = null;
      }
    };
    super(intervalMs, timedTask, { ...events, onResult });
    pollersCreated++;
  }
}

/**
 * Makes every Poller created from now on a measured one. Compiled modules reach the class through
 * the module object at each `new`, so nodes loaded later by Node-RED get the subclass too.
 */
export function installPollerProbe(): void {
  (pollerModule as unknown as { Poller: unknown }).Poller = MeasuredPoller;
}

/** Node-RED onSend hook: remembers which poll each message of a poll result comes from. */
export function stampSentMessages(events: SendEvent[]): void {
  if (resultOfPollStartedAt === null) return;
  for (const event of events) pollStarts.set(event.msg, { startedAt: resultOfPollStartedAt, nodeId: event.source.id });
}

/** Called by the counting node for every message it receives. */
export function recordArrival(msg: object): void {
  everArrived++;
  const stamp = pollStarts.get(msg);
  if (stamp !== undefined) heardFrom.add(stamp.nodeId);
  counts.done++;
  if (stamp === undefined) {
    counts.unstamped++;
    return;
  }
  const now = performance.now();
  counts.latenciesMs.push(now - stamp.startedAt);
  const seen = counts.arrivals.get(stamp.nodeId);
  if (seen === undefined) counts.arrivals.set(stamp.nodeId, { count: 1, firstMs: now, lastMs: now });
  else {
    seen.count++;
    seen.lastMs = now;
  }
}

export function arrivalsEver(): number {
  return everArrived;
}

/** Readings counted so far in the current window. */
export function arrivalsSoFar(): number {
  return counts.done;
}

/** How many of these nodes have had a poll reading delivered to the counting node. */
export function heardFromCount(ids: readonly string[]): number {
  return ids.filter((id) => heardFrom.has(id)).length;
}

/** Pollers created since the process started (a redeploy creates new ones). */
export function pollersStarted(): number {
  return pollersCreated;
}

/** Resolves when the next poll task of any node starts. */
export function nextPollStart(): Promise<void> {
  return new Promise((resolve) => pollStartWaiters.push(resolve));
}

/**
 * Readings per second the fleet keeps up, from each node's own spacing of arrivals (count - 1 over
 * first to last), so where the window's edges fall in a node's cycle does not matter.
 */
export function sustainedRate(arrivals: ReadonlyMap<string, NodeArrivals>, windowSeconds: number): number {
  let rate = 0;
  for (const node of arrivals.values()) {
    rate += node.count >= 2 ? ((node.count - 1) * 1000) / (node.lastMs - node.firstMs) : node.count / windowSeconds;
  }
  return rate;
}

/** Starts the window's counts afresh. */
export function beginMeasuring(): void {
  counts = freshCounts();
}

/** Hands over what the window saw, latencies in ascending order; counting goes on in fresh counts. */
export function endMeasuring(): Counts {
  const seen = counts;
  counts = freshCounts();
  seen.latenciesMs.sort((a, b) => a - b);
  return seen;
}
