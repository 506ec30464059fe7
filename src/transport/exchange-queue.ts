import { RequestQueue } from '../util/request-queue';

/** The time budget of one exchange, shared by its login steps and its request; closing the queue aborts it. */
export interface ExchangeBudget {
  /** Absolute time (Date.now()) by which the exchange must be done. */
  deadline: number;
  budgetMs: number;
  signal: AbortSignal;
}

/**
 * An HTTP transport's exchanges, run one after another (a session counts its requests in order),
 * each with its budget from the moment it starts. close() fails those waiting with CLOSED and
 * aborts the one running: one signal serves the queue's whole life, since nothing runs after it.
 */
export class ExchangeQueue {
  readonly #jobs: RequestQueue;
  readonly #aborter = new AbortController();

  constructor(address: string) {
    this.#jobs = new RequestQueue(address);
  }

  run<T>(timeoutMs: number, work: (budget: ExchangeBudget) => Promise<T>): Promise<T> {
    return this.#jobs.run(() => work({ deadline: Date.now() + timeoutMs, budgetMs: timeoutMs, signal: this.#aborter.signal }));
  }

  close(): void {
    this.#jobs.close();
    this.#aborter.abort();
  }
}
