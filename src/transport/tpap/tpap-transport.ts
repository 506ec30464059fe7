import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { ErrorCode, KasaError, commandMayHaveRun } from '../../util/errors';
import { smartErrorClass } from '../../family/smart/errors';
import { DEFAULT_MAX_REPLY_BYTES } from '../frame-reader';
import { decodeReplyText, parseReplyText } from '../../util/json';
import { ExchangeTrace, reportExchange } from '../../util/trace';
import { DEFAULT_SESSION_TIMEOUT_MS } from '../klap/cookies';
import { hasUserCredentials } from '../klap/credentials';
import { HttpConnection } from '../http/http-connection';
import { HttpReply, closeAgent, httpPost } from '../klap/http-post';
import { ExchangeBudget, ExchangeQueue } from '../exchange-queue';
import { Transport, formatAddress } from '../transport';
import {
  CIPHER_SUITE,
  LOGIN_PATH,
  TPAP_CODES,
  TPAP_HTTPS_PORT,
  TpapDiscovery,
  base64Bytes,
  integerOf,
  isRecord,
  loginBody,
  readDiscovery,
  shapeOf,
} from './messages';
import { accountSecret, defaultPasscode, passcodeTypeOf, passwordScalars, registerUsername, tpapFrame } from './passcode';
import { TpapCipherName, TpapSessionCipher, nextTpapSeq, tpapCipherNamed } from './session-cipher';
import { proverKeys, randomScalar, sameConfirmation } from './spake2plus';

export const TPAP_DEFAULT_PORT = 80;
/** The AEADs offered in pake_register: what both sources offer (the others are spoken if a device picks them). */
const OFFERED_CIPHERS: readonly TpapCipherName[] = ['aes_128_ccm'];
/** A device asking for more PBKDF2 rounds than this is refused: 5000 are reported. */
const MAX_ITERATIONS = 100_000;
/** After a device says it locked logins, none is tried for this long (retrying keeps it locked). */
const LOCKED_HOLD_MS = 10 * 60_000;
/**
 * The certificates seen this process, by host:port, so that a redeployed flow (a new transport)
 * still knows the one of the device's earlier sessions. In memory only: nothing is written.
 */
const seenCertificates = new Map<string, string>();

export interface TpapTransportOptions {
  host: string;
  /** The HTTP port the device answers `discover` on; default 80. */
  port?: number;
  /** TP-Link account e-mail and password (the Tapo or Kasa app's login); kept in memory for the login. */
  username?: string;
  password?: string;
  maxReplyBytes?: number;
  /** Longest time one session is used (ms); default 24 h. */
  sessionTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Each login step, with the shapes of request and answer (no secrets): for traces and bug reports. */
  onExchange?: (trace: ExchangeTrace) => void;
  /** Something a person should hear of: the device's certificate changed. */
  onWarning?: (message: string) => void;
  /** The certificate fingerprint of an earlier session (HTTPS devices); default: the one this process saw last there. */
  knownCertificate?: string;
}

/** Where and how the login and the requests go, as discover said. */
interface Endpoint {
  https: boolean;
  port: number;
  address: string;
}

interface OpenSession {
  readonly cipher: TpapSessionCipher;
  readonly endpoint: Endpoint;
  readonly path: string;
  /** The sequence number of the next request. */
  seq: number;
  readonly renewAt: number;
}

/**
 * TPAP, the login of 2025 firmware (facts and what is unverified: docs/protocol-tpap.md):
 * `discover`, then a SPAKE2+ login (`pake_register`, `pake_share`) that proves both ends hold the
 * same secret, then SMART requests sealed with an AEAD under a sequence number, POSTed to
 * /stok=<session>/ds. Over plain HTTP (tls 0) or HTTPS with the device's self-signed certificate
 * (tls 1), whose fingerprint is remembered and a change reported. One session is kept; it is
 * renewed when the device says it ended. One secret per login and no second login after a refusal:
 * devices lock out after a few failed ones.
 */
