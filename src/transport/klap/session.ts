import { createCipheriv, createDecipheriv, timingSafeEqual } from 'node:crypto';
import { ErrorCode, KasaError } from '../../util/errors';
import { digest } from './auth-hash';

export const SEED_BYTES = 16;
/** Every encrypted body starts with a SHA-256 signature. */
export const SIGNATURE_BYTES = 32;

function int32be(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeInt32BE(value, 0);
  return out;
}

/** The sequence number after `seq`: a signed 32-bit counter, wrapping rather than overflowing. */
export function nextSeq(seq: number): number {
  return (seq + 1) | 0;
}

/**
 * The keys of one KLAP session, derived from both seeds and the auth hash. Both ends derive the
 * same keys; the sequence number in each message keeps IVs unique and ties the signature to it.
 * Pure crypto: who counts the sequence is up to the caller.
 */
export class KlapSession {
  /** AES-128 key. */
  readonly key: Buffer;
  /** First 12 bytes of every IV; the last 4 are the sequence number. */
  readonly ivPrefix: Buffer;
  /** Prefix of the signature hash. */
  readonly signatureKey: Buffer;
  /** The sequence number before the first request; the first request uses initialSeq + 1. */
  readonly initialSeq: number;

  constructor(localSeed: Uint8Array, remoteSeed: Uint8Array, auth: Uint8Array) {
    const derive = (label: string): Buffer => digest('sha256', Buffer.from(label, 'ascii'), localSeed, remoteSeed, auth);
    this.key = derive('lsk').subarray(0, 16);
    const ivFull = derive('iv');
    this.ivPrefix = ivFull.subarray(0, 12);
    this.initialSeq = ivFull.readInt32BE(28);
    this.signatureKey = derive('ldk').subarray(0, 28);
  }

  /** SHA256(signatureKey || int32be(seq) || ciphertext). */
  signature(seq: number, ciphertext: Uint8Array): Buffer {
    return digest('sha256', this.signatureKey, int32be(seq), ciphertext);
  }

  /** Encrypts and signs a message: signature(32) || AES-128-CBC(PKCS7(plain)). */
  seal(seq: number, plain: Uint8Array): Buffer {
    const cipher = createCipheriv('aes-128-cbc', this.key, this.iv(seq));
    const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([this.signature(seq, ciphertext), ciphertext]);
  }

  /** Checks the signature of a sealed message and decrypts it; throws KasaError(PROTOCOL) if either fails. */
  open(seq: number, body: Uint8Array, device: string): Buffer {
    const ciphertext = body.subarray(SIGNATURE_BYTES);
    if (body.length < SIGNATURE_BYTES + 16 || ciphertext.length % 16 !== 0) {
      throw new KasaError(
        ErrorCode.PROTOCOL,
        `${device} sent an encrypted message of ${body.length} bytes, which cannot be a KLAP message.`,
        { device },
      );
    }
    const expected = this.signature(seq, ciphertext);
    if (!timingSafeEqual(expected, body.subarray(0, SIGNATURE_BYTES))) {
      throw new KasaError(
        ErrorCode.PROTOCOL,
        `${device} sent a message whose signature does not match: it was altered, or the session is out of step.`,
        { device },
      );
    }
    try {
      const decipher = createDecipheriv('aes-128-cbc', this.key, this.iv(seq));
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch (cause) {
      throw new KasaError(ErrorCode.PROTOCOL, `${device} sent a message that does not decrypt.`, { device, cause });
    }
  }

  private iv(seq: number): Buffer {
    return Buffer.concat([this.ivPrefix, int32be(seq)]);
  }
}
