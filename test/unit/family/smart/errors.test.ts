import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../../src/util/errors';
import { smartError, smartErrorClass } from '../../../../src/family/smart/errors';

void describe('SMART error codes', () => {
  void it('sorts the section 5 codes into their classes', () => {
    const classes: Record<string, number[]> = {
      session: [9999, 1002, 1112, -1001, -40401, -40413],
      auth: [-1501, 1111, 1100, 1003, -1005, -40412],
      unsupported: [-1002, -1008],
      other: [-1, -1003, -1010, 12345, -77],
    };
    for (const [kind, codes] of Object.entries(classes)) {
      for (const code of codes) assert.equal(smartErrorClass(code), kind, String(code));
    }
  });

  void it('maps each class to a package code with a message naming the method', () => {
    const cases: Array<[number, ErrorCode, RegExp]> = [
      [-1501, ErrorCode.AUTH, /refused get_device_info because the TP-Link account was not accepted \(SMART error -1501, login failed\)/],
      [-1002, ErrorCode.NOT_SUPPORTED, /does not support get_device_info \(SMART error -1002, unknown method\)/],
      [9999, ErrorCode.DEVICE_ERROR, /ended the session while answering get_device_info \(SMART error 9999, session timed out\)/],
      [-1008, ErrorCode.NOT_SUPPORTED, /does not support get_device_info, or refused its parameters \(SMART error -1008, invalid parameters\)/],
      [-1, ErrorCode.DEVICE_ERROR, /could not carry out get_device_info \(SMART error -1, failed\)/],
      [4242, ErrorCode.DEVICE_ERROR, /could not carry out get_device_info \(SMART error 4242\)/],
    ];
    for (const [code, expected, message] of cases) {
      const err = smartError(code, 'get_device_info', '127.0.0.1:80');
      assert.equal(err.code, expected);
      assert.match(err.message, message);
      assert.match(err.message, /^127\.0\.0\.1:80 /);
      assert.equal(err.errCode, code);
      assert.equal(err.method, 'get_device_info');
    }
  });

  void it('shows a hostile method name safely', () => {
    const err = smartError(-1, 'evil\u001b[2J\u202Ename', 'dev');
    assert.ok(!err.message.includes('\u001b') && !err.message.includes('\u202e'), err.message);
  });
});