export class TpapTransport implements Transport {
  readonly kind = 'tpap';
  readonly address: string;
  private readonly host: string;
  private readonly port: number;
  private readonly maxReplyBytes: number;
  private readonly sessionTimeoutMs: number;
  readonly #username: string;
  readonly #password: string;
  readonly #options: TpapTransportOptions;
  #session: OpenSession | undefined;
  /** Set after the device refused the account (until a new transport) or locked logins (for a while). */
  #refusal: { error: KasaError; until: number } | undefined;
  /** The fingerprint given, until the first HTTPS answer; then the one seen last. */
  #certificate: string | undefined;
  readonly #connection = new HttpConnection();
  // Devices show self-signed certificates: accepted for TPAP only, and pinned by fingerprint below.
  readonly #tlsAgent = new https.Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
  readonly #exchanges: ExchangeQueue;
  #closed = false;
  #logins = 0;

  constructor(options: TpapTransportOptions) {
    this.host = options.host;
    this.port = options.port ?? TPAP_DEFAULT_PORT;
    this.address = formatAddress(this.host, this.port);
    this.#exchanges = new ExchangeQueue(this.address);
    this.maxReplyBytes = options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    this.#username = options.username ?? '';
    this.#password = options.password ?? '';
    this.#options = options;
    this.#certificate = options.knownCertificate;
  }

  /** Successful logins so far (one per session). */
  get logins(): number {
    return this.#logins;
  }

  /** The SHA-256 fingerprint of the device's certificate once seen over HTTPS. */
  get certificateFingerprint(): string | undefined {
    return this.#certificate;
  }

  exchange(json: string, timeoutMs: number, repeatable = false): Promise<string> {
    return this.#exchanges.run(timeoutMs, (budget) => this.#exchangeNow(json, budget, repeatable));
  }

