import { generateKeyPair, randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';

/**
 * TP-Link's discovery protocol (TDP, UDP 20002): a 16-byte header with a CRC, then JSON. SMART
 * devices (Tapo) and Kasa devices with 2024+ firmware answer it with what they are and how to
 * talk to them. Facts: docs/protocol.md, section 6 (TDP discovery).
 */
export const TDP_PORT = 20002;
export const TDP_HEADER_BYTES = 16;
/** Written into the CRC field while the CRC is computed. */
export const TDP_CRC_MAGIC = 0x5a6b7c8d;
export const TDP_VERSION = 2;
export const TDP_OP_DISCOVERY = 1;
export const TDP_QUERY_FLAGS = 0x11;
/** Replies seen are about 1 KiB; anything much larger is not a device's answer. */
export const MAX_TDP_REPLY_BYTES = 16 * 1024;
/** Longest text kept from one reply field: ids, MACs and models are short. */
const MAX_FIELD_CHARS = 128;

export type TdpEncryption = 'klap' | 'aes' | 'tpap';

export interface TdpHeader {
  version: number;
  msgType: number;
  opCode: number;
  msgSize: number;
  flags: number;
  serial: number;
  crc: number;
}

/** A device's answer, read leniently: absent fields are empty, odd ones are dropped. */
export interface TdpAnswer {
  /** "SMART.TAPOPLUG", "IOT.SMARTPLUGSWITCH", ... */
  deviceType: string;
  /** "P110(UK)" */
  model: string;
  deviceId: string;
  /** The address the device says it has (the datagram's sender is what counts). */
  ip: string;
  mac: string;
  /** Who the device is bound to (a hash of the account); empty when unbound. */
  owner: string;
  factoryDefault: boolean;
  /** Absent when the device gave no scheme: older firmware. */
  encryption: TdpEncryption | undefined;
  httpPort: number;
  https: boolean;
  /** `lv`: login version (AES: 2 sends the hashed password). */
  loginVersion: number | undefined;
}

function crc32(data: Buffer): number {
  return zlib.crc32(data) >>> 0;
}

/** A whole packet: header (with its CRC) and payload. */
export function encodeTdpPacket(payload: Buffer, options: { serial: number; flags?: number; msgType?: number; opCode?: number }): Buffer {
  if (payload.length > 0xffff) throw new RangeError('A TDP payload has at most 65535 bytes.');
  const packet = Buffer.alloc(TDP_HEADER_BYTES + payload.length);
  packet.writeUInt8(TDP_VERSION, 0);
  packet.writeUInt8(options.msgType ?? 0, 1);
  packet.writeUInt16BE(options.opCode ?? TDP_OP_DISCOVERY, 2);
  packet.writeUInt16BE(payload.length, 4);
  packet.writeUInt8(options.flags ?? TDP_QUERY_FLAGS, 6);
  packet.writeUInt8(0, 7);
  packet.writeUInt32BE(options.serial >>> 0, 8);
  packet.writeUInt32BE(TDP_CRC_MAGIC, 12);
  payload.copy(packet, TDP_HEADER_BYTES);
  packet.writeUInt32BE(crc32(packet), 12);
  return packet;
}

/** The header's fields, or null when there are fewer than 16 bytes. */
export function decodeTdpHeader(packet: Buffer): TdpHeader | null {
  if (packet.length < TDP_HEADER_BYTES) return null;
  return {
    version: packet.readUInt8(0),
    msgType: packet.readUInt8(1),
    opCode: packet.readUInt16BE(2),
    msgSize: packet.readUInt16BE(4),
    flags: packet.readUInt8(6),
    serial: packet.readUInt32BE(8),
    crc: packet.readUInt32BE(12),
  };
}

/** Whether the CRC field matches the packet (with the magic in its place, as it was computed). */
export function tdpCrcMatches(packet: Buffer): boolean {
  if (packet.length < TDP_HEADER_BYTES) return false;
  const copy = Buffer.from(packet);
  copy.writeUInt32BE(TDP_CRC_MAGIC, 12);
  return crc32(copy) === packet.readUInt32BE(12);
}

/** The discovery query: the key is where a device would encrypt its `encrypt_info` to. */
export function encodeTdpQuery(publicKeyPem: string, serial: number = randomBytes(4).readUInt32BE(0)): Buffer {
  return encodeTdpPacket(Buffer.from(JSON.stringify({ params: { rsa_key: publicKeyPem } }), 'utf8'), { serial });
}

/**
 * A fresh RSA-2048 public key in PEM for one search. The private half is dropped at once:
 * nothing here reads `encrypt_info`, and nothing is written anywhere.
 */
export async function freshTdpKey(): Promise<string> {
  return await new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }, (err, publicKey) =>
      err ? reject(err) : resolve(publicKey),
    );
  });
}

/**
 * A reply's JSON (from byte 16, as known clients read it; the reply header is not checked), or
 * null for anything that is not a device's answer. Never throws.
 */
export function parseTdpAnswer(packet: Buffer): TdpAnswer | null {
  try {
    if (!Buffer.isBuffer(packet) || packet.length <= TDP_HEADER_BYTES || packet.length > MAX_TDP_REPLY_BYTES) return null;
    const body: unknown = JSON.parse(packet.subarray(TDP_HEADER_BYTES).toString('utf8'));
    if (!isRecord(body)) return null;
    if (body['error_code'] !== undefined && body['error_code'] !== 0) return null;
    const result = body['result'];
    if (!isRecord(result)) return null;
    const scheme = isRecord(result['mgt_encrypt_schm']) ? result['mgt_encrypt_schm'] : {};
    const encryption = encryptionOf(scheme['encrypt_type']);
    if (encryption === null) return null; // a scheme we cannot name: nothing to tell the user how to reach it
    const https = scheme['is_support_https'] === true;
    const answer: TdpAnswer = {
      deviceType: text(result['device_type']),
      model: text(result['device_model']),
      deviceId: text(result['device_id']),
      ip: text(result['ip']),
      mac: text(result['mac']),
      owner: text(result['owner']),
      factoryDefault: result['factory_default'] === true,
      encryption,
      httpPort: portOf(scheme['http_port']) ?? (https ? 4433 : 80),
      https,
      loginVersion: typeof scheme['lv'] === 'number' && Number.isInteger(scheme['lv']) && scheme['lv'] >= 0 && scheme['lv'] < 100 ? scheme['lv'] : undefined,
    };
    // An answer that names no device (an echo of our query, an empty result) identifies nothing.
    if (answer.deviceId === '' && answer.mac === '' && answer.model === '') return null;
    return answer;
  } catch {
    return null;
  }
}

function encryptionOf(value: unknown): TdpEncryption | undefined | null {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return null;
  switch (value.toUpperCase()) {
    case 'KLAP':
      return 'klap';
    case 'AES':
      return 'aes';
    case 'TPAP':
      return 'tpap';
    default:
      return null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short printable string, or '' for anything else. */
function text(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_FIELD_CHARS) return '';
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(value) ? '' : value;
}

function portOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535 ? value : undefined;
}
