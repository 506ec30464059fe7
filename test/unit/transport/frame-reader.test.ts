import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, KasaError } from '../../../src/util/errors';
import { FrameReader } from '../../../src/transport/frame-reader';
import { decrypt, encodeTcpFrame } from '../../../src/transport/xor-cipher';

const texts = (frames: Buffer[]) => frames.map((f) => decrypt(f).toString('utf8'));

describe('FrameReader', () => {
  it('returns a frame that arrives whole', () => {
    const reader = new FrameReader();
    assert.deepEqual(texts(reader.push(encodeTcpFrame('{"a":1}'))), ['{"a":1}']);
    assert.equal(reader.pendingBytes, 0);
  });

  it('joins a frame split at every byte, header included', () => {
    const reader = new FrameReader();
    const frame = encodeTcpFrame('{"system":{"get_sysinfo":{"alias":"lamp"}}}');
    const out: Buffer[] = [];
    for (let i = 0; i < frame.length; i++) out.push(...reader.push(frame.subarray(i, i + 1)));
    assert.deepEqual(texts(out), ['{"system":{"get_sysinfo":{"alias":"lamp"}}}']);
  });

  it('splits several frames coalesced in one segment, and a trailing partial one', () => {
    const reader = new FrameReader();
    const third = encodeTcpFrame('{"c":3}');
    const segment = Buffer.concat([encodeTcpFrame('{"a":1}'), encodeTcpFrame('{"b":2}'), third.subarray(0, 6)]);
    assert.deepEqual(texts(reader.push(segment)), ['{"a":1}', '{"b":2}']);
    assert.equal(reader.pendingBytes, 6);
    assert.deepEqual(texts(reader.push(third.subarray(6))), ['{"c":3}']);
  });

  it('reads a reply of tens of KiB in uneven segments', () => {
    const big = JSON.stringify({ netif: { get_scaninfo: { ap_list: Array.from({ length: 900 }, (_, i) => ({ ssid: `net-${i}`, key_type: 3 })) } } });
    assert.ok(big.length > 20_000);
    const frame = encodeTcpFrame(big);
    const reader = new FrameReader();
    const out: Buffer[] = [];
    for (let at = 0; at < frame.length; at += 1337) out.push(...reader.push(frame.subarray(at, at + 1337)));
    assert.deepEqual(texts(out), [big]);
  });

  it('accepts an empty frame', () => {
    assert.deepEqual(new FrameReader().push(Buffer.from('00000000', 'hex')).map((f) => f.length), [0]);
  });

  it('refuses a lying 4 GiB header at once, before the body arrives', () => {
    const reader = new FrameReader(1024);
    assert.throws(
      () => reader.push(Buffer.from('ffffffff01', 'hex')),
      (err: unknown) => err instanceof KasaError && err.code === ErrorCode.TOO_LARGE && /4294967295/.test(err.message),
    );
    assert.equal(reader.pendingBytes, 0);
  });

  it('enforces a configured maximum exactly', () => {
    const reader = new FrameReader(7);
    assert.equal(reader.push(encodeTcpFrame('{"a":1}')).length, 1);
    assert.throws(() => reader.push(encodeTcpFrame('{"a":12}')), { code: ErrorCode.TOO_LARGE });
  });
});
