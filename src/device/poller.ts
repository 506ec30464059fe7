/**
 * Runs a task every interval, never two at once: the next run is scheduled when the previous
 * one has finished. Reports an outage once when the task starts failing, and once when it
 * recovers, so a plug that is unplugged for a night gives two events, not thousands.
 */
export interface PollerEvents<T> {
  /** Every successful run. */
  onResult: (value: T) => void;
  /** The first failure after a success (or the first failure at all). */
  onOutage: (err: unknown) => void;
  /** The first success after an outage. */
  onRecovery?: (value: T) => void;
}

export class Poller<T> {
  /** The first run's timer. */
  private starting: NodeJS.Timeout | null = null;
  /** The timer between runs: made once and re-armed after each run, not a new timer every poll. */
  private next: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private failing = false;

  constructor(
    private readonly intervalMs: number,
    private readonly task: () => Promise<T>,
    private readonly events: PollerEvents<T>,
  ) {}

  get active(): boolean {
    return !this.stopped;
  }

  /** Starts polling; the first run happens at once. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.starting = setTimeout(() => this.run(), 0);
  }

  /** Stops polling and waits for a run in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.starting ?? undefined);
    clearTimeout(this.next ?? undefined);
    // A cleared timer cannot be re-armed: a new start makes a new one.
    this.starting = null;
    this.next = null;
    await this.running;
  }

  private run(): void {
    this.running = this.runOnce();
  }

  /** The next run, an interval after this one has finished. */
  private armNext(): void {
    if (this.next === null) this.next = setTimeout(() => this.run(), this.intervalMs);
    else this.next.refresh();
  }

  private async runOnce(): Promise<void> {
    let outcome: { value: T } | { err: unknown };
    try {
      outcome = { value: await this.task() };
    } catch (err) {
      outcome = { err };
    }
    this.running = null;
    if (this.stopped) return;
    if ('err' in outcome) this.failed(outcome.err);
    else this.succeeded(outcome.value);
    this.armNext();
  }

  private failed(err: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.safely(() => this.events.onOutage(err));
  }

  private succeeded(value: T): void {
    if (this.failing) {
      this.failing = false;
      this.safely(() => this.events.onRecovery?.(value));
    }
    this.safely(() => this.events.onResult(value));
  }

  /** A listener's own mistake must not stop the polling or escape into the process. */
  private safely(call: () => void): void {
    try {
      call();
    } catch {
      // ignored on purpose: the listener owns its errors
    }
  }
}
