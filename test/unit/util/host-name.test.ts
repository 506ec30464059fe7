import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { HOST_LABEL_PATTERN, hostProblem, isValidHost } from '../../../src/util/host-name';

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

describe('hostProblem (what the config node and its dialog say)', () => {
  it('says nothing of a usable host', () => {
    for (const host of ['127.0.0.1', 'fe80::1', 'plug.lan']) assert.equal(hostProblem(host, '-p'), undefined, host);
  });

  it('names host:port and where the port goes', () => {
    assert.match(hostProblem('192.168.1.20:9999', 'the Port field') ?? '', /host alone \(192\.168\.1\.20\) and the port \(9999\) in the Port field/);
    assert.match(hostProblem('plug.lan:80', '-p') ?? '', /host alone \(plug\.lan\) and the port \(80\) in -p/);
    assert.match(hostProblem('[::1]:9999', '-p') ?? '', /host alone \(::1\)/);
  });

  it('says what a host may be otherwise', () => {
    for (const host of ['bad host!', '192.168.1.300', 'plug_1', 'a:b:c']) {
      assert.match(hostProblem(host, '-p') ?? '', /is not a host name or IP address: give an IPv4 address/, host);
    }
  });
});

describe('the device dialog checks the Host field as the runtime does (resources/editor.js)', () => {
  type Check = { host: string; bare?: string; port?: string } | null;
  /** The editor helpers, loaded as the browser loads them, beside the table the build writes (read at each call). */
  function withEditor(use: (checkHost: (host: string) => Check) => void): void {
    const g = globalThis as unknown as { window?: Record<string, unknown> };
    const before = g.window;
    g.window = { KasaFlowsTables: { hostLabelPattern: HOST_LABEL_PATTERN }, URL };
    try {
      // dist(-unit)/test/unit/util -> the repository root
      const file = path.join(__dirname, '..', '..', '..', '..', 'resources', 'editor.js');
      delete require.cache[require.resolve(file)];
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a browser script, loaded as the editor loads it
      require(file);
      use((g.window['KasaFlowsEditor'] as { checkHost: (host: string) => Check }).checkHost);
    } finally {
      g.window = before;
    }
  }

  it('agrees with isValidHost and hostProblem on every case', () => withEditor((checkHost) => {
    const cases = [
      '127.0.0.1', '192.168.1.20', '::1', 'fe80::1%eth0', '::ffff:127.0.0.1', '2001:db8::20', '::', 'localhost', 'kitchen-plug.local',
      '3com.example', 'HS110.lan.', 'a'.repeat(63) + '.example', 'bad host!', 'under_score', '-plug', 'plug-', 'a..b', '.',
      'a'.repeat(64), `${'a'.repeat(60)}.`.repeat(5), '[::1]', '192.168.1.300', '127.1', '1234', '01.2.3.4', 'plug:9999', 'ünicode',
      '1::2::3', 'fe80::1%', 'g::1', '1.2.3.4.5', '127.0.0.1:9999', '[fe80::1]:80', 'plug.lan:80', 'a:b:c', '192.168.1.300:9999',
    ];
    for (const host of cases) {
      const editor = checkHost(host);
      assert.equal(editor === null, isValidHost(host), `valid? ${JSON.stringify(host)}`);
      const runtime = hostProblem(host, 'the Port field');
      if (runtime === undefined) continue;
      assert.equal(editor?.port !== undefined, /is a host with a port/.test(runtime), `host:port? ${JSON.stringify(host)}`);
      if (editor?.bare !== undefined) assert.ok(runtime.includes(`host alone (${editor.bare})`), host);
    }
  }));
});
