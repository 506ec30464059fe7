import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import type * as http from 'node:http';
import { isObject } from '../util/json';
import { HttpListener } from './http-listener';
import { AesSessionCipher } from '../transport/aes/cipher';
import { AesPasswordForm, loginParams } from '../transport/aes/login';
import { AES_PATH, HANDSHAKE_METHOD, LOGIN_METHOD, PASSTHROUGH_METHOD } from '../transport/aes/messages';
import { SESSION_COOKIE, TIMEOUT_COOKIE, parseCookiePairs } from '../transport/klap/cookies';
import { TAPO_DEFAULT_PASSWORD, TAPO_DEFAULT_USERNAME } from '../transport/klap/credentials';

export interface AesServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: an ephemeral port, read it from `port` after start(). */
  port?: number;
  /** The device's SMART handler: request JSON text in, reply JSON text out. */
  handle: (json: string) => string;
  /** The owner's TP-Link account, used when `bound`. Missing means blank. */
  username?: string;
  password?: string;
  /** Bound to an account: needs the owner's credentials. Unbound: answers to the default ones. */
  bound: boolean;
  /** The credentials an unbound device answers to; default the Tapo ones (test@tp-link.net/test). */
  defaultCredentials?: { username: string; password: string };
  /** 1 (default) takes `password`; 2 takes `password2` (discovery's `lv`). */
  loginVersion?: 1 | 2;
  /** The session cookie's name: TP_SESSIONID (default), or SESSIONID as some firmware has it. */
  sessionCookieName?: string;
  /** Answer each request after the login this many ms late, as a slow device; can be changed while running. */
  replyDelayMs?: number;
  /** Session lifetime announced in the TIMEOUT cookie and enforced. Default 86400. */
  sessionTimeoutSeconds?: number;
  /** Drop a session after this many requests (login excluded): the next gets error 9999, as after a reboot. */
  invalidateAfter?: number;
}

export interface AesServerStats {
  /** TCP connections accepted, and those still open. */
  connections: number;
  openConnections: number;
  handshakes: number;
  /** Successful logins, i.e. sessions opened; and logins refused (-1501). */
  logins: number;
  loginsRefused: number;
  /** Requests after the login passed to the device. */
  requests: number;
  /** Requests answered 9999 because the session was unknown, expired or invalidated. */
  sessionErrors: number;
  /** Of those, on a session past its TIMEOUT. */
  expired: number;
  /** Bodies sent chunked, without Content-Length or not as application/json (answered 500), or malformed. */
  badRequests: number;
}

interface ServerSession {
  readonly cipher: AesSessionCipher;
  readonly expiresAt: number;
  token?: string;
  served: number;
}

const MAX_REQUEST_BYTES = 64 * 1024;
const DEFAULT_SESSION_TIMEOUT_SECONDS = 86_400;
/** The SMART codes the simulator answers with (PROTOCOL.md section 5). */
const CODES = { sessionTimeout: 9999, loginFailed: -1501, notLoggedIn: 1003, aesDecode: -1005, jsonDecode: -1003, badKey: -1010, unknownMethod: -1002 };

/** An outer answer: the body and, for the handshake, the cookie to set. */
interface Answer {
  body: Record<string, unknown>;
  setCookie?: string;
  /** Passed to the device: the delay and reply-dropping faults apply. */
  device?: boolean;
}

/**
 * A Tapo device of older firmware speaking AES "securePassthrough" over HTTP, for tests and the
 * simulator: the RSA handshake (the session key encrypted to the client's key), the session
 * cookie and TIMEOUT, login_device in the form of its login version, the token, and encrypted
 * requests passed to the SMART handler.
 */
export class AesServer {
  private repliesToDrop = 0;
  replyDelayMs: number;
  readonly stats: AesServerStats = {
    connections: 0,
    openConnections: 0,
    handshakes: 0,
    logins: 0,
    loginsRefused: 0,
    requests: 0,
    sessionErrors: 0,
    expired: 0,
    badRequests: 0,
  };
  private readonly options: AesServerOptions;
  /** The login params this device accepts, as the client sends them. */
  private readonly expectedLogin: Record<string, string>;
  private readonly cookieName: string;
  private readonly listener: HttpListener;
  private readonly sessions = new Map<string, ServerSession>();

