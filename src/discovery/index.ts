/**
 * Finding devices: Kasa's discovery on UDP 9999 (xor.ts), TP-Link's discovery protocol on UDP
 * 20002 (tdp.ts), and the search that asks both and merges the answers (merged.ts).
 */
export { DEFAULT_BROADCAST, MAX_DISCOVERY_HOSTS, parseHostEntry } from './targets';
export { DEFAULT_DISCOVERY_ROUNDS, DEFAULT_DISCOVERY_TIMEOUT_MS, DISCOVERY_PORT, discover } from './xor';
export type { DiscoveryOptions, XorDiscoveredDevice } from './xor';
export { askTdp } from './ask';
export { discoverDevices, normaliseMac } from './merged';
export type { DeviceEncryption, DeviceFamily, DeviceSearchOptions, DiscoveredDevice, DiscoveryProtocol } from './merged';
export {
  MAX_TDP_REPLY_BYTES,
  TDP_CRC_MAGIC,
  TDP_HEADER_BYTES,
  TDP_PORT,
  decodeTdpHeader,
  encodeTdpPacket,
  encodeTdpQuery,
  freshTdpKey,
  parseTdpAnswer,
  tdpCrcMatches,
} from './tdp';
export type { TdpAnswer, TdpEncryption, TdpHeader } from './tdp';
