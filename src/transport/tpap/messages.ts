/**
 * TPAP's login steps as JSON (facts: docs/protocol-tpap.md): every step is a POST of
 * `{"method":"login","params":{"sub_method":...}}` to "/", answered `{error_code, result}`.
 * Readers are lenient (absent or odd fields are undefined); the transport decides what is missing.
 */

export const LOGIN_PATH = '/';
/** The HTTPS port of tls mode 1 when the device names none. */
export const TPAP_HTTPS_PORT = 4433;
/** The only suite spoken: P-256, SHA-256, HMAC-SHA256. */
export const CIPHER_SUITE = 1;

/** Error codes of the login (from the sources; none seen on hardware here). */
export const TPAP_CODES = {
  /** pake_share with a secret the device does not hold; a plain answer on /ds: the session is gone. */
  refusedOrExpired: -2203,
  /** Too many failed logins: the device refuses every login for a while. */
  locked: -2101,
  /** A plain answer on /ds reported for an ended session. */
  sessionInvalid: -2402,
} as const;

/** What `discover` says about the device's TPAP. */
export interface TpapDiscovery {
  mac: string;
  /** 0 plain HTTP, 1 HTTPS with a self-signed certificate, 2 mutual TLS. */
  tls: number;
  /** The port of the login, if named. */
  port: number | undefined;
  /** Device attestation (DAC) asked for. */
  dac: boolean;
  /** Passcode types offered: 0 default (from the MAC), 2 the account, 3 a shared token. */
  pake: number[];
  userHashType: number | undefined;
}

export function loginBody(subMethod: string, params: Record<string, unknown> = {}): string {
  return JSON.stringify({ method: 'login', params: { sub_method: subMethod, ...params } });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function integer(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) ? number : undefined;
}

/** The `tpap` block of a discover result, or undefined when there is none (a device not in TPAP mode). */
export function readDiscovery(result: unknown): TpapDiscovery | undefined {
  if (!isRecord(result) || !isRecord(result['tpap'])) return undefined;
  const tpap = result['tpap'];
  const port = integer(tpap['port']);
  return {
    mac: typeof result['mac'] === 'string' ? result['mac'] : '',
    tls: integer(tpap['tls']) ?? 0,
    port: port !== undefined && port > 0 && port <= 65535 ? port : undefined,
    dac: tpap['dac'] === true || integer(tpap['dac']) === 1,
    pake: Array.isArray(tpap['pake']) ? tpap['pake'].map(integer).filter((n): n is number => n !== undefined) : [],
    userHashType: integer(tpap['user_hash_type']),
  };
}

/** Base64 text as bytes, or undefined for anything else. */
export function base64Bytes(value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || value === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
  return Buffer.from(value, 'base64');
}

/** `integer` for the transport. */
export const integerOf = integer;

/**
 * A step's JSON with its values replaced by their shapes, for traces a user can attach to a bug
 * report: byte strings become "<N bytes>", the session id and any secret "***"; numbers, names and
 * lists of numbers stay (they say which variant the device speaks).
 */
export function shapeOf(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), (key, value: unknown) => {
      if (/^(stok|sessionId|username|password|token|mac)$/i.test(key)) return '***';
      if (typeof value !== 'string' || key === 'method' || key === 'sub_method' || key === 'passcode_type' || key === 'type') return value;
      const bytes = base64Bytes(value);
      if (bytes !== undefined && value.length >= 16) return `<${bytes.length} bytes>`;
      return value.length > 40 ? `<${value.length} characters>` : value;
    });
  } catch {
    return '(not JSON)';
  }
}
