import { randomBytes } from 'node:crypto';
import { formatAddress } from '../transport';
import { readSessionCookie } from './cookies';
import { httpPost } from './http-post';
import { SEED_BYTES } from './session';

/**
 * Whether something at host:port answers a KLAP handshake1 like a Kasa device: HTTP 200, a
 * 48-byte body and a session cookie. No credentials are needed or sent, and nothing is thrown:
 * any failure (refused, silent, another server) means "no". Uses a connection of its own.
 */
export async function probeKlap(host: string, port: number, timeoutMs: number): Promise<boolean> {
  try {
    const reply = await httpPost({
      repeatable: true, // a probe only asks whether anything answers
      host,
      port,
      path: '/app/handshake1',
      body: randomBytes(SEED_BYTES),
      agent: false,
      device: formatAddress(host, port),
      deadline: Date.now() + timeoutMs,
      budgetMs: timeoutMs,
      maxReplyBytes: 4096,
    });
    return (
      reply.status === 200 &&
      reply.body.length === SEED_BYTES + 32 &&
      readSessionCookie(reply.headers['set-cookie']).sessionId !== undefined
    );
  } catch {
    return false;
  }
}
