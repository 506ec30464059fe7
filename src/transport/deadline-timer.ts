/**
 * One timer for the deadlines of a connection's requests, which run one at a time. It is kept from
 * one request to the next instead of being made and cleared for each: Node keeps a list of timers
 * per delay, and a list made and dropped at every request cost about as much as reading its reply.
 * A request's deadline leaves the timer as it is when it already fires no later; firing early for
 * the request running, it waits again for what is left. It holds the process open only while a
 * request runs, as a timer per request did.
 */
export class DeadlineTimer {
  #timer: NodeJS.Timeout | undefined;
  /** When (Date.now()) the armed timer fires. */
  #firesAt = 0;
  /** The deadline of the request running; undefined between requests. */
  #deadline: number | undefined;

  /** `onExpired` is called once the running request's deadline has passed. */
  constructor(private readonly onExpired: () => void) {}

  /** A request runs until `deadline` (a Date.now() time). */
  start(deadline: number): void {
    this.#deadline = deadline;
    const timer = this.#timer;
    if (timer !== undefined && this.#firesAt <= deadline) {
      timer.ref();
      return;
    }
    clearTimeout(timer);
    this.#arm(deadline);
  }

  /** The request ended: the timer stays armed for the next one, holding nothing open meanwhile. */
  stop(): void {
    this.#deadline = undefined;
    this.#timer?.unref();
  }

  /** No more requests: the timer goes. */
  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#deadline = undefined;
  }

  #arm(firesAt: number): void {
    this.#firesAt = firesAt;
    // Whole milliseconds, at least one: the deadline is checked again when it fires.
    this.#timer = setTimeout(this.#fire, Math.max(1, Math.ceil(firesAt - Date.now())));
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    const deadline = this.#deadline;
    if (deadline === undefined) return; // between requests: the next one arms it again
    if (Date.now() < deadline) return this.#arm(deadline);
    this.#deadline = undefined;
    this.onExpired();
  };
}
