import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it, TestContext } from 'node:test';
import { parseSimArgs, SIM_USAGE } from '../../bin/tplink-sim';
import { ErrorCode } from '../../src/util/errors';
import type { BrightnessEvent, RelayEvent } from '../../src/simulator/device-state';
import { SimulatedDevice } from '../../src/simulator/server';
import { callMethod, startKasaSim, sysinfoOf } from '../support/kasa-sim';
import type { ModelName } from '../../src/simulator/models';

type Json = Record<string, unknown>;

const LIMIT = { timeout: 10_000 };
const DIMMER = 'smartlife.iot.dimmer';

/** A started simulated device and a client on it, both closed after the test. */
const start = (t: TestContext, model: ModelName) => startKasaSim(t, model, `dimmer-test-${model}`);
const call = callMethod;

const sysinfo = sysinfoOf;

/** The next event of that name, or a rejection after 3 s: never a wait on time. */
function next<T>(device: SimulatedDevice, event: string): Promise<T> {
  return once(device, event, { signal: AbortSignal.timeout(3000) }).then(([payload]) => payload as T);
}

void describe('simulated HS220 wall dimmer', () => {
  void it('sysinfo: a plug-type switch with a brightness of 1-100, no meter', LIMIT, async (t) => {
    const { client } = await start(t, 'hs220');
    const info = await sysinfo(client);
    assert.equal(info['err_code'], 0);
    assert.equal(info['mic_type'], 'IOT.SMARTPLUGSWITCH');
    assert.equal(info['type'], undefined);
    assert.equal(info['model'], 'HS220(US)');
    assert.equal(info['feature'], 'TIM');
    assert.equal(info['dev_name'], 'Smart Wi-Fi Dimmer');
    assert.equal(info['relay_state'], 1);
    assert.equal(info['children'], undefined);
    const brightness = info['brightness'];
    assert.ok(Number.isInteger(brightness) && (brightness as number) >= 1 && (brightness as number) <= 100, String(brightness));
    const { reply } = await client.exchange({ emeter: { get_realtime: {} } });
    assert.equal((reply['emeter'] as Json)['err_code'], -1);
  });

  void it('set_brightness: sysinfo reports it, an event says so, the relay stays as it was', LIMIT, async (t) => {
    const { device, client } = await start(t, 'hs220');
    device.state.setRelay(false);
    const event = next<BrightnessEvent>(device, 'brightness');
    assert.deepEqual(await call(client, DIMMER, 'set_brightness', { brightness: 42 }), { err_code: 0 });
    assert.deepEqual(await event, { brightness: 42 });
    assert.equal(device.state.getBrightness(), 42);
    const info = await sysinfo(client);
    assert.equal(info['brightness'], 42);
    assert.equal(info['relay_state'], 0);
    // The edges of the range are brightnesses too.
    for (const brightness of [1, 100]) {
      assert.equal((await call(client, DIMMER, 'set_brightness', { brightness }))['err_code'], 0);
      assert.equal((await sysinfo(client))['brightness'], brightness);
    }
  });

  void it('set_dimmer_transition: reaches the brightness, turns the light on, reports the duration', LIMIT, async (t) => {
    const { device, client } = await start(t, 'hs220');
    device.state.setRelay(false);
    device.state.setBrightness(80);
    const brightness = next<BrightnessEvent>(device, 'brightness');
    const relay = next<RelayEvent>(device, 'relay');
    assert.deepEqual(await call(client, DIMMER, 'set_dimmer_transition', { brightness: 30, duration: 1500 }), { err_code: 0 });
    assert.deepEqual(await brightness, { brightness: 30, transition: 1500 });
    assert.deepEqual(await relay, { on: true });
    const info = await sysinfo(client);
    assert.equal(info['brightness'], 30);
    assert.equal(info['relay_state'], 1);
  });

  void it('refuses a brightness outside 1-100 or not a whole number with -3, and changes nothing', LIMIT, async (t) => {
    const { device, client } = await start(t, 'hs220');
    device.state.setBrightness(55);
    const events: BrightnessEvent[] = [];
    device.on('brightness', (event: BrightnessEvent) => events.push(event));
    for (const args of [{ brightness: 0 }, { brightness: 101 }, { brightness: -5 }, { brightness: 50.5 }, { brightness: '50' }, {}, null]) {
      const reply = await call(client, DIMMER, 'set_brightness', args);
      assert.equal(reply['err_code'], -3, JSON.stringify(args));
      assert.equal(typeof reply['err_msg'], 'string');
    }
    for (const args of [{ brightness: 0, duration: 100 }, { brightness: 50, duration: -1 }, { brightness: 50, duration: '1s' }, { brightness: 50 }]) {
      assert.equal((await call(client, DIMMER, 'set_dimmer_transition', args))['err_code'], -3, JSON.stringify(args));
    }
    assert.equal((await call(client, DIMMER, 'set_switch_state', { state: 1 }))['err_code'], -2);
    assert.equal((await sysinfo(client))['brightness'], 55);
    assert.deepEqual(events, []);
  });

  void it('get_dimmer_parameters: fade and gentle times in ms, threshold, ramp rate, bulb type', LIMIT, async (t) => {
    const { client } = await start(t, 'hs220');
    const reply = await call(client, DIMMER, 'get_dimmer_parameters');
    assert.equal(reply['err_code'], 0);
    for (const key of ['minThreshold', 'fadeOnTime', 'fadeOffTime', 'gentleOnTime', 'gentleOffTime', 'rampRate', 'bulb_type']) {
      assert.ok(Number.isInteger(reply[key]) && (reply[key] as number) >= 0, `${key}: ${String(reply[key])}`);
    }
  });

  void it('system.set_relay_state switches it as on a plug; off and on again keep the brightness', LIMIT, async (t) => {
    const { device, client } = await start(t, 'hs220');
    device.state.setBrightness(25);
    const off = next<RelayEvent>(device, 'relay');
    assert.equal((await call(client, 'system', 'set_relay_state', { state: 0 }))['err_code'], 0);
    assert.deepEqual(await off, { on: false });
    assert.equal(device.state.getRelay(), false);
    assert.equal((await sysinfo(client))['relay_state'], 0);
    assert.equal((await call(client, 'system', 'set_relay_state', { state: 1 }))['err_code'], 0);
    const info = await sysinfo(client);
    assert.equal(info['relay_state'], 1);
    assert.equal(info['brightness'], 25);
  });

  void it('at the wall: setBrightness changes what the device reports and emits the event once', LIMIT, async (t) => {
    const { device, client } = await start(t, 'hs220');
    device.state.setBrightness(60);
    const events: BrightnessEvent[] = [];
    device.on('brightness', (event: BrightnessEvent) => events.push(event));
    device.state.setBrightness(10);
    device.state.setBrightness(10);
    assert.deepEqual(events, [{ brightness: 10 }]);
    assert.equal((await sysinfo(client))['brightness'], 10);
    for (const bad of [0, 101, 3.5, Number.NaN]) {
      assert.throws(() => device.state.setBrightness(bad), { code: ErrorCode.BAD_INPUT });
    }
    assert.equal(device.state.getBrightness(), 10);
  });
});