  newSession(): void {
    this.#session = undefined;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#session = undefined;
    this.#exchanges.close();
    await Promise.all([this.#connection.close(), closeAgent(this.#tlsAgent)]);
  }

  async #exchangeNow(json: string, budget: ExchangeBudget, repeatable: boolean): Promise<string> {
    if (this.#closed) throw this.#error(ErrorCode.CLOSED, `The connection to ${this.address} was closed.`);
    const plain = Buffer.from(json, 'utf8');
    // A request goes out again at most once for each of two reasons: on a new session after the
    // device said the session is gone (it could not open the request, so it did not run), and on a
    // fresh connection for a read that a broken one left unanswered.
    let relogged = false;
    let resent = false;
    for (;;) {
      const session = await this.#openSession(budget);
      const seq = session.seq;
      session.seq = nextTpapSeq(seq);
      let reply: HttpReply;
      try {
        reply = await this.#post(session.endpoint, session.path, session.cipher.seal(seq, plain), 'application/octet-stream', budget, false);
      } catch (err) {
        if (!(err instanceof KasaError) || err.code !== ErrorCode.RESET) throw err;
        if (repeatable && !resent) {
          resent = true;
          continue;
        }
        throw repeatable ? err : commandMayHaveRun(err, this.address);
      }
      if (reply.status === 401 || reply.status === 403) {
        // Reported for an ended session (unverified for plugs).
        this.#session = undefined;
        if (!relogged) {
          relogged = true;
          continue;
        }
        throw this.#error(ErrorCode.PROTOCOL, `${this.address} refused the request (HTTP ${reply.status}) even right after a new TPAP login.`);
      }
      if (reply.status !== 200) throw this.#statusError('request', reply.status);
      const opened = session.cipher.open(reply.body);
      if (opened !== undefined) {
        // Sources differ on a reply under another sequence number: one accepts it, one does not. Accepted, as by the one reported on hardware.
        return decodeReplyText(opened.plain, this.address);
      }
      const code = plainErrorCode(reply.body);
      this.#session = undefined;
      if (code === undefined) {
        throw this.#error(ErrorCode.PROTOCOL, `${this.address} sent a TPAP reply that does not open with the session's key: it was altered, or the session is out of step.`);
      }
      this.#trace({ sent: `(request ${seq})`, received: JSON.stringify({ error_code: code }), started: Date.now() });
      // An answer in the clear: the device could not take the request under this session (sources
      // report -2203 and -2402 for an expired one), so it did not run: a new login, once.
      if (!relogged) {
        relogged = true;
        continue;
      }
      throw this.#error(ErrorCode.PROTOCOL, `${this.address} answered error ${code} in the clear even right after a new TPAP login.`);
    }
  }

  /** The current session, or a new one (discover, register, share) when there is none or it is old. */
  async #openSession(budget: ExchangeBudget): Promise<OpenSession> {
    const current = this.#session;
    if (current !== undefined && Date.now() < current.renewAt) return current;
    this.#session = undefined;
    const refusal = this.#refusal;
    if (refusal !== undefined && Date.now() < refusal.until) throw refusal.error;
    const startedAt = Date.now();

    const bootstrap: Endpoint = { https: false, port: this.port, address: this.address };
    const discoverResult = await this.#step(bootstrap, 'discover', loginBody('discover'), budget);
    const discovery = readDiscovery(discoverResult);
    if (discovery === undefined) {
      throw this.#error(ErrorCode.PROTOCOL, `${this.address} answers TPAP's discover without a "tpap" block: it is not in TPAP mode. Choose Automatic, or KLAP.`);
    }
    const endpoint = this.#endpointOf(discovery);
    const passcodeType = passcodeTypeOf(discovery.pake);
    if (passcodeType === undefined) {
      throw this.#unsupported(`it offers only passcode types ${JSON.stringify(discovery.pake)} (the account is type 2, the default passcode type 0)`);
    }
    if (passcodeType === 'userpw' && !hasUserCredentials(this.#username, this.#password)) {
      // Nothing sent: a login without the account could only fail and count against the device's limit.
      throw new KasaError(
        ErrorCode.AUTH,
        `${this.address}: it is bound to a TP-Link account and logs in with TPAP: enter that account (the e-mail and password of the Tapo or Kasa app) in the device node.`,
        { device: this.address },
      );
    }

    const userRandom = randomBytes(32);
    const register = await this.#step(
      endpoint,
      'pake_register',
      loginBody('pake_register', {
        username: registerUsername(discovery.userHashType),
        user_random: userRandom.toString('base64'),
        cipher_suites: [CIPHER_SUITE],
        encryption: OFFERED_CIPHERS,
        passcode_type: passcodeType,
      }),
      budget,
    );
    const registered = this.#readRegistration(register);
    const secret =
      passcodeType === 'default_userpw' ? defaultPasscode(discovery.mac) : accountSecret(this.#username, this.#password, registered.extraCrypt, this.address);
    const { w0, w1 } = passwordScalars(secret, registered.salt, registered.iterations);
    const keys = proverKeys(tpapFrame(userRandom, registered.devRandom), w0, w1, randomScalar(), registered.devShare);
    if (keys === undefined) throw this.#error(ErrorCode.PROTOCOL, `${this.address} sent a dev_share that is not a usable P-256 point.`);

    const share = await this.#step(
      endpoint,
      'pake_share',
      loginBody('pake_share', { user_share: keys.shareP.toString('base64'), user_confirm: keys.confirmP.toString('base64') }),
      budget,
    );
    const devConfirm = base64Bytes(share['dev_confirm']);
    if (devConfirm === undefined || !sameConfirmation(devConfirm, keys.confirmV)) {
      // Held like a refused account: should a device answer a wrong secret this way (unverified),
      // trying again on every poll would lock it.
      const error = new KasaError(
        ErrorCode.AUTH,
        `${this.address} answered the TPAP login without proving that it holds the same secret (dev_confirm does not match): ` +
          'check the account in the device node; if it is right, something else may be answering in the device\'s place. No other login is tried until the account is changed.',
        { device: this.address },
      );
      this.#refusal = { error, until: Number.POSITIVE_INFINITY };
      throw error;
    }
    const stok = share['stok'] ?? share['sessionId'];
    const startSeq = integerOf(share['start_seq']);
    if (typeof stok !== 'string' || !/^[\w.~-]{1,256}$/.test(stok) || startSeq === undefined) {
      throw this.#error(ErrorCode.PROTOCOL, `${this.address} ended the TPAP login without a usable session id and start_seq.`);
    }
    this.#logins++;
    this.#refusal = undefined;
    this.#session = {
      cipher: new TpapSessionCipher(registered.cipher, keys.sharedKey),
      endpoint,
      path: `/stok=${stok}/ds`,
      seq: startSeq >>> 0,
      renewAt: startedAt + this.sessionTimeoutMs,
    };
    return this.#session;
  }

