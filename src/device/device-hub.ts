import { ChildMemory, childChanges } from './child-changes';
import type { ChildEvent } from './child-events';
import { PollingHub } from './poll-hub';
import type { LightState } from './light-state';
import type { ChildInfo, DeviceInfo, OutletInfo } from './state';
import type { PollRequest, Target } from './device';
import type { DeviceReading } from './types';

/** The state of one part of a device that a person can see change: the device itself, or one outlet. */
export interface PartState {
  /** '' for the device itself, an outlet's id otherwise. */
  key: string;
  on: boolean;
  /** Dimmers and dimmable lights. */
  brightness?: number;
  /** Bulbs and light strips: colour or white, and the effect. */
  light?: LightState;
  /** The outlet, for an outlet's state. */
  outlet?: OutletInfo;
}

/**
 * What a device's hub tells those who watch it. `online`: the first reading they get, and the first
 * after an outage, with the state of every part they follow; `change`: a part they follow changed
 * (in a poll, or by another node's command), once per change; `offline`: the first failed poll
 * after a success, once per outage; `reading`: a poll made for them (with the meters they asked for).
 */
export type DeviceEvent =
  | { type: 'online'; reading: DeviceReading; parts: PartState[] }
  | { type: 'change'; reading: DeviceReading; part: PartState }
  | { type: 'offline'; error: unknown }
  | { type: 'reading'; reading: DeviceReading }
  /** Something happened to a hub's child the subscriber follows: an entry of its log (once, in log order), or a change of its readings. */
  | { type: 'child'; reading: DeviceReading; child: ChildInfo; event: ChildEvent };

export interface DeviceSubscriber {
  /** How often this subscriber wants a reading (ms). */
  readonly intervalMs: number;
  /** The targets whose meters this subscriber wants read with every poll made for it (none: the state only). */
  meters?(info: DeviceInfo): readonly Target[];
  /** The parts it follows, by key (see PartState); the device itself alone when absent. */
  follows?(info: DeviceInfo): ReadonlySet<string> | undefined;
  /** A hub's children it follows, by id (named from the hub's child list): their logs are read with every poll. */
  children?(info: DeviceInfo): ReadonlySet<string>;
  onEvent(event: DeviceEvent): void;
}

/**
 * While only meters are watched, polls read the meters alone; the state is still read at least this
 * often, so names, outlets and a strip's outlet list in the meters' messages stay current.
 */
export const STATE_AT_LEAST_EVERY_MS = 60_000;

/** The parts of a device whose state can change: the device itself, and each outlet of a strip. */
export function partStates(info: DeviceInfo): PartState[] {
  const own: PartState = {
    key: '',
    on: info.on,
    ...(info.brightness === undefined ? {} : { brightness: info.brightness }),
    ...(info.light === undefined ? {} : { light: info.light }),
  };
  return [own, ...(info.outlets ?? []).map((outlet) => ({ key: outlet.id, on: outlet.on, outlet }))];
}

/** What tells one state of a part from another: its relay, a dimmer's level, a light's colour, white and effect. */
function stateKey(part: PartState): string {
  const light = part.light === undefined ? '' : `/${part.light.mode}/${part.light.hue ?? ''}/${part.light.saturation ?? ''}/${part.light.colorTemp ?? ''}/${part.light.effect ?? ''}`;
  return `${part.on}/${part.brightness ?? ''}${light}`;
}

/**
 * One poll per device for all who watch it (a PollingHub), and the comparing of its readings: the
 * hub keeps the last state of every part and tells each subscriber what changed among the parts it
 * follows. Nodes only turn events into messages; none compares state itself.
 */
export class DeviceHub {
  private readonly polling: PollingHub<DeviceReading, HubEntry>;
  private readonly entries = new Map<DeviceSubscriber, HubEntry>();
  private readonly unwatch = new Map<HubEntry, () => Promise<void>>();
  /** The reading compared last (see compare). */
  private lastCompared: DeviceReading | undefined;
  /** The last state of every part, by key: what a new reading is compared with. */
  private known = new Map<string, string>();
  /** A hub's children: the last readings of each, and the last log id seen of each child whose log is read. */
  private children = new Map<string, ChildMemory>();
  private cursors = new Map<string, number>();
  /** Children whose log has been read: their motion, doors and water come from their logs. */
  private logged = new Set<string>();
  /** When a poll last read the state (-Infinity: never, or a poll failed since). */
  private stateReadAt = -Infinity;

  private readonly stateAtLeastEveryMs: number;