void describe('simulated wall switches HS200, HS210 and plugs without a dimmer', () => {
  for (const model of ['hs200', 'hs210'] as const) {
    void it(`${model}: switches as a plug, has no dimmer`, LIMIT, async (t) => {
      const { device, client } = await start(t, model);
      const info = await sysinfo(client);
      assert.equal(info['model'], `${model.toUpperCase()}(US)`);
      assert.equal(info['mic_type'], 'IOT.SMARTPLUGSWITCH');
      assert.equal(info['brightness'], undefined);
      assert.equal((await call(client, 'system', 'set_relay_state', { state: 0 }))['err_code'], 0);
      assert.equal(device.state.getRelay(), false);
      const { reply } = await client.exchange({ [DIMMER]: { set_brightness: { brightness: 50 } } });
      assert.deepEqual(reply[DIMMER], { err_code: -1, err_msg: 'module not support' });
      assert.equal(device.state.hasDimmer, false);
      assert.throws(() => device.state.setBrightness(50), { code: ErrorCode.NOT_SUPPORTED });
    });
  }

  void it('an hs100 has no brightness in sysinfo and no dimmer module', LIMIT, async (t) => {
    const { device, client } = await start(t, 'hs100');
    assert.equal((await sysinfo(client))['brightness'], undefined);
    assert.equal(device.state.hasDimmer, false);
    assert.throws(() => device.state.getBrightness(), { code: ErrorCode.NOT_SUPPORTED });
  });

  void it('tplink-sim takes --model hs220, hs200 and hs210 and lists them in its help', () => {
    assert.deepEqual(parseSimArgs(['--model', 'hs220,hs200,hs210'])?.models, ['hs220', 'hs200', 'hs210']);
    assert.match(SIM_USAGE, /hs200, hs210, hs220/);
  });
});
