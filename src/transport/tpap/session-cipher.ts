import { CipherCCMTypes, CipherChaCha20Poly1305Types, createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';

/** The AEADs a TPAP session may use, by the names `pake_register` gives them. */
export type TpapCipherName = 'aes_128_ccm' | 'aes_256_ccm' | 'chacha20_poly1305';
export const TPAP_CIPHERS: readonly TpapCipherName[] = ['aes_128_ccm', 'aes_256_ccm', 'chacha20_poly1305'];

export const TAG_BYTES = 16;
export const NONCE_BYTES = 12;
/** Every request and reply body starts with the sequence number, 4 bytes big-endian. */
export const SEQ_BYTES = 4;

interface CipherSpec {
  nodeName: CipherCCMTypes | CipherChaCha20Poly1305Types;
  keyBytes: number;
  /** The word in the HKDF labels: tp-kdf-salt-<label>-key, tp-kdf-info-<label>-iv, ... */
  label: string;
}

const SPECS: Record<TpapCipherName, CipherSpec> = {
  aes_128_ccm: { nodeName: 'aes-128-ccm', keyBytes: 16, label: 'aes128' },
  aes_256_ccm: { nodeName: 'aes-256-ccm', keyBytes: 32, label: 'aes256' },
  chacha20_poly1305: { nodeName: 'chacha20-poly1305', keyBytes: 32, label: 'chacha20' },
};

/** The name as a cipher of ours ("AES-128-CCM" and "aes_128_ccm" alike), or undefined. */
export function tpapCipherNamed(name: unknown): TpapCipherName | undefined {
  if (typeof name !== 'string') return undefined;
  const normal = name.toLowerCase().replace(/-/g, '_');
  return (TPAP_CIPHERS as readonly string[]).includes(normal) ? (normal as TpapCipherName) : undefined;
}

/** The session key and base nonce, by HKDF-SHA256 over the SPAKE2+ shared key with the cipher's own salts and infos. */
export function sessionKeys(cipher: TpapCipherName, sharedKey: Uint8Array): { key: Buffer; baseNonce: Buffer } {
  const { keyBytes, label } = SPECS[cipher];
  const derive = (what: 'key' | 'iv', length: number): Buffer =>
    Buffer.from(hkdfSync('sha256', sharedKey, `tp-kdf-salt-${label}-${what}`, `tp-kdf-info-${label}-${what}`, length));
  return { key: derive('key', keyBytes), baseNonce: derive('iv', NONCE_BYTES) };
}

/** The nonce of one message: the base nonce's first 8 bytes, then the sequence number (u32 big-endian). */
export function nonceFor(baseNonce: Uint8Array, seq: number): Buffer {
  const nonce = Buffer.alloc(NONCE_BYTES);
  Buffer.from(baseNonce).copy(nonce, 0, 0, NONCE_BYTES - SEQ_BYTES);
  nonce.writeUInt32BE(seq >>> 0, NONCE_BYTES - SEQ_BYTES);
  return nonce;
}

/** The next sequence number: an unsigned 32-bit counter, wrapping. */
export function nextTpapSeq(seq: number): number {
  return (seq + 1) >>> 0;
}

/**
 * The AEAD of one TPAP session. A body is u32be(seq) | ciphertext | 16-byte tag; requests and their
 * replies are sealed under the request's sequence number. Pure crypto: the caller counts.
 */
export class TpapSessionCipher {
  readonly key: Buffer;
  readonly baseNonce: Buffer;
  private readonly spec: CipherSpec;

  constructor(
    readonly name: TpapCipherName,
    sharedKey: Uint8Array,
  ) {
    this.spec = SPECS[name];
    ({ key: this.key, baseNonce: this.baseNonce } = sessionKeys(name, sharedKey));
  }

  /** The body of a message under `seq`. */
  seal(seq: number, plain: Uint8Array): Buffer {
    const cipher = createCipheriv(this.spec.nodeName as CipherCCMTypes, this.key, nonceFor(this.baseNonce, seq), { authTagLength: TAG_BYTES });
    const head = Buffer.alloc(SEQ_BYTES);
    head.writeUInt32BE(seq >>> 0);
    // CCM needs the length before the data.
    if (this.spec.nodeName !== 'chacha20-poly1305') cipher.setAAD(Buffer.alloc(0), { plaintextLength: plain.length });
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([head, body, cipher.getAuthTag()]);
  }

  /** The sequence number a body carries, or undefined for one too short to be a message. */
  static seqOf(body: Uint8Array): number | undefined {
    return body.length < SEQ_BYTES + TAG_BYTES ? undefined : Buffer.from(body).readUInt32BE(0);
  }

  /** The plaintext of a body sealed under the sequence number it carries, or undefined when it does not authenticate. */
  open(body: Uint8Array): { seq: number; plain: Buffer } | undefined {
    const seq = TpapSessionCipher.seqOf(body);
    if (seq === undefined) return undefined;
    const data = Buffer.from(body);
    const ciphertext = data.subarray(SEQ_BYTES, data.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv(this.spec.nodeName as CipherCCMTypes, this.key, nonceFor(this.baseNonce, seq), { authTagLength: TAG_BYTES });
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      if (this.spec.nodeName !== 'chacha20-poly1305') decipher.setAAD(Buffer.alloc(0), { plaintextLength: ciphertext.length });
      return { seq, plain: Buffer.concat([decipher.update(ciphertext), decipher.final()]) };
    } catch {
      return undefined;
    }
  }
}
