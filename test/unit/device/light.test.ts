import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CSS_COLOUR_COUNT, cssColourHex } from '../../../src/device/css-colours';
import { LightFeatures, checkLightChange, hsvToHex, lightOutput, lightStatusText, rgbToHueSaturation } from '../../../src/device/light';
import { parseColour, parseLightInput } from '../../../src/device/light-input';
import type { DeviceInfo } from '../../../src/device/state';
import { ErrorCode, KasaError } from '../../../src/util/errors';
import { kasaLightState, kasaWhiteRange } from '../../../src/family/iot/light';
import { smartLightState } from '../../../src/family/smart/light';

const cannot = (what: string) => new KasaError(ErrorCode.NOT_SUPPORTED, `it cannot ${what}`);
const COLOUR_BULB: LightFeatures = { color: true, colorTempRange: [2500, 6500], effects: false, transition: 'any' };

describe('light colours', () => {
  it('turns hue and saturation into hex and back', () => {
    assert.equal(hsvToHex(0, 100), '#ff0000');
    assert.equal(hsvToHex(120, 100), '#00ff00');
    assert.equal(hsvToHex(240, 100), '#0000ff');
    assert.equal(hsvToHex(32, 100), '#ff8800');
    assert.equal(hsvToHex(200, 0), '#ffffff');
    for (let hue = 0; hue < 360; hue += 7) {
      const hex = hsvToHex(hue, 100);
      const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
      const back = rgbToHueSaturation(...rgb);
      assert.ok(Math.abs(back.hue - hue) <= 1, `${hue} -> ${hex} -> ${back.hue}`);
      assert.equal(back.saturation, 100);
    }
  });

  it('reads every colour form msg.color takes', () => {
    assert.deepEqual(parseColour('#ff8800'), { hue: 32, saturation: 100 });
    assert.deepEqual(parseColour('f80'), { hue: 32, saturation: 100 });
    assert.deepEqual(parseColour('Orange'), { hue: 39, saturation: 100 });
    assert.deepEqual(parseColour({ r: 0, g: 0, b: 255 }), { hue: 240, saturation: 100 });
    assert.deepEqual(parseColour({ hue: 300, saturation: 40 }), { hue: 300, saturation: 40 });
    assert.throws(() => parseColour('blurple'), { code: ErrorCode.BAD_INPUT });
    assert.throws(() => parseColour({ hue: 361, saturation: 10 }), /msg.color.hue/);
    assert.throws(() => parseColour({ r: 256, g: 0, b: 0 }), /msg.color.r/);
    assert.throws(() => parseColour(42), { code: ErrorCode.BAD_INPUT });
  });

  it('knows every CSS named colour', () => {
    assert.equal(CSS_COLOUR_COUNT, 148);
    assert.equal(cssColourHex('RebeccaPurple'), '663399');
    assert.equal(cssColourHex('transparent'), undefined);
  });
});

describe('light-control input', () => {
  it('reads switch values, fields, and an object payload; message fields win', () => {
    assert.deepEqual(parseLightInput({ payload: 'toggle' }), { kind: 'set', change: { on: 'toggle' } });
    assert.deepEqual(parseLightInput({ payload: true, brightness: '40', color: 'red', transition: 500 }), {
      kind: 'set',
      change: { on: true, brightness: 40, color: { hue: 0, saturation: 100 }, transitionMs: 500 },
    });
    assert.deepEqual(parseLightInput({ payload: { on: false, colorTemp: 2700, brightness: 10 }, brightness: 20 }), {
      kind: 'set',
      change: { on: false, brightness: 20, colorTemp: 2700 },
    });
    assert.deepEqual(parseLightInput({ effect: 'Off' }), { kind: 'set', change: { effect: null } });
    assert.deepEqual(parseLightInput({ effect: 'Rainbow' }), { kind: 'set', change: { effect: 'Rainbow' } });
  });

  it('reads commands: state, effects, on/off/toggle, info and presets', () => {
    assert.deepEqual(parseLightInput({ command: 'State' }), { kind: 'state' });
    assert.deepEqual(parseLightInput({ command: 'effects' }), { kind: 'effects' });
    assert.deepEqual(parseLightInput({ command: 'off', brightness: 5 }), { kind: 'set', change: { on: false, brightness: 5 } });
    assert.deepEqual(parseLightInput({ command: 'info' }), { kind: 'action', action: { kind: 'preset', name: 'info' } });
    assert.deepEqual(parseLightInput({}, 'toggle'), { kind: 'set', change: { on: 'toggle' } });
  });

  it('explains what it cannot use', () => {
    assert.throws(() => parseLightInput({}), { code: ErrorCode.BAD_INPUT });
    assert.throws(() => parseLightInput({ transition: 100 }), /Nothing to do/);
    assert.throws(() => parseLightInput({ brightness: 0 }), /msg.brightness/);
    assert.throws(() => parseLightInput({ colorTemp: 'warm' }), /msg.colorTemp/);
    assert.throws(() => parseLightInput({ effect: 7 }), /msg.effect/);
    assert.throws(() => parseLightInput({ command: 'dance' }), /Unknown command/);
  });
});