  #endpointOf(discovery: TpapDiscovery): Endpoint {
    if (discovery.tls === 1) {
      const port = discovery.port ?? TPAP_HTTPS_PORT;
      return { https: true, port, address: formatAddress(this.host, port) };
    }
    if (discovery.tls !== 0) throw this.#unsupported(`it asks for TLS mode ${discovery.tls} (mutual TLS with TP-Link's certificates, as cameras use)`);
    if (discovery.dac) throw this.#unsupported('it asks for device attestation (DAC)');
    // Plain HTTP: the port discover answered on (the announced one is 80 on the devices reported).
    return { https: false, port: this.port, address: this.address };
  }

  #readRegistration(result: Record<string, unknown>): {
    devRandom: Buffer;
    salt: Buffer;
    devShare: Buffer;
    iterations: number;
    cipher: TpapCipherName;
    extraCrypt: unknown;
  } {
    const devRandom = base64Bytes(result['dev_random']);
    const salt = base64Bytes(result['dev_salt']);
    const devShare = base64Bytes(result['dev_share']);
    const iterations = integerOf(result['iterations']);
    const suite = integerOf(Array.isArray(result['cipher_suites']) ? result['cipher_suites'][0] : result['cipher_suites']);
    const cipher = tpapCipherNamed(result['encryption']);
    if (devRandom === undefined || salt === undefined || devShare === undefined) {
      throw this.#error(ErrorCode.PROTOCOL, `${this.address} answered pake_register without dev_random, dev_salt and dev_share in base64.`);
    }
    if (suite !== undefined && suite !== CIPHER_SUITE) throw this.#unsupported(`it chose cipher suite ${suite} (only suite 1, P-256 with SHA-256, is spoken)`);
    if (iterations === undefined || iterations < 1 || iterations > MAX_ITERATIONS) {
      throw this.#error(ErrorCode.PROTOCOL, `${this.address} asked for ${String(result['iterations'])} PBKDF2 iterations, outside 1 to ${MAX_ITERATIONS}.`);
    }
    if (cipher === undefined) throw this.#unsupported(`it chose the session cipher ${JSON.stringify(String(result['encryption']).slice(0, 40))}`);
    return { devRandom, salt, devShare, iterations, cipher, extraCrypt: result['extra_crypt'] };
  }

  /** One login step: its result, or the error its error_code means. Traced with shapes only. */
  async #step(endpoint: Endpoint, name: string, body: string, budget: ExchangeBudget): Promise<Record<string, unknown>> {
    const started = Date.now();
    let received: string | undefined;
    try {
      const reply = await this.#post(endpoint, LOGIN_PATH, Buffer.from(body, 'utf8'), 'application/json', budget, true);
      if (reply.status !== 200) throw this.#statusError(name, reply.status);
      received = decodeReplyText(reply.body, endpoint.address);
      const answer = parseReplyText(received, endpoint.address);
      const code = answer['error_code'];
      if (code !== 0) throw this.#stepError(name, typeof code === 'number' ? code : Number.NaN, answer['result']);
      this.#trace({ sent: body, received, started });
      return isRecord(answer['result']) ? answer['result'] : {};
    } catch (err) {
      this.#trace({ sent: body, received, started, err });
      throw err;
    }
  }

  #stepError(step: string, code: number, result: unknown): KasaError {
    if (code === TPAP_CODES.locked) {
      const error = new KasaError(
        ErrorCode.AUTH,
        `${this.address} has locked its logins after too many failed ones (error ${code}) and refuses even the right account for a while. ` +
          `Check the e-mail and password of the app account it is bound to; no login is tried from here for ${LOCKED_HOLD_MS / 60_000} minutes, since each try keeps it locked.`,
        { device: this.address, errCode: code },
      );
      this.#refusal = { error, until: Date.now() + LOCKED_HOLD_MS };
      return error;
    }
    if (step === 'pake_share' && (code === TPAP_CODES.refusedOrExpired || smartErrorClass(code) === 'auth' || code === -40401)) {
      const attempts = isRecord(result)
        ? Object.entries(result).filter(([key, value]) => /attempt|remain|fail/i.test(key) && typeof value === 'number')
        : [];
      const counts = attempts.length === 0 ? '' : ` The device says: ${attempts.map(([key, value]) => `${key} ${String(value)}`).join(', ')}.`;
      const error = new KasaError(
        ErrorCode.AUTH,
        `${this.address}: it did not accept the TP-Link account given (TPAP error ${code}): it is bound to another account, or the e-mail or password is mistyped.${counts} ` +
          'Devices lock their logins after a few failures, so no other login is tried until the account is changed in the device node.',
        { device: this.address, errCode: code },
      );
      this.#refusal = { error, until: Number.POSITIVE_INFINITY };
      return error;
    }
    return new KasaError(ErrorCode.PROTOCOL, `${this.address} answered the TPAP ${step} with error ${code}.`, { device: this.address, errCode: code });
  }

  async #post(endpoint: Endpoint, path: string, body: Buffer, contentType: string, budget: ExchangeBudget, repeatable: boolean): Promise<HttpReply> {
    const reply = await httpPost({
      repeatable,
      host: this.host,
      port: endpoint.port,
      path,
      body,
      contentType,
      ...(endpoint.https ? { https: true, agent: this.#tlsAgent } : { connection: this.#connection }),
      device: endpoint.address,
      deadline: budget.deadline,
      budgetMs: budget.budgetMs,
      ...(this.#options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: this.#options.connectTimeoutMs }),
      maxReplyBytes: this.maxReplyBytes + 64,
      signal: budget.signal,
    });
    if (reply.certificateFingerprint !== undefined) this.#checkCertificate(endpoint, reply.certificateFingerprint);
    return reply;
  }

  /** Remembers the device's certificate; a different one later is reported (and then remembered), not refused. */
  #checkCertificate(endpoint: Endpoint, fingerprint: string): void {
    const known = this.#certificate ?? seenCertificates.get(endpoint.address);
    this.#certificate = fingerprint;
    seenCertificates.set(endpoint.address, fingerprint);
    if (known === undefined || known === fingerprint) return;
    // Unverified whether devices renew their certificate (a factory reset is likely to): warned, not refused.
    const message =
      `${endpoint.address} shows a different TLS certificate than before (SHA-256 ${known} before, ${fingerprint} now). ` +
      'A factory reset or a firmware update can do that; otherwise something else may be answering in its place.';
    this.#trace({ sent: '(TLS handshake)', received: message, started: Date.now() });
    try {
      this.#options.onWarning?.(message);
    } catch {
      // A listener that throws must not fail the request.
    }
  }

  /** A trace line of a login step (JSON shown by its shapes) or of a note in words. */
  #trace(step: { sent: string; received: string | undefined; started: number; err?: unknown }): void {
    const shown = (text: string): string => (text.startsWith('{') ? shapeOf(text) : text);
    reportExchange(this.#options.onExchange, {
      device: this.address,
      sent: shown(step.sent),
      received: step.received === undefined ? undefined : shown(step.received),
      err: step.err,
      started: step.started,
    });
  }

  #unsupported(what: string): KasaError {
    return new KasaError(
      ErrorCode.NOT_SUPPORTED,
      `${this.address} speaks a TPAP variant this package does not: ${what}. No login was tried. ` +
        'Turning on "Third-Party Compatibility" in the Tapo or Kasa app may switch it to KLAP; please report the model and firmware.',
      { device: this.address },
    );
  }

  #statusError(step: string, status: number): KasaError {
    const reason = http.STATUS_CODES[status];
    const hint = step === 'discover' ? ' It answers HTTP but not TPAP: its firmware may speak KLAP or AES (choose Automatic).' : '';
    return this.#error(ErrorCode.PROTOCOL, `${this.address} answered the TPAP ${step} with HTTP ${status}${reason === undefined ? '' : ` (${reason})`}.${hint}`);
  }

  #error(code: ErrorCode, message: string): KasaError {
    return new KasaError(code, message, { device: this.address });
  }
}

/** The error_code of a plain JSON answer on /ds, or undefined for a body that is not one. */
function plainErrorCode(body: Buffer): number | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    const code = isRecord(parsed) ? parsed['error_code'] : undefined;
    return typeof code === 'number' && code !== 0 ? code : undefined;
  } catch {
    return undefined;
  }
}