  constructor(poll: (request: PollRequest) => Promise<DeviceReading>, options: { stateAtLeastEveryMs?: number } = {}) {
    this.stateAtLeastEveryMs = options.stateAtLeastEveryMs ?? STATE_AT_LEAST_EVERY_MS;
    // The functions a poll hands on are made once, not per poll.
    const logs = (info: DeviceInfo): Map<string, number | undefined> => this.logsToRead(info);
    const read = (reading: DeviceReading): DeviceReading => {
      if (reading.metersOnly !== true) this.stateReadAt = Date.now();
      return reading;
    };
    const failed = (err: unknown): never => {
      this.stateReadAt = -Infinity; // back from an outage, the state is read first
      throw err;
    };
    this.polling = new PollingHub<DeviceReading, HubEntry>((due) => {
      const meters: Array<(info: DeviceInfo) => readonly Target[]> = [];
      for (const entry of due) if (entry.meters !== undefined) meters.push(entry.meters);
      return poll({ meters, logs, state: this.stateWanted(due) }).then(read, failed);
    });
  }

  /**
   * Whether a poll for `due` must read the state: someone due follows a part or a child, or only
   * wants readings (no meters), or the state is unknown, older than a minute, or from before an outage.
   */
  private stateWanted(due: readonly HubEntry[]): boolean {
    const info = this.lastCompared?.info;
    if (info === undefined || Date.now() - this.stateReadAt >= this.stateAtLeastEveryMs) return true;
    return due.some((entry) => entry.meters === undefined || entry.followsState(info));
  }

  /**
   * Every watched child's log, whoever is due: each from the last id seen (none yet: the poll only
   * learns the newest id, so nothing from before is told). A child nobody watches any more loses its
   * place: watched again later, it starts afresh rather than telling old entries.
   */
  private logsToRead(info: DeviceInfo): Map<string, number | undefined> {
    const ids = new Set([...this.entries.values()].flatMap((entry) => [...entry.childrenOf(info)]));
    for (const id of this.cursors.keys()) if (!ids.has(id)) this.cursors.delete(id);
    return new Map([...ids].map((id) => [id, this.cursors.get(id)]));
  }

  /** How many subscribers there are now. */
  get size(): number {
    return this.entries.size;
  }

  /** The interval polling runs at now (ms); 0 while nobody watches. */
  get intervalMs(): number {
    return this.polling.intervalMs;
  }

  /** Adds a subscriber; polling starts with the first and runs at the shortest interval asked. */
  subscribe(subscriber: DeviceSubscriber): void {
    if (this.entries.has(subscriber)) return;
    const entry = new HubEntry(subscriber, this);
    this.entries.set(subscriber, entry);
    this.unwatch.set(entry, this.polling.watch(entry));
  }

  /** Removes a subscriber (resolving once a poll it ended is done); polling stops with the last. */
  unsubscribe(subscriber: DeviceSubscriber): Promise<void> {
    const entry = this.entries.get(subscriber);
    if (entry === undefined) return Promise.resolve();
    this.entries.delete(subscriber);
    const unwatch = this.unwatch.get(entry);
    this.unwatch.delete(entry);
    return unwatch?.() ?? Promise.resolve();
  }

  /**
   * A reading made outside the polls (a command's read-back): what it changed goes to every
   * subscriber but `except` (the node that sent the command, which reports its own result).
   */
  publish(reading: DeviceReading, except?: DeviceSubscriber): void {
    this.compare(reading, except === undefined ? undefined : this.entries.get(except));
  }

  /**
   * Resolves after `count` more polls made at `intervalMs` (joining the polls there are; asking for
   * nothing of its own): lets tests and benchmarks wait for polls rather than sleep.
   */
  polls(count: number, intervalMs: number): Promise<void> {
    return new Promise((resolve) => {
      let seen = 0;
      const watcher: DeviceSubscriber = {
        intervalMs,
        onEvent: (event) => {
          if (event.type !== 'reading' || ++seen < count) return;
          void this.unsubscribe(watcher);
          resolve();
        },
      };
      this.subscribe(watcher);
    });
  }

  /** Removes every subscriber and stops polling. */
  stop(): Promise<void> {
    this.entries.clear();
    this.unwatch.clear();
    this.known = new Map();
    this.children = new Map();
    this.cursors = new Map();
    return this.polling.stop();
  }

  /** Tells the online subscribers (but `except`) of each part that changed since the last reading, then remembers the new states. */
  compare(reading: DeviceReading, except?: HubEntry): void {
    // One poll's reading reaches every subscriber it was made for: it is compared once, by the first.
    // A reading of the meters alone carries the state read before: nothing in it to compare.
    if (reading === this.lastCompared || reading.metersOnly === true) return;
    this.lastCompared = reading;
    this.compareChildren(reading, except);
    const parts = partStates(reading.info);
    const keys = parts.map(stateKey);
    const changed = parts.filter((part, i) => this.known.has(part.key) && this.known.get(part.key) !== keys[i]);
    this.known = new Map(parts.map((part, i) => [part.key, keys[i]!]));
    if (changed.length === 0) return;
    for (const entry of this.entries.values()) {
      if (entry === except || !entry.online) continue;
      const follows = entry.follows(reading.info);
      for (const part of changed) if (follows === undefined ? part.key === '' : follows.has(part.key)) entry.tell({ type: 'change', reading, part });
    }
  }

