import { KeyObject, constants, generateKeyPair, privateDecrypt } from 'node:crypto';

/** The AES handshake's client key: RSA-1024 (docs/protocol.md, section 5). */
export const HANDSHAKE_RSA_BITS = 1024;
/** Random padding bytes PKCS#1 v1.5 requires at least (RFC 8017, 7.2.1). */
const MIN_PADDING_BYTES = 8;

/** One session's key pair: the public half as the device reads it, the private half in memory only. */
export interface HandshakeKeyPair {
  readonly publicPem: string;
  readonly privateKey: KeyObject;
}

/** A fresh RSA key pair for one handshake. Nothing is written anywhere; the private key stays a KeyObject. */
export async function newHandshakeKeyPair(): Promise<HandshakeKeyPair> {
  return await new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: HANDSHAKE_RSA_BITS }, (err, publicKey, privateKey) => {
      if (err !== null) return reject(err);
      resolve({ publicPem: publicKeyPem(publicKey.export({ type: 'spki', format: 'der' })), privateKey });
    });
  });
}

/**
 * The PEM devices take: the DER SubjectPublicKeyInfo in base64 on one line (not wrapped at 64
 * characters), between the BEGIN and END lines, with a final newline.
 */
export function publicKeyPem(spkiDer: Uint8Array): string {
  return `-----BEGIN PUBLIC KEY-----\n${Buffer.from(spkiDer).toString('base64')}\n-----END PUBLIC KEY-----\n`;
}

/**
 * The message inside a PKCS#1 v1.5 encryption block `00 02 <at least 8 non-zero bytes> 00 <message>`,
 * or undefined when the block does not have that shape.
 */
export function unpadPkcs1v15(block: Uint8Array): Buffer | undefined {
  if (block.length < 3 + MIN_PADDING_BYTES || block[0] !== 0x00 || block[1] !== 0x02) return undefined;
  const separator = block.indexOf(0x00, 2);
  if (separator < 2 + MIN_PADDING_BYTES) return undefined; // none, or padding too short
  return Buffer.from(block.subarray(separator + 1));
}

/**
 * Decrypts what the device encrypted to our public key with PKCS#1 v1.5. Node 20 refuses v1.5
 * private decryption (the CVE-2023-46809 fix), so the raw RSA block is taken and unpadded here;
 * undefined when it does not decrypt to a well-formed block.
 */
export function rsaDecryptPkcs1(privateKey: KeyObject, ciphertext: Uint8Array): Buffer | undefined {
  let block: Buffer;
  try {
    block = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, ciphertext);
  } catch {
    return undefined;
  }
  return unpadPkcs1v15(block);
}
