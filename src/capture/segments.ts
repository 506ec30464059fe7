/** TCP and UDP headers: ports, and for TCP the sequence number, flags and payload. */
export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  /** Sequence number of the first payload byte (or of the SYN). */
  seq: number;
  syn: boolean;
  fin: boolean;
  rst: boolean;
  payload: Buffer;
}

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

const TCP_MIN_HEADER_BYTES = 20;
const UDP_HEADER_BYTES = 8;
const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;

export function parseTcp(bytes: Buffer): TcpSegment | undefined {
  if (bytes.length < TCP_MIN_HEADER_BYTES) return undefined;
  const headerBytes = (bytes[12]! >> 4) * 4;
  if (headerBytes < TCP_MIN_HEADER_BYTES || headerBytes > bytes.length) return undefined;
  const flags = bytes[13]!;
  return {
    srcPort: bytes.readUInt16BE(0),
    dstPort: bytes.readUInt16BE(2),
    seq: bytes.readUInt32BE(4),
    syn: (flags & TCP_SYN) !== 0,
    fin: (flags & TCP_FIN) !== 0,
    rst: (flags & TCP_RST) !== 0,
    payload: bytes.subarray(headerBytes),
  };
}

export function parseUdp(bytes: Buffer): UdpDatagram | undefined {
  if (bytes.length < UDP_HEADER_BYTES) return undefined;
  const length = bytes.readUInt16BE(4);
  // The length field trims padding; 0 (jumbograms, offload) or a larger value keeps what was captured.
  const end = length >= UDP_HEADER_BYTES && length <= bytes.length ? length : bytes.length;
  return { srcPort: bytes.readUInt16BE(0), dstPort: bytes.readUInt16BE(2), payload: bytes.subarray(UDP_HEADER_BYTES, end) };
}
