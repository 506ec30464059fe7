import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { ErrorCode, KasaError } from '../util/errors';

/**
 * TDDP's cipher: single DES in ECB mode, data zero-padded to whole blocks.
 * OpenSSL 3 (Node >= 17) no longer offers `des-ecb` without the legacy provider, but triple DES
 * with the key repeated (K||K) is single DES: encrypt K, decrypt K, encrypt K collapses to encrypt K.
 */
export const DES_BLOCK_BYTES = 8;
export const DES_KEY_BYTES = 8;

/** The TDDP key: the first 8 bytes of MD5(username + password). */
export function deriveTddpKey(username: string, password: string): Buffer {
  return createHash('md5').update(username + password, 'utf8').digest().subarray(0, DES_KEY_BYTES);
}

export function desEncrypt(key: Uint8Array, plain: Uint8Array): Buffer {
  return runDes(key, plain, true);
}

export function desDecrypt(key: Uint8Array, cipher: Uint8Array): Buffer {
  return runDes(key, cipher, false);
}

/** Right-pads with 0x00 to a multiple of 8 bytes (TDDP uses no PKCS#5 padding). */
export function zeroPad(data: Uint8Array): Buffer {
  const padded = Buffer.alloc(Math.ceil(data.length / DES_BLOCK_BYTES) * DES_BLOCK_BYTES);
  padded.set(data);
  return padded;
}

/** Drops the trailing 0x00 bytes that zero padding left behind. */
export function stripTrailingNuls(data: Buffer): Buffer {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  return data.subarray(0, end);
}

function runDes(key: Uint8Array, input: Uint8Array, encrypting: boolean): Buffer {
  if (key.length !== DES_KEY_BYTES) {
    throw new KasaError(ErrorCode.BAD_INPUT, `A DES key has ${DES_KEY_BYTES} bytes, not ${key.length}.`);
  }
  if (input.length % DES_BLOCK_BYTES !== 0) {
    throw new KasaError(
      ErrorCode.BAD_INPUT,
      `DES works on whole ${DES_BLOCK_BYTES}-byte blocks; ${input.length} bytes must be padded first.`,
    );
  }
  const doubled = Buffer.concat([key, key]);
  const cipher = encrypting
    ? createCipheriv('des-ede-ecb', doubled, null)
    : createDecipheriv('des-ede-ecb', doubled, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(input), cipher.final()]);
}
