import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it, TestContext } from 'node:test';
import { SIM_USAGE, parseSimArgs } from '../../bin/tplink-sim';
import { KasaClient } from '../../src/family/iot/client';
import { kindOf } from '../../src/family/iot/kinds';
import type { LightEvent } from '../../src/simulator/device-state';
import { KlapServer } from '../../src/simulator/klap-server';
import { LIGHT_MODEL_NAMES, ModelName } from '../../src/simulator/models';
import { SimulatedDevice } from '../../src/simulator/server';
import { callMethod, startKasaSim, sysinfoOf } from '../support/kasa-sim';
import { KlapTransport } from '../../src/transport/klap';

type Json = Record<string, unknown>;

const LIMIT = { timeout: 15_000 };
const BULB = 'smartlife.iot.smartbulb.lightingservice';
const STRIP = 'smartlife.iot.lightStrip';
const EFFECTS = 'smartlife.iot.lighting_effect';
const INVALID_ARGUMENT = -3;

const start = (t: TestContext, model: ModelName) => startKasaSim(t, model, `light-test-${model}`);
const call = callMethod;

const sysinfo = sysinfoOf;

/** A strip effect object with the fields python-kasa's built-in effects carry; the values are made up. */
const EMBERS = {
  custom: 0,
  id: 'simEmbersEffect000000000000000001',
  brightness: 60,
  name: 'Embers',
  enable: 1,
  segments: [0, 3, 7],
  expansion_strategy: 1,
  type: 'random',
  hue_range: [0, 40],
  saturation_range: [80, 100],
  brightness_range: [20, 60],
  duration: 0,
  transition: 500,
};

