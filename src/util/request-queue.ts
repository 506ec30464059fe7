import { ErrorCode, KasaError } from './errors';

/**
 * Runs a client's requests one at a time, in order (plugs answer concurrent requests with resets),
 * whether the one before succeeded or failed; once closed, what still waits fails with CLOSED.
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
    this.queued++;
    const run = async (): Promise<T> => {
      try {
        if (this.closed) {
          throw new KasaError(ErrorCode.CLOSED, `The connection to ${this.address} was closed before the request was sent.`, {
            device: this.address,
          });
        }
        return await job();
      } finally {
        this.queued--;
      }
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
