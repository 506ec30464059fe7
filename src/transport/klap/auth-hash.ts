import { createHash } from 'node:crypto';

/**
 * KLAP proves both sides know the same credentials without sending them: each side hashes the
 * credentials ("auth hash") and mixes that with the two random seeds of the handshake.
 * Version 1 is the original firmware's scheme; version 2 is what newer firmware advertises.
 */
export type KlapVersion = 1 | 2;

/** Hash of the concatenated parts. */
export function digest(algorithm: 'md5' | 'sha1' | 'sha256', ...parts: Uint8Array[]): Buffer {
  const hash = createHash(algorithm);
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** v1: MD5(MD5(user) || MD5(pass)), 16 bytes; v2: SHA256(SHA1(user) || SHA1(pass)), 32 bytes. */
export function authHash(version: KlapVersion, username: string, password: string): Buffer {
  return version === 1
    ? digest('md5', digest('md5', utf8(username)), digest('md5', utf8(password)))
    : digest('sha256', digest('sha1', utf8(username)), digest('sha1', utf8(password)));
}

/** What the device returns after the remote seed in its handshake1 reply, if it holds the same credentials. */
export function serverHash(version: KlapVersion, localSeed: Uint8Array, remoteSeed: Uint8Array, auth: Uint8Array): Buffer {
  return version === 1 ? digest('sha256', localSeed, auth) : digest('sha256', localSeed, remoteSeed, auth);
}

/** The body of handshake2: the client's proof that it holds the credentials too. */
export function handshake2Hash(
  version: KlapVersion,
  localSeed: Uint8Array,
  remoteSeed: Uint8Array,
  auth: Uint8Array,
): Buffer {
  return version === 1 ? digest('sha256', remoteSeed, auth) : digest('sha256', remoteSeed, localSeed, auth);
}
