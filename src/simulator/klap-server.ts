import { randomBytes, timingSafeEqual } from 'node:crypto';
import type * as http from 'node:http';
import { KasaError } from '../util/errors';
import { HttpListener } from './http-listener';
import { KlapVersion, authHash, handshake2Hash, serverHash } from '../transport/klap/auth-hash';
import { SESSION_COOKIE, TIMEOUT_COOKIE, parseCookiePairs } from '../transport/klap/cookies';
import { KASA_DEFAULT_PASSWORD, KASA_DEFAULT_USERNAME } from '../transport/klap/credentials';
import { KlapSession, SEED_BYTES } from '../transport/klap/session';

/** What a KLAP device answers to a plain JSON POST on /app. */
const KLAP_PLAIN_REQUEST_CODE = 1003;

export interface KlapServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: an ephemeral port, read it from `port` after start(). */
  port?: number;
  /** The device's command handler: request JSON text in, reply JSON text out. */
  handle: (json: string) => string;
  /** The owner's TP-Link account, used when `bound`. Missing means blank. */
  username?: string;
  password?: string;
  version: KlapVersion;
  /** Bound to an account: needs the owner's credentials. Unbound: answers to the Kasa default ones. */
  bound: boolean;
  /** The credentials an unbound device answers to, when not the Kasa default (Tapo: test@tp-link.net/test). */
  defaultCredentials?: { username: string; password: string };
  /** Answer each encrypted request this many ms late, as a slow device; can be changed while running. */
  replyDelayMs?: number;
  /** Answer every HTTP request with `Connection: close`, as some firmware does. */
  closeAfterEachRequest?: boolean;
  /** Session lifetime announced in the TIMEOUT cookie and enforced. Default 86400. */
  sessionTimeoutSeconds?: number;
  /** Drop a session after this many requests: the next one gets HTTP 403, as after a device reboot. */
  invalidateAfter?: number;
  /** For tests: spoil the signature of every reply. */
  corruptReplySignature?: boolean;
}

export interface KlapServerStats {
  /** TCP connections accepted, and those still open. */
  connections: number;
  openConnections: number;
  handshake1: number;
  /** Completed handshake2 steps, i.e. sessions opened. */
  handshake2: number;
  /** Encrypted requests answered. */
  requests: number;
  /** Requests answered 403 because the session was unknown, expired or invalidated. */
  forbidden: number;
  /** Of those, requests on a session past its TIMEOUT. */
  expired: number;
  /** Malformed requests answered 400 (bad seed, extra cookies, bad seq, bad signature, ...). */
  badRequests: number;
  /** Sequence number of the last request answered. */
  lastSeq: number | undefined;
}

interface ServerSession {
  readonly localSeed: Buffer;
  readonly remoteSeed: Buffer;
  readonly expiresAt: number;
  keys?: KlapSession;
  lastSeq: number;
  served: number;
}

const MAX_REQUEST_BYTES = 64 * 1024;
const DEFAULT_SESSION_TIMEOUT_SECONDS = 86_400;

/** Ends a request with a status; `reason` is only for the simulator's own bookkeeping. */
class HttpFailure extends Error {
  constructor(
    readonly status: number,
    reason: string,
  ) {
    super(reason);
  }
}

/**
 * A Kasa device speaking KLAP over HTTP, for tests and the simulator: handshake1/handshake2 with
 * real seeds, cookies and hashes, encrypted requests with sequence and signature checks.
 */
export class KlapServer {
  private repliesToDrop = 0;
  /** Delay before each encrypted reply (ms); 0 answers at once. */
  replyDelayMs: number;
  readonly stats: KlapServerStats = {
    connections: 0,
    openConnections: 0,
    handshake1: 0,
    handshake2: 0,
    requests: 0,
    forbidden: 0,
    expired: 0,
    badRequests: 0,
    lastSeq: undefined,
  };
  private readonly options: KlapServerOptions;
  private readonly auth: Buffer;
  private readonly listener: HttpListener;
  private readonly sessions = new Map<string, ServerSession>();

  constructor(options: KlapServerOptions) {
    this.options = options;
    this.replyDelayMs = options.replyDelayMs ?? 0;
    const unbound = options.defaultCredentials ?? { username: KASA_DEFAULT_USERNAME, password: KASA_DEFAULT_PASSWORD };
    this.auth = options.bound
      ? authHash(options.version, options.username ?? '', options.password ?? '')
      : authHash(options.version, unbound.username, unbound.password);
    this.listener = new HttpListener(options, (req, res) => this.onRequest(req, res), this.stats);
  }

  /** The port listened on (after start()). */
  get port(): number {
    return this.listener.port;
  }

  /** Starts listening; resolves with the port. */
  start(): Promise<number> {
    return this.listener.start();
  }

  /** Stops listening and drops every connection and session. */
  stop(): Promise<void> {
    this.sessions.clear();
    return this.listener.stop();
  }

  /** Resolves once no client connection is open (e.g. after the client closed its transport). */
  whenNoConnections(): Promise<void> {
    return this.listener.whenNoConnections();
  }

  /** Closes every open connection, as a device does with idle ones; resolves once they are gone. */
  dropConnections(): Promise<void> {
    return this.listener.dropConnections();
  }

