import { ErrorCode, KasaError } from '../util/errors';
import { AesTransport } from './aes';
import { KlapTransport, probeHttpLogin, probeKlap } from './klap';
import { NOT_KLAP_HINT } from './klap/klap-transport';
import type { KlapFamily } from './klap/credentials';
import type { ExchangeTrace } from '../util/trace';
import { TcpTransport } from './tcp';
import { TpapTransport, probeTpap } from './tpap';
import { Transport, formatAddress } from './transport';

export interface AutoTransportOptions {
  host: string;
  /** The Smart Home protocol's port (9999). */
  port: number;
  /** KLAP's HTTP port (80). */
  klapPort: number;
  username?: string;
  password?: string;
  maxReplyBytes?: number;
  /** The KLAP dialect, if known (see KlapTransportOptions.family). */
  family?: KlapFamily;
  /** TPAP's login steps and warnings, should the device speak it. */
  onExchange?: (trace: ExchangeTrace) => void;
  onWarning?: (message: string) => void;
}

/**
 * Speaks the Smart Home protocol on port 9999 while the device answers there. When 9999 refuses
 * connections, it asks the HTTP port (80) which login it speaks, KLAP (firmware from 2024 on) or
 * AES (older Tapo firmware), switches to it and stays there; if the device later answers on 9999 again, nothing is lost by staying.
 */
export class AutoTransport implements Transport {
  readonly address: string;
  private current: Transport;
  private readonly tcp: TcpTransport;
  /** The HTTP transport (KLAP, AES or TPAP) once 9999 refused. */
  private klap: KlapTransport | AesTransport | TpapTransport | null = null;

  constructor(private readonly options: AutoTransportOptions) {
    this.address = formatAddress(options.host, options.port);
    this.tcp = new TcpTransport({ host: options.host, port: options.port, ...maxReply(options) });
    this.current = this.tcp;
  }

  /** The protocol in use now: 'tcp' until a device turned out to need KLAP or AES. */
  get kind(): Transport['kind'] {
    return this.current.kind;
  }

  async exchange(json: string, timeoutMs: number, repeatable = false): Promise<string> {
    if (this.current !== this.tcp) return await this.current.exchange(json, timeoutMs, repeatable);
    try {
      return await this.tcp.exchange(json, timeoutMs, repeatable);
    } catch (err) {
      if (!(err instanceof KasaError) || err.code !== ErrorCode.REFUSED) throw err;
      // Which login the HTTP port speaks, asked of the port itself: TPAP's discover first (a TPAP
      // device may answer the next probe as KLAP does), then a plain JSON request (section 5).
      const tpap = await probeTpap(this.options.host, this.options.klapPort, timeoutMs);
      let found = tpap === 'tpap' ? 'tpap' : tpap === 'none' ? 'none' : await probeHttpLogin(this.options.host, this.options.klapPort, timeoutMs);
      if (found === 'http' && (await probeKlap(this.options.host, this.options.klapPort, timeoutMs)) === 'klap') found = 'klap';
      if (found !== 'klap' && found !== 'aes' && found !== 'tpap') {
        throw new KasaError(
          ErrorCode.REFUSED,
          `${this.address} refused the connection and nothing answers KLAP or AES on port ${this.options.klapPort} either. ` +
            (found === 'http'
              ? NOT_KLAP_HINT.trim()
              : 'Check the address; on a plug with newer firmware, enable "Third-Party Compatibility" in the Kasa or Tapo app.'),
          { device: this.address, cause: err },
        );
      }
      const credentials = {
        ...(this.options.username === undefined ? {} : { username: this.options.username }),
        ...(this.options.password === undefined ? {} : { password: this.options.password }),
      };
      this.klap =
        found === 'tpap'
          ? new TpapTransport({
              host: this.options.host,
              port: this.options.klapPort,
              ...credentials,
              ...maxReply(this.options),
              ...(this.options.onExchange === undefined ? {} : { onExchange: this.options.onExchange }),
              ...(this.options.onWarning === undefined ? {} : { onWarning: this.options.onWarning }),
            })
          : found === 'aes'
          ? new AesTransport({ host: this.options.host, port: this.options.klapPort, ...credentials, ...maxReply(this.options) })
          : new KlapTransport({
              host: this.options.host,
              port: this.options.klapPort,
              ...credentials,
              ...(this.options.family === undefined ? {} : { family: this.options.family }),
              ...maxReply(this.options),
            });
      this.current = this.klap;
      await this.tcp.close();
      // REFUSED: the request never reached the device, so it goes out now for the first time.
      return await this.klap.exchange(json, timeoutMs, repeatable);
    }
  }

  dropConnection(): void {
    this.current.dropConnection?.();
  }

  newSession(): void {
    this.current.newSession?.();
  }

  async close(): Promise<void> {
    await Promise.all([this.tcp.close(), this.klap?.close()]);
  }
}

function maxReply(options: { maxReplyBytes?: number }): { maxReplyBytes?: number } {
  return options.maxReplyBytes === undefined ? {} : { maxReplyBytes: options.maxReplyBytes };
}
