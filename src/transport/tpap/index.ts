export { TPAP_DEFAULT_PORT, TpapTransport } from './tpap-transport';
export type { TpapTransportOptions } from './tpap-transport';
export { TpapSessionCipher, TPAP_CIPHERS, sessionKeys, nonceFor } from './session-cipher';
export type { TpapCipherName } from './session-cipher';
export { probeTpap } from './probe';