describe('checking a light change against what the light can do', () => {
  it('refuses a white out of range with the range, and what the light lacks as NOT_SUPPORTED', () => {
    assert.throws(() => checkLightChange({ colorTemp: 9000 }, COLOUR_BULB, cannot), { code: ErrorCode.BAD_INPUT, message: /from 2500 to 6500 K/ });
    assert.throws(() => checkLightChange({ colorTemp: 2700 }, { ...COLOUR_BULB, colorTempRange: [9000, 9000] }, cannot), /only 9000 K/);
    assert.throws(() => checkLightChange({ color: { hue: 1, saturation: 1 } }, { ...COLOUR_BULB, color: false }, cannot), { code: ErrorCode.NOT_SUPPORTED });
    assert.throws(() => checkLightChange({ effect: 'Rainbow' }, COLOUR_BULB, cannot), /run light effects/);
    assert.throws(() => checkLightChange({ color: { hue: 1, saturation: 1 }, colorTemp: 3000 }, COLOUR_BULB, cannot), { code: ErrorCode.BAD_INPUT });
    const tapo: LightFeatures = { ...COLOUR_BULB, transition: 'switching' };
    assert.throws(() => checkLightChange({ brightness: 5, transitionMs: 500 }, tapo, cannot), /fades only when switched/);
    checkLightChange({ on: true, transitionMs: 500 }, tapo, cannot);
    checkLightChange({ colorTemp: 6500, brightness: 3, transitionMs: 100 }, COLOUR_BULB, cannot);
  });
});

describe('the light state of each family', () => {
  const base: DeviceInfo = { alias: '', model: '', deviceId: '', mac: '', type: '', kind: 'bulb', hasEnergyMeter: false, on: true, brightness: 40 };

  it('Kasa: colour or white from light_state (dft_on_state while off), the range by model, the effect', () => {
    const colour = kasaLightState({ model: 'KL430(US)', is_color: 1, is_variable_color_temp: 1, light_state: { on_off: 1, hue: 32, saturation: 100, color_temp: 0 }, lighting_effect_state: { enable: 1, name: 'Ocean', id: 'x' } });
    assert.deepEqual(colour, { mode: 'color', hue: 32, saturation: 100, colorTemp: 0, colorTempRange: [2500, 9000], effect: 'Ocean', effectId: 'x' });
    const off = kasaLightState({ model: 'KL125(US)', is_color: 1, is_variable_color_temp: 1, light_state: { on_off: 0, dft_on_state: { hue: 0, saturation: 0, color_temp: 2700 } } });
    assert.equal(off?.mode, 'white');
    assert.equal(off?.colorTemp, 2700);
    assert.deepEqual(kasaWhiteRange('KL120(US)'), [2700, 5000]);
    assert.deepEqual(kasaWhiteRange('XX999'), [2700, 5000]);
    assert.equal(kasaLightState({ relay_state: 1 }), undefined);
  });

  it('Tapo: colour or white from get_device_info, the range, strip and bulb effects', () => {
    assert.deepEqual(smartLightState({ hue: 250, saturation: 70, color_temp: 0, color_temp_range: [2500, 6500], lighting_effect: { enable: 1, name: 'Rainbow', id: 'r' } }), {
      mode: 'color',
      hue: 250,
      saturation: 70,
      colorTemp: 0,
      colorTempRange: [2500, 6500],
      effect: 'Rainbow',
      effectId: 'r',
    });
    assert.equal(smartLightState({ hue: 0, saturation: 100, color_temp: 2700, color_temp_range: [2500, 6500], dynamic_light_effect_enable: true, dynamic_light_effect_id: 'L2' })?.effect, 'Relax');
    assert.equal(smartLightState({ brightness: 50 }), undefined);
  });

  it('msg.light and the status', () => {
    const colour = { ...base, light: { mode: 'color' as const, hue: 32, saturation: 100, colorTemp: 0, effect: null } };
    assert.deepEqual(lightOutput(colour), { on: true, brightness: 40, mode: 'color', hue: 32, saturation: 100, colorTemp: null, hex: '#ff8800', effect: null });
    assert.equal(lightStatusText(colour), 'on 40% #ff8800');
    assert.equal(lightStatusText({ ...base, light: { mode: 'white', colorTemp: 2700, effect: null } }), 'on 40% 2700 K');
    assert.equal(lightStatusText({ ...base, on: false }), 'off');
    assert.equal(lightOutput({ ...base, brightness: undefined as unknown as number }).brightness, null);
  });
});
