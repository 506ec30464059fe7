import { randomBytes } from 'node:crypto';
import { formatAddress } from '../transport';
import { readSessionCookie } from './cookies';
import { httpPost } from './http-post';
import { SEED_BYTES } from './session';

/**
 * What answers a KLAP handshake1 at host:port: 'klap' (HTTP 200, a 48-byte body and a session
 * cookie), 'http' (an HTTP server that is not KLAP: another login, or not a plug), or 'none'
 * (refused, silent). No credentials are needed or sent, nothing is thrown. Uses a connection of its own.
 */
export async function probeKlap(host: string, port: number, timeoutMs: number): Promise<'klap' | 'http' | 'none'> {
  try {
    const reply = await httpPost({
      repeatable: true, // a probe only asks whether anything answers
      host,
      port,
      path: '/app/handshake1',
      body: randomBytes(SEED_BYTES),
      device: formatAddress(host, port),
      deadline: Date.now() + timeoutMs,
      budgetMs: timeoutMs,
      maxReplyBytes: 4096,
    });
    const klap = reply.status === 200 && reply.body.length === SEED_BYTES + 32 && readSessionCookie(reply.headers['set-cookie']).sessionId !== undefined;
    return klap ? 'klap' : 'http';
  } catch {
    return 'none';
  }
}

/** What a KLAP device answers to a plain JSON POST on /app (docs/protocol.md, section 4, KLAP or AES?). */
const KLAP_PLAIN_REQUEST_CODE = 1003;

/**
 * Which HTTP login a device's port speaks, found by asking it: a plain JSON POST to /app, which a
 * KLAP device answers with `{"error_code":1003}` and an AES device (which takes its handshake
 * there) with another JSON answer. 'http' for an HTTP server answering neither way, 'none' when
 * nothing answers. No credentials are sent; never throws.
 */
export async function probeHttpLogin(host: string, port: number, timeoutMs: number): Promise<'klap' | 'aes' | 'http' | 'none'> {
  let reply;
  try {
    reply = await httpPost({
      repeatable: true,
      host,
      port,
      path: '/app',
      body: Buffer.from('{"method":"component_nego"}', 'utf8'),
      contentType: 'application/json',
      device: formatAddress(host, port),
      deadline: Date.now() + timeoutMs,
      budgetMs: timeoutMs,
      maxReplyBytes: 4096,
    });
  } catch {
    return 'none';
  }
  let code: unknown;
  try {
    const parsed: unknown = JSON.parse(reply.body.toString('utf8'));
    code = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['error_code'] : undefined;
  } catch {
    code = undefined;
  }
  if (typeof code !== 'number') return 'http';
  return code === KLAP_PLAIN_REQUEST_CODE ? 'klap' : 'aes';
}
