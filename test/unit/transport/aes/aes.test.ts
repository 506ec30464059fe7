import assert from 'node:assert/strict';
import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { AesSessionCipher } from '../../../../src/transport/aes/cipher';
import { loginParams, passwordForms } from '../../../../src/transport/aes/login';
import { newHandshakeKeyPair, publicKeyPem, rsaDecryptPkcs1, unpadPkcs1v15 } from '../../../../src/transport/aes/rsa';
import { credentialSources } from '../../../../src/transport/klap/credentials';

/** A PKCS#1 v1.5 encryption block of `size` bytes around `message`, with the given padding. */
function block(message: Buffer, size = 128, edit?: (bytes: Buffer) => void): Buffer {
  const padding = Buffer.alloc(size - 3 - message.length, 0xaa);
  const bytes = Buffer.concat([Buffer.from([0x00, 0x02]), padding, Buffer.from([0x00]), message]);
  edit?.(bytes);
  return bytes;
}

void describe('AES login encoding: the section 5 vectors for user@example.com / secret', () => {
  void it('encodes username and password for the first form', () => {
    assert.deepEqual(loginParams('user@example.com', 'secret', 'password'), {
      username: 'NjNhNzEwNTY5MjYxYTI0YjM3NjYyNzViNzAwMGNlOGQ3YjMyZTJmNw==',
      password: 'c2VjcmV0',
    });
  });

  void it('encodes password2 for login version 2, instead of password', () => {
    assert.deepEqual(loginParams('user@example.com', 'secret', 'password2'), {
      username: 'NjNhNzEwNTY5MjYxYTI0YjM3NjYyNzViNzAwMGNlOGQ3YjMyZTJmNw==',
      password2: 'ZTVlOWZhMWJhMzFlY2QxYWU4NGY3NWNhYWE0NzRmM2E2NjNmMDVmNA==',
    });
  });

  void it('tries password first, password2 first only for a known login version 2', () => {
    assert.deepEqual(passwordForms(), ['password', 'password2']);
    assert.deepEqual(passwordForms(1), ['password', 'password2']);
    assert.deepEqual(passwordForms(2), ['password2', 'password']);
  });

  void it('takes the accounts of the SMART family in order: user, Tapo default, Kasa default, blank', () => {
    assert.deepEqual(
      credentialSources('me@example.com', 'pw', 'smart').map((s) => [s.source, s.username]),
      [
        ['user', 'me@example.com'],
        ['tapo-default', 'test@tp-link.net'],
        ['kasa-default', 'kasa@tp-link.net'],
        ['blank', ''],
      ],
    );
    assert.deepEqual(credentialSources(undefined, undefined, 'smart').map((s) => s.source), ['tapo-default', 'kasa-default', 'blank']);
  });
});

