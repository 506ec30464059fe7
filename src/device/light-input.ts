import { Action, parseAction } from './actions';
import { cssColourHex } from './css-colours';
import { LightChange, rgbToHueSaturation } from './light';
import { RANGES, checkNumber } from '../util/bounds';
import { displayValue } from '../util/display-text';
import { ErrorCode, KasaError } from '../util/errors';
import { isObject } from '../util/json';

/** A light change from a message: on/off may be a toggle, resolved against the light's state. */
export type LightCommand = Omit<LightChange, 'on'> & { on?: boolean | 'toggle' };

/** What a message asks of light-control. */
export type LightRequest =
  | { kind: 'set'; change: LightCommand }
  /** Read the light's state. */
  | { kind: 'state' }
  /** List the effects the light can run. */
  | { kind: 'effects' }
  /** `info` and the presets, as plug-control runs them. */
  | { kind: 'action'; action: Action };

/** The message fields light-control reads (each also accepted inside an object msg.payload). */
export interface LightInput {
  payload?: unknown;
  command?: unknown;
  brightness?: unknown;
  color?: unknown;
  colorTemp?: unknown;
  transition?: unknown;
  effect?: unknown;
}

/** The light fields, read from the message or from an object msg.payload. */
type LightField = 'brightness' | 'color' | 'colorTemp' | 'transition' | 'effect';

/** The hue and saturation range a `{hue, saturation}` colour is checked against. */
const HUE = { name: 'msg.color.hue', min: 0, max: 360, integer: true } as const;
const SATURATION = { name: 'msg.color.saturation', min: 0, max: 100, unit: '%', integer: true } as const;
const CHANNEL = (name: string) => ({ name: `msg.color.${name}`, min: 0, max: 255, integer: true }) as const;
/** Any kelvin a light might have; the device's own range is checked with what it reports. */
const KELVIN = { name: 'msg.colorTemp', min: 1, max: 20_000, unit: 'K', integer: true } as const;

/**
 * Reads a light request from a message: `msg.command` "state", "effects", "toggle", "on", "off",
 * "info" or a preset; otherwise msg.payload (on/off/toggle, or an object of the fields) and
 * msg.brightness, msg.color, msg.colorTemp, msg.transition, msg.effect, all applied together.
 * Message fields beat the same fields in an object payload. `fallback` is the node's default action.
 */
export function parseLightInput(input: LightInput, fallback?: string): LightRequest {
  const fromPayload = isObject(input.payload) ? input.payload : {};
  const field = (name: LightField): unknown => (present(input[name]) ? input[name] : fromPayload[name]);
  const command = typeof input.command === 'string' ? input.command.trim().toLowerCase() : input.command;
  if (command === 'state') return { kind: 'state' };
  if (command === 'effects') return { kind: 'effects' };

  const change: LightCommand = {};
  const power =
    command === 'on' || command === 'off' ? command === 'on' : command === 'toggle' ? 'toggle' : powerOf(isObject(input.payload) ? fromPayload['on'] : input.payload);
  if (present(command) && power === undefined && !(command === 'on' || command === 'off' || command === 'toggle')) {
    return { kind: 'action', action: parseAction({ command: input.command, payload: input.payload }) };
  }
  if (power !== undefined) change.on = power;
  const brightness = field('brightness');
  if (present(brightness)) change.brightness = checkNumber(brightness, RANGES.brightness);
  const color = field('color');
  if (present(color)) change.color = parseColour(color);
  const colorTemp = field('colorTemp');
  if (present(colorTemp)) change.colorTemp = checkNumber(colorTemp, KELVIN);
  const transition = field('transition');
  if (present(transition)) change.transitionMs = checkNumber(transition, RANGES.transitionMs);
  const effect = field('effect');
  if (present(effect) || effect === null) change.effect = parseEffect(effect);

  if (Object.keys(change).length === 0 || (Object.keys(change).length === 1 && change.transitionMs !== undefined)) {
    if (fallback !== undefined && fallback !== '') return parseLightInput({ ...input, command: fallback });
    throw new KasaError(
      ErrorCode.BAD_INPUT,
      `Nothing to do: msg.payload ${displayValue(input.payload)} is not on/off/toggle and the message has no msg.brightness, msg.color, ` +
        'msg.colorTemp or msg.effect. Send one of them, or msg.command "state", "effects" or "info".',
    );
  }
  return { kind: 'set', change };
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function powerOf(value: unknown): boolean | 'toggle' | undefined {
  if (Buffer.isBuffer(value)) return powerOf(value.toString('utf8'));
  if (value === true || value === 1) return true;
  if (value === false || value === 0) return false;
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  if (word === 'on' || word === 'true' || word === '1') return true;
  if (word === 'off' || word === 'false' || word === '0') return false;
  return word === 'toggle' ? 'toggle' : undefined;
}

/**
 * A colour as hue (0-360) and saturation (0-100): "#rrggbb" or "#rgb", a CSS colour name,
 * `{r, g, b}` (0-255 each) or `{hue, saturation}`. How bright is msg.brightness's business: the
 * value of an RGB colour is left out.
 */
export function parseColour(value: unknown): { hue: number; saturation: number } {
  if (typeof value === 'string') {
    const text = value.trim();
    const hex = /^#?([0-9a-f]{6}|[0-9a-f]{3})$/i.exec(text)?.[1] ?? cssColourHex(text);
    if (hex === undefined) throw notAColour(value);
    const full = hex.length === 3 ? [...hex].map((digit) => digit + digit).join('') : hex;
    return rgbToHueSaturation(parseInt(full.slice(0, 2), 16), parseInt(full.slice(2, 4), 16), parseInt(full.slice(4, 6), 16));
  }
  if (isObject(value) && ('hue' in value || 'saturation' in value)) {
    return { hue: checkNumber(value['hue'], HUE), saturation: checkNumber(value['saturation'], SATURATION) };
  }
  if (isObject(value) && ('r' in value || 'g' in value || 'b' in value)) {
    return rgbToHueSaturation(checkNumber(value['r'], CHANNEL('r')), checkNumber(value['g'], CHANNEL('g')), checkNumber(value['b'], CHANNEL('b')));
  }
  throw notAColour(value);
}

function notAColour(value: unknown): KasaError {
  return new KasaError(ErrorCode.BAD_INPUT, `msg.color ${displayValue(value)} is not a colour: send "#rrggbb", a CSS colour name such as "orange", {r, g, b} or {hue, saturation}.`);
}

/** An effect's name, or null for "off" (also false and null). */
function parseEffect(value: unknown): string | null {
  if (value === null || value === false) return null;
  if (typeof value !== 'string' || value.trim() === '' || value.length > 64) {
    throw new KasaError(ErrorCode.BAD_INPUT, `msg.effect must be an effect's name or "off", not ${displayValue(value)}.`);
  }
  return value.trim().toLowerCase() === 'off' ? null : value.trim();
}
