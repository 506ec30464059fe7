import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/util/errors';
import { connectDevice } from '../../../src/family/connect';
import { TRANSPORT_CHOICES, TransportChoice, createTransport, isTransportChoice } from '../../../src/transport/factory';
import { isKasaError } from '../../support/errors';

// From <build>/test/unit/transport to the repository's root.
const ROOT = path.join(__dirname, '..', '..', '..', '..');

void describe('the transport choices of the factory and the device node editor', () => {
  void it('offers every choice createTransport takes, each with a label, and nothing else', () => {
    const html = fs.readFileSync(path.join(ROOT, 'nodes', 'tplink-device.html'), 'utf8');
    const select = /<select id="node-config-input-transport"[^>]*>([\s\S]*?)<\/select>/.exec(html)?.[1] ?? '';
    const offered = [...select.matchAll(/<option value="([^"]+)" data-i18n="tplink-device\.transport\.([^"]+)"/g)];
    assert.deepEqual(offered.map((m) => m[1]), [...TRANSPORT_CHOICES]);
    assert.deepEqual(offered.map((m) => m[2]), [...TRANSPORT_CHOICES], 'each option names its own label');
    const labels = (JSON.parse(fs.readFileSync(path.join(ROOT, 'nodes', 'locales', 'en-US', 'tplink-device.json'), 'utf8')) as {
      'tplink-device': { transport: Record<string, string> };
    })['tplink-device'].transport;
    assert.deepEqual(Object.keys(labels), [...TRANSPORT_CHOICES]);
    assert.equal(labels['aes'], 'AES (older Tapo firmware, on the HTTP port)');
  });

  void it("knows 'aes' and 'tpap'", () => {
    assert.ok(isTransportChoice('aes'));
    assert.ok(isTransportChoice('tpap'));
    assert.ok(!isTransportChoice('tpap2'));
  });

  void it('refuses a transport outside the choices in plain words, from JavaScript too, where the types do not reach', async () => {
    for (const transport of ['http', undefined, 7]) {
      const settings = { host: '127.0.0.1', port: 9999, transport: transport as unknown as TransportChoice };
      assert.throws(() => createTransport(settings), isKasaError(ErrorCode.BAD_INPUT, /is no transport: choose one of auto, tcp, udp, klap, aes, tpap/));
      // Nothing is sent: the settings are refused before any socket opens.
      await assert.rejects(connectDevice(settings), isKasaError(ErrorCode.BAD_INPUT, /is no transport/));
    }
  });
});
