import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ErrorCode, KasaError } from '../../../src/util/errors';
import {
  KNOWN_SUBTYPES,
  TddpCode,
  TddpType,
  buildTddpPacket,
  checkTddpReply,
  deriveTddpKey,
  desDecrypt,
  desEncrypt,
  findSubtype,
  isPlausibleText,
  parseTddpPacket,
  peekTddpPacket,
  stripTrailingNuls,
  suspectCredentials,
  zeroPad,
} from '../../../src/tddp';

const hex = (text: string): Buffer => Buffer.from(text, 'hex');
const adminKey = deriveTddpKey('admin', 'admin');

function isProtocolError(pattern: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof KasaError, `expected a KasaError, got ${String(err)}`);
    assert.equal(err.code, ErrorCode.PROTOCOL);
    assert.match(err.message, pattern);
    return true;
  };
}

void describe('TDDP DES', () => {
  void it('matches the DES known answer through des-ede-ecb with K||K', () => {
    const cipher = desEncrypt(hex('133457799bbcdff1'), hex('0123456789abcdef'));
    assert.equal(cipher.toString('hex'), '85e813540f0ab405');
    assert.equal(desDecrypt(hex('133457799bbcdff1'), cipher).toString('hex'), '0123456789abcdef');
  });

  void it('derives the admin/admin key from MD5(username + password)', () => {
    assert.equal(adminKey.toString('hex'), 'f6fdffe48c908deb');
    assert.notEqual(deriveTddpKey('admin', 'admln').toString('hex'), 'f6fdffe48c908deb');
  });

  void it('zero-pads to whole blocks and strips trailing NULs only', () => {
    assert.equal(zeroPad(Buffer.from('hello')).toString('hex'), '68656c6c6f000000');
    assert.equal(zeroPad(Buffer.from('12345678')).length, 8);
    assert.equal(zeroPad(Buffer.alloc(0)).length, 0);
    assert.equal(stripTrailingNuls(hex('6100620000')).toString('hex'), '610062');
    assert.equal(stripTrailingNuls(hex('0000')).length, 0);
  });

  void it('refuses a wrong key size or unpadded data with BAD_INPUT', () => {
    assert.throws(() => desEncrypt(hex('0102'), Buffer.alloc(8)), { code: ErrorCode.BAD_INPUT });
    assert.throws(() => desEncrypt(adminKey, Buffer.alloc(5)), { code: ErrorCode.BAD_INPUT });
  });
});