void describe('PKCS#1 v1.5 unpadding', () => {
  const message = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');

  void it('returns the message of a well-formed block', () => {
    assert.deepEqual(unpadPkcs1v15(block(message)), message);
    // An empty message is well-formed too.
    assert.deepEqual(unpadPkcs1v15(block(Buffer.alloc(0), 16)), Buffer.alloc(0));
  });

  void it('refuses malformed shapes', () => {
    assert.equal(unpadPkcs1v15(block(message, 128, (b) => (b[0] = 0x01))), undefined, 'first byte not 00');
    assert.equal(unpadPkcs1v15(block(message, 128, (b) => (b[1] = 0x01))), undefined, 'block type 01 (signatures), not 02');
    assert.equal(unpadPkcs1v15(block(message, 128, (b) => (b[5] = 0x00))), undefined, 'padding shorter than 8 bytes');
    assert.equal(unpadPkcs1v15(Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(126, 0xaa)])), undefined, 'no 00 separator');
    assert.equal(unpadPkcs1v15(Buffer.from([0, 2, 1, 1, 1, 1, 1, 1, 1, 0])), undefined, 'too short');
    assert.equal(unpadPkcs1v15(Buffer.alloc(0)), undefined, 'empty');
    // Exactly 8 padding bytes is the least allowed; seven, in a block long enough, is refused.
    assert.deepEqual(unpadPkcs1v15(Buffer.from([0, 2, 9, 9, 9, 9, 9, 9, 9, 9, 0, 0x41])), Buffer.from('A'));
    assert.equal(unpadPkcs1v15(Buffer.from([0, 2, 9, 9, 9, 9, 9, 9, 9, 0, 0x41, 0x42])), undefined, 'seven padding bytes');
    for (let padding = 0; padding < 8; padding++) {
      const shortPadding = Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(padding, 0x5a), Buffer.from([0]), Buffer.alloc(32, 0x41)]);
      assert.equal(unpadPkcs1v15(shortPadding), undefined, `${padding} padding bytes`);
      assert.equal(unpadPkcs1v15(block(Buffer.alloc(32, 0x41), 128, (b) => (b[2 + padding] = 0x00))), undefined, `a 00 after ${padding} padding bytes`);
    }
  });

  void it('decrypts what a device encrypts with PKCS#1 v1.5 to a fresh handshake key', async () => {
    const keys = await newHandshakeKeyPair();
    const keyAndIv = randomBytes(32);
    const sealed = publicEncrypt({ key: createPublicKey(keys.publicPem), padding: constants.RSA_PKCS1_PADDING }, keyAndIv);
    assert.deepEqual(rsaDecryptPkcs1(keys.privateKey, sealed), keyAndIv);
    assert.equal(rsaDecryptPkcs1(keys.privateKey, Buffer.alloc(5)), undefined, 'a ciphertext of the wrong length');
  });
});

void describe('the handshake key PEM', () => {
  void it('is an RSA-1024 SPKI in base64 on one line between the BEGIN and END lines', async () => {
    const { publicPem } = await newHandshakeKeyPair();
    assert.match(publicPem, /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/]+=*\n-----END PUBLIC KEY-----\n$/);
    const key = createPublicKey(publicPem);
    assert.equal(key.asymmetricKeyType, 'rsa');
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 1024);
    const der = key.export({ type: 'spki', format: 'der' });
    assert.equal(publicKeyPem(der), publicPem);
  });

  void it('is fresh each time', async () => {
    const [a, b] = await Promise.all([newHandshakeKeyPair(), newHandshakeKeyPair()]);
    assert.notEqual(a.publicPem, b.publicPem);
  });
});

void describe('the securePassthrough cipher', () => {
  const keyAndIv = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');

  void it('is AES-128-CBC with PKCS#7, the same IV for every message, base64', () => {
    const cipher = new AesSessionCipher(keyAndIv);
    const sealed = cipher.encrypt('{"method":"get_device_info"}');
    assert.equal(Buffer.from(sealed, 'base64').length, 32);
    assert.equal(cipher.encrypt('{"method":"get_device_info"}'), sealed, 'same IV, same ciphertext');
    assert.equal(cipher.decrypt(sealed), '{"method":"get_device_info"}');
  });

  void it('gives undefined for what does not decrypt', () => {
    const cipher = new AesSessionCipher(keyAndIv);
    assert.equal(cipher.decrypt(''), undefined);
    assert.equal(cipher.decrypt('AAAA'), undefined, 'not a whole block');
    // 16 bytes of text and a block of padding (16 times 0x10): turning the last padding byte
    // into 0x00 (through the block before it, as CBC goes) leaves padding no PKCS#7 has.
    const sealed = Buffer.from(cipher.encrypt('x'.repeat(16)), 'base64');
    assert.equal(cipher.decrypt(sealed.toString('base64')), 'x'.repeat(16));
    sealed[15] = sealed[15]! ^ 0x10;
    assert.equal(cipher.decrypt(sealed.toString('base64')), undefined);
    assert.throws(() => new AesSessionCipher(Buffer.alloc(31)), RangeError);
  });
});
