import type { LightState } from '../../device/light-state';
import { isObject } from '../../util/json';

/**
 * The white range of Kasa bulbs with a variable white, by model (their sysinfo does not say it):
 * the ranges python-kasa's bulb module lists. A bulb with a variable white and a model not listed
 * gets the narrowest of them, as python-kasa does too.
 */
const WHITE_RANGES: ReadonlyArray<readonly [RegExp, number, number]> = [
  [/^LB130/i, 2500, 9000],
  [/^LB120/i, 2700, 6500],
  [/^LB230/i, 2500, 9000],
  [/^KB130/i, 2500, 9000],
  [/^KL130/i, 2500, 9000],
  [/^KL125/i, 2500, 6500],
  [/^KL120\(EU\)/i, 2700, 6500],
  [/^KL120\(US\)/i, 2700, 5000],
  [/^KL430/i, 2500, 9000],
];
const UNLISTED_WHITE_RANGE: readonly [number, number] = [2700, 5000];

/** The white range of a Kasa light with a variable white, from its model. */
export function kasaWhiteRange(model: string): readonly [number, number] {
  const known = WHITE_RANGES.find(([pattern]) => pattern.test(model));
  return known === undefined ? UNLISTED_WHITE_RANGE : [known[1], known[2]];
}

/**
 * A Kasa bulb's or light strip's colour, white and effect from its sysinfo: `light_state` (while
 * off, the state it comes back with is in `dft_on_state`), `is_color`, `is_variable_color_temp`,
 * a strip's `lighting_effect_state`. Undefined for a sysinfo without a light.
 */
export function kasaLightState(sysinfo: Record<string, unknown>): LightState | undefined {
  const raw = sysinfo['light_state'];
  if (!isObject(raw)) return undefined;
  const state = raw['on_off'] === 1 || !isObject(raw['dft_on_state']) ? raw : raw['dft_on_state'];
  const colour = sysinfo['is_color'] === 1;
  const colorTemp = whole(state['color_temp']);
  const light: LightState = { mode: colour && colorTemp === 0 ? 'color' : 'white', effect: null };
  if (colour) {
    const hue = whole(state['hue']);
    const saturation = whole(state['saturation']);
    if (hue !== undefined) light.hue = hue;
    if (saturation !== undefined) light.saturation = saturation;
  }
  if (colorTemp !== undefined) light.colorTemp = colorTemp;
  if (sysinfo['is_variable_color_temp'] === 1) light.colorTempRange = kasaWhiteRange(typeof sysinfo['model'] === 'string' ? sysinfo['model'] : '');
  const effect = sysinfo['lighting_effect_state'];
  if (isObject(effect) && effect['enable'] === 1 && typeof effect['name'] === 'string') {
    light.effect = effect['name'];
    if (typeof effect['id'] === 'string') light.effectId = effect['id'];
  }
  return light;
}

function whole(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : undefined;
}
