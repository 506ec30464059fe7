/** The one cookie a KLAP client sends back; the device names the session with it. */
export const SESSION_COOKIE = 'TP_SESSIONID';
/** What some AES firmware names the session cookie instead of TP_SESSIONID. */
export const LEGACY_SESSION_COOKIE = 'SESSIONID';
/** Sent beside the session cookie: how long (seconds) the device keeps the session. */
export const TIMEOUT_COOKIE = 'TIMEOUT';

/**
 * Reads `name=value` pairs from Set-Cookie or Cookie header values, leniently: devices put
 * `TP_SESSIONID=...;TIMEOUT=86400` in one Set-Cookie value. Names are upper-cased.
 */
export function parseCookiePairs(values: string | string[] | undefined): Map<string, string> {
  const pairs = new Map<string, string>();
  const list = values === undefined ? [] : Array.isArray(values) ? values : [values];
  for (const value of list) {
    for (const part of value.split(';')) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      pairs.set(part.slice(0, eq).trim().toUpperCase(), part.slice(eq + 1).trim());
    }
  }
  return pairs;
}

export interface KlapSessionCookie {
  sessionId?: string;
  /** The cookie's name as the client sends it back (one of the names asked for). */
  name?: string;
  timeoutSeconds?: number;
}

/**
 * The session id and timeout from a handshake reply's Set-Cookie headers: the first of `names`
 * present (KLAP: TP_SESSIONID only; AES: TP_SESSIONID, else SESSIONID).
 */
export function readSessionCookie(setCookie: string | string[] | undefined, names: readonly string[] = [SESSION_COOKIE]): KlapSessionCookie {
  const pairs = parseCookiePairs(setCookie);
  const result: KlapSessionCookie = {};
  for (const name of names) {
    const sessionId = pairs.get(name);
    if (sessionId === undefined || sessionId === '') continue;
    result.sessionId = sessionId;
    result.name = name;
    break;
  }
  const timeout = Number(pairs.get(TIMEOUT_COOKIE));
  if (Number.isFinite(timeout) && timeout > 0) result.timeoutSeconds = timeout;
  return result;
}

/** The Cookie header a client sends: the session id and nothing else. */
export function sessionCookieHeader(sessionId: string, name: string = SESSION_COOKIE): string {
  return `${name}=${sessionId}`;
}

/** What devices announce in their TIMEOUT cookie; also the lifetime assumed when they announce none. */
export const DEFAULT_SESSION_TIMEOUT_MS = 86_400_000;
/** Renew a session this long before it expires, or half its lifetime if that is shorter. */
const MAX_RENEW_MARGIN_MS = 20 * 60_000;

/**
 * When (Date.now()) a session opened at `startedAt` is to be renewed: before the shorter of the
 * client's limit and the device's TIMEOUT, with a margin, so no request meets an expired session.
 */
export function sessionRenewAt(startedAt: number, maxLifetimeMs: number, timeoutSeconds: number | undefined): number {
  const lifetimeMs = Math.min(maxLifetimeMs, (timeoutSeconds ?? Infinity) * 1000);
  return startedAt + lifetimeMs - Math.min(MAX_RENEW_MARGIN_MS, lifetimeMs / 2);
}
