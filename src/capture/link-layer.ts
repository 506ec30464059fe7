/**
 * Strips the link-layer header of a captured frame and returns the IP packet inside, or
 * undefined when the frame carries something else (ARP, ...) or a link type not handled here.
 */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  /** DLT_RAW as numbered on some BSDs. */
  RAW_BSD_12: 12,
  RAW_BSD_14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const VLAN_ETHERTYPES = new Set([0x8100, 0x88a8, 0x9100]);
const VLAN_TAG_BYTES = 4;
const ETHERNET_TYPE_OFFSET = 12;
const SLL_HEADER_BYTES = 16;
const SLL2_HEADER_BYTES = 20;
const NULL_HEADER_BYTES = 4;

export function ipPacketOf(linkType: number, frame: Buffer): Buffer | undefined {
  switch (linkType) {
    case LinkType.ETHERNET:
      return fromEthernet(frame);
    case LinkType.LINUX_SLL:
      return byEthertype(frame, 14, SLL_HEADER_BYTES);
    case LinkType.LINUX_SLL2:
      return byEthertype(frame, 0, SLL2_HEADER_BYTES);
    case LinkType.RAW:
    case LinkType.RAW_BSD_12:
    case LinkType.RAW_BSD_14:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return frame;
    case LinkType.NULL:
    case LinkType.LOOP:
      // The 4-byte address family is in the capturing host's byte order (NULL) and its IPv6
      // value differs between systems, so the IP version nibble decides instead.
      return frame.length > NULL_HEADER_BYTES ? frame.subarray(NULL_HEADER_BYTES) : undefined;
    default:
      return undefined;
  }
}

function fromEthernet(frame: Buffer): Buffer | undefined {
  let typeOffset = ETHERNET_TYPE_OFFSET;
  while (frame.length >= typeOffset + 2 && VLAN_ETHERTYPES.has(frame.readUInt16BE(typeOffset))) {
    typeOffset += VLAN_TAG_BYTES;
  }
  // The IP packet starts right after the (last) EtherType.
  return byEthertype(frame, typeOffset, typeOffset + 2);
}

function byEthertype(frame: Buffer, typeOffset: number, headerBytes: number): Buffer | undefined {
  if (frame.length < headerBytes || frame.length < typeOffset + 2) return undefined;
  const ethertype = frame.readUInt16BE(typeOffset);
  if (ethertype !== ETHERTYPE_IPV4 && ethertype !== ETHERTYPE_IPV6) return undefined;
  return frame.subarray(headerBytes);
}
