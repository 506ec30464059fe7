import { ErrorCode, KasaError } from './errors';

/**
 * Runs a client's requests one at a time, in order (plugs answer concurrent requests with resets),
 * whether the one before succeeded or failed; once closed, what still waits fails with CLOSED.
 * A request made while the queue is idle starts at once: a poll or a switch, nearly always alone,
 * does not wait a turn of the event loop for nothing.
 */
export class RequestQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private closed = false;

  constructor(private readonly address: string) {}

  /** Requests waiting or running. */
  get pending(): number {
    return this.queued;
  }

  close(): void {
    this.closed = true;
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    const start = (): Promise<T> => {
      if (this.closed) {
        return Promise.reject(
          new KasaError(ErrorCode.CLOSED, `The connection to ${this.address} was closed before the request was sent.`, { device: this.address }),
        );
      }
      try {
        return job();
      } catch (err) {
        return Promise.reject(err);
      }
    };
    // Counted down before the caller sees the outcome: this handler is attached first.
    const done = (): void => void this.queued--;
    const result = ++this.queued === 1 ? start() : this.tail.then(start, start);
    this.tail = result.then(done, done);
    return result;
  }
}
