import { randomBytes, randomInt } from 'node:crypto';
import type * as http from 'node:http';
import { HttpListener, readRequestBody } from './http-listener';
import { isObject } from '../util/json';
import { CIPHER_SUITE, LOGIN_PATH, TPAP_CODES, base64Bytes, integerOf } from '../transport/tpap/messages';
import { accountSecret, defaultPasscode, passwordScalars, registerUsername, tpapFrame } from '../transport/tpap/passcode';
import { TpapCipherName, TpapSessionCipher } from '../transport/tpap/session-cipher';
import { randomScalar, sameConfirmation, verifierKeys, verifierRecord, verifierShare } from '../transport/tpap/spake2plus';

export interface TpapServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Port of `discover` (and, with tls 0, of everything); default 0: an ephemeral port. */
  port?: number;
  /** The device's SMART handler: request JSON text in, reply JSON text out. */
  handle: (json: string) => string;
  /** The account it is bound to (passcode type 2); without one it takes its default passcode (type 0). */
  username?: string;
  password?: string;
  /** The device's MAC ("AA-BB-..."): the default passcode derives from it. */
  mac: string;
  /** 'password_shadow' asks clients for the SHA-1 of the password (extra_crypt passwd_id 2); default none. */
  extraCrypt?: 'password_shadow';
  /** The session cipher the device picks; default aes_128_ccm. */
  cipher?: TpapCipherName;
  /** PBKDF2 rounds asked for; default 5000, as reported. */
  iterations?: number;
  /** HTTPS for the login and requests (tls mode 1) with this key and certificate; discover stays on HTTP. */
  tls?: { key: string; cert: string };
  /** The HTTPS port with `tls`; default 0: an ephemeral port. */
  tlsPort?: number;
  /** Announced instead of what it speaks: 2 (mutual TLS), or DAC, for clients' refusal tests. */
  announce?: { tls?: number; dac?: boolean; pake?: number[] };
  /** Failed logins before it locks logins (then -2101 to every login step). Default 5. */
  lockAfter?: number;
  /** Session lifetime (s); a later request gets -2203 in the clear. Default 86400. */
  sessionTimeoutSeconds?: number;
  /** End a session after this many requests: the next gets -2203 in the clear, as after a reboot. */
  invalidateAfter?: number;
  /** Answer each request this many ms late. */
  replyDelayMs?: number;
  /** For tests: accept the login but send a dev_confirm that proves nothing. */
  corruptDevConfirm?: boolean;
}

export interface TpapServerStats {
  connections: number;
  openConnections: number;
  discovers: number;
  registers: number;
  /** Sessions opened (pake_share accepted) and logins refused (-2203). */
  logins: number;
  loginsRefused: number;
  /** Requests opened and answered on a session. */
  requests: number;
  /** Requests answered in the clear because the session was unknown, expired or ended. */
  sessionErrors: number;
  badRequests: number;
}

interface Registration {
  readonly w0: bigint;
  readonly L: Buffer;
  readonly y: bigint;
  readonly userRandom: Buffer;
  readonly devRandom: Buffer;
  readonly cipher: TpapCipherName;
}

interface ServerSession {
  readonly cipher: TpapSessionCipher;
  readonly expiresAt: number;
  /** The last sequence number taken; a request must carry a later one. */
  lastSeq: number;
  served: number;
}

const MAX_REQUEST_BYTES = 64 * 1024;
const DEFAULT_SESSION_TIMEOUT_SECONDS = 86_400;

/**
 * A device of 2025 firmware speaking TPAP (facts: docs/protocol-tpap.md), as the verifier of SPAKE2+:
 * discover, pake_register and pake_share on "/", then sealed requests on /stok=<id>/ds passed to the
 * SMART handler. Wrong secrets are counted and lock logins; ended sessions answer -2203 in the clear.
 */
export class TpapServer {
  readonly stats: TpapServerStats = {
    connections: 0,
    openConnections: 0,
    discovers: 0,
    registers: 0,
    logins: 0,
    loginsRefused: 0,
    requests: 0,
    sessionErrors: 0,
    badRequests: 0,
  };
  replyDelayMs: number;
  private readonly options: TpapServerOptions;
  private readonly plain: HttpListener;
  private readonly secure: HttpListener | undefined;
  private readonly sessions = new Map<string, ServerSession>();
  private registration: Registration | undefined;
  private failures = 0;
  private repliesToDrop = 0;

