import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidHost } from '../../../src/util/host-name';

describe('isValidHost (syntax only, no lookup)', () => {
  it('takes IPv4 and IPv6 addresses', () => {
    for (const host of ['127.0.0.1', '192.168.1.20', '::1', 'fe80::1%eth0', '::ffff:127.0.0.1', '2001:db8::20']) {
      assert.equal(isValidHost(host), true, host);
    }
  });

  it('takes RFC 1123 host names, digits first and a trailing dot included', () => {
    for (const host of ['localhost', 'plug', 'kitchen-plug.local', '3com.example', 'HS110.lan.', 'a'.repeat(63) + '.example']) {
      assert.equal(isValidHost(host), true, host);
    }
  });

  it('refuses what is neither', () => {
    for (const host of [
      '',
      ' ',
      'bad host!',
      'under_score',
      '-plug',
      'plug-',
      'a..b',
      '.',
      'a'.repeat(64),
      `${'a'.repeat(60)}.`.repeat(5),
      '[::1]',
      '192.168.1.300',
      '127.1',
      '1234',
      '01.2.3.4',
      'plug:9999',
      'ünicode',
    ]) {
      assert.equal(isValidHost(host), false, JSON.stringify(host));
    }
  });
});