  /**
   * The next `count` requests are carried out but never answered: the connection closes instead,
   * as a device that crashes or drops its Wi-Fi right after a command.
   */
  dropNextReplies(count: number): void {
    this.repliesToDrop = count;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.options.closeAfterEachRequest === true) res.setHeader('Connection', 'close');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      try {
        if (size > MAX_REQUEST_BYTES) throw new HttpFailure(413, 'request too large');
        const body = this.route(req, res, Buffer.concat(chunks, size));
        if (this.repliesToDrop > 0 && req.url?.startsWith('/app/request') === true) {
          this.repliesToDrop--;
          req.socket.destroy();
          return;
        }
        if (this.replyDelayMs > 0 && req.url?.startsWith('/app/request') === true) {
          const timer = setTimeout(() => this.reply(res, 200, body), this.replyDelayMs);
          res.once('close', () => clearTimeout(timer));
          return;
        }
        this.reply(res, 200, body);
      } catch (err) {
        const status = err instanceof HttpFailure ? err.status : 500;
        if (status === 403) this.stats.forbidden++;
        if (status === 400) this.stats.badRequests++;
        this.reply(res, status, Buffer.alloc(0));
      }
    });
  }

  private reply(res: http.ServerResponse, status: number, body: Buffer): void {
    res.writeHead(status, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
    res.end(body);
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Buffer {
    const url = new URL(req.url ?? '/', 'http://device');
    if (req.method !== 'POST') throw new HttpFailure(405, 'not POST');
    switch (url.pathname) {
      case '/app/handshake1':
        return this.handshake1(res, body);
      case '/app/handshake2':
        return this.handshake2(req, body);
      case '/app/request':
        return this.request(req, url, body);
      case '/app':
        // A KLAP device's answer to a plain JSON request, as clients telling KLAP from AES see it (PROTOCOL.md section 5).
        return Buffer.from(JSON.stringify({ error_code: KLAP_PLAIN_REQUEST_CODE }), 'utf8');
      default:
        throw new HttpFailure(404, 'unknown path');
    }
  }

  private handshake1(res: http.ServerResponse, localSeed: Buffer): Buffer {
    if (localSeed.length !== SEED_BYTES) throw new HttpFailure(400, 'local seed must be 16 bytes');
    this.dropExpiredSessions();
    const id = randomBytes(16).toString('hex').toUpperCase();
    const remoteSeed = randomBytes(SEED_BYTES);
    const timeoutSeconds = this.options.sessionTimeoutSeconds ?? DEFAULT_SESSION_TIMEOUT_SECONDS;
    this.sessions.set(id, {
      localSeed,
      remoteSeed,
      expiresAt: Date.now() + timeoutSeconds * 1000,
      lastSeq: 0,
      served: 0,
    });
    this.stats.handshake1++;
    res.setHeader('Set-Cookie', `${SESSION_COOKIE}=${id};${TIMEOUT_COOKIE}=${timeoutSeconds}`);
    return Buffer.concat([remoteSeed, serverHash(this.options.version, localSeed, remoteSeed, this.auth)]);
  }

  private handshake2(req: http.IncomingMessage, proof: Buffer): Buffer {
    const session = this.sessionOf(req);
    if (session.keys !== undefined) throw new HttpFailure(400, 'handshake2 repeated');
    const expected = handshake2Hash(this.options.version, session.localSeed, session.remoteSeed, this.auth);
    if (proof.length !== expected.length || !timingSafeEqual(proof, expected)) {
      throw new HttpFailure(403, 'credentials do not match');
    }
    session.keys = new KlapSession(session.localSeed, session.remoteSeed, this.auth);
    session.lastSeq = session.keys.initialSeq;
    this.stats.handshake2++;
    return Buffer.alloc(0);
  }

  private request(req: http.IncomingMessage, url: URL, body: Buffer): Buffer {
    const session = this.sessionOf(req);
    const keys = session.keys;
    if (keys === undefined) throw new HttpFailure(403, 'handshake2 missing');
    const limit = this.options.invalidateAfter;
    if (limit !== undefined && session.served >= limit) {
      this.sessions.delete(this.sessionIdOf(req));
      throw new HttpFailure(403, 'session invalidated');
    }
    const seqText = url.searchParams.get('seq') ?? '';
    const seq = Number(seqText);
    if (!/^-?\d+$/.test(seqText) || seq !== (seq | 0)) throw new HttpFailure(400, 'seq is not a signed 32-bit integer');
    // Strictly increasing (wrap-around at 2^31 is not simulated).
    if (seq <= session.lastSeq) throw new HttpFailure(400, 'seq did not increase');
    let plain: Buffer;
    try {
      plain = keys.open(seq, body, 'client');
    } catch (err) {
      throw new HttpFailure(400, err instanceof KasaError ? err.message : 'cannot open');
    }
    session.lastSeq = seq;
    session.served++;
    const reply = keys.seal(seq, Buffer.from(this.options.handle(plain.toString('utf8')), 'utf8'));
    if (this.options.corruptReplySignature === true) reply[0] = reply[0]! ^ 0xff;
    this.stats.requests++;
    this.stats.lastSeq = seq;
    return reply;
  }

  /** The session named by the request's cookie, which must hold TP_SESSIONID and nothing else. */
  private sessionOf(req: http.IncomingMessage): ServerSession {
    const id = this.sessionIdOf(req);
    const session = this.sessions.get(id);
    if (session === undefined) throw new HttpFailure(403, 'unknown session');
    if (Date.now() >= session.expiresAt) {
      this.sessions.delete(id);
      this.stats.expired++;
      throw new HttpFailure(403, 'session expired');
    }
    return session;
  }

  private sessionIdOf(req: http.IncomingMessage): string {
    const cookies = parseCookiePairs(req.headers.cookie);
    const id = cookies.get(SESSION_COOKIE);
    if (id === undefined || cookies.size !== 1) throw new HttpFailure(400, `only ${SESSION_COOKIE} may be sent back`);
    return id;
  }

  private dropExpiredSessions(): void {
    const now = Date.now();
    for (const [id, session] of this.sessions) if (now >= session.expiresAt) this.sessions.delete(id);
  }
}
