/**
 * What the fleet benchmark's parent process (bench/fleet.ts) and the Node-RED runtime it starts
 * in a child process (bench/fleet-runtime.ts) say to each other over the IPC channel.
 */

/**
 * Which node polls the devices: this package's plug-energy, or a node built on the peer library of
 * the family (tplink-smarthome-api for Kasa, tp-link-tapo-connect for Tapo); 'floor' is a node
 * that does the same (Poller, status, message) without asking any device: what Node-RED and the
 * polling cost whatever the client; 'bare' does the least any client must do to read the meter
 * (bench/bare-clients): what a device client cannot go below.
 */
export type ContenderName = 'ours' | 'peer' | 'floor' | 'bare';

/** The devices polled: Kasa HS110s over XOR/TCP, or Tapo plugs (P110, P110M) speaking SMART over KLAP v2. */
export type Family = 'kasa' | 'tapo';

/**
 * What polls each device: 'single', one energy node; 'trio', a node watching the relay and two
 * energy nodes, all at the same interval (a plug with a dashboard switch, a gauge and a chart).
 */
export type Layout = 'single' | 'trio';

/** Energy nodes per device in each layout: the readings that reach the counting node. */
export const ENERGY_NODES: Record<Layout, number> = { single: 1, trio: 2 };

export interface RunRequest {
  kind: 'run';
  contender: ContenderName;
  family: Family;
  layout: Layout;
  /** TCP ports of the simulated devices on 127.0.0.1 (Tapo: their HTTP ports), polled by the layout's nodes each. */
  ports: number[];
  /** Seconds between polls of each node. */
  intervalSeconds: number;
  warmUp: WarmUp;
  /**
   * Untimed seconds after the warm-up tab is gone; the window then opens once no full GC has
   * happened for a while, half an interval after a poll starts.
   */
  settleSeconds: number;
  /** Length of the measured window. */
  seconds: number;
}

/**
 * Before the window, a second tab of polling nodes on the same devices polls fast until the fleet
 * has made `polls` readings (or `maxSeconds` have passed), and is then deployed away: V8 has by then
 * optimised the code on the polling path, which the measured nodes share, as it would have after
 * minutes of running. A small fleet polling once a second would otherwise be measured while its
 * code still runs unoptimised.
 */
export interface WarmUp {
  polls: number;
  perSecond: number;
  maxSeconds: number;
}

/** Figures of one measured window, as the runtime process saw them. */
export interface WindowFigures {
  /** Length of the window, measured. */
  seconds: number;
  /** Poll tasks begun inside the window. */
  started: number;
  /** Poll tasks that failed (rejected) inside the window. */
  failed: number;
  /** Readings that reached the counting node inside the window. */
  done: number;
  /** Of those, readings whose poll start was not known (so no latency); expected 0. */
  unstamped: number;
  /** Readings per second the whole fleet sustained, from each node's spacing of arrivals. */
  sustainedPerSecond: number;
  /** Poll start to arrival at the counting node, ms, one per stamped reading, ascending. */
  latenciesMs: number[];
  /** Full garbage collections inside the window, and their main-thread pause in ms. */
  majorGcs: number;
  majorGcMs: number;
  /** User plus system CPU time of the whole runtime process during the window, ms. */
  cpuMs: number;
  /**
   * The same for consecutive slices of whole seconds: their median shows the steady cost, which a
   * few full garbage collections landing in one slice do not move.
   */
  slices: Array<{ seconds: number; cpuMs: number; done: number }>;
  rssBytes: number;
  heapUsedBytes: number;
  /** Largest count of open TCP sockets (process.getActiveResourcesInfo) seen once a second. */
  maxTcpSockets: number;
  /** Open resources by kind at the end of the window. */
  resourcesAtEnd: Record<string, number>;
}

/**
 * 'alive' carries nothing: the runtime writes it once a second from its start, so the write path
 * to the parent (a pipe) is part of what V8 has optimised long before the window opens. Written
 * first at the window's start, 'window-start' met stream code optimised for TCP sockets alone and
 * threw it away, the devices' writes with it, to be compiled again inside the window.
 */
export type RuntimeMessage =
  | { kind: 'alive' }
  | { kind: 'window-start' }
  | { kind: 'window-end' }
  | { kind: 'result'; figures: WindowFigures }
  | { kind: 'failed'; message: string };
