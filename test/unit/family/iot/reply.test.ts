import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, KasaError } from '../../../../src/util/errors';
import { checkAnswers, checkReply } from '../../../../src/family/iot/reply';
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

describe('a reply answers the request only when it answers every method asked', () => {
  const asked = { system: { set_relay_state: { state: 1 }, get_sysinfo: {} }, emeter: { get_realtime: {} } };

  it('accepts a reply with every module and method, or a module-wide err_code', () => {
    assert.doesNotThrow(() =>
      checkAnswers(asked, { system: { set_relay_state: { err_code: 0 }, get_sysinfo: { err_code: 0 } }, emeter: { get_realtime: { err_code: 0 } } }, DEV),
    );
    assert.doesNotThrow(() => checkAnswers(asked, { system: { set_relay_state: {}, get_sysinfo: {} }, emeter: { err_code: -1 } }, DEV));
    assert.doesNotThrow(() => checkAnswers({ context: { child_ids: ['x'] }, system: { get_sysinfo: {} } }, { system: { get_sysinfo: {} } }, DEV));
  });

  it('refuses a reply that answers only some of the methods asked in a module', () => {
    // The device answered the read, not the switch: taking it would report a switch that never happened.
    const partial = { system: { get_sysinfo: { err_code: 0 } }, emeter: { get_realtime: { err_code: 0 } } };
    assert.throws(() => checkAnswers(asked, partial, DEV), { code: ErrorCode.PROTOCOL });
    const otherHalf = { system: { set_relay_state: { err_code: 0 } }, emeter: { get_realtime: { err_code: 0 } } };
    assert.throws(() => checkAnswers(asked, otherHalf, DEV), { code: ErrorCode.PROTOCOL });
  });

  it('refuses a reply without one of the modules asked, or with a module that is not an object', () => {
    assert.throws(() => checkAnswers(asked, { system: { set_relay_state: {}, get_sysinfo: {} } }, DEV), { code: ErrorCode.PROTOCOL });
    assert.throws(() => checkAnswers(asked, { system: { set_relay_state: {}, get_sysinfo: {} }, emeter: 0 }, DEV), { code: ErrorCode.PROTOCOL });
    assert.throws(() => checkAnswers(asked, { system: [], emeter: { get_realtime: {} } }, DEV), { code: ErrorCode.PROTOCOL });
    // A method of the same name under another module is not the answer.
    assert.throws(() => checkAnswers({ emeter: { get_realtime: {} } }, { 'smartlife.iot.common.emeter': { get_realtime: {} } }, DEV), {
      code: ErrorCode.PROTOCOL,
    });
    // Inherited names are not answers.
    assert.throws(() => checkAnswers({ system: { toString: {} } }, { system: {} }, DEV), { code: ErrorCode.PROTOCOL });
  });
});
