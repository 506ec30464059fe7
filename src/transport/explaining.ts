import { KasaError } from '../util/errors';
import type { Transport } from './transport';

/**
 * A transport whose failures carry what else is known about the device (from its discovery
 * answer): the same error, code and details, with a sentence that says what to do.
 */
export class ExplainingTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly explain: (err: KasaError) => string | undefined,
  ) {}

  get kind(): Transport['kind'] {
    return this.inner.kind;
  }

  get address(): string {
    return this.inner.address;
  }

  async exchange(json: string, timeoutMs: number, repeatable?: boolean): Promise<string> {
    try {
      return await this.inner.exchange(json, timeoutMs, repeatable);
    } catch (err) {
      const message = err instanceof KasaError ? this.explain(err) : undefined;
      if (message === undefined || !(err instanceof KasaError)) throw err;
      throw new KasaError(err.code, message, {
        cause: err,
        ...(err.device === undefined ? {} : { device: err.device }),
        ...(err.module === undefined ? {} : { module: err.module }),
        ...(err.method === undefined ? {} : { method: err.method }),
        ...(err.errCode === undefined ? {} : { errCode: err.errCode }),
        ...(err.errMsg === undefined ? {} : { errMsg: err.errMsg }),
      });
    }
  }

  dropConnection(): void {
    this.inner.dropConnection?.();
  }

  newSession(): void {
    this.inner.newSession?.();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
