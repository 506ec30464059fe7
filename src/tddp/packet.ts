import { createHash } from 'node:crypto';
import { ErrorCode, KasaError } from '../util/errors';
import { DES_BLOCK_BYTES, desDecrypt, desEncrypt, zeroPad, stripTrailingNuls } from './des';

/**
 * TDDP packets. Both versions share the first 12 header bytes (big-endian):
 * version, type, code, status, length(4), id(2), subtype, reserved.
 * v2 adds a 16-byte MD5 digest and DES-encrypts the data; v1 sends the data as it is.
 */
export const TDDP_V1 = 0x01;
export const TDDP_V2 = 0x02;
export type TddpVersion = typeof TDDP_V1 | typeof TDDP_V2;

export const V1_HEADER_BYTES = 12;
export const V2_HEADER_BYTES = 28;
/** The largest UDP payload over IPv4 (65,535 minus the IP and UDP headers). */
export const MAX_DATAGRAM_BYTES = 65_507;
const DIGEST_OFFSET = 12;
const DIGEST_BYTES = 16;

export const TddpType = {
  SET_CONFIG: 0x01,
  GET_CONFIG: 0x02,
  SPECIAL_COMMAND: 0x03,
  HEARTBEAT: 0x04,
  /** Newer routers: an encrypted command with a subtype numbering of its own. */
  ENC_COMMAND: 0x07,
} as const;

export const TddpCode = {
  REQUEST: 0x01,
  /** Replies carry 0x02 (one source says 0x00): never required when reading. */
  REPLY: 0x02,
} as const;

export const TDDP_STATUS_OK = 0x00;

export interface TddpSubtype {
  type: number;
  subtype: number;
  name: string;
  description: string;
  devices: string;
  /** Writes identity data (MAC, device or hardware id) into the device: can brick it. */
  destructive: boolean;
}

export const KNOWN_SUBTYPES: readonly TddpSubtype[] = [
  { type: 3, subtype: 0x0a, name: 'hs110-model', description: 'Read the model code (answers "ABCD0110")', devices: 'HS110', destructive: false },
  { type: 3, subtype: 0x12, name: 'hs110-device-id', description: 'Read the device id', devices: 'HS110', destructive: false },
  { type: 3, subtype: 0x14, name: 'hs110-hardware-id', description: 'Read the hardware id', devices: 'HS110', destructive: false },
  { type: 3, subtype: 0x06, name: 'hs110-write-mac', description: 'Write the MAC address', devices: 'HS110', destructive: true },
  { type: 3, subtype: 0x13, name: 'hs110-write-device-id', description: 'Write the device id', devices: 'HS110', destructive: true },
  { type: 3, subtype: 0x15, name: 'hs110-write-hardware-id', description: 'Write the hardware id', devices: 'HS110', destructive: true },
  { type: 3, subtype: 0x0e, name: 'archer-wan-physical-link', description: 'Read the WAN physical link state ("wan_ph_link ...")', devices: 'Archer C9', destructive: false },
  { type: 3, subtype: 0x0f, name: 'archer-wan-logical-link', description: 'Read the WAN logical link state ("wan_logic_link ...")', devices: 'Archer C9', destructive: false },
];

export function findSubtype(type: number, subtype: number): TddpSubtype | undefined {
  return KNOWN_SUBTYPES.find((known) => known.type === type && known.subtype === subtype);
}

export interface TddpHeader {
  version: number;
  type: number;
  code: number;
  status: number;
  /** Bytes of data after the header (padded length in v2). */
  length: number;
  id: number;
  subtype: number;
}

export interface TddpPacketInput {
  version?: TddpVersion;
  type: number;
  code?: number;
  status?: number;
  id: number;
  subtype: number;
  data?: Uint8Array | string;
  /** DES key (see deriveTddpKey); needed for v2 packets that carry data. */
  key?: Uint8Array;
}

/** Builds a packet. Strings are sent as UTF-8. Throws KasaError(BAD_INPUT) on out-of-range fields. */
export function buildTddpPacket(input: TddpPacketInput): Buffer {
  const version = input.version ?? TDDP_V2;
  if (version !== TDDP_V1 && version !== TDDP_V2) {
    throw new KasaError(ErrorCode.BAD_INPUT, `TDDP version must be 1 or 2, not ${String(version)}.`);
  }
  const type = checkField('type', input.type, 0xff);
  const code = checkField('code', input.code ?? TddpCode.REQUEST, 0xff);
  const status = checkField('status', input.status ?? TDDP_STATUS_OK, 0xff);
  const id = checkField('id', input.id, 0xffff);
  const subtype = checkField('subtype', input.subtype, 0xff);
  const data = typeof input.data === 'string' ? Buffer.from(input.data, 'utf8') : Buffer.from(input.data ?? []);
  const headerBytes = version === TDDP_V1 ? V1_HEADER_BYTES : V2_HEADER_BYTES;
  const maxData = MAX_DATAGRAM_BYTES - headerBytes - (version === TDDP_V1 ? 0 : (MAX_DATAGRAM_BYTES - headerBytes) % 8);
  if (data.length > maxData) {
    throw new KasaError(
      ErrorCode.BAD_INPUT,
      `The TDDP data is ${data.length} bytes; one request travels in one UDP datagram, which holds at most ${maxData} bytes of it.`,
    );
  }

  if (version === TDDP_V1) {
    const packet = Buffer.alloc(V1_HEADER_BYTES + data.length);
    writeCommonHeader(packet, { version, type, code, status, length: data.length, id, subtype });
    packet.set(data, V1_HEADER_BYTES);
    return packet;
  }

  const plain = zeroPad(data);
  if (plain.length > 0 && input.key === undefined) {
    throw new KasaError(ErrorCode.BAD_INPUT, 'A TDDP v2 packet with data needs a key to encrypt it.');
  }
  const packet = Buffer.alloc(V2_HEADER_BYTES + plain.length);
  writeCommonHeader(packet, { version, type, code, status, length: plain.length, id, subtype });
  computeDigest(packet, plain).copy(packet, DIGEST_OFFSET);
  if (plain.length > 0) desEncrypt(input.key!, plain).copy(packet, V2_HEADER_BYTES);
  return packet;
}

