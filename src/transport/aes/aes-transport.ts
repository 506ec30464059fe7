import * as http from 'node:http';
import { ErrorCode, KasaError, commandMayHaveRun } from '../../util/errors';
import { smartErrorClass } from '../../family/smart/errors';
import { DEFAULT_MAX_REPLY_BYTES } from '../frame-reader';
import { decodeReplyText, isObject, parseReplyText } from '../../util/json';
import { LEGACY_SESSION_COOKIE, SESSION_COOKIE, DEFAULT_SESSION_TIMEOUT_MS, readSessionCookie, sessionCookieHeader, sessionRenewAt } from '../klap/cookies';
import { CredentialSource, KlapCredentialSource, accountRefusedError, credentialSources, hasUserCredentials } from '../klap/credentials';
import { HttpConnection } from '../http/http-connection';
import { HttpReply, httpPost } from '../klap/http-post';
import { ExchangeBudget, ExchangeQueue } from '../exchange-queue';
import { Transport, formatAddress } from '../transport';
import { AES_IV_BYTES, AES_KEY_BYTES, AesSessionCipher } from './cipher';
import { AesPasswordForm, loginParams, passwordForms } from './login';
import { AES_PATH, LOGIN_METHOD, handshakeBody, passthroughBody, tokenPath } from './messages';
import { newHandshakeKeyPair, rsaDecryptPkcs1 } from './rsa';

export const AES_DEFAULT_PORT = 80;
/** What a KLAP device answers to a plain JSON POST on /app (docs/protocol.md, section 4, KLAP or AES?). */
const KLAP_DEVICE_CODE = 1003;

const NOT_AES_HINT = ' It answers HTTP but not the AES handshake of older Tapo firmware: try the KLAP transport, or Automatic.';

export interface AesTransportOptions {
  host: string;
  /** Default 80. */
  port?: number;
  /** TP-Link account e-mail (the Tapo or Kasa app's login), for devices bound to an account. */
  username?: string;
  /** TP-Link account password: the login sends it (in one of two forms), so it is kept in memory. */
  password?: string;
  /** Largest reply accepted (decrypted), in bytes. */
  maxReplyBytes?: number;
  /** Longest time one session is used (ms); the device's TIMEOUT cookie may shorten it. Default 24 h. */
  sessionTimeoutMs?: number;
  /** Time allowed to open a connection (ms); by default the whole exchange timeout. */
  connectTimeoutMs?: number;
  /** The device's login version when known (TDP discovery's `lv`): 2 tries `password2` first. */
  loginVersion?: number;
}

/** One way to log in: an account and a password form. Holds the password: never shown. */
interface LoginCandidate {
  readonly account: CredentialSource;
  readonly form: AesPasswordForm;
}

interface OpenSession {
  readonly cipher: AesSessionCipher;
  readonly cookie: string;
  /** /app?token=... */
  readonly path: string;
  /** Time (Date.now()) from which a new handshake is made before the next request. */
  readonly renewAt: number;
}

/** A handshake done, not yet logged in. */
interface Handshake {
  readonly cipher: AesSessionCipher;
  readonly cookie: string;
  readonly timeoutSeconds: number | undefined;
}

/** What one securePassthrough came back with: the outer error code, and the decrypted answer (only when the code is 0). */
interface PassthroughAnswer {
  code: number;
  text?: string;
}

/**
 * The AES "securePassthrough" transport of older Tapo firmware, SMART dialect only: an RSA
 * handshake (a fresh key pair per session, kept in memory) hands over the AES key and IV, a
 * login_device gives a token, then every request goes AES-128-CBC encrypted inside a
 * securePassthrough call. One session is kept over a keep-alive connection and renewed before its
 * TIMEOUT, after the session error codes, and when the device refuses the envelope.
 */
export class AesTransport implements Transport {
  readonly kind = 'aes';
  readonly address: string;
  private readonly host: string;
  private readonly port: number;
  private readonly maxReplyBytes: number;
  private readonly sessionTimeoutMs: number;
  private readonly connectTimeoutMs: number | undefined;
  private readonly userCredentialsGiven: boolean;
  /** The accounts and forms to log in with; kept out of util.inspect and JSON. */
  readonly #candidates: LoginCandidate[];
  #matched: LoginCandidate | undefined;
  #session: OpenSession | undefined;
  readonly #connection = new HttpConnection();
  /** Exchanges run one after another: one session, one request at a time. */
  readonly #exchanges: ExchangeQueue;
  #closed = false;
  #handshakes = 0;
  #logins = 0;

