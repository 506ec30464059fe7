import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Deadband } from '../../../src/device/deadband';

describe('the deadband of polled readings', () => {
  it('passes the first reading, then only moves of more than the deadband, either way', () => {
    const band = new Deadband(5);
    const passed = [100, 103, 105, 95, 105.5, 100.5, 100.4].map((watts) => band.pass(watts));
    // 105 and 95 are exactly 5 W from 100: not more than the deadband.
    assert.deepEqual(passed, [true, false, false, false, true, false, true]);
  });

  it('passes every reading when the deadband is 0', () => {
    const band = new Deadband(0);
    assert.deepEqual([1, 1, 1].map((watts) => band.pass(watts)), [true, true, true]);
  });
});
