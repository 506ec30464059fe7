import { createHash, hkdfSync, pbkdf2Sync } from 'node:crypto';
import { ErrorCode, KasaError } from '../../util/errors';
import { digest } from '../klap/auth-hash';
import { TranscriptFrame, scalarsOf } from './spake2plus';

/**
 * What TPAP feeds into SPAKE2+ (facts: docs/protocol-tpap.md): which passcode, how it is
 * transformed into the secret, and the transcript's context. Pure functions, no I/O.
 */

/** The passcode types of `pake_register`, by the numbers the device's discover answer lists. */
export type PasscodeType = 'default_userpw' | 'userpw';

/** PBKDF2 output for P-256: two halves of 32 + 8 bytes. */
const DERIVED_BYTES = 80;

function hex(algorithm: 'md5' | 'sha1' | 'sha256', text: string): string {
  return createHash(algorithm).update(text, 'utf8').digest('hex');
}

/** `username` of pake_register: always the user "admin", as MD5 hex, or upper-case SHA-256 hex when `user_hash_type` is 1 (unverified). */
export function registerUsername(userHashType: number | undefined): string {
  return userHashType === 1 ? hex('sha256', 'admin').toUpperCase() : hex('md5', 'admin');
}

/**
 * The passcode type to register with, from the discover answer's `pake` list: the default passcode
 * (0) when offered, as the app is reported to do, else the account (2, or 5 in one source), else none.
 */
export function passcodeTypeOf(pake: readonly number[]): PasscodeType | undefined {
  if (pake.includes(0)) return 'default_userpw';
  if (pake.includes(2) || pake.includes(5)) return 'userpw';
  return undefined;
}

/**
 * The passcode of a device not bound to an account, from its MAC (one source only; unverified):
 * HKDF-SHA256 over a fixed seed and the MAC's halves swapped, as upper-case hex.
 */
export function defaultPasscode(mac: string): string {
  const bytes = Buffer.from(mac.replace(/[:-]/g, ''), 'hex');
  if (bytes.length !== 6) throw new KasaError(ErrorCode.PROTOCOL, `The device's MAC address "${mac}" is not six bytes, so its default TPAP passcode cannot be derived.`);
  const ikm = Buffer.concat([Buffer.from('GqY5o136oa4i6VprTlMW2DpVXxmfW8', 'ascii'), bytes.subarray(3, 6), bytes.subarray(0, 3)]);
  return Buffer.from(hkdfSync('sha256', ikm, 'tp-kdf-salt-default-passcode', 'tp-kdf-info-default-passcode', 32)).toString('hex').toUpperCase();
}

/**
 * The secret for the account (`userpw`), as `pake_register`'s `extra_crypt` asks: none gives
 * "<e-mail>/<password>"; `password_shadow` with `passwd_id` 2 the SHA-1 hex of the password. Any
 * other transform is NOT_SUPPORTED, naming it (never a guess: a wrong secret counts as a failed login).
 */
export function accountSecret(username: string, password: string, extraCrypt: unknown, device: string): string {
  if (extraCrypt === undefined || extraCrypt === null || (isRecord(extraCrypt) && Object.keys(extraCrypt).length === 0)) {
    return username === '' ? password : `${username}/${password}`;
  }
  const type = isRecord(extraCrypt) ? extraCrypt['type'] : undefined;
  const params = isRecord(extraCrypt) && isRecord(extraCrypt['params']) ? extraCrypt['params'] : {};
  if (type === 'password_shadow' && Number(params['passwd_id']) === 2) return hex('sha1', password);
  throw new KasaError(
    ErrorCode.NOT_SUPPORTED,
    `${device} asks for a TPAP password transform this package does not speak (${describeTransform(type, params)}). ` +
      'No login was tried. Please report the device model and firmware, with this message.',
    { device },
  );
}

function describeTransform(type: unknown, params: Record<string, unknown>): string {
  const id = params['passwd_id'];
  return `type ${typeof type === 'string' ? JSON.stringify(type.slice(0, 40)) : 'missing'}${typeof id === 'number' ? `, passwd_id ${id}` : ''}`;
}

/** w0 and w1 from the secret, the device's salt and iteration count: PBKDF2-SHA256, 80 bytes, halves mod n. */
export function passwordScalars(secret: string, salt: Uint8Array, iterations: number): { w0: bigint; w1: bigint } {
  return scalarsOf(pbkdf2Sync(Buffer.from(secret, 'utf8'), salt, iterations, DERIVED_BYTES, 'sha256'));
}

/** TPAP's SPAKE2+ Context: SHA-256("PAKE V1" | user_random | dev_random). */
export function tpapContext(userRandom: Uint8Array, devRandom: Uint8Array): Buffer {
  return digest('sha256', Buffer.from('PAKE V1', 'ascii'), userRandom, devRandom);
}

/**
 * w0 as written into TPAP's transcript, after the client users report working on hardware:
 * its shortest big-endian form, behind a zero byte when that form has an odd length and its top
 * bit set. RFC 9383 (and another client) write 32 bytes always. The two agree unless w0 < 2^247
 * (about 1 account in 512); which one devices use for those is unverified.
 */
export function tpapW0(w0: bigint): Buffer {
  let hexText = w0.toString(16);
  if (hexText.length % 2 === 1) hexText = `0${hexText}`;
  const minimal = Buffer.from(hexText, 'hex');
  if (minimal.length % 2 === 0 || (minimal[0]! & 0x80) === 0) return minimal;
  return Buffer.concat([Buffer.from([0]), minimal]);
}

/** The transcript frame of one TPAP login: its context, no identities, w0 in TPAP's form. */
export function tpapFrame(userRandom: Uint8Array, devRandom: Uint8Array): TranscriptFrame {
  return { context: tpapContext(userRandom, devRandom), idProver: Buffer.alloc(0), idVerifier: Buffer.alloc(0), encodeW0: tpapW0 };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
