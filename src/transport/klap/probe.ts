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
      agent: false,
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
