import { ErrorCode, KasaError } from '../util/errors';
import type { LightChange, LightFeatures } from './light-state';
import type { DeviceInfo } from './state';

export type { LightChange, LightFeatures, LightState } from './light-state';

/** msg.light: the state as read back, every field present (null where the light has none). */
export interface LightOutput {
  on: boolean;
  brightness: number | null;
  mode: 'color' | 'white' | null;
  hue: number | null;
  saturation: number | null;
  colorTemp: number | null;
  /** "#rrggbb" of the hue and saturation at full value, in colour mode; null in white mode. */
  hex: string | null;
  effect: string | null;
}

/**
 * Refuses, before anything is sent, what the light cannot do (NOT_SUPPORTED, through `cannot`) and
 * a white outside its range (BAD_INPUT naming the range).
 */
export function checkLightChange(change: LightChange, features: LightFeatures, cannot: (what: string) => KasaError): void {
  if (change.color !== undefined && change.colorTemp !== undefined) {
    throw new KasaError(ErrorCode.BAD_INPUT, 'msg.color and msg.colorTemp ask for two modes at once: send one of them.');
  }
  if (change.effect !== undefined && change.effect !== null && (change.color !== undefined || change.colorTemp !== undefined)) {
    throw new KasaError(ErrorCode.BAD_INPUT, 'An effect and a colour or white cannot be shown at once: send msg.effect alone, or "off" with the colour.');
  }
  if (change.color !== undefined && !features.color) throw cannot('show a colour');
  if (change.colorTemp !== undefined) {
    const range = features.colorTempRange;
    if (range === undefined) throw cannot('change its white (colour temperature)');
    const [min, max] = range;
    if (!Number.isInteger(change.colorTemp) || change.colorTemp < min || change.colorTemp > max) {
      const allowed = min === max ? `only ${min} K` : `from ${min} to ${max} K`;
      throw new KasaError(ErrorCode.BAD_INPUT, `A colour temperature of ${String(change.colorTemp)} K is not one this light can show: it takes whole kelvin ${allowed}.`);
    }
  }
  if (change.effect !== undefined && !features.effects) throw cannot('run light effects');
  if (change.transitionMs !== undefined && change.transitionMs > 0) {
    if (features.transition === 'none') throw cannot('fade (msg.transition)');
    if (features.transition === 'switching' && (change.on === undefined || hasMoreThanPower(change))) {
      throw cannot('fade a colour, white or brightness (msg.transition): it fades only when switched on or off, so send msg.transition with msg.payload alone');
    }
  }
}

function hasMoreThanPower(change: LightChange): boolean {
  return change.brightness !== undefined || change.color !== undefined || change.colorTemp !== undefined || change.effect !== undefined;
}

/** msg.light from a device's information. */
export function lightOutput(info: DeviceInfo): LightOutput {
  const light = info.light;
  const colour = light?.mode === 'color' && light.hue !== undefined && light.saturation !== undefined;
  return {
    on: info.on,
    brightness: info.brightness ?? null,
    mode: light?.mode ?? null,
    hue: light?.hue ?? null,
    saturation: light?.saturation ?? null,
    colorTemp: light?.mode === 'white' ? (light.colorTemp ?? null) : null,
    hex: colour ? hsvToHex(light.hue!, light.saturation!) : null,
    effect: light?.effect ?? null,
  };
}

/** What a light node shows under itself: "on 40% #ff8800", "on 40% 2700 K", "on 40% Aurora", "off". */
export function lightStatusText(info: DeviceInfo): string {
  if (!info.on) return 'off';
  const out = lightOutput(info);
  const parts = ['on'];
  if (out.brightness !== null) parts.push(`${out.brightness}%`);
  if (out.effect !== null) parts.push(out.effect);
  else if (out.hex !== null) parts.push(out.hex);
  else if (out.colorTemp !== null && out.colorTemp > 0) parts.push(`${out.colorTemp} K`);
  return parts.join(' ');
}

/** "#rrggbb" of a hue (0-360) and saturation (0-100) at full value. */
export function hsvToHex(hue: number, saturation: number): string {
  const s = saturation / 100;
  const sector = ((hue % 360) + 360) % 360 / 60;
  const chroma = s;
  const x = chroma * (1 - Math.abs((sector % 2) - 1));
  const [r, g, b] =
    sector < 1 ? [chroma, x, 0] : sector < 2 ? [x, chroma, 0] : sector < 3 ? [0, chroma, x] : sector < 4 ? [0, x, chroma] : sector < 5 ? [x, 0, chroma] : [chroma, 0, x];
  const m = 1 - chroma;
  return `#${[r, g, b].map((c) => Math.round((c + m) * 255).toString(16).padStart(2, '0')).join('')}`;
}

/** Hue (0-360) and saturation (0-100), whole numbers, of an RGB colour (0-255 each); its value is left to the brightness. */
export function rgbToHueSaturation(r: number, g: number, b: number): { hue: number; saturation: number } {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const delta = max - min;
  let hue = 0;
  if (delta > 0) {
    if (max === r) hue = 60 * (((g - b) / delta) % 6);
    else if (max === g) hue = 60 * ((b - r) / delta + 2);
    else hue = 60 * ((r - g) / delta + 4);
  }
  const whole = Math.round((hue + 360) % 360);
  return { hue: whole === 360 ? 0 : whole, saturation: max === 0 ? 0 : Math.round((delta / max) * 100) };
}
