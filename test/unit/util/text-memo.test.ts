import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TextMemo } from '../../../src/util/text-memo';

/** A memo of upper-casing that counts how often it really computed. */
function counted(maxEntries?: number, maxLength?: number): { memo: TextMemo; calls: string[] } {
  const calls: string[] = [];
  const memo = new TextMemo(
    (text) => {
      calls.push(text);
      return text.toUpperCase();
    },
    maxEntries,
    maxLength,
  );
  return { memo, calls };
}

describe('TextMemo', () => {
  it('computes a text once and gives the same result again', () => {
    const { memo, calls } = counted();
    assert.equal(memo.get('plug'), 'PLUG');
    assert.equal(memo.get('plug'), 'PLUG');
    assert.equal(memo.get('lamp'), 'LAMP');
    assert.deepEqual(calls, ['plug', 'lamp']);
  });

  it('keeps no text longer than its limit, so it cannot grow by length', () => {
    const { memo, calls } = counted(10, 4);
    assert.equal(memo.get('abcde'), 'ABCDE');
    assert.equal(memo.get('abcde'), 'ABCDE');
    assert.equal(memo.get('abcd'), 'ABCD');
    assert.equal(memo.get('abcd'), 'ABCD');
    assert.deepEqual(calls, ['abcde', 'abcde', 'abcd']);
  });

  it('starts afresh when full, so ever-changing texts cannot make it grow, and stays right after', () => {
    const { memo, calls } = counted(3);
    for (const text of ['a', 'b', 'c']) memo.get(text);
    memo.get('a');
    assert.equal(calls.length, 3, 'a is still known while there is room');
    assert.equal(memo.get('d'), 'D'); // full: cleared, then d kept
    assert.equal(memo.get('a'), 'A');
    assert.equal(memo.get('d'), 'D');
    assert.deepEqual(calls, ['a', 'b', 'c', 'd', 'a']);
  });
});