  constructor(options: AesTransportOptions) {
    this.host = options.host;
    this.port = options.port ?? AES_DEFAULT_PORT;
    this.address = formatAddress(this.host, this.port);
    this.#exchanges = new ExchangeQueue(this.address);
    this.maxReplyBytes = options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.userCredentialsGiven = hasUserCredentials(options.username, options.password);
    const forms = passwordForms(options.loginVersion);
    this.#candidates = credentialSources(options.username, options.password, 'smart').flatMap((account) =>
      forms.map((form) => ({ account, form })),
    );
  }

  /** Which credentials the device accepted at the last login; undefined before the first. */
  get authenticatedAs(): KlapCredentialSource | undefined {
    return this.#matched?.account.source;
  }

  /** The password form of the last successful login; undefined before the first. */
  get passwordForm(): AesPasswordForm | undefined {
    return this.#matched?.form;
  }

  /** Handshakes made so far (one per login tried). */
  get handshakes(): number {
    return this.#handshakes;
  }

  /** Sessions opened so far (successful logins). */
  get sessions(): number {
    return this.#logins;
  }

  exchange(json: string, timeoutMs: number, repeatable = false): Promise<string> {
    return this.#exchanges.run(timeoutMs, (budget) => this.#exchangeNow(json, budget, repeatable));
  }

  /** Forgets the session: the next exchange starts again from the handshake. */
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
    // One second try: after the device refused the envelope (the request inside did not run),
    // or for a read that a broken connection left unanswered.
    for (let attempt = 1; ; attempt++) {
      const session = await this.#openSession(budget);
      let answer: PassthroughAnswer;
      try {
        answer = await this.#passthrough(session.cipher, session.cookie, session.path, json, budget, false);
      } catch (err) {
        if (!(err instanceof KasaError)) throw err;
        if (err.code !== ErrorCode.RESET) {
          if (err.code === ErrorCode.PROTOCOL) this.#session = undefined; // out of step: start afresh next time
          throw err;
        }
        if (repeatable && attempt === 1) continue;
        throw repeatable ? err : commandMayHaveRun(err, this.address);
      }
      if (answer.text !== undefined) return answer.text;
      const kind = smartErrorClass(answer.code);
      if (kind === 'session' || kind === 'auth') {
        // The session or the login is gone on the device's side: start again from the handshake.
        this.#session = undefined;
        if (attempt === 1) continue;
      }
      // Any other refusal of the envelope is the device's answer to the request: the client names the method.
      return JSON.stringify({ error_code: answer.code });
    }
  }

  /** The current session, or a new one (handshake and login) when there is none or it is about to expire. */
  async #openSession(budget: ExchangeBudget): Promise<OpenSession> {
    const current = this.#session;
    if (current !== undefined && Date.now() < current.renewAt) return current;
    this.#session = undefined;
    for (const candidate of this.#orderedCandidates()) {
      // A session error during the login: the same account once more, on a new handshake.
      for (let tries = 1; tries <= 2; tries++) {
        const startedAt = Date.now();
        const handshake = await this.#handshake(budget);
        const outcome = await this.#login(handshake, candidate, budget);
        if (outcome === 'refused') break;
        if (outcome === 'session') continue;
        this.#matched = candidate;
        this.#logins++;
        this.#session = {
          cipher: handshake.cipher,
          cookie: handshake.cookie,
          path: tokenPath(outcome.token),
          renewAt: sessionRenewAt(startedAt, this.sessionTimeoutMs, handshake.timeoutSeconds),
        };
        return this.#session;
      }
    }
    throw accountRefusedError(this.address, this.userCredentialsGiven);
  }

  /** The credentials and form that worked last time come first; the rest keep their order. */
  #orderedCandidates(): LoginCandidate[] {
    const matched = this.#matched;
    return matched === undefined ? this.#candidates : [matched, ...this.#candidates.filter((c) => c !== matched)];
  }

  async #handshake(budget: ExchangeBudget): Promise<Handshake> {
    const keys = await newHandshakeKeyPair();
    if (budget.signal.aborted) throw this.#error(ErrorCode.CLOSED, `The connection to ${this.address} was closed.`);
    const reply = await this.#post(AES_PATH, handshakeBody(keys.publicPem), budget, true);
    if (reply.status !== 200) throw this.#statusError('handshake', reply.status, NOT_AES_HINT);
    const outer = this.#parseOuter(reply.body, 'handshake');
    const code = outer['error_code'];
    if (code === KLAP_DEVICE_CODE) {
      throw this.#error(ErrorCode.PROTOCOL, `${this.address} does not take the AES handshake: it speaks KLAP. Choose the KLAP transport, or Automatic.`);
    }
    if (code !== 0) throw this.#error(ErrorCode.PROTOCOL, `${this.address} refused the AES handshake (SMART error ${String(code)}).`);
    const key = isObject(outer['result']) ? outer['result']['key'] : undefined;
    const keyAndIv = typeof key === 'string' ? rsaDecryptPkcs1(keys.privateKey, Buffer.from(key, 'base64')) : undefined;
    if (keyAndIv?.length !== AES_KEY_BYTES + AES_IV_BYTES) {
      throw this.#error(ErrorCode.PROTOCOL, `${this.address} answered the AES handshake without a session key that decrypts to 32 bytes.`);
    }
    const cookie = readSessionCookie(reply.headers['set-cookie'], [SESSION_COOKIE, LEGACY_SESSION_COOKIE]);
    if (cookie.sessionId === undefined || cookie.name === undefined) {
      throw this.#error(ErrorCode.PROTOCOL, `${this.address} answered the AES handshake without a session cookie.`);
    }
    this.#handshakes++;
    return { cipher: new AesSessionCipher(keyAndIv), cookie: sessionCookieHeader(cookie.sessionId, cookie.name), timeoutSeconds: cookie.timeoutSeconds };
  }

  /** login_device on a fresh handshake: the token, or whether to try the next candidate or the same one again. */
  async #login(handshake: Handshake, candidate: LoginCandidate, budget: ExchangeBudget): Promise<{ token: string } | 'refused' | 'session'> {
    const request = JSON.stringify({
      method: LOGIN_METHOD,
      params: loginParams(candidate.account.username, candidate.account.password, candidate.form),
      request_time_milis: Date.now(),
    });
    const answer = await this.#passthrough(handshake.cipher, handshake.cookie, AES_PATH, request, budget, true);
    let code = answer.code;
    let result: unknown;
    if (answer.text !== undefined) {
      const inner = parseReplyText(answer.text, this.address);
      code = typeof inner['error_code'] === 'number' ? inner['error_code'] : Number.NaN;
      result = inner['result'];
    }
    if (code === 0) {
      const token = isObject(result) ? result['token'] : undefined;
      if (typeof token === 'string' && token !== '') return { token };
      throw this.#error(ErrorCode.PROTOCOL, `${this.address} accepted the AES login but sent no token.`);
    }
    const kind = smartErrorClass(code);
    if (kind === 'auth') return 'refused'; // -1501 and the like: start again from the handshake, next candidate
    if (kind === 'session') return 'session';
    throw this.#error(ErrorCode.PROTOCOL, `${this.address} answered the AES login with SMART error ${String(code)}.`);
  }

  /** One securePassthrough call: the outer error code, and the decrypted inner answer when it is 0. */
  async #passthrough(
    cipher: AesSessionCipher,
    cookie: string,
    path: string,
    json: string,
    budget: ExchangeBudget,
    repeatable: boolean,
  ): Promise<PassthroughAnswer> {
    const reply = await this.#post(path, passthroughBody(cipher, json), budget, repeatable, cookie);
    if (reply.status !== 200) throw this.#statusError('request', reply.status);
    const outer = this.#parseOuter(reply.body, 'request');
    const code = outer['error_code'];
    if (typeof code !== 'number') throw this.#error(ErrorCode.PROTOCOL, `${this.address} answered an AES request without an error_code.`);
    if (code !== 0) return { code };
    const response = isObject(outer['result']) ? outer['result']['response'] : undefined;
    const text = typeof response === 'string' ? cipher.decrypt(response) : undefined;
    if (text === undefined) throw this.#error(ErrorCode.PROTOCOL, `${this.address} sent an AES answer that does not decrypt with the session's key.`);
    if (Buffer.byteLength(text, 'utf8') > this.maxReplyBytes) {
      throw this.#error(ErrorCode.TOO_LARGE, `${this.address} sent a reply larger than the maximum of ${this.maxReplyBytes} bytes.`);
    }
    return { code: 0, text };
  }

  #parseOuter(body: Buffer, step: string): Record<string, unknown> {
    try {
      return parseReplyText(decodeReplyText(body, this.address), this.address);
    } catch (cause) {
      throw new KasaError(ErrorCode.PROTOCOL, `${this.address} answered the AES ${step} with something that is not its JSON.${NOT_AES_HINT}`, {
        device: this.address,
        cause,
      });
    }
  }

  /** No abort signal: close() closes the connection, which ends the request running. */
  #post(path: string, body: string, budget: ExchangeBudget, repeatable: boolean, cookie?: string): Promise<HttpReply> {
    return httpPost({
      repeatable,
      host: this.host,
      port: this.port,
      path,
      body: Buffer.from(body, 'utf8'),
      contentType: 'application/json',
      ...(cookie === undefined ? {} : { cookie }),
      connection: this.#connection,
      device: this.address,
      deadline: budget.deadline,
      budgetMs: budget.budgetMs,
      ...(this.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: this.connectTimeoutMs }),
      // The answer comes in base64 inside JSON: a third more than the reply it carries.
      maxReplyBytes: Math.ceil((this.maxReplyBytes * 4) / 3) + 1024,
    });
  }

  #statusError(step: string, status: number, hint = ''): KasaError {
    const reason = http.STATUS_CODES[status];
    return this.#error(
      ErrorCode.PROTOCOL,
      `${this.address} answered the AES ${step} with HTTP ${status}${reason === undefined ? '' : ` (${reason})`}.${hint}`,
    );
  }

  #error(code: ErrorCode, message: string): KasaError {
    return new KasaError(code, message, { device: this.address });
  }
}
