export { authHash, handshake2Hash, serverHash } from './auth-hash';
export type { KlapVersion } from './auth-hash';
export { KASA_DEFAULT_PASSWORD, KASA_DEFAULT_USERNAME, TAPO_DEFAULT_PASSWORD, TAPO_DEFAULT_USERNAME } from './credentials';
export type { KlapCredentialSource, KlapFamily } from './credentials';
export { KlapSession } from './session';
export { KLAP_DEFAULT_PORT, KlapTransport } from './klap-transport';
export type { KlapTransportOptions } from './klap-transport';
export { probeHttpLogin, probeKlap } from './probe';
