import { ErrorCode, KasaError } from '../util/errors';

/**
 * Reads the packet records of a capture file held in memory: classic pcap (either byte order,
 * microsecond or nanosecond timestamps) and pcapng (sections, several interfaces, enhanced,
 * simple and obsolete packet blocks). A file cut short yields the packets before the cut and a warning.
 */
export interface CapturedPacket {
  /** Capture time, nanoseconds since the Unix epoch. */
  timestampNs: bigint;
  /** LINKTYPE_* value of the interface the packet was captured on. */
  linkType: number;
  /** The bytes captured (possibly fewer than were on the wire). */
  data: Buffer;
}

export interface CaptureContents {
  format: 'pcap' | 'pcapng';
  packets: CapturedPacket[];
  /** Problems that did not stop the reading, for a person to read. */
  warnings: string[];
}

const PCAP_MICRO = 0xa1b2c3d4;
const PCAP_NANO = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const PCAP_HEADER_BYTES = 24;
const PCAP_RECORD_HEADER_BYTES = 16;
/** A record or block claiming more than this is corrupt, whatever the file says. */
const MAX_RECORD_BYTES = 256 * 1024 * 1024;

export function readCapture(bytes: Buffer): CaptureContents {
  if (bytes.length < 4) throw unreadable(`it has only ${bytes.length} bytes`);
  const magicBE = bytes.readUInt32BE(0);
  const magicLE = bytes.readUInt32LE(0);
  if (magicBE === PCAPNG_SHB) return readPcapng(bytes);
  for (const [magic, littleEndian] of [
    [magicBE, false],
    [magicLE, true],
  ] as const) {
    if (magic === PCAP_MICRO || magic === PCAP_NANO) return readPcap(bytes, littleEndian, magic === PCAP_NANO);
  }
  throw unreadable(`it is neither pcap nor pcapng (first bytes ${bytes.subarray(0, 4).toString('hex')})`);
}

function readPcap(bytes: Buffer, littleEndian: boolean, nanoseconds: boolean): CaptureContents {
  if (bytes.length < PCAP_HEADER_BYTES) throw unreadable('its pcap file header is cut short');
  const u32 = (offset: number): number => (littleEndian ? bytes.readUInt32LE(offset) : bytes.readUInt32BE(offset));
  // The upper bits of the link-type field may carry FCS information.
  const linkType = u32(20) & 0x0fffffff;
  const fractionNs = nanoseconds ? 1n : 1000n;
  const packets: CapturedPacket[] = [];
  const warnings: string[] = [];
  let offset = PCAP_HEADER_BYTES;
  while (offset < bytes.length) {
    if (offset + PCAP_RECORD_HEADER_BYTES > bytes.length) {
      warnings.push(`The capture is cut short after ${packets.length} packets (partial record header).`);
      break;
    }
    const seconds = BigInt(u32(offset));
    const fraction = BigInt(u32(offset + 4));
    const included = u32(offset + 8);
    const start = offset + PCAP_RECORD_HEADER_BYTES;
    if (included > MAX_RECORD_BYTES || start + included > bytes.length) {
      warnings.push(`The capture is cut short after ${packets.length} packets (record ${packets.length + 1} is incomplete).`);
      break;
    }
    packets.push({ timestampNs: seconds * 1_000_000_000n + fraction * fractionNs, linkType, data: bytes.subarray(start, start + included) });
    offset = start + included;
  }
  return { format: 'pcap', packets, warnings };
}

interface PcapngInterface {
  linkType: number;
  snapLength: number;
  /** Timestamp units per second, as a numerator/denominator of nanoseconds. */
  unitNumerator: bigint;
  unitDenominator: bigint;
  offsetSeconds: bigint;
}

const BLOCK_IDB = 0x00000001;
const BLOCK_OBSOLETE_PACKET = 0x00000002;
const BLOCK_SPB = 0x00000003;
const BLOCK_EPB = 0x00000006;
const OPTION_END = 0;
const OPTION_IF_TSRESOL = 9;
const OPTION_IF_TSOFFSET = 14;