  constructor(options: TpapServerOptions) {
    this.options = options;
    this.replyDelayMs = options.replyDelayMs ?? 0;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.onRequest(req, res);
    this.plain = new HttpListener(options, handler, this.stats);
    this.secure = options.tls === undefined ? undefined : new HttpListener({ ...(options.host === undefined ? {} : { host: options.host }), port: options.tlsPort ?? 0 }, handler, this.stats, options.tls);
  }

  /** The port of discover (and of everything over plain HTTP). */
  get port(): number {
    return this.plain.port;
  }

  /** The HTTPS port of the login in tls mode 1; undefined over plain HTTP. */
  get tlsPort(): number | undefined {
    return this.secure?.port;
  }

  /** Whether a bound account is needed (passcode type 2) rather than the default passcode. */
  get bound(): boolean {
    return this.options.username !== undefined;
  }

  async start(): Promise<number> {
    const port = await this.plain.start();
    await this.secure?.start();
    return port;
  }

  async stop(): Promise<void> {
    this.sessions.clear();
    await Promise.all([this.plain.stop(), this.secure?.stop()]);
  }

  async whenNoConnections(): Promise<void> {
    await Promise.all([this.plain.whenNoConnections(), this.secure?.whenNoConnections()]);
  }

  async dropConnections(): Promise<void> {
    await Promise.all([this.plain.dropConnections(), this.secure?.dropConnections()]);
  }

  /** Forgets every session, as a device that rebooted: the next request gets -2203 in the clear. */
  dropSessions(): void {
    this.sessions.clear();
  }

  /** The next `count` requests are carried out but never answered: the connection closes instead. */
  dropNextReplies(count: number): void {
    this.repliesToDrop = count;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    readRequestBody(req, res, MAX_REQUEST_BYTES, (body, size) => {
      const path = req.url ?? '/';
      const secure = 'encrypted' in req.socket;
      if (req.method !== 'POST' || size > MAX_REQUEST_BYTES) return this.reply(res, 400, Buffer.alloc(0));
      if (path === LOGIN_PATH) {
        const answer = this.login(body.toString('utf8'), secure);
        return this.reply(res, 200, Buffer.from(JSON.stringify(answer), 'utf8'), 'application/json');
      }
      const stok = /^\/stok=([^/]+)\/ds$/.exec(path)?.[1];
      if (stok === undefined || secure !== (this.secure !== undefined)) return this.reply(res, 404, Buffer.alloc(0));
      const answer = this.request(stok, body);
      if (answer.sealed && this.repliesToDrop > 0) {
        this.repliesToDrop--;
        req.socket.destroy();
        return;
      }
      const send = (): void => this.reply(res, 200, answer.body, answer.sealed ? 'application/octet-stream' : 'application/json');
      if (answer.sealed && this.replyDelayMs > 0) {
        const timer = setTimeout(send, this.replyDelayMs);
        res.once('close', () => clearTimeout(timer));
        return;
      }
      send();
    });
  }

  private reply(res: http.ServerResponse, status: number, body: Buffer, type?: string): void {
    res.writeHead(status, { 'Content-Length': body.length, ...(type === undefined ? {} : { 'Content-Type': type }) });
    res.end(body);
  }

  private login(text: string, secure: boolean): Record<string, unknown> {
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch {
      this.stats.badRequests++;
      return { error_code: -1003 };
    }
    const params = isObject(request) && isObject(request['params']) ? request['params'] : {};
    if (!isObject(request) || request['method'] !== 'login') return { error_code: -1002 };
    if (this.failures >= (this.options.lockAfter ?? 5)) return { error_code: TPAP_CODES.locked };
    switch (params['sub_method']) {
      case 'discover':
        this.stats.discovers++;
        return { error_code: 0, result: this.discovery() };
      case 'pake_register':
        // With HTTPS the login belongs on the TLS port.
        return secure === (this.secure !== undefined) ? this.register(params) : { error_code: -1002 };
      case 'pake_share':
        return secure === (this.secure !== undefined) ? this.share(params) : { error_code: -1002 };
      default:
        return { error_code: -1002 };
    }
  }

  private discovery(): Record<string, unknown> {
    const announce = this.options.announce ?? {};
    return {
      sub_method: 'discover',
      tpap_preferred: true,
      mac: this.options.mac,
      tpap: {
        tls: announce.tls ?? (this.secure === undefined ? 0 : 1),
        dac: announce.dac === true ? 1 : 0,
        noc: 0,
        pake: announce.pake ?? (this.bound ? [2] : [0]),
        port: this.secure?.port ?? this.plain.port,
      },
    };
  }

