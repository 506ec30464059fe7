import { timingSafeEqual } from 'node:crypto';
import { KlapVersion, authHash, serverHash } from './auth-hash';

/** Where the credentials that opened a session came from. */
export type KlapCredentialSource = 'user' | 'tapo-default' | 'kasa-default' | 'blank';

/**
 * 'iot': Kasa JSON over KLAP (v1 or v2 hashes). 'smart': the SMART dialect (Tapo), always v2 hashes.
 * 'any': not known yet (the family is found out after the handshake): every candidate of both.
 */
export type KlapFamily = 'iot' | 'smart' | 'any';

/** A plug never bound to a cloud account answers to these (facts: PROTOCOL.md section 3). */
export const KASA_DEFAULT_USERNAME = 'kasa@tp-link.net';
export const KASA_DEFAULT_PASSWORD = 'kasaSetup';
/** SMART (Tapo) devices not bound to an account answer to these (PROTOCOL.md section 5). */
export const TAPO_DEFAULT_USERNAME = 'test@tp-link.net';
export const TAPO_DEFAULT_PASSWORD = 'test';

/** One way to authenticate: a credential source hashed for one KLAP version. Holds no password. */
export interface KlapCandidate {
  readonly source: KlapCredentialSource;
  readonly version: KlapVersion;
  readonly authHash: Buffer;
}

/**
 * The candidates to check a handshake1 reply against, in order: the user's credentials (when given),
 * the Kasa default, then blank; each as v1 and v2. For the SMART family the Tapo default comes
 * before the Kasa one and only v2 hashes are tried, since SMART devices always use v2.
 * Only hashes are kept, never the password.
 */
export function credentialCandidates(username?: string, password?: string, family: KlapFamily = 'iot'): KlapCandidate[] {
  const sources: Array<[KlapCredentialSource, string, string]> = [];
  if (hasUserCredentials(username, password)) sources.push(['user', username ?? '', password ?? '']);
  if (family === 'smart') sources.push(['tapo-default', TAPO_DEFAULT_USERNAME, TAPO_DEFAULT_PASSWORD]);
  sources.push(['kasa-default', KASA_DEFAULT_USERNAME, KASA_DEFAULT_PASSWORD]);
  if (family === 'any') sources.push(['tapo-default', TAPO_DEFAULT_USERNAME, TAPO_DEFAULT_PASSWORD]);
  sources.push(['blank', '', '']);
  // Tapo's default is a SMART account: only ever hashed as v2.
  const versionsOf = (source: KlapCredentialSource): KlapVersion[] => (family === 'smart' || source === 'tapo-default' ? [2] : [1, 2]);
  return sources.flatMap(([source, user, pass]) =>
    versionsOf(source).map((version) => ({ source, version, authHash: authHash(version, user, pass) })),
  );
}

export function hasUserCredentials(username?: string, password?: string): boolean {
  return (username ?? '') !== '' || (password ?? '') !== '';
}

/** The first candidate whose expected server hash equals the one the device sent, if any. */
export function matchCandidate(
  candidates: readonly KlapCandidate[],
  localSeed: Uint8Array,
  remoteSeed: Uint8Array,
  deviceHash: Uint8Array,
): KlapCandidate | undefined {
  return candidates.find((candidate) => {
    const expected = serverHash(candidate.version, localSeed, remoteSeed, candidate.authHash);
    return expected.length === deviceHash.length && timingSafeEqual(expected, deviceHash);
  });
}
