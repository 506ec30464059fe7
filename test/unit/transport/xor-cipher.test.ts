import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decrypt, encodeDatagram, encodeTcpFrame, encrypt } from '../../../src/transport/xor-cipher';

// Vector from PROTOCOL.md section 1.
const SYSINFO = '{"system":{"get_sysinfo":{}}}';
const SYSINFO_TCP = '0000001dd0f281f88bff9af7d5ef94b6d1b4c09fec95e68fe187e8caf08bf68bf6';

describe('XOR autokey cipher', () => {
  it('encodes the get_sysinfo vector for TCP, length prefix included', () => {
    assert.equal(encodeTcpFrame(SYSINFO).toString('hex'), SYSINFO_TCP);
  });

  it('encodes the same vector for UDP without the prefix', () => {
    assert.equal(encodeDatagram(SYSINFO).toString('hex'), SYSINFO_TCP.slice(8));
  });

  it('decrypts the vector back to the JSON text', () => {
    assert.equal(decrypt(Buffer.from(SYSINFO_TCP.slice(8), 'hex')).toString('utf8'), SYSINFO);
  });

  it('round-trips every byte value and multi-byte UTF-8', () => {
    const all = Buffer.from([...Array(256).keys(), ...Buffer.from('Wohnzimmer – Küche ☕', 'utf8')]);
    assert.deepEqual(decrypt(encrypt(all)), all);
  });

  it('prefixes the byte length, not the string length, for non-ASCII text', () => {
    const json = '{"system":{"set_dev_alias":{"alias":"Küche"}}}';
    const frame = encodeTcpFrame(json);
    assert.equal(frame.readUInt32BE(0), Buffer.byteLength(json, 'utf8'));
    assert.notEqual(frame.readUInt32BE(0), json.length);
    assert.equal(decrypt(frame.subarray(4)).toString('utf8'), json);
  });

  it('handles empty input', () => {
    assert.equal(encrypt(Buffer.alloc(0)).length, 0);
    assert.equal(encodeTcpFrame('').toString('hex'), '00000000');
  });
});
