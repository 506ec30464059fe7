import type { AesSessionCipher } from './cipher';

/**
 * The JSON bodies of the AES protocol's HTTP POSTs to /app (docs/protocol.md, section 5), shared by
 * the transport and the simulator so both ends write them the same way.
 */
export const HANDSHAKE_METHOD = 'handshake';
export const PASSTHROUGH_METHOD = 'securePassthrough';
export const LOGIN_METHOD = 'login_device';
export const AES_PATH = '/app';

/** The handshake: the client's public key, PEM. */
export function handshakeBody(publicPem: string): string {
  return JSON.stringify({ method: HANDSHAKE_METHOD, params: { key: publicPem } });
}

/** One SMART request inside the session's encryption. */
export function passthroughBody(cipher: AesSessionCipher, json: string): string {
  return JSON.stringify({ method: PASSTHROUGH_METHOD, params: { request: cipher.encrypt(json) } });
}

/** The path of every request after the login: the token in the query. */
export function tokenPath(token: string): string {
  return `${AES_PATH}?token=${encodeURIComponent(token)}`;
}