void describe('TDDP v2 packets', () => {
  void it('builds the seed request for subtype 0x0a byte for byte', () => {
    const packet = buildTddpPacket({ type: TddpType.SPECIAL_COMMAND, id: 1, subtype: 0x0a, key: adminKey });
    assert.equal(packet.toString('hex'), '020301000000000000010a00b1522a579fd64dfd3756ec03f8747b1e');
  });

  void it('builds the HS110 reply vector: length, ciphertext and digest', () => {
    const packet = buildTddpPacket({
      type: 3,
      code: TddpCode.REPLY,
      status: 0,
      id: 1,
      subtype: 0x0a,
      data: 'ABCD0110',
      key: adminKey,
    });
    assert.equal(packet.subarray(4, 8).toString('hex'), '00000008');
    assert.equal(packet.subarray(12, 28).toString('hex'), 'f29663dfabc6b8c1dc3ade3bce86495e');
    assert.equal(packet.subarray(28).toString('hex'), 'e4d21dea3ec1838c');
    assert.equal(packet.toString('hex'), '020302000000000800010a00f29663dfabc6b8c1dc3ade3bce86495ee4d21dea3ec1838c');
  });

  void it('builds the "hello" vector: padded, encrypted, digest over plaintext', () => {
    const packet = buildTddpPacket({ type: 3, id: 0x002a, subtype: 0x31, data: Buffer.from('hello'), key: adminKey });
    assert.equal(packet.subarray(0, 12).toString('hex'), '0203010000000008002a3100');
    assert.equal(packet.subarray(12, 28).toString('hex'), '63116dfc50ae95ddad8759b6c291f1fb');
    assert.equal(packet.subarray(28).toString('hex'), '3409e9ed291bbb96');
    assert.equal(desDecrypt(adminKey, packet.subarray(28)).toString('hex'), '68656c6c6f000000');
  });

  void it('parses the reply vector and reports the plaintext digest as ok', () => {
    const reply = parseTddpPacket(hex('020302000000000800010a00f29663dfabc6b8c1dc3ade3bce86495ee4d21dea3ec1838c'), adminKey);
    assert.deepEqual(reply.header, { version: 2, type: 3, code: 2, status: 0, length: 8, id: 1, subtype: 0x0a });
    assert.equal(reply.data.toString(), 'ABCD0110');
    assert.equal(reply.digestOk, true);
    assert.equal(reply.digestConvention, 'plaintext');
    assert.equal(suspectCredentials(reply), false);
  });

  void it('accepts a digest over the ciphertext, as the seed client computed it', () => {
    const packet = buildTddpPacket({ type: 3, code: 2, id: 7, subtype: 0x12, data: 'hello', key: adminKey });
    const digest = createHash('md5')
      .update(packet.subarray(0, 12))
      .update(Buffer.alloc(16))
      .update(packet.subarray(28))
      .digest();
    digest.copy(packet, 12);
    const reply = parseTddpPacket(packet, adminKey);
    assert.equal(reply.digestOk, true);
    assert.equal(reply.digestConvention, 'ciphertext');
    assert.equal(reply.data.toString(), 'hello');
  });

  void it('reports a wrong digest without rejecting the packet', () => {
    const packet = buildTddpPacket({ type: 3, code: 2, id: 7, subtype: 0x12, data: 'hello', key: adminKey });
    packet[20] = packet[20]! ^ 0xff;
    const reply = parseTddpPacket(packet, adminKey);
    assert.equal(reply.digestOk, false);
    assert.equal(reply.digestConvention, null);
    assert.equal(reply.data.toString(), 'hello');
    // Still readable text: a broken digest alone does not blame the credentials.
    assert.equal(suspectCredentials(reply), false);
  });

  void it('flags a reply encrypted with other credentials as credentialsSuspect', () => {
    const otherKey = deriveTddpKey('admin', 'not-admin');
    const packet = buildTddpPacket({ type: 3, code: 2, id: 1, subtype: 0x0a, data: 'ABCD0110', key: otherKey });
    const reply = parseTddpPacket(packet, adminKey);
    assert.equal(reply.digestOk, false);
    assert.notEqual(reply.data.toString('latin1'), 'ABCD0110');
    assert.equal(suspectCredentials(reply), true);
    assert.throws(() => checkTddpReply({ header: reply.header, credentialsSuspect: true }, '10.0.0.9:1040'), (err: unknown) => {
      assert.ok(err instanceof KasaError);
      assert.equal(err.code, ErrorCode.AUTH);
      assert.match(err.message, /could not be decrypted with these credentials: check username and password/);
      return true;
    });
  });

  void it('ignores bytes beyond the announced length and accepts code 0 in replies', () => {
    const packet = buildTddpPacket({ type: 3, code: 0, id: 3, subtype: 0x0a, data: 'ABCD0110', key: adminKey });
    const reply = parseTddpPacket(Buffer.concat([packet, hex('deadbeef')]), adminKey);
    assert.equal(reply.header.code, 0);
    assert.equal(reply.data.toString(), 'ABCD0110');
    assert.equal(reply.digestOk, true);
  });

  void it('refuses a v2 packet with data but no key', () => {
    assert.throws(() => buildTddpPacket({ type: 3, id: 1, subtype: 1, data: 'x' }), { code: ErrorCode.BAD_INPUT });
  });

  void it('refuses out-of-range header fields with BAD_INPUT', () => {
    assert.throws(() => buildTddpPacket({ type: 256, id: 1, subtype: 1 }), { code: ErrorCode.BAD_INPUT });
    assert.throws(() => buildTddpPacket({ type: 3, id: 0x10000, subtype: 1 }), { code: ErrorCode.BAD_INPUT });
    assert.throws(() => buildTddpPacket({ type: 3, id: 1, subtype: -1 }), { code: ErrorCode.BAD_INPUT });
    assert.throws(() => buildTddpPacket({ type: 3, id: 1.5, subtype: 1 }), { code: ErrorCode.BAD_INPUT });
  });
});

void describe('TDDP v1 packets', () => {
  void it('builds a 12-byte header with plain, unpadded data', () => {
    const packet = buildTddpPacket({ version: 1, type: 2, id: 0x0102, subtype: 0x05, data: 'hello' });
    assert.equal(packet.toString('hex'), '010201000000000501020500' + Buffer.from('hello').toString('hex'));
  });

  void it('parses a v1 packet: no digest, data as sent', () => {
    const packet = buildTddpPacket({ version: 1, type: 2, code: 2, id: 9, subtype: 0x05, data: 'config\0\0' });
    const parsed = parseTddpPacket(packet, adminKey);
    assert.deepEqual(parsed.header, { version: 1, type: 2, code: 2, status: 0, length: 8, id: 9, subtype: 5 });
    assert.equal(parsed.digestOk, null);
    assert.equal(parsed.data.toString(), 'config');
    assert.equal(suspectCredentials(parsed), false);
  });
});

