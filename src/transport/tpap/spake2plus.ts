import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { digest } from '../klap/auth-hash';

/**
 * SPAKE2+ (RFC 9383) on P-256 with SHA-256, HKDF-SHA256 and HMAC-SHA256: the suite TPAP calls
 * cipher suite 1. Point arithmetic comes from @noble/curves (Node's crypto has none); hashes, HKDF
 * and HMAC from Node. Both roles are here: the client is the prover, the simulated device the verifier.
 */
const Point = p256.Point;
type CurvePoint = InstanceType<typeof Point>;

/** The group order n. */
export const P256_ORDER: bigint = Point.Fn.ORDER;
/** RFC 9383's M and N for P-256 (compressed SEC1), which TPAP uses unchanged. */
export const P256_M_HEX = '02886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f';
export const P256_N_HEX = '03d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49';
const M = Point.fromHex(P256_M_HEX);
const N = Point.fromHex(P256_N_HEX);

/** Everything the transcript binds besides the points: RFC 9383's Context and identities, and how w0 is written. */
export interface TranscriptFrame {
  context: Uint8Array;
  idProver: Uint8Array;
  idVerifier: Uint8Array;
  /** The bytes of w0 in the transcript: RFC 9383 writes 32 (fixed); TPAP sources disagree (see w0Bytes). */
  encodeW0: (w0: bigint) => Uint8Array;
}

/** The keys both ends derive from one transcript. */
export interface Spake2Keys {
  /** SEC1 uncompressed encodings of the shares and of Z and V. */
  shareP: Buffer;
  shareV: Buffer;
  Z: Buffer;
  V: Buffer;
  /** K_main = Hash(TT). */
  mainKey: Buffer;
  confirmKeyP: Buffer;
  confirmKeyV: Buffer;
  sharedKey: Buffer;
  /** HMAC(K_confirmP, shareV): what the prover sends. */
  confirmP: Buffer;
  /** HMAC(K_confirmV, shareP): what the verifier sends. */
  confirmV: Buffer;
}

/** A big-endian byte string as a number. */
export function bigintOf(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

/** A number as `length` big-endian bytes. */
export function fixedBytes(value: bigint, length: number): Buffer {
  const hex = value.toString(16).padStart(length * 2, '0');
  if (hex.length > length * 2) throw new RangeError(`${value} does not fit ${length} bytes`);
  return Buffer.from(hex, 'hex');
}

/** RFC 9383's fixed-length scalar encoding: always the 32 bytes of the group order. */
export function fixedW0(w0: bigint): Buffer {
  return fixedBytes(w0, 32);
}

/** The uncompressed SEC1 encoding of a point (65 bytes). */
function encode(point: CurvePoint): Buffer {
  return Buffer.from(point.toBytes(false));
}

/**
 * A point from SEC1 bytes (compressed or not), refusing anything off the curve and the identity;
 * undefined for bytes that are not such a point.
 */
export function decodePoint(bytes: Uint8Array): CurvePoint | undefined {
  try {
    const point = Point.fromBytes(bytes);
    point.assertValidity();
    return point.is0() ? undefined : point;
  } catch {
    return undefined;
  }
}

/** w0 and w1 from the two halves of a PBKDF2 output (40 bytes each for P-256), each reduced mod n. */
export function scalarsOf(derived: Uint8Array): { w0: bigint; w1: bigint } {
  const half = derived.length / 2;
  return { w0: bigintOf(derived.subarray(0, half)) % P256_ORDER, w1: bigintOf(derived.subarray(half)) % P256_ORDER };
}

/** shareP = x*G + w0*M. */
export function proverShare(w0: bigint, x: bigint): Buffer {
  return encode(Point.BASE.multiply(x).add(M.multiply(w0)));
}

/** shareV = y*G + w0*N. */
export function verifierShare(w0: bigint, y: bigint): Buffer {
  return encode(Point.BASE.multiply(y).add(N.multiply(w0)));
}

/** L = w1*G: what a verifier stores instead of w1. */
export function verifierRecord(w1: bigint): Buffer {
  return encode(Point.BASE.multiply(w1));
}

/**
 * The prover's side once the verifier's share is known: Z = x*(shareV - w0*N), V = w1*(shareV - w0*N),
 * then the key schedule. Undefined when the share is not a usable point (off the curve, or one
 * that cancels the password and makes Z or V the identity).
 */
export function proverKeys(frame: TranscriptFrame, w0: bigint, w1: bigint, x: bigint, shareVBytes: Uint8Array): Spake2Keys | undefined {
  const Y = decodePoint(shareVBytes);
  if (Y === undefined) return undefined;
  const unmasked = Y.subtract(N.multiply(w0));
  if (unmasked.is0()) return undefined;
  const Z = unmasked.multiply(x);
  const V = unmasked.multiply(w1);
  return keySchedule(frame, w0, proverShare(w0, x), encode(Y), encode(Z), encode(V));
}

/**
 * The verifier's side once the prover's share is known: Z = y*(shareP - w0*M), V = y*L. Undefined
 * for a share that is not a usable point.
 */
export function verifierKeys(frame: TranscriptFrame, w0: bigint, L: Uint8Array, y: bigint, sharePBytes: Uint8Array): Spake2Keys | undefined {
  const X = decodePoint(sharePBytes);
  const record = decodePoint(L);
  if (X === undefined || record === undefined) return undefined;
  const unmasked = X.subtract(M.multiply(w0));
  if (unmasked.is0()) return undefined;
  return keySchedule(frame, w0, encode(X), verifierShare(w0, y), encode(unmasked.multiply(y)), encode(record.multiply(y)));
}

/** Each part behind its length as 8 little-endian bytes (RFC 9383's TT). */
export function transcript(parts: readonly Uint8Array[]): Buffer {
  return Buffer.concat(
    parts.flatMap((part) => {
      const length = Buffer.alloc(8);
      length.writeBigUInt64LE(BigInt(part.length));
      return [length, Buffer.from(part)];
    }),
  );
}

function keySchedule(frame: TranscriptFrame, w0: bigint, shareP: Buffer, shareV: Buffer, Z: Buffer, V: Buffer): Spake2Keys {
  const tt = transcript([frame.context, frame.idProver, frame.idVerifier, encode(M), encode(N), shareP, shareV, Z, V, frame.encodeW0(w0)]);
  const mainKey = digest('sha256', tt);
  // HKDF with no salt (RFC 5869: a hash-length string of zeros).
  const confirmKeys = Buffer.from(hkdfSync('sha256', mainKey, Buffer.alloc(0), 'ConfirmationKeys', 64));
  const sharedKey = Buffer.from(hkdfSync('sha256', mainKey, Buffer.alloc(0), 'SharedKey', 32));
  const confirmKeyP = confirmKeys.subarray(0, 32);
  const confirmKeyV = confirmKeys.subarray(32);
  return {
    shareP,
    shareV,
    Z,
    V,
    mainKey,
    confirmKeyP,
    confirmKeyV,
    sharedKey,
    confirmP: hmacSha256(confirmKeyP, shareV),
    confirmV: hmacSha256(confirmKeyV, shareP),
  };
}

function hmacSha256(key: Uint8Array, data: Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** A uniformly random scalar in [1, n-1] for an ephemeral share. */
export function randomScalar(): bigint {
  return Point.Fn.fromBytes(p256.utils.randomSecretKey());
}

/** Constant-time equality of two confirmations. */
export function sameConfirmation(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
