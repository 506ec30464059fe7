import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
// The independent simulator from npm has an hs220 (and an hs200): a second opinion on a dimmer.
import { Device } from 'tplink-smarthome-simulator';
import { KasaClient } from '../../src/family/iot/client';
import { IotDevice } from '../../src/family/iot/device';
import { SimulatedDevice } from '../../src/simulator/server';
import { startPeer } from '../support/peer';

type Json = Record<string, unknown>;

const LIMIT = { timeout: 10_000 };
const DIMMER = 'smartlife.iot.dimmer';

async function withPeer<T>(model: string, run: (client: KasaClient, peer: Device) => Promise<T>): Promise<T> {
  const peer = await startPeer({ model, data: { alias: `peer ${model}` } });
  const client = new KasaClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 3000 });
  try {
    return await run(client, peer);
  } finally {
    await client.close();
    await peer.stop();
  }
}

/** The reply of one method, err_code included, unchecked. */
async function call(client: KasaClient, module: string, method: string, args: unknown = {}): Promise<Json> {
  const { reply } = await client.exchange({ [module]: { [method]: args } });
  return (reply[module] as Json)[method] as Json;
}

/**
 * What tplink-smarthome-simulator 5.0.1's hs220 answers, seen here (and where this project's
 * simulator differs, so that a node can be written to handle both):
 * - sysinfo: `model` "HS220(US)", `feature` "TIM", `relay_state` 0 and `brightness` 50 out of the
 *   box, `preferred_state` [{index, brightness}]; it sends `type` AND `mic_type`, and `latitude`
 *   as a string beside `latitude_i`. Ours: `mic_type` only, `relay_state` 1, `brightness` 100.
 * - set_brightness: refuses only brightness <= 0 (err_code -3 "invalid argument"); 101 and "7"
 *   are taken and reported back as they came. Ours refuses anything but a whole 1-100 with -3.
 * - set_dimmer_transition {brightness, duration}: sets the brightness, leaves the relay as it was.
 *   Ours also turns the light on, as python-kasa documents for real dimmers.
 * - get_dimmer_parameters: {minThreshold, fadeOnTime, fadeOffTime, gentleOnTime, gentleOffTime,
 *   rampRate, bulb_type} (numbers), as ours.
 * - emeter: `{"emeter":{"get_realtime":{"err_code":-1,...}}}`, the error per method; ours answers
 *   `{"emeter":{"err_code":-1,...}}`, per module. A client must accept both.
 */
void describe('interoperability: the HS220 dimmer of tplink-smarthome-simulator', () => {
  void it('has an hs220 model', () => {
    assert.ok(Device.models.includes('hs220'), `models: ${Device.models.join(', ')}`);
  });

  void it('sysinfo: a plug-type switch with a brightness; the project reads it as a plug', LIMIT, async () => {
    await withPeer('hs220', async (client) => {
      const info = await call(client, 'system', 'get_sysinfo');
      assert.equal(info['err_code'], 0);
      assert.equal(info['model'], 'HS220(US)');
      assert.equal(info['mic_type'], 'IOT.SMARTPLUGSWITCH');
      assert.equal(info['type'], 'IOT.SMARTPLUGSWITCH');
      assert.equal(info['feature'], 'TIM');
      assert.equal(info['relay_state'], 0);
      assert.equal(info['brightness'], 50);
      assert.ok(Array.isArray(info['preferred_state']));
      assert.equal(typeof info['latitude'], 'string');
      const device = new IotDevice(client);
      const read = (await device.getSysinfo()).info;
      assert.equal(read.alias, 'peer hs220');
      assert.equal(read.model, 'HS220(US)');
      assert.equal(read.hasEnergyMeter, false);
      assert.equal(read.on, false);
      assert.equal((await device.setPower(true)).on, true);
    });
  });

  void it('set_brightness and set_dimmer_transition: err_code 0, sysinfo reports the brightness', LIMIT, async () => {
    await withPeer('hs220', async (client) => {
      assert.deepEqual(await call(client, DIMMER, 'set_brightness', { brightness: 42 }), { err_code: 0 });
      assert.equal((await call(client, 'system', 'get_sysinfo'))['brightness'], 42);
      assert.deepEqual(await call(client, DIMMER, 'set_dimmer_transition', { brightness: 30, duration: 1500 }), { err_code: 0 });
      const info = await call(client, 'system', 'get_sysinfo');
      assert.equal(info['brightness'], 30);
      assert.equal(info['relay_state'], 0, 'the peer leaves the relay off after a transition');
      const parameters = await call(client, DIMMER, 'get_dimmer_parameters');
      for (const key of ['minThreshold', 'fadeOnTime', 'fadeOffTime', 'gentleOnTime', 'gentleOffTime', 'rampRate', 'bulb_type']) {
        assert.equal(typeof parameters[key], 'number', key);
      }
    });
  });

  void it('errors: 0 is refused with -3 by both simulators; only ours refuses 101', LIMIT, async () => {
    await withPeer('hs220', async (client) => {
      assert.deepEqual(await call(client, DIMMER, 'set_brightness', { brightness: 0 }), { err_code: -3, err_msg: 'invalid argument' });
      assert.equal((await call(client, DIMMER, 'set_brightness', { brightness: 101 }))['err_code'], 0);
      assert.equal((await call(client, DIMMER, 'nope'))['err_code'], -2);
      assert.equal((await call(client, 'emeter', 'get_realtime'))['err_code'], -1);
    });
    const ours = new SimulatedDevice({ model: 'hs220', udp: false });
    await ours.start();
    const client = new KasaClient({ host: '127.0.0.1', port: ours.port, timeoutMs: 3000 });
    try {
      assert.deepEqual(await call(client, DIMMER, 'set_brightness', { brightness: 0 }), { err_code: -3, err_msg: 'invalid argument' });
      assert.equal((await call(client, DIMMER, 'set_brightness', { brightness: 101 }))['err_code'], -3);
      assert.equal((await call(client, DIMMER, 'nope'))['err_code'], -2);
    } finally {
      await client.close();
      await ours.stop();
    }
  });
});
