import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { ErrorCode, KasaError, commandMayHaveRun } from '../../util/errors';
import { DEFAULT_MAX_REPLY_BYTES } from '../frame-reader';
import { decodeReplyText } from '../../util/json';
import { Transport, formatAddress } from '../transport';
import { KlapVersion, handshake2Hash } from './auth-hash';
import { DEFAULT_SESSION_TIMEOUT_MS, readSessionCookie, sessionCookieHeader, sessionRenewAt } from './cookies';
import {
  KlapCandidate,
  KlapCredentialSource,
  KlapFamily,
  accountRefusedError,
  credentialCandidates,
  hasUserCredentials,
  matchCandidate,
} from './credentials';
import { HttpConnection } from '../http/http-connection';
import { HttpPostOptions, HttpReply, httpPost } from './http-post';
import { ExchangeBudget, ExchangeQueue } from '../exchange-queue';
import { KlapSession, SEED_BYTES, nextSeq } from './session';

export const KLAP_DEFAULT_PORT = 80;
const HANDSHAKE1_REPLY_BYTES = SEED_BYTES + 32;

/**
 * A device that answers HTTP but refuses KLAP's first step speaks another login: older Tapo firmware
 * uses AES "securePassthrough", firmware from 2025 TP-Link's TPAP (SPAKE2+). Neither is KLAP.
 */
export const NOT_KLAP_HINT =
  ' It answers HTTP but not KLAP: its firmware may use the older AES login of Tapo devices (choose the AES transport),' +
  ' or TPAP, the newer TP-Link login of 2025 firmware (choose the TPAP transport).';

export interface KlapTransportOptions {
  host: string;
  /** Default 80. */
  port?: number;
  /** TP-Link account e-mail (the Kasa or Tapo app's login), for devices bound to an account. */
  username?: string;
  /** TP-Link account password. Only its hashes are kept. */
  password?: string;
  /** Largest reply accepted, in bytes. */
  maxReplyBytes?: number;
  /** Longest time one session is used (ms); the device's TIMEOUT cookie may shorten it. Default 24 h. */
  sessionTimeoutMs?: number;
  /** Time allowed to open a connection (ms); by default the whole exchange timeout. */
  connectTimeoutMs?: number;
  /** 'smart' for Tapo and newer Kasa hardware: adds the Tapo default credentials, v2 hashes only. Default 'iot'. */
  family?: KlapFamily;
}

interface OpenSession {
  readonly keys: KlapSession;
  readonly cookie: string;
  /** Sequence number of the last request sent. */
  seq: number;
  /** Time (Date.now()) from which a new handshake is made before the next request. */
  readonly renewAt: number;
}

/**
 * KLAP, the protocol of newer Kasa firmware: JSON encrypted with AES-128-CBC over HTTP, after a
 * two-step handshake that proves both ends know the same credentials. One session is kept and
 * reused over a keep-alive connection; it is renewed before it expires and when the device drops it.
 */
export class KlapTransport implements Transport {
  readonly kind = 'klap';
  readonly address: string;
  private readonly host: string;
  private readonly port: number;
  private readonly maxReplyBytes: number;
  private readonly sessionTimeoutMs: number;
  private readonly connectTimeoutMs: number | undefined;
  private readonly userCredentialsGiven: boolean;
  /** Hashes of the candidate credentials; kept out of util.inspect and JSON. */
  readonly #candidates: KlapCandidate[];
  #matched: KlapCandidate | undefined;
  #session: OpenSession | undefined;
  readonly #connection = new HttpConnection();
  /** Exchanges run one after another, so sequence numbers reach the device in order. */
  readonly #exchanges: ExchangeQueue;
  #closed = false;
  #handshakes = 0;

  constructor(options: KlapTransportOptions) {
    this.host = options.host;
    this.port = options.port ?? KLAP_DEFAULT_PORT;
    this.address = formatAddress(this.host, this.port);
    this.#exchanges = new ExchangeQueue(this.address);
    this.maxReplyBytes = options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.userCredentialsGiven = hasUserCredentials(options.username, options.password);
    this.#candidates = credentialCandidates(options.username, options.password, options.family ?? 'iot');
  }

  /** Which credentials the device accepted in the last handshake; undefined before the first. */
  get authenticatedAs(): KlapCredentialSource | undefined {
    return this.#matched?.source;
  }

  /** The KLAP version of the last handshake; undefined before the first. */
  get version(): KlapVersion | undefined {
    return this.#matched?.version;
  }

  /** Handshakes completed so far (a new one each time a session is opened or renewed). */
  get handshakes(): number {
    return this.#handshakes;
  }

  exchange(json: string, timeoutMs: number, repeatable = false): Promise<string> {
    return this.#exchanges.run(timeoutMs, (budget) => this.#exchangeNow(json, budget, repeatable));
  }

  /**
   * Forgets the session, so the next exchange opens a new one with a fresh handshake: for replies
   * that say the device's side of the session is gone (the SMART session error codes).
   */
  newSession(): void {
    this.#session = undefined;
  }

