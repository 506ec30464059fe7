import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, KasaError } from '../../../../src/util/errors';
import { checkReply } from '../../../../src/family/iot/reply';
import { decodeReplyText, parseReplyText } from '../../../../src/util/json';

const DEV = '10.0.0.9:9999';

describe('reply decoding and checking', () => {
  it('rejects bytes that are not UTF-8 with PROTOCOL', () => {
    assert.throws(() => decodeReplyText(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), DEV), { code: ErrorCode.PROTOCOL });
  });

  it('rejects text that is not JSON, showing a printable preview', () => {
    assert.throws(
      () => parseReplyText('HTTP/1.1 400 Bad Request\r\n', DEV),
      (err: unknown) => err instanceof KasaError && err.code === ErrorCode.PROTOCOL && err.message.includes('HTTP/1.1 400') && !err.message.includes('\r'),
    );
  });

  it('rejects JSON that is not an object', () => {
    for (const text of ['[]', '42', 'null', '"x"']) assert.throws(() => parseReplyText(text, DEV), { code: ErrorCode.PROTOCOL });
  });

  it('passes replies whose err_codes are all 0', () => {
    assert.doesNotThrow(() =>
      checkReply({ system: { set_relay_state: { err_code: 0 }, get_sysinfo: { err_code: 0, alias: 'x' } } }, DEV),
    );
  });

  it('reports a method error with module, method, code and message', () => {
    assert.throws(
      () => checkReply({ system: { set_relay_state: { err_code: -3, err_msg: 'invalid argument' } } }, DEV),
      (err: unknown) =>
        err instanceof KasaError &&
        err.code === ErrorCode.DEVICE_ERROR &&
        err.module === 'system' &&
        err.method === 'set_relay_state' &&
        err.errCode === -3 &&
        err.errMsg === 'invalid argument' &&
        err.device === DEV,
    );
  });

  it('reports a module-level "module not support" as NOT_SUPPORTED', () => {
    assert.throws(
      () => checkReply({ emeter: { err_code: -1, err_msg: 'module not support' } }, DEV),
      (err: unknown) => err instanceof KasaError && err.code === ErrorCode.NOT_SUPPORTED && err.module === 'emeter' && err.method === undefined,
    );
  });

  it('reports "member not support" (-2) as NOT_SUPPORTED and -14 as DEVICE_ERROR', () => {
    assert.throws(() => checkReply({ system: { nope: { err_code: -2 } } }, DEV), { code: ErrorCode.NOT_SUPPORTED });
    assert.throws(() => checkReply({ system: { set_relay_state: { err_code: -14, err_msg: 'entry not exist' } } }, DEV), {
      code: ErrorCode.DEVICE_ERROR,
    });
  });
});
