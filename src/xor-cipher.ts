/**
 * The Smart Home protocol's autokey XOR cipher: each ciphertext byte is the key for the next,
 * starting from 171. Over TCP every message is preceded by its byte length (uint32 big-endian).
 */
export const INITIAL_KEY = 171;
export const HEADER_BYTES = 4;

export function encrypt(plain: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(plain.length);
  let key = INITIAL_KEY;
  for (let i = 0; i < plain.length; i++) {
    key ^= plain[i]!;
    out[i] = key;
  }
  return out;
}

export function decrypt(cipher: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(cipher.length);
  let key = INITIAL_KEY;
  for (let i = 0; i < cipher.length; i++) {
    const c = cipher[i]!;
    out[i] = key ^ c;
    key = c;
  }
  return out;
}

/** Encrypts a JSON text for TCP: length header, then ciphertext. */
export function encodeTcpFrame(json: string): Buffer {
  const plain = Buffer.from(json, 'utf8');
  const frame = Buffer.allocUnsafe(HEADER_BYTES + plain.length);
  frame.writeUInt32BE(plain.length, 0);
  let key = INITIAL_KEY;
  for (let i = 0; i < plain.length; i++) {
    key ^= plain[i]!;
    frame[HEADER_BYTES + i] = key;
  }
  return frame;
}

/** Encrypts a JSON text for UDP: ciphertext only. */
export function encodeDatagram(json: string): Buffer {
  return encrypt(Buffer.from(json, 'utf8'));
}
