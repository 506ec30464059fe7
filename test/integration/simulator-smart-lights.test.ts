import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseComponents } from '../../src/family/smart/components';
import { normaliseSmartDeviceInfo } from '../../src/family/smart/device-info';
import { smartError, withSmartSim } from '../support/smart-rig';

const LIMIT = { timeout: 20_000 };
const PARAMS_ERROR = -1008;

/** A strip effect object as the app sends one: the fields python-kasa's built-in effects carry; the values are made up. */
const FIREFLIES = {
  custom: 0,
  id: 'TapoStrip_simFireflies01',
  brightness: 80,
  name: 'Fireflies',
  enable: 1,
  segments: [0, 1, 2],
  expansion_strategy: 1,
  display_colors: [
    [60, 90, 100],
    [120, 40, 80],
  ],
  type: 'random',
  duration: 0,
  transition: 800,
};

void describe('simulated Tapo colour lights (L530, L900, L930)', () => {
  void it('L530: colour with color_temp 0, white within color_temp_range, brightness; out of range refused and nothing changed', LIMIT, () =>
    withSmartSim({ model: 'l530' }, async ({ sim, client }) => {
      const components = parseComponents(await client.call('component_nego'));
      for (const id of ['brightness', 'color', 'color_temperature', 'light_effect', 'on_off_gradually']) assert.ok(components.has(id), id);
      assert.equal(components.get('on_off_gradually'), 3);
      const first = await client.call('get_device_info');
      assert.deepEqual(first['color_temp_range'], [2500, 6500]);
      assert.equal(first['type'], 'SMART.TAPOBULB');

      await client.call('set_device_info', { device_on: true, hue: 240, saturation: 80, color_temp: 0, brightness: 70 });
      let info = await client.call('get_device_info');
      assert.deepEqual([info['hue'], info['saturation'], info['color_temp'], info['brightness'], info['device_on']], [240, 80, 0, 70, true]);
      assert.equal(sim.device.light?.inColorMode, true);

      await client.call('set_device_info', { color_temp: 4000 });
      info = await client.call('get_device_info');
      assert.equal(info['color_temp'], 4000);
      assert.equal(sim.device.light?.inColorMode, false, 'a colour temperature is white mode');
      // Hue alone on a white light is colour again.
      await client.call('set_device_info', { hue: 30 });
      assert.deepEqual([(await client.call('get_device_info'))['color_temp'], sim.device.light?.hue], [0, 30]);
      await client.call('set_device_info', { color_temp: 2500 });
      await client.call('set_device_info', { color_temp: 6500 });

      for (const params of [{ hue: 361 }, { hue: -1 }, { saturation: 101 }, { color_temp: 2499 }, { color_temp: 6501 }, { color_temp: 9000 }, { brightness: 0 }, { hue: 12.5 }]) {
        await assert.rejects(client.call('set_device_info', { ...params, device_on: false }), smartError(PARAMS_ERROR), JSON.stringify(params));
      }
      info = await client.call('get_device_info');
      assert.deepEqual([info['hue'], info['color_temp'], info['brightness'], info['device_on']], [30, 6500, 70, true]);
      assert.equal(normaliseSmartDeviceInfo(info).kind, 'bulb');
    }),
  );

  void it('L530: dynamic light effects L1 and L2, enabled and disabled, ended by a colour; gradual on/off v3', LIMIT, () =>
    withSmartSim({ model: 'l530' }, async ({ client }) => {
      const rules = await client.call('get_dynamic_light_effect_rules');
      assert.deepEqual(
        (rules['rule_list'] as Array<{ id: string }>).map((rule) => rule.id),
        ['L1', 'L2'],
      );
      assert.equal(rules['enable'], false);
      assert.equal((await client.call('get_device_info'))['dynamic_light_effect_enable'], false);
      await client.call('set_dynamic_light_effect_rule_enable', { enable: true, id: 'L2' });
      let info = await client.call('get_device_info');
      assert.deepEqual([info['dynamic_light_effect_enable'], info['dynamic_light_effect_id'], info['device_on']], [true, 'L2', true]);
      assert.equal((await client.call('get_dynamic_light_effect_rules'))['current_rule_id'], 'L2');
      await assert.rejects(client.call('set_dynamic_light_effect_rule_enable', { enable: true, id: 'L9' }), smartError(PARAMS_ERROR));
      await client.call('set_device_info', { hue: 100, saturation: 100, color_temp: 0 });
      info = await client.call('get_device_info');
      assert.equal(info['dynamic_light_effect_enable'], false);
      assert.equal('dynamic_light_effect_id' in info, false);
      await client.call('set_dynamic_light_effect_rule_enable', { enable: true, id: 'L1' });
      await client.call('set_dynamic_light_effect_rule_enable', { enable: false });
      assert.equal((await client.call('get_device_info'))['dynamic_light_effect_enable'], false);
      await client.call('edit_dynamic_light_effect_rule', { id: 'L1', color_status_list: [[40, 10, 90, 0], [40, 0, 0, 3000]] });
      const edited = ((await client.call('get_dynamic_light_effect_rules'))['rule_list'] as Array<{ color_status_list: number[][] }>)[0]!;
      assert.deepEqual(edited.color_status_list, [[40, 10, 90, 0], [40, 0, 0, 3000]]);

      await client.call('set_on_off_gradually_info', { on_state: { enable: true, duration: 5 } });
      const fades = await client.call('get_on_off_gradually_info');
      assert.deepEqual(fades['on_state'], { enable: true, duration: 5, max_duration: 60 });
    }),
  );

  void it('L900: set_lighting_effect runs an effect object, shown as lighting_effect in get_device_info; dimmed with bAdjusted; stopped', LIMIT, () =>
    withSmartSim({ model: 'l900' }, async ({ client }) => {
      const components = parseComponents(await client.call('component_nego'));
      for (const id of ['light_strip', 'light_strip_lighting_effect', 'color', 'color_temperature']) assert.ok(components.has(id), id);
      assert.equal(components.has('light_effect'), false);
      assert.equal((await client.call('get_device_info'))['lighting_effect'] !== undefined, true);

      await client.call('set_lighting_effect', FIREFLIES);
      let effect = (await client.call('get_device_info'))['lighting_effect'] as Record<string, unknown>;
      assert.deepEqual(effect, { brightness: 80, custom: 0, display_colors: FIREFLIES.display_colors, enable: 1, id: FIREFLIES.id, name: 'Fireflies' });
      assert.equal((await client.call('get_device_info'))['device_on'], true);
      assert.equal((await client.call('get_lighting_effect'))['type'], 'random');

      await client.call('set_lighting_effect', { brightness: 35, bAdjusted: true });
      effect = (await client.call('get_device_info'))['lighting_effect'] as Record<string, unknown>;
      assert.deepEqual([effect['brightness'], effect['enable'], effect['name']], [35, 1, 'Fireflies']);

      for (const bad of [{ ...FIREFLIES, type: 'wobble' }, { ...FIREFLIES, brightness: 101 }, { ...FIREFLIES, id: '' }, { ...FIREFLIES, segments: [50] }, { ...FIREFLIES, enable: 'yes' }, { ...FIREFLIES, display_colors: [[400, 0, 0]] }]) {
        await assert.rejects(client.call('set_lighting_effect', bad), smartError(PARAMS_ERROR), JSON.stringify(bad));
      }
      await client.call('set_lighting_effect', { ...FIREFLIES, enable: 0 });
      assert.equal(((await client.call('get_device_info'))['lighting_effect'] as { enable: number }).enable, 0);
      // A colour of its own ends an effect too.
      await client.call('set_lighting_effect', FIREFLIES);
      await client.call('set_device_info', { hue: 200, saturation: 50, color_temp: 0 });
      assert.equal(((await client.call('get_device_info'))['lighting_effect'] as { enable: number }).enable, 0);

      // Its one white is 9000 K; on_off_gradually version 1 has a single switch.
      await client.call('set_device_info', { color_temp: 9000 });
      await assert.rejects(client.call('set_device_info', { color_temp: 4000 }), smartError(PARAMS_ERROR));
      await client.call('set_on_off_gradually_info', { enable: true });
      assert.deepEqual(await client.call('get_on_off_gradually_info'), { enable: true });
    }),
  );

  void it('L930 over AES: segment effects with apply_segment_effect_rule, get_device_segment, segment_effect in get_device_info', LIMIT, () =>
    withSmartSim({ model: 'l930', transport: 'aes' }, async ({ client }) => {
      const components = parseComponents(await client.call('component_nego'));
      assert.ok(components.has('segment_effect') && components.has('light_strip_lighting_effect'));
      assert.deepEqual(await client.call('get_device_segment'), { segment: 50 });
      const rule = {
        brightness: 90,
        custom: 1,
        deviceType: 'strip',
        display_colors: [[10, 80, 100, 0]],
        enable: 1,
        id: 'sim-custom-1',
        name: 'two tones',
        segments: [0, 1, 2, 3],
        states: [
          [10, 80, 100, 0],
          [200, 80, 100, 0],
        ],
        type: 'breathe',
      };
      await client.call('apply_segment_effect_rule', rule);
      const info = await client.call('get_device_info');
      assert.deepEqual(info['segment_effect'], { brightness: 90, custom: 1, display_colors: [[10, 80, 100, 0]], enable: 1, id: 'sim-custom-1', name: 'two tones' });
      assert.equal((await client.call('get_segment_effect_rule'))['type'], 'breathe');
      // A custom one needs its segments, states and type.
      const { states: _states, ...noStates } = rule;
      await assert.rejects(client.call('apply_segment_effect_rule', noStates), smartError(PARAMS_ERROR));
      await assert.rejects(client.call('apply_segment_effect_rule', { ...rule, segments: [50] }), smartError(PARAMS_ERROR));
      // The L930 has a white range of its own.
      await client.call('set_device_info', { color_temp: 3000 });
      assert.equal(((await client.call('get_device_info'))['segment_effect'] as { enable: number }).enable, 0);
    }),
  );
});
