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

  /** `read` makes one reading for all the watchers there are (it may ask what each of them needs). */
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
      this.poller = new Poller<T>(wanted, () => this.read([...this.watchers.keys()]), {
        onResult: (value) => this.deliver(value, false),
        onRecovery: (value) => this.deliver(value, true),
        onOutage: (err) => {
          for (const watcher of this.watchers.keys()) safely(() => watcher.onOutage(err));
        },
      });
      this.poller.start();
    }
    return previous?.stop() ?? Promise.resolve();
  }

  /** A poll's reading to each watcher that is due (half a poll of slack), or to all after an outage. */
  private deliver(value: T, toAll: boolean): void {
    const now = Date.now();
    const slack = this.pollerIntervalMs / 2;
    for (const [watcher, state] of this.watchers) {
      if (!toAll && now - state.lastDelivered < watcher.intervalMs - slack) continue;
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