  /** Aborts a running exchange, closes the connections and resolves once they are closed. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#session = undefined;
    this.#exchanges.close();
    await this.#connection.close();
  }

  async #exchangeNow(json: string, budget: ExchangeBudget, repeatable: boolean): Promise<string> {
    if (this.#closed) throw this.#error(ErrorCode.CLOSED, `The connection to ${this.address} was closed.`);
    const plain = Buffer.from(json, 'utf8');
    // One second try, with a fresh sequence number: after a 403 (the device did not run the
    // request), or for a read that a broken connection left unanswered.
    for (let attempt = 1; ; attempt++) {
      const session = this.#liveSession() ?? (await this.#openSession(budget));
      session.seq = nextSeq(session.seq);
      const seq = session.seq;
      let reply: HttpReply;
      try {
        reply = await this.#post(`/app/request?seq=${seq}`, session.keys.seal(seq, plain), budget, false, session.cookie);
      } catch (err) {
        if (!(err instanceof KasaError) || err.code !== ErrorCode.RESET) throw err;
        if (repeatable && attempt === 1) continue;
        // On a reused connection or a fresh one, before or during the reply: a command may have run.
        throw repeatable ? err : commandMayHaveRun(err, this.address);
      }
      if (reply.status === 403) {
        // The device dropped the session (reboot, expiry, another client): one new handshake, one retry.
        this.#session = undefined;
        if (attempt === 1) continue;
        throw this.#error(ErrorCode.PROTOCOL, `${this.address} refused the request (HTTP 403) even right after a new handshake.`);
      }
      if (reply.status !== 200) throw this.#statusError('request', reply.status);
      try {
        return decodeReplyText(session.keys.open(seq, reply.body, this.address), this.address);
      } catch (err) {
        this.#session = undefined; // out of step with the device: start afresh next time
        throw err;
      }
    }
  }

  /** The current session, unless there is none or it is about to expire. */
  #liveSession(): OpenSession | undefined {
    const current = this.#session;
    return current !== undefined && Date.now() < current.renewAt ? current : undefined;
  }

  /** A new session, by a new handshake. */
  async #openSession(budget: ExchangeBudget): Promise<OpenSession> {
    this.#session = undefined;

    const startedAt = Date.now();
    const localSeed = randomBytes(SEED_BYTES);
    const first = await this.#post('/app/handshake1', localSeed, budget, true);
    if (first.status !== 200) throw this.#statusError('handshake', first.status, NOT_KLAP_HINT);
    if (first.body.length !== HANDSHAKE1_REPLY_BYTES) {
      throw this.#error(
        ErrorCode.PROTOCOL,
        `${this.address} answered the KLAP handshake with ${first.body.length} bytes instead of ${HANDSHAKE1_REPLY_BYTES}: it does not look like a Kasa plug.`,
      );
    }
    const cookie = readSessionCookie(first.headers['set-cookie']);
    if (cookie.sessionId === undefined) {
      throw this.#error(ErrorCode.PROTOCOL, `${this.address} answered the KLAP handshake without a session cookie.`);
    }
    const remoteSeed = first.body.subarray(0, SEED_BYTES);
    const candidate = matchCandidate(this.#orderedCandidates(), localSeed, remoteSeed, first.body.subarray(SEED_BYTES));
    if (candidate === undefined) throw this.#authError();

    const cookieHeader = sessionCookieHeader(cookie.sessionId);
    const proof = handshake2Hash(candidate.version, localSeed, remoteSeed, candidate.authHash);
    const second = await this.#post('/app/handshake2', proof, budget, true, cookieHeader);
    if (second.status !== 200) throw this.#statusError('second handshake step', second.status);

    this.#matched = candidate;
    this.#handshakes++;
    const keys = new KlapSession(localSeed, remoteSeed, candidate.authHash);
    this.#session = {
      keys,
      cookie: cookieHeader,
      seq: keys.initialSeq,
      renewAt: sessionRenewAt(startedAt, this.sessionTimeoutMs, cookie.timeoutSeconds),
    };
    return this.#session;
  }

  /** The credentials that worked last time come first; the rest keep their order. */
  #orderedCandidates(): KlapCandidate[] {
    const matched = this.#matched;
    return matched === undefined ? this.#candidates : [matched, ...this.#candidates.filter((c) => c !== matched)];
  }

  /** No abort signal: close() closes the connection, which ends the request running. */
  #post(path: string, body: Buffer, budget: ExchangeBudget, repeatable: boolean, cookie?: string): Promise<HttpReply> {
    // Built without spreads: this runs for every request.
    const post: HttpPostOptions = {
      repeatable,
      host: this.host,
      port: this.port,
      path,
      body,
      connection: this.#connection,
      device: this.address,
      deadline: budget.deadline,
      budgetMs: budget.budgetMs,
      maxReplyBytes: this.maxReplyBytes,
    };
    if (cookie !== undefined) post.cookie = cookie;
    if (this.connectTimeoutMs !== undefined) post.connectTimeoutMs = this.connectTimeoutMs;
    return httpPost(post);
  }

  #authError(): KasaError {
    return accountRefusedError(this.address, this.userCredentialsGiven);
  }

  #statusError(step: string, status: number, hint = ''): KasaError {
    const reason = http.STATUS_CODES[status];
    return this.#error(
      ErrorCode.PROTOCOL,
      `${this.address} answered the KLAP ${step} with HTTP ${status}${reason === undefined ? '' : ` (${reason})`}.${hint}`,
    );
  }

  #error(code: ErrorCode, message: string): KasaError {
    return new KasaError(code, message, { device: this.address });
  }
}
