/**
 * The least a client can do to read a device, for the benchmarks' floors: no checks, no queue, no
 * timeouts, no error mapping, one request at a time on one kept connection. Not for use outside the
 * benchmarks: they trust every reply.
 *
 * - BareXorClient: the Kasa protocol on a persistent TCP socket, framing and XOR only.
 * - BareKlapClient: a KLAP v2 session (handshake through Node's http, once), then each request
 *   written whole on a kept-alive socket and the reply's body cut out by its Content-Length: the
 *   AES and SHA-256 work every KLAP client must do, and nothing of an HTTP library.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { randomBytes } from 'node:crypto';
import { FrameReader } from '../src/transport/frame-reader';
import { handshake2Hash, KlapSession } from '../src/transport/klap';
import { readSessionCookie, sessionCookieHeader } from '../src/transport/klap/cookies';
import { credentialCandidates, matchCandidate } from '../src/transport/klap/credentials';
import { SEED_BYTES, nextSeq } from '../src/transport/klap/session';
import { decrypt, encodeTcpFrame } from '../src/transport/xor-cipher';

/** The meter readings the benchmarks ask for: a Kasa plug's realtime reading, a Tapo plug's energy usage. */
export const KASA_REALTIME = { emeter: { get_realtime: {} } };
export const TAPO_ENERGY_USAGE = { method: 'get_energy_usage' };

async function connected(host: string, port: number): Promise<net.Socket> {
  const socket = net.connect({ host, port, noDelay: true });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

export class BareXorClient {
  private readonly reader = new FrameReader();
  private waiting: ((reply: unknown) => void) | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (segment: Buffer) => {
      for (const frame of this.reader.push(segment)) this.waiting?.(JSON.parse(decrypt(frame).toString('utf8')));
    });
  }

  static async open(host: string, port: number): Promise<BareXorClient> {
    return new BareXorClient(await connected(host, port));
  }

  request(message: object): Promise<unknown> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(encodeTcpFrame(JSON.stringify(message)));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

const HEADER_END = Buffer.from('\r\n\r\n');

export class BareKlapClient {
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: ((body: Buffer) => void) | null = null;
  private seq: number;

  private constructor(
    private readonly socket: net.Socket,
    private readonly host: string,
    private readonly session: KlapSession,
    private readonly cookie: string,
  ) {
    this.seq = session.initialSeq;
    socket.on('data', (segment: Buffer) => this.take(segment));
  }

  /** Logs in to a KLAP v2 device (unbound: the Tapo default account) and keeps one socket for requests. */
  static async open(host: string, port: number, username?: string, password?: string): Promise<BareKlapClient> {
    const localSeed = randomBytes(SEED_BYTES);
    const first = await post(host, port, '/app/handshake1', localSeed);
    const remoteSeed = first.body.subarray(0, SEED_BYTES);
    const candidate = matchCandidate(credentialCandidates(username, password, 'smart'), localSeed, remoteSeed, first.body.subarray(SEED_BYTES));
    const sessionId = readSessionCookie(first.headers['set-cookie']).sessionId;
    if (candidate === undefined || sessionId === undefined) throw new Error(`${host}:${port} refused the bare KLAP login`);
    const cookie = sessionCookieHeader(sessionId);
    await post(host, port, '/app/handshake2', handshake2Hash(candidate.version, localSeed, remoteSeed, candidate.authHash), cookie);
    return new BareKlapClient(await connected(host, port), `${host}:${port}`, new KlapSession(localSeed, remoteSeed, candidate.authHash), cookie);
  }

  async request(message: object): Promise<unknown> {
    this.seq = nextSeq(this.seq);
    const seq = this.seq;
    const body = this.session.seal(seq, Buffer.from(JSON.stringify(message)));
    const head = `POST /app/request?seq=${seq} HTTP/1.1\r\nHost: ${this.host}\r\nCookie: ${this.cookie}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`;
    const reply = new Promise<Buffer>((resolve) => (this.waiting = resolve));
    this.socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
    return JSON.parse(this.session.open(seq, await reply, this.host).toString('utf8')) as unknown;
  }

  close(): void {
    this.socket.destroy();
  }

  /** Cuts one reply's body out of the stream once its headers and Content-Length bytes are in. */
  private take(segment: Buffer): void {
    this.buffered = this.buffered.length === 0 ? segment : Buffer.concat([this.buffered, segment]);
    const end = this.buffered.indexOf(HEADER_END);
    if (end < 0) return;
    const length = Number(/content-length:\s*(\d+)/i.exec(this.buffered.toString('latin1', 0, end))?.[1] ?? 0);
    const start = end + HEADER_END.length;
    if (this.buffered.length < start + length) return;
    const body = this.buffered.subarray(start, start + length);
    this.buffered = this.buffered.subarray(start + length);
    this.waiting?.(body);
  }
}

function post(host: string, port: number, path: string, body: Buffer, cookie?: string): Promise<{ body: Buffer; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { 'Content-Length': body.length, ...(cookie === undefined ? {} : { Cookie: cookie }) };
    const req = http.request({ host, port, path, method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ body: Buffer.concat(chunks), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
