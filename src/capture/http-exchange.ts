import { isObject } from '../util/json';

/**
 * KLAP and AES speak HTTP on port 80: this cuts one direction of such a TCP stream into HTTP
 * messages and names each step. Their bodies are encrypted with keys made per session, which no
 * capture shows, so the steps are labelled, not decrypted.
 */
export const DEFAULT_HTTP_PORT = 80;
export const ENCRYPTED_NOTE = 'encrypted per session: cannot be decoded without the session keys';

/** Larger heads or bodies than this are not KLAP or AES; the stream is given up on. */
const MAX_HEAD_BYTES = 16 * 1024;
const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpMessage {
  /** Request: method and path; reply: status. */
  method?: string;
  path?: string;
  status?: number;
  body: Buffer;
}

/** Cuts a byte stream into HTTP/1.1 messages (Content-Length bodies; devices send no chunked ones). */
export class HttpStreamReader {
  private pending = Buffer.alloc(0);
  lost = false;

  push(bytes: Buffer): HttpMessage[] {
    if (this.lost) return [];
    this.pending = Buffer.concat([this.pending, bytes]);
    const messages: HttpMessage[] = [];
    for (;;) {
      const end = this.pending.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.pending.length > MAX_HEAD_BYTES) this.lost = true;
        break;
      }
      const head = this.pending.subarray(0, end).toString('latin1').split('\r\n');
      const length = Number(/^content-length:\s*(\d+)\s*$/im.exec(head.join('\n'))?.[1] ?? '0');
      if (length > MAX_BODY_BYTES) {
        this.lost = true;
        break;
      }
      if (this.pending.length < end + 4 + length) break;
      const body = Buffer.from(this.pending.subarray(end + 4, end + 4 + length));
      this.pending = this.pending.subarray(end + 4 + length);
      const start = head[0] ?? '';
      const reply = /^HTTP\/\d\.\d\s+(\d{3})/.exec(start);
      const request = /^([A-Z]+)\s+(\S+)\s+HTTP\/\d\.\d/.exec(start);
      if (reply !== null) messages.push({ status: Number(reply[1]), body });
      else if (request !== null) messages.push({ method: request[1]!, path: request[2]!, body });
      else {
        this.lost = true;
        break;
      }
    }
    return messages;
  }

  get pendingBytes(): number {
    return this.pending.length;
  }
}

export interface HttpLabel {
  protocol: 'klap' | 'aes' | 'http';
  /** handshake1, handshake2, request (KLAP); handshake, login_device, securePassthrough, ... (AES). */
  step: string;
  /** KLAP: the request's sequence number. */
  seq?: number;
}

/** What a request is, by its path (KLAP) or its JSON method (AES). */
export function labelRequest(message: HttpMessage): HttpLabel {
  const [pathname = '', query = ''] = (message.path ?? '').split('?');
  if (pathname === '/app/handshake1') return { protocol: 'klap', step: 'handshake1' };
  if (pathname === '/app/handshake2') return { protocol: 'klap', step: 'handshake2' };
  if (pathname === '/app/request') {
    const seq = /(?:^|&)seq=(-?\d+)/.exec(query)?.[1];
    return { protocol: 'klap', step: 'request', ...(seq === undefined ? {} : { seq: Number(seq) }) };
  }
  const json = jsonOf(message.body);
  if (pathname === '/app' && isObject(json) && typeof json['method'] === 'string') return { protocol: 'aes', step: json['method'] };
  return { protocol: 'http', step: `${message.method ?? '?'} ${pathname}` };
}

/** The body as a JSON object, or undefined. */
export function jsonOf(body: Buffer): unknown {
  if (body.length === 0 || body[0] !== 0x7b) return undefined;
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What can be said of a body without the session: KLAP's handshake bodies are seeds and hashes
 * (shown in hex), its requests ciphertext with a signature; AES's are JSON around base64 ciphertext
 * (the handshake's RSA public key and encrypted session key, securePassthrough's request/response).
 */
export function describeBody(label: HttpLabel, body: Buffer, direction: 'request' | 'reply'): { payload: unknown; note?: string; bodyHex?: string } {
  if (label.protocol === 'klap') {
    if (label.step === 'handshake1') {
      return direction === 'request'
        ? { payload: null, bodyHex: body.toString('hex'), note: 'KLAP handshake1: the client seed (16 bytes)' }
        : { payload: null, bodyHex: body.toString('hex'), note: 'KLAP handshake1: the device seed (16 bytes) and the hash proving its account (32)' };
    }
    if (label.step === 'handshake2') {
      return direction === 'request'
        ? { payload: null, bodyHex: body.toString('hex'), note: 'KLAP handshake2: the client proves the account (32-byte hash)' }
        : { payload: null, note: 'KLAP handshake2: the device accepts (200) or refuses the proof' };
    }
    return { payload: null, note: `KLAP ${direction}: a 32-byte signature, then AES ciphertext (${Math.max(0, body.length - 32)} bytes), ${ENCRYPTED_NOTE}` };
  }
  const json = jsonOf(body);
  if (label.protocol === 'aes') {
    const note =
      label.step === 'handshake'
        ? direction === 'request'
          ? "AES handshake: the client's RSA public key"
          : 'AES handshake: the session key and IV, RSA-encrypted to the client'
        : label.step === 'securePassthrough'
          ? `AES securePassthrough: the SMART request or reply (a login_device or any other) is inside, ${ENCRYPTED_NOTE}`
          : `AES ${label.step}`;
    return { payload: json ?? null, note };
  }
  return { payload: json ?? (body.length === 0 ? null : body.toString('utf8')) };
}
