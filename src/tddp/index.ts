/** TDDP (TP-Link Device Debug Protocol): packets, DES, the shared reply socket and the query client. */
export { DES_BLOCK_BYTES, DES_KEY_BYTES, deriveTddpKey, desDecrypt, desEncrypt, stripTrailingNuls, zeroPad } from './des';
export {
  KNOWN_SUBTYPES,
  TDDP_STATUS_OK,
  TDDP_V1,
  TDDP_V2,
  TddpCode,
  TddpType,
  V1_HEADER_BYTES,
  V2_HEADER_BYTES,
  buildTddpPacket,
  findSubtype,
  parseTddpPacket,
  peekTddpPacket,
  readTddpHeader,
} from './packet';
export type { DigestConvention, ParsedTddpPacket, TddpHeader, TddpPacketInput, TddpSubtype, TddpVersion } from './packet';
export { checkTddpReply, isPlausibleText, suspectCredentials } from './reply-check';
export { DEFAULT_REPLY_PORT, acquireReplySocket, openReplySocketCount } from './reply-socket';
export type { ReplySocket, ReplySocketFamily } from './reply-socket';
export { TDDP_DEFAULT_LOGIN, tddpLoginOf } from './login';
export type { TddpLogin } from './login';
export { DEFAULT_TDDP_PORT, DEFAULT_TDDP_TIMEOUT_MS, queryTddp } from './client';
export type { TddpQueryOptions, TddpReply, TddpReplyHeader } from './client';