  private register(params: Record<string, unknown>): Record<string, unknown> {
    const passcodeType = this.bound ? 'userpw' : 'default_userpw';
    const userRandom = base64Bytes(params['user_random']);
    const suites = Array.isArray(params['cipher_suites']) ? params['cipher_suites'].map(integerOf) : [];
    const cipher = this.options.cipher ?? 'aes_128_ccm';
    if (params['username'] !== registerUsername(undefined) || params['passcode_type'] !== passcodeType || userRandom === undefined) {
      this.stats.badRequests++;
      return { error_code: -1008 };
    }
    if (!suites.includes(CIPHER_SUITE)) return { error_code: -1008 };
    this.stats.registers++;
    const secret = this.bound
      ? accountSecret(this.options.username ?? '', this.options.password ?? '', this.extraCrypt(), 'simulator')
      : defaultPasscode(this.options.mac);
    const salt = randomBytes(16);
    const iterations = this.options.iterations ?? 5000;
    const { w0, w1 } = passwordScalars(secret, salt, iterations);
    const devRandom = randomBytes(32);
    const y = randomScalar();
    this.registration = { w0, L: verifierRecord(w1), y, userRandom, devRandom, cipher };
    const extraCrypt = this.extraCrypt();
    return {
      error_code: 0,
      result: {
        dev_random: devRandom.toString('base64'),
        dev_salt: salt.toString('base64'),
        dev_share: verifierShare(w0, y).toString('base64'),
        cipher_suites: CIPHER_SUITE,
        iterations,
        encryption: this.registration.cipher,
        ...(extraCrypt === undefined ? {} : { extra_crypt: extraCrypt }),
      },
    };
  }

  private extraCrypt(): Record<string, unknown> | undefined {
    return this.options.extraCrypt === 'password_shadow' ? { type: 'password_shadow', params: { passwd_id: 2 } } : undefined;
  }

  private share(params: Record<string, unknown>): Record<string, unknown> {
    const registration = this.registration;
    this.registration = undefined;
    const userShare = base64Bytes(params['user_share']);
    const userConfirm = base64Bytes(params['user_confirm']);
    if (registration === undefined || userShare === undefined || userConfirm === undefined) {
      this.stats.badRequests++;
      return { error_code: -1008 };
    }
    const keys = verifierKeys(tpapFrame(registration.userRandom, registration.devRandom), registration.w0, registration.L, registration.y, userShare);
    if (keys === undefined || !sameConfirmation(keys.confirmP, userConfirm)) {
      this.failures++;
      this.stats.loginsRefused++;
      const limit = this.options.lockAfter ?? 5;
      return { error_code: TPAP_CODES.refusedOrExpired, result: { failed_attempts: this.failures, remain_attempts: Math.max(0, limit - this.failures) } };
    }
    this.failures = 0;
    this.stats.logins++;
    const stok = randomBytes(16).toString('hex');
    const startSeq = randomInt(1, 1 << 30);
    const timeout = this.options.sessionTimeoutSeconds ?? DEFAULT_SESSION_TIMEOUT_SECONDS;
    this.sessions.set(stok, { cipher: new TpapSessionCipher(registration.cipher, keys.sharedKey), expiresAt: Date.now() + timeout * 1000, lastSeq: startSeq - 1, served: 0 });
    const devConfirm = this.options.corruptDevConfirm === true ? Buffer.alloc(keys.confirmV.length) : keys.confirmV;
    return { error_code: 0, result: { dev_confirm: devConfirm.toString('base64'), stok, start_seq: startSeq } };
  }

  private request(stok: string, body: Buffer): { body: Buffer; sealed: boolean } {
    const clear = (code: number): { body: Buffer; sealed: boolean } => {
      this.stats.sessionErrors++;
      return { body: Buffer.from(JSON.stringify({ error_code: code }), 'utf8'), sealed: false };
    };
    const session = this.sessions.get(stok);
    if (session === undefined) return clear(TPAP_CODES.refusedOrExpired);
    const limit = this.options.invalidateAfter;
    if (Date.now() >= session.expiresAt || (limit !== undefined && session.served >= limit)) {
      this.sessions.delete(stok);
      return clear(TPAP_CODES.refusedOrExpired);
    }
    const opened = session.cipher.open(body);
    if (opened === undefined) {
      this.stats.badRequests++;
      return clear(TPAP_CODES.sessionInvalid);
    }
    // A replayed or old sequence number (-40413 is reported for a wrong one on another model).
    if (opened.seq <= session.lastSeq) return clear(-40413);
    session.lastSeq = opened.seq;
    session.served++;
    this.stats.requests++;
    return { body: session.cipher.seal(opened.seq, Buffer.from(this.options.handle(opened.plain.toString('utf8')), 'utf8')), sealed: true };
  }
}
