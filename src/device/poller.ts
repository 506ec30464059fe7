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
  private timer: NodeJS.Timeout | null = null;
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
    this.schedule(0);
  }

  /** Stops polling and waits for a run in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.runOnce().finally(() => {
        this.running = null;
        if (!this.stopped) this.schedule(this.intervalMs);
      });
    }, delayMs);
  }

  private async runOnce(): Promise<void> {
    let value: T;
    try {
      value = await this.task();
    } catch (err) {
      if (this.stopped) return;
      if (!this.failing) {
        this.failing = true;
        this.safely(() => this.events.onOutage(err));
      }
      return;
    }
    if (this.stopped) return;
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
