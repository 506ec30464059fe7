import { Poller } from './poller';

export interface HubWatcher<T> {
  /** How often this watcher wants a reading (ms). */
  readonly intervalMs: number;
  /** A reading: from a poll, or published by a sibling after its command. */
  onReading(value: T): void;
  /** The first failed poll after a success: once per outage. */
  onOutage(err: unknown): void;
}

/**
 * One poll for every watcher of a device, at the shortest interval any of them asks for, the way
 * Node-RED's MQTT broker node serves all its users over one connection: six nodes watching one
 * strip cost one request per interval, not six. Each reading goes to every watcher whose own
 * interval has passed (all of them after an outage); a command's read-back, published by the node
 * that sent it, goes to all the others at once. Polling stops when the last watcher leaves.
 */
export class PollingHub<T, W extends HubWatcher<T> = HubWatcher<T>> {
  private readonly watchers = new Map<W, { lastDelivered: number }>();
  private poller: Poller<T> | null = null;
  private pollerIntervalMs = 0;
  /** The last poll failed: the next reading, when it comes, goes to everyone. */
  private failing = false;
  /** Who the poll running now reads for (polls never overlap): its reading goes to them. */
  private polled: W[] = [];

  /**
   * `read` makes one reading for the watchers due for one (all of them after an outage): it may
   * ask what each of them needs, so a meter watched every minute is not read every second.
   */
  constructor(private readonly read: (watchers: readonly W[]) => Promise<T>) {}

  /** How many watchers there are now. */
  get size(): number {
    return this.watchers.size;
  }

  /** The interval polling runs at now (ms); 0 while nobody watches. */
  get intervalMs(): number {
    return this.pollerIntervalMs;
  }

  /** Adds a watcher; the function returned removes it again (resolving once a poll it ended is done). */
  watch(watcher: W): () => Promise<void> {
    this.watchers.set(watcher, { lastDelivered: -Infinity });
    void this.reschedule();
    return () => {
      this.watchers.delete(watcher);
      return this.reschedule();
    };
  }

  /** Gives every watcher but `except` a reading made outside the polls (a command's read-back). */
  publish(value: T, except?: W): void {
    const now = Date.now();
    for (const [watcher, state] of this.watchers) {
      if (watcher === except) continue;
      state.lastDelivered = now;
      safely(() => watcher.onReading(value));
    }
  }

  /** Removes every watcher and stops polling. */
  stop(): Promise<void> {
    this.watchers.clear();
    return this.reschedule();
  }

  private reschedule(): Promise<void> {
    const wanted = this.watchers.size === 0 ? 0 : Math.min(...[...this.watchers.keys()].map((w) => w.intervalMs));
    if (wanted === this.pollerIntervalMs) return Promise.resolve();
    const previous = this.poller;
    this.poller = null;
    this.pollerIntervalMs = wanted;
    if (wanted > 0) {
      this.poller = new Poller<T>(wanted, () => this.read((this.polled = this.due())), {
        // After an outage the poll was read for everyone (see due()), so everyone hears it.
        onResult: (value) => this.deliver(value),
        onOutage: (err) => {
          this.failing = true;
          for (const watcher of this.watchers.keys()) safely(() => watcher.onOutage(err));
        },
      });
      this.poller.start();
    }
    return previous?.stop() ?? Promise.resolve();
  }

  /** The watchers whose own interval has passed (half a poll of slack); all of them while failing. */
  private due(): W[] {
    if (this.failing) return [...this.watchers.keys()];
    const now = Date.now();
    const slack = this.pollerIntervalMs / 2;
    const due: W[] = [];
    for (const [watcher, state] of this.watchers) if (now - state.lastDelivered >= watcher.intervalMs - slack) due.push(watcher);
    return due;
  }

  /** A poll's reading to exactly those it was read for (and still watching). */
  private deliver(value: T): void {
    this.failing = false;
    // One that fell due during the read waits for the next poll, which asks for what it needs.
    // (A device has a handful of watchers: a look through the list beats building a set per poll.)
    const due = this.polled;
    const now = Date.now();
    for (const [watcher, state] of this.watchers) {
      if (!due.includes(watcher)) continue;
      state.lastDelivered = now;
      safely(() => watcher.onReading(value));
    }
  }
}

/** A watcher's own mistake must not stop the others or the polling. */
function safely(call: () => void): void {
  try {
    call();
  } catch {
    // the watcher owns its errors
  }
}
