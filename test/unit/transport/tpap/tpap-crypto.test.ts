import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { ErrorCode, KasaError } from '../../../../src/util/errors';
import {
  accountSecret,
  defaultPasscode,
  passcodeTypeOf,
  passwordScalars,
  registerUsername,
  tpapFrame,
  tpapW0,
} from '../../../../src/transport/tpap/passcode';
import { TPAP_CIPHERS, TpapSessionCipher, nonceFor, sessionKeys } from '../../../../src/transport/tpap/session-cipher';
import {
  P256_N_HEX,
  TranscriptFrame,
  decodePoint,
  fixedW0,
  proverKeys,
  proverShare,
  verifierKeys,
  verifierRecord,
  verifierShare,
} from '../../../../src/transport/tpap/spake2plus';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const big = (text: string): bigint => BigInt(`0x${text}`);
const range = (first: number, length: number): Buffer => Buffer.from(Array.from({ length }, (_, i) => first + i));

/** A second route to HKDF-SHA256 (RFC 5869 extract and expand spelled out with HMAC), to check Node's hkdfSync use. */
function hkdfByHand(ikm: Uint8Array, salt: Uint8Array, info: string, length: number): Buffer {
  const prk = createHmac('sha256', salt.length === 0 ? Buffer.alloc(32) : salt).update(ikm).digest();
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(blocks).length < length; i++) {
    previous = createHmac('sha256', prk).update(Buffer.concat([previous, Buffer.from(info), Buffer.from([i])])).digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** A second route to PBKDF2-HMAC-SHA256 (RFC 8018's F function spelled out). */
function pbkdf2ByHand(password: string, salt: Uint8Array, iterations: number, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let block = 1; Buffer.concat(blocks).length < length; block++) {
    const index = Buffer.alloc(4);
    index.writeUInt32BE(block);
    let u = createHmac('sha256', password).update(Buffer.concat([salt, index])).digest();
    const t = Buffer.from(u);
    for (let i = 1; i < iterations; i++) {
      u = createHmac('sha256', password).update(u).digest();
      for (let j = 0; j < t.length; j++) t[j]! ^= u[j]!;
    }
    blocks.push(t);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

// RFC 9383 Appendix C, first vector (P256-SHA256-HKDF-SHA256-HMAC-SHA256): published values.
const RFC = {
  frame: {
    context: Buffer.from('SPAKE2+-P256-SHA256-HKDF-SHA256-HMAC-SHA256 Test Vectors'),
    idProver: Buffer.from('client'),
    idVerifier: Buffer.from('server'),
    encodeW0: fixedW0,
  } satisfies TranscriptFrame,
  w0: big('bb8e1bbcf3c48f62c08db243652ae55d3e5586053fca77102994f23ad95491b3'),
  w1: big('7e945f34d78785b8a3ef44d0df5a1a97d6b3b460409a345ca7830387a74b1dba'),
  L: '04eb7c9db3d9a9eb1f8adab81b5794c1f13ae3e225efbe91ea487425854c7fc00f00bfedcbd09b2400142d40a14f2064ef31dfaa903b91d1faea7093d835966efd',
  x: big('d1232c8e8693d02368976c174e2088851b8365d0d79a9eee709c6a05a2fad539'),
  y: big('717a72348a182085109c8d3917d6c43d59b224dc6a7fc4f0483232fa6516d8b3'),
  shareP: '04ef3bd051bf78a2234ec0df197f7828060fe9856503579bb1733009042c15c0c1de127727f418b5966afadfdd95a6e4591d171056b333dab97a79c7193e341727',
  shareV: '04c0f65da0d11927bdf5d560c69e1d7d939a05b0e88291887d679fcadea75810fb5cc1ca7494db39e82ff2f50665255d76173e09986ab46742c798a9a68437b048',
  Z: '04bbfce7dd7f277819c8da21544afb7964705569bdf12fb92aa388059408d50091a0c5f1d3127f56813b5337f9e4e67e2ca633117a4fbd559946ab474356c41839',
  V: '0458bf27c6bca011c9ce1930e8984a797a3419797b936629a5a937cf2f11c8b9514b82b993da8a46e664f23db7c01edc87faa530db01c2ee405230b18997f16b68',
  mainKey: '4c59e1ccf2cfb961aa31bd9434478a1089b56cd11542f53d3576fb6c2a438a29',
  confirmKeyP: '871ae3f7b78445e34438fb284504240239031c39d80ac23eb5ab9be5ad6db58a',
  confirmKeyV: 'ccd53c7c1fa37b64a462b40db8be101cedcf838950162902054e644b400f1680',
  sharedKey: '0c5f8ccd1413423a54f6c1fb26ff01534a87f893779c6e68666d772bfd91f3e7',
  confirmP: '926cc713504b9b4d76c9162ded04b5493e89109f6d89462cd33adc46fda27527',
  confirmV: '9747bcc4f8fe9f63defee53ac9b07876d907d55047e6ff2def2e7529089d3e68',
};

describe('SPAKE2+ core against RFC 9383 (published vector)', () => {
  it('the prover: shareP, Z, V, the key schedule and both confirmations', () => {
    assert.equal(hex(proverShare(RFC.w0, RFC.x)), RFC.shareP);
    const keys = proverKeys(RFC.frame, RFC.w0, RFC.w1, RFC.x, Buffer.from(RFC.shareV, 'hex'));
    assert.ok(keys);
    for (const field of ['shareP', 'shareV', 'Z', 'V', 'mainKey', 'confirmKeyP', 'confirmKeyV', 'sharedKey', 'confirmP', 'confirmV'] as const) {
      assert.equal(hex(keys[field]), RFC[field], field);
    }
  });

  it('the verifier (the simulator’s side): L, shareV and the same keys by the verifier’s equations', () => {
    assert.equal(hex(verifierRecord(RFC.w1)), RFC.L);
    assert.equal(hex(verifierShare(RFC.w0, RFC.y)), RFC.shareV);
    const keys = verifierKeys(RFC.frame, RFC.w0, Buffer.from(RFC.L, 'hex'), RFC.y, Buffer.from(RFC.shareP, 'hex'));
    assert.ok(keys);
    assert.equal(hex(keys.Z), RFC.Z);
    assert.equal(hex(keys.V), RFC.V);
    assert.equal(hex(keys.sharedKey), RFC.sharedKey);
    assert.equal(hex(keys.confirmV), RFC.confirmV);
  });

  it('refuses a share off the curve, the identity, and one that cancels the password', () => {
    assert.equal(decodePoint(Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)])), undefined);
    assert.equal(decodePoint(Buffer.from([0])), undefined);
    // A share of w0*N leaves the identity once w0*N is taken out of it: no key may come of it.
    const n = decodePoint(Buffer.from(P256_N_HEX, 'hex'));
    assert.ok(n);
    assert.equal(proverKeys(RFC.frame, RFC.w0, RFC.w1, RFC.x, n.multiply(RFC.w0).toBytes(false)), undefined);
    assert.equal(proverKeys(RFC.frame, RFC.w0, RFC.w1, RFC.x, Buffer.alloc(65, 4)), undefined);
  });
});