void describe('malformed TDDP packets', () => {
  void it('rejects a packet shorter than a header', () => {
    assert.throws(() => parseTddpPacket(hex('0203'), adminKey), isProtocolError(/at least 12 header bytes; this one has only 2/));
    assert.throws(() => parseTddpPacket(Buffer.alloc(0), adminKey), isProtocolError(/only 0/));
  });

  void it('rejects a v2 packet cut inside the digest', () => {
    const packet = hex('020302000000000000010a00b1522a57');
    assert.throws(() => parseTddpPacket(packet, adminKey), isProtocolError(/v2 header has 28 bytes; this packet has only 16/));
  });

  void it('rejects a length field larger than the packet', () => {
    const packet = buildTddpPacket({ type: 3, code: 2, id: 1, subtype: 0x0a, data: 'ABCD0110', key: adminKey });
    packet.writeUInt32BE(0xffffffff, 4);
    assert.throws(() => parseTddpPacket(packet, adminKey), isProtocolError(/announces 4294967295 data bytes but only 8 follow/));
  });

  void it('rejects an unknown version', () => {
    const packet = hex('050302000000000000010a00');
    assert.throws(() => parseTddpPacket(packet, adminKey), isProtocolError(/unknown TDDP version 0x05/));
  });

  void it('rejects v2 data that is not whole DES blocks', () => {
    const packet = Buffer.concat([hex('0203020000000005000100000000000000000000000000000000'), hex('0000'), hex('0102030405')]);
    assert.throws(() => parseTddpPacket(packet, adminKey), isProtocolError(/5 bytes, not a whole number of 8-byte DES blocks/));
  });

  void it('never throws anything but KasaError(PROTOCOL) on random input', () => {
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let round = 0; round < 2000; round++) {
      const length = random() % 60;
      const bytes = Buffer.alloc(length);
      for (let i = 0; i < length; i++) bytes[i] = random() & 0xff;
      if (length > 0 && round % 2 === 0) bytes[0] = 2;
      if (length > 7 && round % 4 === 0) bytes.writeUInt32BE(random() % 40, 4);
      try {
        parseTddpPacket(bytes, adminKey);
      } catch (err) {
        assert.ok(err instanceof KasaError, `round ${round} threw ${String(err)}`);
        assert.equal(err.code, ErrorCode.PROTOCOL);
      }
    }
  });

  void it('peeks the id of a reply and nothing of non-TDDP datagrams', () => {
    assert.deepEqual(peekTddpPacket(hex('020302000000000000ab0a00')), { version: 2, code: 2, id: 0xab });
    assert.equal(peekTddpPacket(hex('7b2273797374656d223a7b7d7d')), undefined);
    assert.equal(peekTddpPacket(hex('0203')), undefined);
  });
});

void describe('TDDP reply judgement', () => {
  void it('surfaces a non-zero status raw as DEVICE_ERROR', () => {
    assert.throws(
      () => checkTddpReply({ header: { status: 0x02 }, credentialsSuspect: false }, '10.0.0.9:1040'),
      (err: unknown) => {
        assert.ok(err instanceof KasaError);
        assert.equal(err.code, ErrorCode.DEVICE_ERROR);
        assert.equal(err.errCode, 2);
        assert.match(err.message, /10\.0\.0\.9:1040 answered TDDP status 0x02/);
        return true;
      },
    );
    assert.doesNotThrow(() => checkTddpReply({ header: { status: 0 }, credentialsSuspect: false }, 'x'));
  });

  void it('calls device texts plausible and random bytes not', () => {
    assert.equal(isPlausibleText(Buffer.from('wan_ph_link 1 0')), true);
    assert.equal(isPlausibleText(Buffer.from('a\tb\r\nc')), true);
    assert.equal(isPlausibleText(Buffer.alloc(0)), true);
    assert.equal(isPlausibleText(hex('c3a9')), true);
    assert.equal(isPlausibleText(hex('ff41')), false);
    assert.equal(isPlausibleText(hex('410142')), false);
  });
});

void describe('TDDP constants', () => {
  void it('names types, codes and the known subtypes with their danger', () => {
    assert.deepEqual(
      [TddpType.SET_CONFIG, TddpType.GET_CONFIG, TddpType.SPECIAL_COMMAND, TddpType.HEARTBEAT, TddpType.ENC_COMMAND],
      [1, 2, 3, 4, 7],
    );
    assert.deepEqual([TddpCode.REQUEST, TddpCode.REPLY], [1, 2]);
    const destructive = KNOWN_SUBTYPES.filter((s) => s.destructive).map((s) => s.subtype);
    assert.deepEqual(destructive.sort((a, b) => a - b), [0x06, 0x13, 0x15]);
    for (const read of [0x0a, 0x12, 0x14, 0x0e, 0x0f]) assert.equal(findSubtype(3, read)?.destructive, false);
    assert.equal(findSubtype(3, 0x99), undefined);
    assert.equal(findSubtype(2, 0x0a), undefined);
  });
});