void describe('simulated Kasa bulbs and light strip (LB130, KL130, KL430)', () => {
  void it('are named in tplink-sim --help and accepted by --model', () => {
    for (const model of LIGHT_MODEL_NAMES) {
      assert.match(SIM_USAGE, new RegExp(`\\b${model}\\b`));
      assert.deepEqual(parseSimArgs(['--model', model])?.models, [model]);
    }
  });

  void it('sysinfo says IOT.SMARTBULB with light_state, is_color, is_variable_color_temp, presets; no relay_state', LIMIT, async (t) => {
    for (const model of LIGHT_MODEL_NAMES) {
      const { client } = await start(t, model);
      const info = await sysinfo(client);
      assert.equal(info['err_code'], 0);
      assert.equal(info['mic_type'], 'IOT.SMARTBULB', model);
      assert.deepEqual([info['is_dimmable'], info['is_color'], info['is_variable_color_temp']], [1, 1, 1]);
      assert.equal(typeof info['light_state'], 'object');
      assert.ok(Array.isArray(info['preferred_state']));
      assert.equal(info['relay_state'], undefined);
      assert.match(info['mic_mac'] as string, /^[0-9A-F]{12}$/);
      assert.equal(info['length'], model === 'kl430' ? 16 : undefined);
      assert.equal(kindOf(info), model === 'kl430' ? 'lightstrip' : 'bulb');
      assert.equal(typeof info['lighting_effect_state'], model === 'kl430' ? 'object' : 'undefined');
      // A bulb has no system.set_relay_state; its modules have their own names.
      assert.equal((await call(client, 'system', 'set_relay_state', { state: 1 }))['err_code'], -2);
      assert.equal((await call(client, 'smartlife.iot.common.schedule', 'get_rules'))['err_code'], 0);
      assert.equal((await call(client, 'count_down', 'get_rules'))['err_code'], -1);
    }
  });

  void it('LB130: transition_light_state sets colour (color_temp 0) and white (2500-9000 K), on_off, brightness; the reply is the new state', LIMIT, async (t) => {
    const { device, client } = await start(t, 'lb130');
    const changed = once(device, 'light', { signal: AbortSignal.timeout(3000) });
    let state = await call(client, BULB, 'transition_light_state', { on_off: 1, hue: 200, saturation: 60, color_temp: 0, brightness: 40, transition_period: 300, ignore_default: 1 });
    assert.deepEqual([state['err_code'], state['on_off'], state['hue'], state['saturation'], state['color_temp'], state['brightness']], [0, 1, 200, 60, 0, 40]);
    const [event] = (await changed) as [LightEvent];
    assert.deepEqual(event, { on: true, brightness: 40, hue: 200, saturation: 60, colorTemp: 0, transition: 300 });
    assert.deepEqual((await sysinfo(client))['light_state'], { on_off: 1, mode: 'normal', hue: 200, saturation: 60, color_temp: 0, brightness: 40 });

    state = await call(client, BULB, 'transition_light_state', { color_temp: 9000, ignore_default: 1 });
    assert.equal(state['color_temp'], 9000);
    // Off: the last lit state moves to dft_on_state.
    state = await call(client, BULB, 'transition_light_state', { on_off: 0, transition_period: 0 });
    assert.deepEqual(state, { on_off: 0, dft_on_state: { mode: 'normal', hue: 200, saturation: 60, color_temp: 9000, brightness: 40 }, err_code: 0 });
    assert.equal(device.state.getRelay(), false);
    assert.deepEqual(await call(client, BULB, 'get_light_state'), state);

    for (const args of [{ hue: 361 }, { saturation: 101 }, { color_temp: 2499 }, { color_temp: 9001 }, { brightness: 101 }, { on_off: 2 }, { transition_period: -1 }]) {
      assert.equal((await call(client, BULB, 'transition_light_state', args))['err_code'], INVALID_ARGUMENT, JSON.stringify(args));
    }
    assert.deepEqual(device.state.getLight(), { on: false, brightness: 40, hue: 200, saturation: 60, colorTemp: 9000 });
    assert.equal((await call(client, BULB, 'set_preferred_state', { index: 2, hue: 10, saturation: 90, color_temp: 0, brightness: 80 }))['err_code'], 0);
    assert.deepEqual(((await sysinfo(client))['preferred_state'] as Json[])[2], { index: 2, hue: 10, saturation: 90, color_temp: 0, brightness: 80 });
  });

  void it('bulbs meter on smartlife.iot.common.emeter: power_mw only while lit, statistics in Wh', LIMIT, async (t) => {
    const { device, client } = await start(t, 'kl130');
    const METER = 'smartlife.iot.common.emeter';
    await call(client, BULB, 'transition_light_state', { on_off: 1 });
    const lit = await call(client, METER, 'get_realtime');
    assert.deepEqual(Object.keys(lit).sort(), ['err_code', 'power_mw']);
    assert.ok((lit['power_mw'] as number) >= 2000 && (lit['power_mw'] as number) <= 12_000, String(lit['power_mw']));
    device.state.setRelay(false);
    assert.equal((await call(client, METER, 'get_realtime'))['power_mw'], 0);
    const now = new Date();
    const days = (await call(client, METER, 'get_daystat', { year: now.getFullYear(), month: now.getMonth() + 1 }))['day_list'] as Json[];
    assert.ok(days.length > 0 && days.every((day) => typeof day['energy_wh'] === 'number'));
    assert.equal((await call(client, 'emeter', 'get_realtime'))['err_code'], -1, 'not on the plugs\' module name');
    assert.equal((await sysinfo(client))['feature'], undefined);
  });

  void it('KL130 over KLAP: the same light through the Kasa protocol on HTTP', LIMIT, async (t) => {
    const device = new SimulatedDevice({ model: 'kl130', udp: false, seed: 'kl130-klap' });
    await device.start();
    const server = new KlapServer({ version: 2, bound: false, handle: (json) => JSON.stringify(device.state.handle(JSON.parse(json))) });
    const port = await server.start();
    const client = new KasaClient({ host: '127.0.0.1', port, timeoutMs: 3000, transport: new KlapTransport({ host: '127.0.0.1', port }) });
    t.after(async () => {
      await client.close();
      await server.stop();
      await device.stop();
    });
    const state = await call(client, BULB, 'transition_light_state', { on_off: 1, color_temp: 2500, brightness: 5 });
    assert.deepEqual([state['on_off'], state['color_temp'], state['brightness']], [1, 2500, 5]);
    assert.equal((await sysinfo(client))['model'], 'KL130(EU)');
  });

  void it('KL430: set_light_state on smartlife.iot.lightStrip (groups in get_light_state), set_lighting_effect, lighting_effect_state in sysinfo', LIMIT, async (t) => {
    const { device, client } = await start(t, 'kl430');
    assert.equal((await call(client, BULB, 'transition_light_state', { on_off: 1 }))['err_code'], -1, 'a strip answers on its own module');
    await call(client, STRIP, 'set_light_state', { on_off: 1, hue: 120, saturation: 100, color_temp: 0, brightness: 50, transition: 0 });
    const light = await call(client, STRIP, 'get_light_state');
    assert.deepEqual([light['on_off'], light['length'], light['groups']], [1, 16, [[0, 15, 120, 100, 50, 0]]]);

    await call(client, STRIP, 'set_light_state', { on_off: 0 });
    assert.equal((await call(client, EFFECTS, 'set_lighting_effect', EMBERS))['err_code'], 0);
    let info = await sysinfo(client);
    assert.deepEqual(info['lighting_effect_state'], { brightness: 60, custom: 0, enable: 1, id: EMBERS.id, name: 'Embers' });
    assert.equal(device.state.getRelay(), true, 'the strip lights up to show the effect');
    for (const bad of [{ ...EMBERS, type: 'spin' }, { ...EMBERS, segments: [16] }, { ...EMBERS, brightness: 120 }, { ...EMBERS, id: 7 }, { ...EMBERS, enable: 2 }]) {
      assert.equal((await call(client, EFFECTS, 'set_lighting_effect', bad))['err_code'], INVALID_ARGUMENT, JSON.stringify(bad));
    }
    // A colour of its own ends the effect.
    await call(client, STRIP, 'set_light_state', { hue: 30, saturation: 100, color_temp: 0 });
    info = await sysinfo(client);
    assert.equal((info['lighting_effect_state'] as Json)['enable'], 0);
    assert.equal((await call(client, EFFECTS, 'set_lighting_effect', { ...EMBERS, enable: 0 }))['err_code'], 0);
  });
});
