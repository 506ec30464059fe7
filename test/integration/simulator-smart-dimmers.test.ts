import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseComponents } from '../../src/family/smart/components';
import { normaliseSmartDeviceInfo } from '../../src/family/smart/device-info';
import { SmartDevice } from '../../src/simulator/smart/device';
import { smartError, withSmartSim } from '../support/smart-rig';

const LIMIT = { timeout: 20_000 };
const PARAMS_ERROR = -1008;

void describe('simulated SMART dimmers and white bulbs (S500D, KS225, L510)', () => {
  for (const [model, type, kind] of [
    ['s500d', 'SMART.TAPOSWITCH', 'dimmer'],
    ['ks225', 'SMART.KASASWITCH', 'dimmer'],
    ['l510', 'SMART.TAPOBULB', 'bulb'],
  ] as const) {
    void it(`${model}: brightness and device_on set over KLAP v2 and read back in get_device_info`, LIMIT, () =>
      withSmartSim({ model }, async ({ sim, client }) => {
        const components = parseComponents(await client.call('component_nego'));
        assert.equal(components.get('brightness'), 1);
        assert.ok(components.has('on_off_gradually'));
        assert.equal(components.has('color'), false);
        await client.call('set_device_info', { device_on: true, brightness: 37 });
        const raw = await client.call('get_device_info');
        assert.equal(raw['type'], type);
        assert.deepEqual([raw['device_on'], raw['brightness']], [true, 37]);
        const info = normaliseSmartDeviceInfo(raw);
        assert.deepEqual([info.kind, info.on, info.brightness], [kind, true, 37]);
        assert.equal(sim.device.light?.brightness, 37);
        // Brightness alone leaves the relay as it is; device_on alone leaves the brightness.
        await client.call('set_device_info', { device_on: false });
        await client.call('set_device_info', { brightness: 1 });
        const after = await client.call('get_device_info');
        assert.deepEqual([after['device_on'], after['brightness']], [false, 1]);
      }),
    );
  }

  void it('refuses a brightness outside 1-100 (or not whole) with -1008 and changes nothing, the relay included', LIMIT, () =>
    withSmartSim({ model: 's500d' }, async ({ client }) => {
      await client.call('set_device_info', { brightness: 50 });
      for (const brightness of [0, 101, -1, 50.5, '60', null]) {
        await assert.rejects(client.call('set_device_info', { device_on: true, brightness }), smartError(PARAMS_ERROR), String(brightness));
      }
      const info = await client.call('get_device_info');
      assert.deepEqual([info['device_on'], info['brightness']], [false, 50]);
      // A colour or a colour temperature is not something a wall dimmer has.
      await assert.rejects(client.call('set_device_info', { hue: 10, saturation: 50 }), smartError(PARAMS_ERROR));
      await assert.rejects(client.call('set_device_info', { color_temp: 2700 }), smartError(PARAMS_ERROR));
      // A bad device_on with a good brightness changes nothing either.
      await assert.rejects(client.call('set_device_info', { device_on: 'on', brightness: 80 }), smartError(PARAMS_ERROR));
      assert.equal((await client.call('get_device_info'))['brightness'], 50);
    }),
  );

  void it('answers as each kind does: switches with on_time and overheat_status, the bulb with its fixed white and no on_time', () => {
    const info = (model: 's500d' | 'ks225' | 'l510') => JSON.parse(new SmartDevice({ model }).handle('{"method":"get_device_info"}')) as { result: Record<string, unknown> };
    const s500d = info('s500d').result;
    assert.equal(s500d['overheat_status'], 'normal');
    assert.equal('overheated' in s500d, false);
    assert.equal(typeof s500d['on_time'], 'number');
    assert.equal('color_temp_range' in s500d, false);
    const l510 = info('l510').result;
    assert.deepEqual(l510['color_temp_range'], [2700, 2700]);
    assert.equal(l510['overheated'], false);
    assert.equal('on_time' in l510, false);
    assert.equal('hue' in l510, false);
    assert.equal(info('ks225').result['model'], 'KS225');
  });

  void it('gradual on/off: version 2 per direction (S500D), version 3 with max_duration (L510); bad values refused', LIMIT, () =>
    withSmartSim({ model: 's500d' }, async ({ client }) => {
      const before = await client.call('get_on_off_gradually_info');
      assert.deepEqual(Object.keys(before).sort(), ['off_state', 'on_state']);
      assert.equal('max_duration' in (before['on_state'] as object), false);
      await client.call('set_on_off_gradually_info', { on_state: { enable: true, duration: 7 } });
      await client.call('set_on_off_gradually_info', { off_state: { enable: false } });
      const after = await client.call('get_on_off_gradually_info');
      assert.deepEqual(after['on_state'], { enable: true, duration: 7 });
      assert.equal((after['off_state'] as { enable: boolean }).enable, false);
      for (const params of [{}, { on_state: { duration: 3 } }, { on_state: { enable: true, duration: 0 } }, { off_state: { enable: true, duration: 61 } }, { enable: true }]) {
        await assert.rejects(client.call('set_on_off_gradually_info', params), smartError(PARAMS_ERROR), JSON.stringify(params));
      }
      assert.deepEqual((await client.call('get_preset_rules'))['brightness'], [100, 75, 50, 25, 1]);
    }),
  );

  void it('an L510 over AES: brightness set and read; gradual info with max_duration', LIMIT, () =>
    withSmartSim({ model: 'l510', transport: 'aes' }, async ({ client }) => {
      await client.call('set_device_info', { device_on: true, brightness: 12 });
      const info = normaliseSmartDeviceInfo(await client.call('get_device_info'));
      assert.deepEqual([info.model, info.kind, info.on, info.brightness], ['L510', 'bulb', true, 12]);
      const fades = await client.call('get_on_off_gradually_info');
      assert.equal((fades['on_state'] as { max_duration: number }).max_duration, 60);
      // No color_temperature component: its one white is not settable, not even to itself.
      for (const color_temp of [4000, 2700]) await assert.rejects(client.call('set_device_info', { color_temp }), smartError(PARAMS_ERROR));
    }),
  );
});
