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
  // Copy, then undo the XOR in place: a loop over one buffer runs faster than one reading another.
  const out = Buffer.allocUnsafe(cipher.length);
  out.set(cipher);
  const length = out.length;
  let key = INITIAL_KEY;
  for (let i = 0; i < length; i++) {
    const c = out[i]!;
    out[i] = key ^ c;
    key = c;
  }
  return out;
}

/** Encrypts a JSON text for TCP: length header, then ciphertext. */
export function encodeTcpFrame(json: string): Buffer {
  // Written straight into the frame, then encrypted in place: no intermediate buffer.
  const length = Buffer.byteLength(json, 'utf8');
  const frame = Buffer.allocUnsafe(HEADER_BYTES + length);
  frame.writeUInt32BE(length, 0);
  frame.write(json, HEADER_BYTES, 'utf8');
  let key = INITIAL_KEY;
  for (let i = HEADER_BYTES; i < frame.length; i++) {
    key ^= frame[i]!;
    frame[i] = key;
  }
  return frame;
}

/** Encrypts a JSON text for UDP: ciphertext only. */
export function encodeDatagram(json: string): Buffer {
  return encrypt(Buffer.from(json, 'utf8'));
}