  /**
   * A hub's children: each new log entry (after the last id seen, in id order) and each change of
   * readings is told once to the subscribers following that child; one that has not had its first
   * reading yet (a node just redeployed, or the hub back after an outage) hears them right after
   * it, so nothing made meanwhile is lost.
   */
  private compareChildren(reading: DeviceReading, except?: HubEntry): void {
    const children = (reading.info.children ?? []).filter((child) => child.readings !== undefined);
    if (children.length === 0) return;
    const news: Array<{ child: ChildInfo; event: ChildEvent }> = [];
    for (const child of children) {
      const read = reading.logs?.get(child.id);
      if (read !== undefined && 'entries' in read) {
        this.logged.add(child.id);
        const cursor = this.cursors.get(child.id);
        // The first read only sets the place; a log that went back (the child paired anew) starts over.
        if (cursor === undefined || read.newestId < cursor) this.cursors.set(child.id, read.newestId);
        else {
          const entries = read.entries.filter((entry) => entry.id > cursor);
          for (const entry of entries) news.push({ child, event: { name: entry.name, value: entry.value, log: entry } });
          this.cursors.set(child.id, Math.max(cursor, read.newestId, ...entries.map((entry) => entry.id)));
        }
      }
      const { events, memory } = childChanges(this.children.get(child.id), child.readings!, this.logged.has(child.id));
      this.children.set(child.id, memory);
      for (const event of events) news.push({ child, event });
    }
    if (news.length === 0) return;
    for (const entry of this.entries.values()) {
      if (entry === except) continue;
      const follows = entry.childrenOf(reading.info);
      for (const { child, event } of news) if (follows.has(child.id)) entry.tellChild({ type: 'child', reading, child, event });
    }
  }
}

const NONE: ReadonlySet<string> = new Set();

/** One subscriber as the polling hub sees it: its interval, meters, and whether it has heard the device is online. */
class HubEntry {
  online = false;
  /** A child's events found before this subscriber's first reading (or the first after an outage): told right after it. */
  private held: DeviceEvent[] = [];
  /** The subscriber's `meters`, bound to it once. */
  readonly meters: ((info: DeviceInfo) => readonly Target[]) | undefined;

  constructor(
    readonly subscriber: DeviceSubscriber,
    private readonly hub: DeviceHub,
  ) {
    this.meters = subscriber.meters?.bind(subscriber);
  }

  get intervalMs(): number {
    return this.subscriber.intervalMs;
  }

  follows(info: DeviceInfo): ReadonlySet<string> | undefined {
    return this.subscriber.follows?.(info);
  }

  /** Whether this subscriber needs the state read: it follows a part or a child (one whose parts cannot be told now: yes). */
  followsState(info: DeviceInfo): boolean {
    try {
      const parts = this.follows(info);
      return parts === undefined || parts.size > 0 || this.childrenOf(info).size > 0;
    } catch {
      return true;
    }
  }

  childrenOf(info: DeviceInfo): ReadonlySet<string> {
    try {
      return this.subscriber.children?.(info) ?? NONE;
    } catch {
      return NONE; // a child it cannot find now: it hears nothing of it
    }
  }

  /** A poll made for this subscriber (among others). */
  onReading(reading: DeviceReading): void {
    // Changes first, to those already online; then this one's own news.
    this.hub.compare(reading);
    if (!this.online) {
      this.online = true;
      const follows = this.follows(reading.info);
      const parts = partStates(reading.info).filter((part) => (follows === undefined ? part.key === '' : follows.has(part.key)));
      this.tell({ type: 'online', reading, parts });
      for (const event of this.held.splice(0)) this.tell(event);
    }
    this.tell({ type: 'reading', reading });
  }

  /** A child's event: now, or once this subscriber has heard the device is online. */
  tellChild(event: DeviceEvent): void {
    if (this.online) this.tell(event);
    else this.held.push(event);
  }

  onOutage(error: unknown): void {
    this.online = false;
    this.tell({ type: 'offline', error });
  }

  tell(event: DeviceEvent): void {
    try {
      this.subscriber.onEvent(event);
    } catch {
      // a subscriber's own mistake must not stop the others or the polling
    }
  }
}
