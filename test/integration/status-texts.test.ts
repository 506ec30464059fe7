// Status texts come from the device node's locale file, looked up by Node-RED's own i18n under the
// package's catalogue name, and every failure code has its few words there.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { useRuntimeI18n, statusText } from '../../nodes/lib/i18n';
import { errorStatus, linkStatus, offlineStatus, powerStatus } from '../../nodes/lib/status';
import { ErrorCode, KasaError } from '../../src/util/errors';

// Node-RED's i18n, as the runtime uses it (the package's require of node-red brings it).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const i18n = require('@node-red/util').i18n as {
  init(settings: unknown): Promise<void>;
  registerMessageCatalog(namespace: string, dir: string, file: string): Promise<void>;
  _(key: string, substitutions?: Record<string, unknown>): string;
};

describe('status texts from the locale file', () => {
  before(async () => {
    await i18n.init({});
    // Where the registry puts a node set's catalogue: its id, <module>/<set>, from the locales beside it.
    await i18n.registerMessageCatalog('@kasa-flows/node-red-tplink-kasa/tplink-device', path.join(__dirname, '..', '..', 'nodes', 'locales'), 'tplink-device.json');
    useRuntimeI18n({ _: (key, substitutions) => i18n._(key, substitutions) });
  });

  it("are looked up in the device node's catalogue through Node-RED's i18n, with substitutions", () => {
    assert.equal(i18n._('@kasa-flows/node-red-tplink-kasa/tplink-device:tplink-device.status.onAt', { label: 'Lamp: ', brightness: 40 }), 'Lamp: on 40%');
    assert.deepEqual(powerStatus(true, 'Lamp', 40), { fill: 'green', shape: 'dot', text: 'Lamp: on 40%' });
    assert.equal(powerStatus(false).text, 'off');
    assert.equal(powerStatus([true, false, true]).text, '2 of 3 on');
    assert.equal(linkStatus('connecting').text, 'connecting');
    assert.equal(linkStatus('auth').text, 'account refused: check the device node');
    assert.equal(offlineStatus(new KasaError(ErrorCode.TIMEOUT, 'x')).text, 'offline: no answer');
  });

  it('has words for every error code, and a plain word for errors without one', () => {
    for (const code of Object.values(ErrorCode)) {
      const text = errorStatus(new KasaError(code, 'x')).text ?? '';
      assert.ok(text !== '' && !text.includes('reason.') && text !== 'error', `${code}: "${text}"`);
    }
    assert.equal(errorStatus(new Error('plain')).text, 'error');
  });

  it('substitutes numbers into the texts', () => {
    assert.equal(statusText('replyPort', { port: 61000 }), 'reply port 61000');
  });
});
