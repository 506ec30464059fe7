import { createCipheriv, createDecipheriv } from 'node:crypto';

/** Bytes of the key and of the IV the device hands out in its handshake (32 in all). */
export const AES_KEY_BYTES = 16;
export const AES_IV_BYTES = 16;

/**
 * The cipher of one securePassthrough session: AES-128-CBC with PKCS#7 padding, one key and the
 * same IV for every message both ways (that is how the devices do it), base64 on the wire.
 */
export class AesSessionCipher {
  readonly #key: Buffer;
  readonly #iv: Buffer;

  /** `keyAndIv`: the 32 bytes of the handshake, key first. */
  constructor(keyAndIv: Uint8Array) {
    if (keyAndIv.length !== AES_KEY_BYTES + AES_IV_BYTES) throw new RangeError('the AES session needs 16 bytes of key and 16 of IV');
    this.#key = Buffer.from(keyAndIv.subarray(0, AES_KEY_BYTES));
    this.#iv = Buffer.from(keyAndIv.subarray(AES_KEY_BYTES));
  }

  encrypt(plain: string): string {
    const cipher = createCipheriv('aes-128-cbc', this.#key, this.#iv);
    return Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]).toString('base64');
  }

  /** The plain text, or undefined when it is not base64 of a well-padded ciphertext under this key. */
  decrypt(base64: string): string | undefined {
    const ciphertext = Buffer.from(base64, 'base64');
    if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) return undefined;
    try {
      const decipher = createDecipheriv('aes-128-cbc', this.#key, this.#iv);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
