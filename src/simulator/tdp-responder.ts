import { createHash } from 'node:crypto';
import type * as dgram from 'node:dgram';
import { ErrorCode, KasaError } from '../util/errors';
import { TDP_HEADER_BYTES, TDP_OP_DISCOVERY, TDP_PORT, TDP_VERSION, decodeTdpHeader, encodeTdpPacket, tdpCrcMatches } from '../discovery/tdp';
import { bindUdpSocket } from './udp-bind';

export interface TdpResponderOptions {
  /** Address to listen on and answer from; default 127.0.0.1. */
  host?: string;
  /**
   * UDP port; default 20002, or any free port when 20002 is taken (several simulated devices on
   * one machine). An explicit port is used or fails; 0 is any free port.
   */
  port?: number;
  /**
   * Also listen on this address, same port: Linux hands a broadcast to 127.255.255.255 only to
   * sockets bound to that address (or to all addresses), never to ones bound to 127.0.0.1.
   */
  alsoListenOn?: string;
  /** The `result` of the answer, asked afresh for every query (ports are known only once started). */
  describe: () => Record<string, unknown>;
}

/** The `owner` a device bound to `username` announces (MD5 in upper-case hex; the case is unverified). */
export function tdpOwnerOf(username: string | undefined): string {
  return username === undefined ? '' : createHash('md5').update(username, 'utf8').digest('hex').toUpperCase();
}

/**
 * Answers TP-Link's discovery (TDP) as a device does: a valid query (version 2, discovery op code,
 * CRC right, JSON with an `rsa_key`) gets the header and the device's JSON; anything else nothing.
 */
export class TdpResponder {
  private readonly host: string;
  private readonly wantedPort: number | undefined;
  private readonly alsoListenOn: string | undefined;
  private readonly describe: () => Record<string, unknown>;
  private sockets: dgram.Socket[] = [];
  private boundPort = 0;
  /** Valid queries answered. */
  answered = 0;

  constructor(options: TdpResponderOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.wantedPort = options.port;
    if (this.wantedPort !== undefined && (!Number.isInteger(this.wantedPort) || this.wantedPort < 0 || this.wantedPort > 65535)) {
      throw new KasaError(ErrorCode.BAD_INPUT, `The TDP port must be 0 to 65535, not ${String(options.port)}.`);
    }
    this.alsoListenOn = options.alsoListenOn;
    this.describe = options.describe;
  }

  /** The UDP port once started (0 before). */
  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<number> {
    if (this.sockets.length > 0) return this.boundPort;
    let main: dgram.Socket;
    try {
      main = await bindUdpSocket(this.host, this.wantedPort ?? TDP_PORT).catch((err: NodeJS.ErrnoException) => {
        if (this.wantedPort !== undefined || err.code !== 'EADDRINUSE') throw err;
        return bindUdpSocket(this.host, 0);
      });
    } catch (err) {
      throw new KasaError(ErrorCode.BAD_INPUT, `The simulator cannot answer TDP on ${this.host}:${this.wantedPort ?? TDP_PORT}: ${(err as Error).message}`, { cause: err });
    }
    this.sockets = [main];
    this.boundPort = main.address().port;
    main.on('message', (message, peer) => this.onQuery(message, peer));
    if (this.alsoListenOn !== undefined) {
      try {
        const extra = await bindUdpSocket(this.alsoListenOn, this.boundPort);
        this.sockets.push(extra);
        // Answers leave from the main socket, as from the device's own address.
        extra.on('message', (message, peer) => this.onQuery(message, peer));
      } catch (err) {
        await this.stop();
        throw new KasaError(ErrorCode.BAD_INPUT, `The simulator cannot listen for TDP on ${this.alsoListenOn}:${this.boundPort}: ${(err as Error).message}`, { cause: err });
      }
    }
    return this.boundPort;
  }

  async stop(): Promise<void> {
    const sockets = this.sockets;
    this.sockets = [];
    this.boundPort = 0;
    await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  }

  private onQuery(message: Buffer, peer: dgram.RemoteInfo): void {
    const main = this.sockets[0];
    if (main === undefined || !isDiscoveryQuery(message)) return;
    const header = decodeTdpHeader(message)!;
    this.answered += 1;
    const body = Buffer.from(JSON.stringify({ error_code: 0, result: this.describe() }), 'utf8');
    main.send(encodeTdpPacket(body, { serial: header.serial }), peer.port, peer.address, () => undefined);
  }
}

/** A query as clients send it; the simulator, like a device, ignores everything else. */
export function isDiscoveryQuery(message: Buffer): boolean {
  const header = decodeTdpHeader(message);
  if (header === null || header.version !== TDP_VERSION || header.opCode !== TDP_OP_DISCOVERY) return false;
  if (header.msgSize !== message.length - TDP_HEADER_BYTES || !tdpCrcMatches(message)) return false;
  try {
    const body: unknown = JSON.parse(message.subarray(TDP_HEADER_BYTES).toString('utf8'));
    const params = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['params'] : undefined;
    const key = typeof params === 'object' && params !== null ? (params as Record<string, unknown>)['rsa_key'] : undefined;
    return typeof key === 'string' && key.includes('PUBLIC KEY');
  } catch {
    return false;
  }
}
