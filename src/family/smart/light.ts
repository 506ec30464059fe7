import type { LightState } from '../../device/light-state';
import { isObject } from '../../util/json';

/**
 * The names the Tapo app gives a colour bulb's two built-in dynamic light effects (component
 * light_effect), which the device reports by id only until a person renames them.
 */
export const BULB_EFFECT_NAMES: Readonly<Record<string, string>> = { L1: 'Party', L2: 'Relax' };

/**
 * A Tapo light's colour, white and effect from get_device_info: `hue`, `saturation`, `color_temp`
 * (0 in colour mode), `color_temp_range`, a strip's `lighting_effect` (or an L930's
 * `segment_effect`), a bulb's `dynamic_light_effect_enable` and `_id`. Undefined for devices
 * without colour or white (dimmer switches, plugs).
 */
export function smartLightState(raw: Record<string, unknown>): LightState | undefined {
  if (raw['hue'] === undefined && raw['color_temp'] === undefined && raw['color_temp_range'] === undefined) return undefined;
  const hue = whole(raw['hue']);
  const saturation = whole(raw['saturation']);
  const colorTemp = whole(raw['color_temp']);
  const light: LightState = { mode: hue !== undefined && colorTemp === 0 ? 'color' : 'white', effect: null };
  if (hue !== undefined) light.hue = hue;
  if (saturation !== undefined) light.saturation = saturation;
  if (colorTemp !== undefined) light.colorTemp = colorTemp;
  const range = raw['color_temp_range'];
  if (Array.isArray(range) && range.length === 2) {
    const [min, max] = range.map(whole);
    if (min !== undefined && max !== undefined && min > 0 && min <= max) light.colorTempRange = [min, max];
  }
  for (const key of ['lighting_effect', 'segment_effect']) {
    const effect = raw[key];
    if (isObject(effect) && (effect['enable'] === 1 || effect['enable'] === true) && typeof effect['name'] === 'string') {
      light.effect = effect['name'];
      if (typeof effect['id'] === 'string') light.effectId = effect['id'];
      return light;
    }
  }
  if (raw['dynamic_light_effect_enable'] === true && typeof raw['dynamic_light_effect_id'] === 'string') {
    const id = raw['dynamic_light_effect_id'];
    light.effect = BULB_EFFECT_NAMES[id] ?? id;
    light.effectId = id;
  }
  return light;
}

function whole(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : undefined;
}
