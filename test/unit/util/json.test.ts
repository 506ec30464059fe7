import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasOwnKey } from '../../../src/util/json';

void describe('hasOwnKey', () => {
  void it('answers as Object.keys(value).length > 0 would: own enumerable keys only', () => {
    const inherited = Object.create({ method: 'get_device_info' }) as object;
    const hidden = Object.defineProperty({}, 'method', { value: 'x', enumerable: false });
    const cases: Array<[object, boolean]> = [
      [{}, false],
      [{ system: { get_sysinfo: {} } }, true],
      [inherited, false],
      [hidden, false],
      [Object.create(null) as object, false],
      [Object.assign(Object.create(null) as object, { a: 1 }), true],
    ];
    for (const [value, expected] of cases) {
      assert.equal(hasOwnKey(value), expected);
      assert.equal(hasOwnKey(value), Object.keys(value).length > 0);
    }
  });
});
