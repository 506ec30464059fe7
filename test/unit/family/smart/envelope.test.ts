import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, KasaError } from '../../../../src/util/errors';
import { buildSmartRequest, checkSmartRequest, newTerminalUuid, parseSmartReply, prepareSmartRequest, stampSmartRequest } from '../../../../src/family/smart/envelope';
import { MAX_JSON_VALUES } from '../../../../src/util/json-depth';

function isCode(code: ErrorCode, pattern?: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof KasaError, String(err));
    assert.equal(err.code, code, err.message);
    if (pattern !== undefined) assert.match(err.message, pattern);
    return true;
  };
}

void describe('SMART request envelope', () => {
  void it('writes method, params only when given, request_time_milis and terminal_uuid', () => {
    assert.equal(
      buildSmartRequest({ method: 'get_device_info' }, 'UUID', 1700000000123),
      '{"method":"get_device_info","request_time_milis":1700000000123,"terminal_uuid":"UUID"}',
    );
    assert.equal(
      buildSmartRequest({ method: 'set_device_info', params: { device_on: true } }, 'UUID', 5),
      '{"method":"set_device_info","params":{"device_on":true},"request_time_milis":5,"terminal_uuid":"UUID"}',
    );
  });

  void it('writes a prepared request as buildSmartRequest does, with each time it is stamped with', () => {
    const request = { method: 'multipleRequest', params: { requests: [{ method: 'set_device_info', params: { device_on: false, nickname: 'a"b' } }, { method: 'get_device_info' }] } };
    const prepared = prepareSmartRequest(request, 'U"U');
    for (const now of [0, 5, 1700000000123]) assert.equal(stampSmartRequest(prepared, now), buildSmartRequest(request, 'U"U', now));
    assert.deepEqual(JSON.parse(stampSmartRequest(prepared, 9)), { ...request, request_time_milis: 9, terminal_uuid: 'U"U' });
    assert.equal(stampSmartRequest(prepareSmartRequest({ method: 'get_device_info' }, 'U'), 1), buildSmartRequest({ method: 'get_device_info' }, 'U', 1));
  });

  void it('counts the values the envelope adds against the limit, as when the whole envelope was counted', () => {
    // The envelope, method, params, the list, its entries, the time and the terminal_uuid.
    const holding = (entries: number) => ({ method: 'set_x', params: { list: new Array<number>(entries).fill(0) } });
    const fits = holding(MAX_JSON_VALUES - 6);
    assert.equal(JSON.parse(buildSmartRequest(fits, 'U', 1)).params.list.length, MAX_JSON_VALUES - 6);
    assert.throws(() => prepareSmartRequest(holding(MAX_JSON_VALUES - 5), 'U'), isCode(ErrorCode.BAD_INPUT, /values/));
    assert.throws(() => buildSmartRequest(holding(MAX_JSON_VALUES - 5), 'U'), isCode(ErrorCode.BAD_INPUT, /values/));
  });

  void it('makes a terminal_uuid of 16 random bytes in base64', () => {
    const a = newTerminalUuid();
    assert.match(a, /^[A-Za-z0-9+/]{22}==$/);
    assert.equal(Buffer.from(a, 'base64').length, 16);
    assert.notEqual(a, newTerminalUuid());
  });

  void it('refuses what is no SMART command with BAD_INPUT', () => {
    assert.throws(() => checkSmartRequest('get_device_info'), isCode(ErrorCode.BAD_INPUT));
    assert.throws(() => checkSmartRequest({}), isCode(ErrorCode.BAD_INPUT, /method name/));
    assert.throws(() => checkSmartRequest({ method: 'a b' }), isCode(ErrorCode.BAD_INPUT));
    assert.throws(() => checkSmartRequest({ method: 'x', params: [1] }), isCode(ErrorCode.BAD_INPUT, /params/));
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 40; i++) at = at['a'] = {};
    assert.throws(() => buildSmartRequest({ method: 'set_x', params: deep }, 'U'), isCode(ErrorCode.BAD_INPUT, /nested/));
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    assert.throws(() => buildSmartRequest({ method: 'set_x', params: cyclic }, 'U'), isCode(ErrorCode.BAD_INPUT, /JSON/));
  });
});

void describe('SMART reply parsing', () => {
  void it('reads error_code and result; a set_* may come without result', () => {
    assert.deepEqual(parseSmartReply('{"error_code":0,"result":{"a":1}}', 'dev'), { errorCode: 0, result: { a: 1 } });
    assert.deepEqual(parseSmartReply('{"error_code":0}', 'dev'), { errorCode: 0 });
    assert.deepEqual(parseSmartReply('{"error_code":-1002}', 'dev'), { errorCode: -1002 });
    assert.deepEqual(parseSmartReply('{"error_code":"-1008","result":null}', 'dev'), { errorCode: -1008 });
  });

  void it('answers PROTOCOL for anything that is not a SMART reply', () => {
    for (const text of ['[1]', 'null', '"x"', 'not json', '{}', '{"error_code":true}', '{"error_code":0,"result":[1]}', '{"error_code":0,"result":5}']) {
      assert.throws(() => parseSmartReply(text, 'dev'), isCode(ErrorCode.PROTOCOL), text);
    }
    assert.throws(() => parseSmartReply(`{"error_code":0,"result":${'['.repeat(100)}${']'.repeat(100)}}`, 'dev'), isCode(ErrorCode.PROTOCOL, /deep/));
  });
});