function readPcapng(bytes: Buffer): CaptureContents {
  const packets: CapturedPacket[] = [];
  const warnings: string[] = [];
  let interfaces: PcapngInterface[] = [];
  let littleEndian = true;
  let lastTimestamp = 0n;
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 12 > bytes.length) {
      warnings.push(`The capture is cut short after ${packets.length} packets (partial block header).`);
      break;
    }
    const type = bytes.readUInt32BE(offset) === PCAPNG_SHB ? PCAPNG_SHB : u32(bytes, offset, littleEndian);
    if (type === PCAPNG_SHB) {
      // Each section declares its own byte order and starts a new list of interfaces.
      const magic = bytes.readUInt32LE(offset + 8);
      if (magic === PCAPNG_BYTE_ORDER_MAGIC) littleEndian = true;
      else if (bytes.readUInt32BE(offset + 8) === PCAPNG_BYTE_ORDER_MAGIC) littleEndian = false;
      else throw unreadable(`its pcapng section header at byte ${offset} has no valid byte-order magic`);
      interfaces = [];
    }
    const total = u32(bytes, offset + 4, littleEndian);
    if (total < 12 || total % 4 !== 0 || total > MAX_RECORD_BYTES) {
      if (packets.length === 0 && offset === 0) throw unreadable(`its first pcapng block has an invalid length (${total})`);
      warnings.push(`Stopped at a corrupt pcapng block (length ${total}) after ${packets.length} packets.`);
      break;
    }
    if (offset + total > bytes.length) {
      warnings.push(`The capture is cut short after ${packets.length} packets (incomplete block).`);
      break;
    }
    const body = bytes.subarray(offset + 8, offset + total - 4);
    const read = (at: number): number => u32(body, at, littleEndian);
    try {
      if (type === BLOCK_IDB) {
        interfaces.push(readInterface(body, littleEndian));
      } else if (type === BLOCK_EPB || type === BLOCK_OBSOLETE_PACKET) {
        const obsolete = type === BLOCK_OBSOLETE_PACKET;
        const interfaceId = obsolete ? (littleEndian ? body.readUInt16LE(0) : body.readUInt16BE(0)) : read(0);
        const captured = read(12);
        const iface = interfaces[interfaceId];
        if (iface === undefined) {
          warnings.push(`A packet refers to interface ${interfaceId}, which the section does not describe; skipped.`);
        } else if (20 + captured > body.length) {
          warnings.push(`A packet block claims ${captured} bytes but holds fewer; skipped.`);
        } else {
          const raw = (BigInt(read(4)) << 32n) | BigInt(read(8));
          lastTimestamp = toNanoseconds(raw, iface);
          packets.push({ timestampNs: lastTimestamp, linkType: iface.linkType, data: body.subarray(20, 20 + captured) });
        }
      } else if (type === BLOCK_SPB) {
        // Simple packet blocks have no timestamp and always belong to the first interface.
        const iface = interfaces[0];
        if (iface === undefined) {
          warnings.push('A simple packet block comes before any interface description; skipped.');
        } else {
          const original = read(0);
          let captured = Math.min(original, body.length - 4);
          if (iface.snapLength > 0) captured = Math.min(captured, iface.snapLength);
          packets.push({ timestampNs: lastTimestamp, linkType: iface.linkType, data: body.subarray(4, 4 + captured) });
        }
      }
      // Other blocks (name resolution, statistics, custom, ...) carry no packets.
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      warnings.push(`A pcapng block at byte ${offset} is too short for its type; skipped.`);
    }
    offset += total;
  }
  return { format: 'pcapng', packets, warnings };
}

function readInterface(body: Buffer, littleEndian: boolean): PcapngInterface {
  const iface: PcapngInterface = {
    linkType: littleEndian ? body.readUInt16LE(0) : body.readUInt16BE(0),
    snapLength: u32(body, 4, littleEndian),
    unitNumerator: 1000n, // default resolution: microseconds
    unitDenominator: 1n,
    offsetSeconds: 0n,
  };
  let at = 8;
  while (at + 4 <= body.length) {
    const code = littleEndian ? body.readUInt16LE(at) : body.readUInt16BE(at);
    const length = littleEndian ? body.readUInt16LE(at + 2) : body.readUInt16BE(at + 2);
    if (code === OPTION_END || at + 4 + length > body.length) break;
    const value = body.subarray(at + 4, at + 4 + length);
    if (code === OPTION_IF_TSRESOL && length >= 1) {
      const resolution = value[0]!;
      const exponent = BigInt(resolution & 0x7f);
      // The top bit selects a power of two, otherwise a power of ten, of a second.
      const unitsPerSecond = resolution & 0x80 ? 1n << exponent : 10n ** exponent;
      iface.unitNumerator = 1_000_000_000n;
      iface.unitDenominator = unitsPerSecond;
    } else if (code === OPTION_IF_TSOFFSET && length >= 8) {
      iface.offsetSeconds = littleEndian ? value.readBigInt64LE(0) : value.readBigInt64BE(0);
    }
    at += 4 + Math.ceil(length / 4) * 4;
  }
  return iface;
}

function toNanoseconds(units: bigint, iface: PcapngInterface): bigint {
  return (units * iface.unitNumerator) / iface.unitDenominator + iface.offsetSeconds * 1_000_000_000n;
}

function u32(bytes: Buffer, offset: number, littleEndian: boolean): number {
  return littleEndian ? bytes.readUInt32LE(offset) : bytes.readUInt32BE(offset);
}

function unreadable(reason: string): KasaError {
  return new KasaError(ErrorCode.BAD_INPUT, `The capture cannot be read: ${reason}.`);
}
