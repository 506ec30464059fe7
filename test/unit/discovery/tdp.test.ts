import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_TDP_REPLY_BYTES,
  TDP_HEADER_BYTES,
  decodeTdpHeader,
  encodeTdpPacket,
  encodeTdpQuery,
  freshTdpKey,
  normaliseMac,
  parseTdpAnswer,
  tdpCrcMatches,
} from '../../../src/discovery';
import { isDiscoveryQuery, tdpOwnerOf } from '../../../src/simulator/tdp-responder';

/** A device's reply: any 16 bytes, then the JSON. */
function reply(body: unknown, header: Buffer = Buffer.alloc(TDP_HEADER_BYTES)): Buffer {
  return Buffer.concat([header, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8')]);
}

const P110 = {
  error_code: 0,
  result: {
    device_type: 'SMART.TAPOPLUG',
    device_model: 'P110(UK)',
    device_id: '0123456789ABCDEF0123456789ABCDEF',
    ip: '192.0.2.10',
    mac: '48-22-54-00-00-0A',
    owner: 'F0E1D2C3B4A5968778695A4B3C2D1E0F',
    factory_default: false,
    is_support_iot_cloud: true,
    mgt_encrypt_schm: { is_support_https: false, encrypt_type: 'KLAP', http_port: 80, lv: 2 },
  },
};

describe('TDP header and CRC (docs/protocol.md section 6 vectors)', () => {
  it('encodes the worked example: serial 01020304, an 85-byte payload, CRC 2538326a', () => {
    const payload = Buffer.from('{"params":{"rsa_key":"-----BEGIN PUBLIC KEY-----\\nTEST\\n-----END PUBLIC KEY-----\\n"}}', 'utf8');
    assert.equal(payload.length, 85);
    const packet = encodeTdpPacket(payload, { serial: 0x01020304 });
    assert.equal(packet.subarray(0, 17).toString('hex'), '0200000100551100010203042538326a7b');
    assert.ok(tdpCrcMatches(packet));
    // The query builder makes the same bytes from the same key and serial.
    assert.deepEqual(encodeTdpQuery('-----BEGIN PUBLIC KEY-----\nTEST\n-----END PUBLIC KEY-----\n', 0x01020304), packet);
  });

  it('encodes a zero-length payload with flags 0 as 020000010000000000000000463cb5d3', () => {
    assert.equal(encodeTdpPacket(Buffer.alloc(0), { serial: 0, flags: 0 }).toString('hex'), '020000010000000000000000463cb5d3');
  });

  it('decodes the header fields and notices a spoiled CRC', () => {
    const packet = encodeTdpQuery('-----BEGIN PUBLIC KEY-----\nTEST\n-----END PUBLIC KEY-----\n', 0xdeadbeef);
    assert.deepEqual(decodeTdpHeader(packet), { version: 2, msgType: 0, opCode: 1, msgSize: 85, flags: 0x11, serial: 0xdeadbeef, crc: packet.readUInt32BE(12) });
    const spoiled = Buffer.from(packet);
    spoiled[20] ^= 1;
    assert.equal(tdpCrcMatches(spoiled), false);
    assert.equal(decodeTdpHeader(Buffer.alloc(15)), null);
    assert.equal(tdpCrcMatches(Buffer.alloc(3)), false);
  });

  it('puts a fresh RSA-2048 public key in each query, and the simulator takes it as a query', async () => {
    const [a, b] = await Promise.all([freshTdpKey(), freshTdpKey()]);
    assert.match(a, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    assert.notEqual(a, b);
    const { createPublicKey } = await import('node:crypto');
    assert.equal(createPublicKey(a).asymmetricKeyDetails?.modulusLength, 2048);
    const query = encodeTdpQuery(a);
    assert.ok(isDiscoveryQuery(query));
    const spoiled = Buffer.from(query);
    spoiled[query.length - 3] ^= 0x20;
    assert.equal(isDiscoveryQuery(spoiled), false, 'a wrong CRC is not answered');
    assert.equal(isDiscoveryQuery(encodeTdpPacket(Buffer.from('{"params":{}}'), { serial: 1 })), false, 'no key, no answer');
  });
});

describe('TDP reply parser', () => {
  it('reads a P110 answer from byte 16, whatever the reply header says', () => {
    assert.deepEqual(parseTdpAnswer(reply(P110, Buffer.alloc(16, 0xee))), {
      deviceType: 'SMART.TAPOPLUG',
      model: 'P110(UK)',
      deviceId: '0123456789ABCDEF0123456789ABCDEF',
      ip: '192.0.2.10',
      mac: '48-22-54-00-00-0A',
      owner: 'F0E1D2C3B4A5968778695A4B3C2D1E0F',
      factoryDefault: false,
      encryption: 'klap',
      httpPort: 80,
      https: false,
      loginVersion: 2,
    });
  });

  it('names AES and TPAP, and takes an answer without a scheme as older firmware', () => {
    const withType = (type: unknown) => ({ result: { ...P110.result, mgt_encrypt_schm: { encrypt_type: type, http_port: 8080, is_support_https: true } } });
    assert.equal(parseTdpAnswer(reply(withType('AES')))?.encryption, 'aes');
    assert.equal(parseTdpAnswer(reply(withType('tpap')))?.encryption, 'tpap');
    assert.equal(parseTdpAnswer(reply(withType('AES')))?.httpPort, 8080);
    assert.equal(parseTdpAnswer(reply(withType('AES')))?.https, true);
    const bare = parseTdpAnswer(reply({ result: { device_type: 'SMART.TAPOPLUG', device_model: 'P100', mac: 'AA-BB-CC-DD-EE-FF' } }));
    assert.equal(bare?.encryption, undefined);
    assert.equal(bare?.httpPort, 80);
    assert.equal(bare?.loginVersion, undefined);
    assert.equal(bare?.owner, '');
    // A scheme nobody knows: no way to tell how to reach it, so not listed.
    assert.equal(parseTdpAnswer(reply(withType('ROT13'))), null);
    assert.equal(parseTdpAnswer(reply(withType(42))), null);
  });

  it('skips garbage and truncated packets without throwing', () => {
    const full = reply(P110);
    const cases: Buffer[] = [
      Buffer.alloc(0),
      Buffer.alloc(16),
      Buffer.from([0x02, 0x00, 0x00, 0x01]),
      full.subarray(0, 16),
      full.subarray(0, full.length - 1),
      full.subarray(0, 40),
      reply('not json'),
      reply('[1,2,3]'),
      reply('null'),
      reply('{"error_code":-1,"result":{"device_id":"X"}}'),
      reply({ error_code: 0, result: 'text' }),
      reply({ error_code: 0 }),
      reply({ error_code: 0, result: {} }),
      reply({ result: { device_id: 5, mac: ['a'], device_model: { x: 1 } } }),
      Buffer.concat([Buffer.alloc(16), Buffer.from([0xc3, 0x28, 0xa0, 0xa1])]),
      encodeTdpQuery('-----BEGIN PUBLIC KEY-----\nTEST\n-----END PUBLIC KEY-----\n', 1), // our own query echoed
    ];
    for (const packet of cases) assert.equal(parseTdpAnswer(packet), null, packet.toString('hex').slice(0, 60));
    assert.equal(parseTdpAnswer('text' as unknown as Buffer), null);
  });

  it('bounds sizes: a huge packet is skipped, over-long or control-character fields are dropped', () => {
    const huge = reply({ result: { ...P110.result, padding: 'x'.repeat(MAX_TDP_REPLY_BYTES) } });
    assert.equal(parseTdpAnswer(huge), null);
    const odd = parseTdpAnswer(reply({ result: { ...P110.result, device_model: 'P'.repeat(500), owner: 'a\u0000b', mgt_encrypt_schm: { encrypt_type: 'KLAP', http_port: 70000, lv: 1e9 } } }));
    assert.equal(odd?.model, '');
    assert.equal(odd?.owner, '');
    assert.equal(odd?.httpPort, 80, 'an impossible port gives the default');
    assert.equal(odd?.loginVersion, undefined);
    const deep = reply(`{"result":{"device_id":"A","x":${'['.repeat(5000)}${']'.repeat(5000)}}}`);
    assert.equal(parseTdpAnswer(deep)?.deviceId, 'A');
  });

  it('normalises MACs for merging, and hashes the owner as the simulator announces it', () => {
    assert.equal(normaliseMac('48-22-54-00-00-0a'), '48225400000A');
    assert.equal(normaliseMac('48:22:54:00:00:0A'), '48225400000A');
    assert.equal(normaliseMac('nope'), '');
    assert.equal(tdpOwnerOf(undefined), '');
    assert.match(tdpOwnerOf('user@example.com'), /^[0-9A-F]{32}$/);
  });
});