/** Which data the sender hashed into the digest: the spec says plaintext, the seed client hashed ciphertext. */
export type DigestConvention = 'plaintext' | 'ciphertext';

export interface ParsedTddpPacket {
  header: TddpHeader;
  /** v2: whether the digest matched either convention; null for v1, which has none. */
  digestOk: boolean | null;
  digestConvention: DigestConvention | null;
  /** Plain data with the padding's trailing NULs removed. */
  data: Buffer;
  /** Plain data as decrypted, padding included. */
  paddedData: Buffer;
  /** Data as it was on the wire (encrypted in v2). */
  wireData: Buffer;
}

/**
 * Reads a packet leniently: the code is not checked, bytes beyond the announced length are ignored,
 * the digest is reported, not enforced. Throws only KasaError(PROTOCOL).
 */
export function parseTddpPacket(packet: Uint8Array, key: Uint8Array): ParsedTddpPacket {
  const bytes = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
  if (bytes.length < V1_HEADER_BYTES) {
    throw protocolError(`a TDDP packet has at least ${V1_HEADER_BYTES} header bytes; this one has only ${bytes.length}.`);
  }
  const header = readTddpHeader(bytes);
  if (header.version !== TDDP_V1 && header.version !== TDDP_V2) {
    throw protocolError(`unknown TDDP version 0x${hex2(header.version)} (expected 0x01 or 0x02).`);
  }
  const headerBytes = header.version === TDDP_V1 ? V1_HEADER_BYTES : V2_HEADER_BYTES;
  if (bytes.length < headerBytes) {
    throw protocolError(`a TDDP v2 header has ${V2_HEADER_BYTES} bytes; this packet has only ${bytes.length}.`);
  }
  const available = bytes.length - headerBytes;
  if (header.length > available) {
    throw protocolError(`the TDDP header announces ${header.length} data bytes but only ${available} follow.`);
  }
  const wireData = bytes.subarray(headerBytes, headerBytes + header.length);

  if (header.version === TDDP_V1) {
    return { header, digestOk: null, digestConvention: null, data: stripTrailingNuls(wireData), paddedData: wireData, wireData };
  }
  if (wireData.length % DES_BLOCK_BYTES !== 0) {
    throw protocolError(`TDDP v2 data is ${wireData.length} bytes, not a whole number of ${DES_BLOCK_BYTES}-byte DES blocks.`);
  }
  const paddedData = wireData.length === 0 ? Buffer.alloc(0) : desDecrypt(key, wireData);
  const digest = bytes.subarray(DIGEST_OFFSET, DIGEST_OFFSET + DIGEST_BYTES);
  let digestConvention: DigestConvention | null = null;
  if (computeDigest(bytes, paddedData).equals(digest)) digestConvention = 'plaintext';
  else if (computeDigest(bytes, wireData).equals(digest)) digestConvention = 'ciphertext';
  return {
    header,
    digestOk: digestConvention !== null,
    digestConvention,
    data: stripTrailingNuls(paddedData),
    paddedData,
    wireData,
  };
}

/**
 * Reads just enough of a datagram to route it to the request waiting for it, without a key.
 * Returns undefined for anything that cannot be a TDDP packet.
 */
export function peekTddpPacket(datagram: Uint8Array): { version: number; code: number; id: number } | undefined {
  if (datagram.length < V1_HEADER_BYTES) return undefined;
  const version = datagram[0]!;
  if (version !== TDDP_V1 && version !== TDDP_V2) return undefined;
  return { version, code: datagram[2]!, id: (datagram[8]! << 8) | datagram[9]! };
}

/** MD5 over the first 12 header bytes, 16 zero bytes (the digest field) and the given data. */
function computeDigest(packet: Buffer, data: Buffer): Buffer {
  return createHash('md5')
    .update(packet.subarray(0, DIGEST_OFFSET))
    .update(Buffer.alloc(DIGEST_BYTES))
    .update(data)
    .digest();
}

function writeCommonHeader(packet: Buffer, header: TddpHeader): void {
  packet[0] = header.version;
  packet[1] = header.type;
  packet[2] = header.code;
  packet[3] = header.status;
  packet.writeUInt32BE(header.length, 4);
  packet.writeUInt16BE(header.id, 8);
  packet[10] = header.subtype;
  packet[11] = 0;
}

/** The fields v1 and v2 share, from the first 12 bytes of a packet. */
export function readTddpHeader(packet: Buffer): TddpHeader {
  return {
    version: packet[0]!,
    type: packet[1]!,
    code: packet[2]!,
    status: packet[3]!,
    length: packet.readUInt32BE(4),
    id: packet.readUInt16BE(8),
    subtype: packet[10]!,
  };
}

function checkField(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new KasaError(ErrorCode.BAD_INPUT, `TDDP ${name} must be a whole number from 0 to ${max}, not ${String(value)}.`);
  }
  return value;
}

function protocolError(reason: string): KasaError {
  return new KasaError(ErrorCode.PROTOCOL, `Unreadable TDDP packet: ${reason}`);
}

export function hex2(value: number): string {
  return value.toString(16).padStart(2, '0');
}