describe('TPAP derivations', () => {
  it('the account secret: "<e-mail>/<password>" without extra_crypt; SHA-1 hex for password_shadow 2 (published)', () => {
    assert.equal(accountSecret('user@example.com', 'secret', undefined, 'd'), 'user@example.com/secret');
    assert.equal(accountSecret('user@example.com', 'secret', {}, 'd'), 'user@example.com/secret');
    assert.equal(accountSecret('u', 'hunter2', { type: 'password_shadow', params: { passwd_id: 2 } }, 'd'), 'f3bbbd66a63d4bf1747940578ec3d0103530e21d');
    assert.throws(
      () => accountSecret('u', 'p', { type: 'password_shadow', params: { passwd_id: 5 } }, '10.0.0.9:80'),
      (err: unknown) => err instanceof KasaError && err.code === ErrorCode.NOT_SUPPORTED && /passwd_id 5/.test(err.message) && !/\bp\b.*\bp\b/.test(err.message),
    );
  });

  it('w0 and w1 from PBKDF2 (the Rust client’s published vector), checked against PBKDF2 by hand', () => {
    const salt = Buffer.from('0123456789abcdef');
    const { w0, w1 } = passwordScalars('f3bbbd66a63d4bf1747940578ec3d0103530e21d', salt, 3000);
    assert.equal(w0.toString(16), 'f01588c03f935783a7c530a83ab1ade1a3261b13005521b6946dc5c7ad259f2c');
    assert.equal(w1.toString(16), 'de9bd4a17ba3b23e2a26fbf5ae94010c68f5e0e34388fe6ec227fcb45bd0b42e');
    const derived = pbkdf2ByHand('f3bbbd66a63d4bf1747940578ec3d0103530e21d', salt, 3000, 80);
    const order = big('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    assert.equal(big(hex(derived.subarray(0, 40))) % order, w0);
    assert.equal(big(hex(derived.subarray(40))) % order, w1);
  });

  it('w0 in the transcript: shortest form, a zero byte before an odd-length one with its top bit set', () => {
    // Published edge cases of the client users report working.
    assert.equal(hex(tpapW0(0n)), '00');
    assert.equal(hex(tpapW0(0x80n)), '0080');
    const w0 = big('7'.padEnd(62, 'f')); // 31 bytes, top bit clear: the two sources differ here
    assert.equal(tpapW0(w0).length, 31);
    assert.equal(fixedW0(w0).length, 32);
    assert.equal(tpapW0(big('8'.padEnd(62, '0'))).length, 32); // 31 bytes, top bit set: 0x00 in front
    assert.equal(tpapW0(big('8'.padEnd(64, '0'))).length, 32); // 32 bytes stay as they are
  });

  it('pake_register username, passcode type and the default passcode (checked against HKDF by hand)', () => {
    assert.equal(registerUsername(undefined), createHash('md5').update('admin').digest('hex'));
    assert.equal(registerUsername(1), createHash('sha256').update('admin').digest('hex').toUpperCase());
    assert.equal(passcodeTypeOf([2]), 'userpw');
    assert.equal(passcodeTypeOf([0, 2]), 'default_userpw');
    assert.equal(passcodeTypeOf([3]), undefined);
    const passcode = defaultPasscode('AA:BB:CC:DD:EE:FF');
    assert.equal(passcode, 'F9F270978BAA582014CFC81E2B5966D92923B7F784DD84FD75429E38CC4EEFC9');
    const ikm = Buffer.concat([Buffer.from('GqY5o136oa4i6VprTlMW2DpVXxmfW8'), Buffer.from('ddeeffaabbcc', 'hex')]);
    assert.equal(hex(hkdfByHand(ikm, Buffer.from('tp-kdf-salt-default-passcode'), 'tp-kdf-info-default-passcode', 32)).toUpperCase(), passcode);
    assert.equal(defaultPasscode('aa-bb-cc-dd-ee-ff'), passcode);
  });

  // A whole TPAP login with fixed randoms. Computed here (no source publishes one); cross-checked
  // by a second route: the verifier's equations must give the same Z, V, keys and confirmations,
  // and PBKDF2 and HKDF are recomputed by hand.
  const login = {
    userRandom: range(0x00, 32),
    devRandom: range(0x20, 32),
    salt: range(0x40, 16),
    iterations: 5000,
    x: big('671822cdcfc004c4feb05a549c99206251f89ecd42d75413e96e4b1b34782c4e'),
    y: big('4252e78a324c02ba992132eafdcff84fcb3065a99968c7debe6d65da4a39e5c4'),
    w0: '75a9cdd6dc4a934416a0e511e78959f3fbeeba79dd670e9da8aa7ce5e12e82d1',
    w1: '7a860bb87d78261c5ba99dc80cab48789363281d1a260beece0907ef94011dda',
    context: '5b2a9a4124d0c3da88f8de08252b62cbfbb514891b888aa3d90d68f34a8594a2',
    shareP: '048f2e58afe543411582ac00e94a9face6ce7af4d5ecbe1b0a7ca7b42edd9becf37e7e162c62ff50984f935648e78992de1ce4609a51d13f108ee84130dc434157',
    shareV: '0488b1a4efba421164ae67b7969e13bad86e743e4422107560735679ed969b4cae90747d476dea43078e8cd1d6afd2b18622927b5a0c9eb79be722db6aa3baace3',
    sharedKey: 'a68745b37c4c432b3b27742198b39ade5254ca8798f2d9b979fa551e59c2f614',
    confirmP: '8bf8a9a048764a92ab650e7f6a5c76cf101b7d34555c6fdcc8bd15e16c34548f',
    confirmV: 'ed419d2a5d90a274b6d4f759e3f396e67773a4e39d463e9aff92c06a5205232c',
    keys: {
      aes_128_ccm: ['8811120a0be286c8a1dba037162cc51d', 'f489343e03ab0b00d18a5d34'],
      aes_256_ccm: ['83eaafd54574b08b1fff06bcc5dbdc866826cb8efcf94fd461a8083b55d629aa', '221d34882408a75f2bb09f1f'],
      chacha20_poly1305: ['12c9369cbe330632240a256d43fb5127e3be775efc0be05c736fe2d3bd296924', '2b876b0f55ee5dfc3bc988a5'],
    },
    firstRequest: '00000001b5c993c1ffde557941fdb655d613a4215692e79a9e0f0f8d2357c173b72b5d12eb69d6f4ab658878ddc43b12',
  };

  it('one login, user@example.com / secret: shares, confirmations and shared key (two routes agree)', () => {
    const secret = accountSecret('user@example.com', 'secret', undefined, 'd');
    const { w0, w1 } = passwordScalars(secret, login.salt, login.iterations);
    assert.equal(w0.toString(16), login.w0);
    assert.equal(w1.toString(16), login.w1);
    const frame = tpapFrame(login.userRandom, login.devRandom);
    assert.equal(hex(frame.context), login.context);
    assert.equal(hex(frame.context), hex(createHash('sha256').update(Buffer.concat([Buffer.from('PAKE V1'), login.userRandom, login.devRandom])).digest()));
    const prover = proverKeys(frame, w0, w1, login.x, verifierShare(w0, login.y));
    const verifier = verifierKeys(frame, w0, verifierRecord(w1), login.y, proverShare(w0, login.x));
    assert.ok(prover && verifier);
    assert.equal(hex(prover.shareP), login.shareP);
    assert.equal(hex(prover.shareV), login.shareV);
    assert.equal(hex(prover.sharedKey), login.sharedKey);
    assert.equal(hex(prover.confirmP), login.confirmP);
    assert.equal(hex(prover.confirmV), login.confirmV);
    for (const field of ['Z', 'V', 'mainKey', 'sharedKey', 'confirmP', 'confirmV'] as const) assert.equal(hex(verifier[field]), hex(prover[field]), field);
    // A wrong password: the verifier's confirmation no longer matches.
    const wrong = passwordScalars('user@example.com/Secret', login.salt, login.iterations);
    const refused = verifierKeys(frame, wrong.w0, verifierRecord(wrong.w1), login.y, proverShare(w0, login.x));
    assert.notEqual(hex(refused!.confirmP), login.confirmP);
  });

  it('session keys and base nonces of the three ciphers (checked against HKDF by hand)', () => {
    const shared = Buffer.from(login.sharedKey, 'hex');
    for (const name of TPAP_CIPHERS) {
      const { key, baseNonce } = sessionKeys(name, shared);
      const [expectedKey, expectedNonce] = login.keys[name];
      assert.equal(hex(key), expectedKey, name);
      assert.equal(hex(baseNonce), expectedNonce, name);
      const label = name === 'aes_128_ccm' ? 'aes128' : name === 'aes_256_ccm' ? 'aes256' : 'chacha20';
      assert.equal(hex(hkdfByHand(shared, Buffer.from(`tp-kdf-salt-${label}-key`), `tp-kdf-info-${label}-key`, key.length)), expectedKey);
      assert.equal(hex(hkdfByHand(shared, Buffer.from(`tp-kdf-salt-${label}-iv`), `tp-kdf-info-${label}-iv`, 12)), expectedNonce);
    }
  });

  it('nonces: the base nonce’s first 8 bytes, then the sequence number', () => {
    const base = Buffer.from(login.keys.aes_128_ccm[1], 'hex');
    assert.equal(hex(nonceFor(base, 1)), 'f489343e03ab0b0000000001');
    assert.equal(hex(nonceFor(base, 0xfffffffe)), 'f489343e03ab0b00fffffffe');
  });

  it('one encrypted request: the Rust client’s published answer, and this login’s first request', () => {
    const published = new TpapSessionCipher('aes_128_ccm', range(0, 32)).seal(0x01020304, Buffer.from('{"method":"get_device_info"}'));
    assert.equal(hex(published), '01020304c0331c1c36a5df4ce0c68e5a27b2667ebf842dc994a3fd24b9e860a60fab76d4b66b9b669d95cca10c012f13');
    const cipher = new TpapSessionCipher('aes_128_ccm', Buffer.from(login.sharedKey, 'hex'));
    const body = cipher.seal(1, Buffer.from('{"method":"get_device_info"}'));
    assert.equal(hex(body), login.firstRequest);
    assert.deepEqual(cipher.open(body), { seq: 1, plain: Buffer.from('{"method":"get_device_info"}') });
  });

  it('every cipher opens what it sealed, and refuses a changed byte, a changed sequence number or a short body', () => {
    for (const name of TPAP_CIPHERS) {
      const cipher = new TpapSessionCipher(name, Buffer.from(login.sharedKey, 'hex'));
      const body = cipher.seal(7, Buffer.from('{"method":"get_energy_usage"}'));
      assert.equal(cipher.open(body)?.plain.toString(), '{"method":"get_energy_usage"}', name);
      const flipped = Buffer.from(body);
      flipped[10]! ^= 1;
      assert.equal(cipher.open(flipped), undefined, name);
      const moved = Buffer.from(body);
      moved.writeUInt32BE(8, 0);
      assert.equal(cipher.open(moved), undefined, name);
      assert.equal(cipher.open(body.subarray(0, 19)), undefined, name);
    }
  });
});
