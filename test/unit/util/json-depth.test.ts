import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_JSON_DEPTH, textNestsDeeperThan } from '../../../src/util/json-depth';

const nested = (levels: number, open = '[', close = ']'): string => `${open.repeat(levels)}1${close.repeat(levels)}`;

describe('the nesting bound of JSON text', () => {
  it('refuses one level past the bound, with brackets, braces or both, and passes the bound itself', () => {
    assert.equal(textNestsDeeperThan(nested(MAX_JSON_DEPTH)), false);
    assert.equal(textNestsDeeperThan(nested(MAX_JSON_DEPTH + 1)), true);
    const objects = `${'{"a":'.repeat(MAX_JSON_DEPTH + 1)}1${'}'.repeat(MAX_JSON_DEPTH + 1)}`;
    assert.equal(textNestsDeeperThan(objects), true);
    const mixed = `${'{"a":['.repeat(17)}1${']}'.repeat(17)}`; // 34 levels, 17 of each kind
    assert.equal(textNestsDeeperThan(mixed), true);
    assert.equal(textNestsDeeperThan(nested(3), 2), true);
    assert.equal(textNestsDeeperThan(nested(2), 2), false);
  });

  it('counts levels, not brackets: many side by side are shallow, and brackets in strings are text', () => {
    assert.equal(textNestsDeeperThan(`[${Array(500).fill('[1]').join(',')}]`), false);
    assert.equal(textNestsDeeperThan(`{"a":"${'['.repeat(1000)}"}`), false);
    assert.equal(textNestsDeeperThan(`["\\"${'['.repeat(100)}"]`), false, 'an escaped quote does not end the string');
  });
});