  constructor(options: AesServerOptions) {
    this.options = options;
    this.replyDelayMs = options.replyDelayMs ?? 0;
    this.cookieName = options.sessionCookieName ?? SESSION_COOKIE;
    const account = options.bound
      ? { username: options.username ?? '', password: options.password ?? '' }
      : (options.defaultCredentials ?? { username: TAPO_DEFAULT_USERNAME, password: TAPO_DEFAULT_PASSWORD });
    const form: AesPasswordForm = options.loginVersion === 2 ? 'password2' : 'password';
    this.expectedLogin = loginParams(account.username, account.password, form);
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

  /** The next `count` requests after the login are carried out but never answered: the connection closes instead. */
  dropNextReplies(count: number): void {
    this.repliesToDrop = count;
  }

  /** Forgets every session, as a device that rebooted: the next request gets 9999. */
  dropSessions(): void {
    this.sessions.clear();
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://device');
      // Devices answer 500 to a chunked body: the length must be given. The JSON content type is
      // checked too (whether devices insist is not known): every client test then proves it is sent.
      const lengthGiven = req.headers['content-length'] !== undefined && req.headers['transfer-encoding'] === undefined;
      const json = /^application\/json\b/i.test(req.headers['content-type'] ?? '');
      if (req.method !== 'POST' || url.pathname !== AES_PATH) return this.status(res, 404);
      if (!lengthGiven || !json || size > MAX_REQUEST_BYTES) {
        this.stats.badRequests++;
        return this.status(res, 500);
      }
      const answer = this.route(req, url, Buffer.concat(chunks, size).toString('utf8'));
      if (answer.setCookie !== undefined) res.setHeader('Set-Cookie', answer.setCookie);
      const body = Buffer.from(JSON.stringify(answer.body), 'utf8');
      if (answer.device === true && this.repliesToDrop > 0) {
        this.repliesToDrop--;
        req.socket.destroy();
        return;
      }
      if (answer.device === true && this.replyDelayMs > 0) {
        const timer = setTimeout(() => this.json(res, body), this.replyDelayMs);
        res.once('close', () => clearTimeout(timer));
        return;
      }
      this.json(res, body);
    });
  }

  private status(res: http.ServerResponse, status: number): void {
    res.writeHead(status, { 'Content-Length': 0 });
    res.end();
  }

  private json(res: http.ServerResponse, body: Buffer): void {
    res.writeHead(200, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': body.length });
    res.end(body);
  }

  private route(req: http.IncomingMessage, url: URL, text: string): Answer {
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch {
      this.stats.badRequests++;
      return { body: { error_code: CODES.jsonDecode } };
    }
    if (!isObject(request)) return { body: { error_code: CODES.jsonDecode } };
    const params = isObject(request['params']) ? request['params'] : {};
    if (request['method'] === HANDSHAKE_METHOD) return this.handshake(params);
    if (request['method'] === PASSTHROUGH_METHOD) return this.passthrough(req, url, params);
    return { body: { error_code: CODES.unknownMethod } };
  }

  private handshake(params: Record<string, unknown>): Answer {
    const pem = params['key'];
    let encrypted: Buffer;
    const keyAndIv = randomBytes(32);
    try {
      if (typeof pem !== 'string') throw new TypeError('no key');
      const key = createPublicKey({ key: pem, format: 'pem' });
      // Public encryption with PKCS#1 v1.5 is allowed on every Node.js; only private decryption is not.
      encrypted = publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, keyAndIv);
    } catch {
      this.stats.badRequests++;
      return { body: { error_code: CODES.badKey } };
    }
    this.dropExpiredSessions();
    const id = randomBytes(16).toString('hex').toUpperCase();
    const timeoutSeconds = this.options.sessionTimeoutSeconds ?? DEFAULT_SESSION_TIMEOUT_SECONDS;
    this.sessions.set(id, { cipher: new AesSessionCipher(keyAndIv), expiresAt: Date.now() + timeoutSeconds * 1000, served: 0 });
    this.stats.handshakes++;
    return {
      body: { error_code: 0, result: { key: encrypted.toString('base64') } },
      setCookie: `${this.cookieName}=${id};${TIMEOUT_COOKIE}=${timeoutSeconds}`,
    };
  }

  private passthrough(req: http.IncomingMessage, url: URL, params: Record<string, unknown>): Answer {
    const cookies = parseCookiePairs(req.headers.cookie);
    const id = cookies.get(this.cookieName);
    const session = id === undefined ? undefined : this.sessions.get(id);
    if (id === undefined || session === undefined) return this.sessionError();
    if (Date.now() >= session.expiresAt) {
      this.sessions.delete(id);
      this.stats.expired++;
      return this.sessionError();
    }
    const sealed = params['request'];
    const plain = typeof sealed === 'string' ? session.cipher.decrypt(sealed) : undefined;
    if (plain === undefined) return { body: { error_code: CODES.aesDecode } };
    let inner: unknown;
    try {
      inner = JSON.parse(plain);
    } catch {
      return { body: { error_code: CODES.jsonDecode } };
    }
    const seal = (reply: Record<string, unknown> | string): Record<string, unknown> => ({
      error_code: 0,
      result: { response: session.cipher.encrypt(typeof reply === 'string' ? reply : JSON.stringify(reply)) },
    });
    if (isObject(inner) && inner['method'] === LOGIN_METHOD) return { body: seal(this.login(session, inner['params'])) };
    if (session.token === undefined || url.searchParams.get('token') !== session.token) {
      return { body: { error_code: CODES.notLoggedIn } };
    }
    const limit = this.options.invalidateAfter;
    if (limit !== undefined && session.served >= limit) {
      this.sessions.delete(id);
      return this.sessionError();
    }
    session.served++;
    this.stats.requests++;
    return { body: seal(this.options.handle(plain)), device: true };
  }

  private login(session: ServerSession, params: unknown): Record<string, unknown> {
    const given = isObject(params) ? params : {};
    const expected = this.expectedLogin;
    const matches = Object.keys(expected).every((key) => given[key] === expected[key]);
    if (!matches) {
      this.stats.loginsRefused++;
      return { error_code: CODES.loginFailed };
    }
    session.token = randomBytes(16).toString('hex').toUpperCase();
    this.stats.logins++;
    return { error_code: 0, result: { token: session.token } };
  }

  private sessionError(): Answer {
    this.stats.sessionErrors++;
    return { body: { error_code: CODES.sessionTimeout } };
  }

  private dropExpiredSessions(): void {
    const now = Date.now();
    for (const [id, session] of this.sessions) if (now >= session.expiresAt) this.sessions.delete(id);
  }
}
