export { AES_DEFAULT_PORT, AesTransport } from './aes-transport';
export type { AesTransportOptions } from './aes-transport';
export { AesSessionCipher } from './cipher';
export { PASSWORD_FORMS, loginParams, passwordForms } from './login';
export type { AesPasswordForm } from './login';
export { newHandshakeKeyPair, publicKeyPem, rsaDecryptPkcs1, unpadPkcs1v15 } from './rsa';
