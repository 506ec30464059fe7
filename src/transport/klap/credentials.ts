import { timingSafeEqual } from 'node:crypto';
import { ErrorCode, KasaError } from '../../util/errors';
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
 * One account to try, in the clear: the AES login sends forms of it, KLAP hashes it. Callers keep
 * it private and never put it in a message.
 */
export interface CredentialSource {
  readonly source: KlapCredentialSource;
  readonly username: string;
  readonly password: string;
}

/**
 * The accounts to try, in order: the user's (when given), then the defaults of the family (SMART:
 * the Tapo default before the Kasa one; 'any': the Kasa default first), then blank.
 */
export function credentialSources(username?: string, password?: string, family: KlapFamily = 'iot'): CredentialSource[] {
  const sources: CredentialSource[] = [];
  if (hasUserCredentials(username, password)) sources.push({ source: 'user', username: username ?? '', password: password ?? '' });
  const tapo: CredentialSource = { source: 'tapo-default', username: TAPO_DEFAULT_USERNAME, password: TAPO_DEFAULT_PASSWORD };
  if (family === 'smart') sources.push(tapo);
  sources.push({ source: 'kasa-default', username: KASA_DEFAULT_USERNAME, password: KASA_DEFAULT_PASSWORD });
  if (family === 'any') sources.push(tapo);
  sources.push({ source: 'blank', username: '', password: '' });
  return sources;
}

/**
 * The candidates to check a handshake1 reply against, in the order of credentialSources, each as
 * v1 and v2. For the SMART family only v2 hashes are tried, since SMART devices always use v2.
 * Only hashes are kept, never the password.
 */
export function credentialCandidates(username?: string, password?: string, family: KlapFamily = 'iot'): KlapCandidate[] {
  // Tapo's default is a SMART account: only ever hashed as v2.
  const versionsOf = (source: KlapCredentialSource): KlapVersion[] => (family === 'smart' || source === 'tapo-default' ? [2] : [1, 2]);
  return credentialSources(username, password, family).flatMap(({ source, username: user, password: pass }) =>
    versionsOf(source).map((version) => ({ source, version, authHash: authHash(version, user, pass) })),
  );
}

/**
 * AUTH for a device that accepted none of the accounts tried. Never quotes the credentials:
 * messages end up in logs and debug panes. The device refused the account given (or none was
 * given): it is bound to another account, or the e-mail or password is mistyped, which is all a
 * client can tell apart.
 */
export function accountRefusedError(device: string, userCredentialsGiven: boolean): KasaError {
  const message = userCredentialsGiven
    ? 'it did not accept the TP-Link account given: it is bound to another account, or the e-mail or password ' +
      'is mistyped. Enter the e-mail and password you sign in to the Kasa or Tapo app with'
    : 'it is bound to a TP-Link account: enter that account (the e-mail and password of the Kasa or Tapo app) in the device node';
  return new KasaError(ErrorCode.AUTH, `${device}: ${message}.`, { device });
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
