import { formatAddress } from '../transport';
import { httpPost } from '../klap/http-post';
import { LOGIN_PATH, isRecord, loginBody } from './messages';

/**
 * Whether host:port is a device in TPAP mode: its answer to `discover` (POST / , no credentials)
 * carries a "tpap" block. 'http' for an HTTP server answering otherwise, 'none' when nothing
 * answers. Asked first, as a client reported working does: a TPAP device may answer the KLAP and
 * AES probes as a KLAP one would. Never throws; a connection of its own.
 */
export async function probeTpap(host: string, port: number, timeoutMs: number): Promise<'tpap' | 'http' | 'none'> {
  let body: Buffer;
  try {
    const reply = await httpPost({
      repeatable: true,
      host,
      port,
      path: LOGIN_PATH,
      body: Buffer.from(loginBody('discover'), 'utf8'),
      contentType: 'application/json',
      device: formatAddress(host, port),
      deadline: Date.now() + timeoutMs,
      budgetMs: timeoutMs,
      maxReplyBytes: 4096,
    });
    body = reply.body;
  } catch {
    return 'none';
  }
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return isRecord(parsed) && isRecord(parsed['result']) && isRecord(parsed['result']['tpap']) ? 'tpap' : 'http';
  } catch {
    return 'http';
  }
}
