import * as dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ErrorCode, KasaError, fromSocketError } from '../util/errors';
import { DEFAULT_MAX_REPLY_BYTES } from './frame-reader';
import { decodeReplyText } from '../util/json';
import { Transport, TransportOptions, formatAddress, formatSeconds } from './transport';
import { decrypt, encodeDatagram } from './xor-cipher';

/**
 * The Smart Home protocol over UDP: one encrypted datagram each way, no length prefix.
 * Replies are taken from the device's address on any port (newer firmware answers from another one).
 * Each exchange has a socket of its own, so a late reply to a request that timed out reaches a
 * closed port instead of passing for the answer to the next request.
 */
export class UdpTransport implements Transport {
  readonly kind = 'udp';
  readonly address: string;
  private readonly host: string;
  private readonly port: number;
  private readonly maxReplyBytes: number;
  private deviceAddress: string | null = null;
  private closed = false;
  private abort: ((err: KasaError) => void) | null = null;

  constructor(options: TransportOptions) {
    this.host = options.host;
    this.port = options.port;
    this.address = formatAddress(options.host, options.port);
    this.maxReplyBytes = options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
  }

  async exchange(json: string, timeoutMs: number): Promise<string> {
    if (this.closed) throw this.closedError();
    const deviceAddress = await this.resolve();
    if (this.closed) throw this.closedError();
    const socket = dgram.createSocket(isIP(deviceAddress) === 6 ? 'udp6' : 'udp4');
    return await new Promise<string>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.abort = null;
        socket.removeAllListeners('message');
        socket.on('error', () => undefined); // nothing may escape while it closes
        socket.close();
      };
      const fail = (err: KasaError): void => {
        finish();
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new KasaError(ErrorCode.TIMEOUT, `${this.address} did not answer within ${formatSeconds(timeoutMs)} (UDP).`, { device: this.address })),
        timeoutMs,
      );
      this.abort = fail;
      socket.on('error', (err: NodeJS.ErrnoException) => fail(fromSocketError(err, this.address)));
      socket.on('message', (datagram: Buffer, from: dgram.RemoteInfo) => {
        if (from.address !== deviceAddress) return;
        if (datagram.length > this.maxReplyBytes) {
          fail(
            new KasaError(ErrorCode.TOO_LARGE, `${this.address} sent a ${datagram.length}-byte reply, more than the maximum of ${this.maxReplyBytes}.`, {
              device: this.address,
            }),
          );
          return;
        }
        try {
          const text = decodeReplyText(decrypt(datagram), this.address);
          finish();
          resolve(text);
        } catch (err) {
          fail(err as KasaError);
        }
      });
      socket.send(encodeDatagram(json), this.port, deviceAddress, (err) => {
        if (err) fail(fromSocketError(err, this.address));
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort?.(this.closedError());
  }

  /** The device's IP address, looked up once. */
  private async resolve(): Promise<string> {
    if (this.deviceAddress !== null) return this.deviceAddress;
    try {
      this.deviceAddress = isIP(this.host) ? this.host : (await lookup(this.host)).address;
    } catch (err) {
      throw fromSocketError(err as NodeJS.ErrnoException, this.address);
    }
    return this.deviceAddress;
  }

  private closedError(): KasaError {
    return new KasaError(ErrorCode.CLOSED, `The connection to ${this.address} was closed.`, { device: this.address });
  }
}
