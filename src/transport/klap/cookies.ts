/** The one cookie a KLAP client sends back; the device names the session with it. */
export const SESSION_COOKIE = 'TP_SESSIONID';
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
  timeoutSeconds?: number;
}

/** The session id and timeout from a handshake1 reply's Set-Cookie headers. */
export function readSessionCookie(setCookie: string | string[] | undefined): KlapSessionCookie {
  const pairs = parseCookiePairs(setCookie);
  const result: KlapSessionCookie = {};
  const sessionId = pairs.get(SESSION_COOKIE);
  if (sessionId !== undefined && sessionId !== '') result.sessionId = sessionId;
  const timeout = Number(pairs.get(TIMEOUT_COOKIE));
  if (Number.isFinite(timeout) && timeout > 0) result.timeoutSeconds = timeout;
  return result;
}

/** The Cookie header a client sends: the session id and nothing else. */
export function sessionCookieHeader(sessionId: string): string {
  return `${SESSION_COOKIE}=${sessionId}`;
}
