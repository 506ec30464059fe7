/**
 * IPv4 and IPv6 headers: addresses, the transport protocol and its bytes. Fragments are not
 * reassembled (the protocols decoded here send small datagrams); they are reported as such.
 */
export interface IpPacket {
  version: 4 | 6;
  src: string;
  dst: string;
  /** IANA protocol number of the payload (6 TCP, 17 UDP, ...). */
  protocol: number;
  payload: Buffer;
  /** A fragment of a larger datagram: its payload is not a whole transport segment. */
  fragment: boolean;
}

export const IP_PROTOCOL_TCP = 6;
export const IP_PROTOCOL_UDP = 17;

const IPV6_HEADER_BYTES = 40;
const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_DESTINATION_OPTIONS = 60;

export function parseIp(bytes: Buffer): IpPacket | undefined {
  if (bytes.length < 1) return undefined;
  const version = bytes[0]! >> 4;
  if (version === 4) return parseIpv4(bytes);
  if (version === 6) return parseIpv6(bytes);
  return undefined;
}

function parseIpv4(bytes: Buffer): IpPacket | undefined {
  if (bytes.length < 20) return undefined;
  const headerBytes = (bytes[0]! & 0x0f) * 4;
  const totalLength = bytes.readUInt16BE(2);
  if (headerBytes < 20 || bytes.length < headerBytes) return undefined;
  // Total length trims link-layer padding; 0 happens with segmentation offload, use what is there.
  const end = totalLength === 0 ? bytes.length : Math.min(totalLength, bytes.length);
  const flagsAndOffset = bytes.readUInt16BE(6);
  const moreFragments = (flagsAndOffset & 0x2000) !== 0;
  const fragmentOffset = flagsAndOffset & 0x1fff;
  return {
    version: 4,
    src: bytes.subarray(12, 16).join('.'),
    dst: bytes.subarray(16, 20).join('.'),
    protocol: bytes[9]!,
    payload: bytes.subarray(headerBytes, Math.max(end, headerBytes)),
    fragment: moreFragments || fragmentOffset !== 0,
  };
}

function parseIpv6(bytes: Buffer): IpPacket | undefined {
  if (bytes.length < IPV6_HEADER_BYTES) return undefined;
  const payloadLength = bytes.readUInt16BE(4);
  const end = payloadLength === 0 ? bytes.length : Math.min(IPV6_HEADER_BYTES + payloadLength, bytes.length);
  let next = bytes[6]!;
  let offset = IPV6_HEADER_BYTES;
  let fragment = false;
  // Walk the extension headers to the transport header.
  while (next === IPV6_HOP_BY_HOP || next === IPV6_ROUTING || next === IPV6_DESTINATION_OPTIONS || next === IPV6_FRAGMENT) {
    if (offset + 8 > end) return undefined;
    if (next === IPV6_FRAGMENT) {
      const offsetAndFlags = bytes.readUInt16BE(offset + 2);
      fragment = fragment || (offsetAndFlags & 0xfff9) !== 0;
      next = bytes[offset]!;
      offset += 8;
    } else {
      const length = (bytes[offset + 1]! + 1) * 8;
      next = bytes[offset]!;
      offset += length;
    }
  }
  if (offset > end) return undefined;
  return {
    version: 6,
    src: formatIpv6(bytes.subarray(8, 24)),
    dst: formatIpv6(bytes.subarray(24, 40)),
    protocol: next,
    payload: bytes.subarray(offset, end),
    fragment,
  };
}

/** RFC 5952 text form: lower-case hex, the longest run of two or more zero groups as "::". */
export function formatIpv6(address: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(address.readUInt16BE(i));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
