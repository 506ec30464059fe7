import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keepAliveSeconds } from '../../../../src/transport/http/http-connection';

describe('keepAliveSeconds (the Keep-Alive header a device sends)', () => {
  it('reads timeout=N at the start or after a comma or a space, in any case', () => {
    assert.equal(keepAliveSeconds('timeout=5'), 5);
    assert.equal(keepAliveSeconds('Timeout=5, max=100'), 5);
    assert.equal(keepAliveSeconds('max=100,timeout=7'), 7);
    assert.equal(keepAliveSeconds('max=100, TIMEOUT=8'), 8);
    assert.equal(keepAliveSeconds('max=100\ttimeout=9'), 9);
    assert.equal(keepAliveSeconds('timeout=12s'), 12, 'the digits that follow, as far as they go');
    assert.equal(keepAliveSeconds(String(['timeout=3', 'max=2'])), 3, 'a header sent twice, joined');
  });

  it('takes the first timeout with digits, and nothing from a longer name or a bare timeout=', () => {
    assert.equal(keepAliveSeconds('xtimeout=5'), undefined);
    assert.equal(keepAliveSeconds('timeout='), undefined);
    assert.equal(keepAliveSeconds('timeout=abc, timeout=4'), 4);
    assert.equal(keepAliveSeconds('max=100'), undefined);
    assert.equal(keepAliveSeconds(''), undefined);
    assert.equal(keepAliveSeconds('connect-timeout=3, timeout=6'), 6);
  });
});
