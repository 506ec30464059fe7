import { RANGES, checkNumber } from '../util/bounds';
import type { Request } from '../family/iot/message';
import { PRESETS, PresetName, destructiveMethods, isPresetName } from '../family/iot/commands';
import type { SwitchResult, Target } from './device';
import { displayValue } from '../util/display-text';
import { ErrorCode, KasaError } from '../util/errors';
import type { OutletSelector } from './outlet-selection';
import { smartDestructiveMethods } from '../family/smart/commands';
import type { SmartRequest } from '../family/smart/envelope';
import { isObject } from '../util/json';
import { DeviceInfo, OutletInfo } from './state';

/**
 * What a message asks of a plug or an outlet, independent of Node-RED: flows speak in payloads
 * ("on", true, 1, "toggle") and command names, the device in JSON requests.
 */
export type Action =
  | { kind: 'power'; target: boolean | 'toggle' }
  | { kind: 'preset'; name: Exclude<PresetName, 'on' | 'off'> }
  | { kind: 'alias'; alias: string }
  /** Without `level`: read the brightness; with it: dim, then switch if `power` says so. */
  | { kind: 'brightness'; level?: number; transitionMs?: number; power?: boolean }
  | { kind: 'raw'; request: Request };

/** Guards a node sets: a flow fed from outside must not factory-reset a plug by accident. */
export interface Permissions {
  allowRaw: boolean;
  allowDestructive: boolean;
}

export interface ActionInput {
  payload?: unknown;
  command?: unknown;
  /** Dimmers: 1-100 %. */
  brightness?: unknown;
  /** With brightness: the fade, in ms. */
  transition?: unknown;
}

/** The commands `msg.command` accepts: the seed's presets plus toggle, alias and brightness. */
export const COMMAND_NAMES = [...Object.keys(PRESETS), 'toggle', 'alias', 'brightness'] as const;

/**
 * Reads an action from `msg.command` (a name) or else `msg.payload` (a switch value or a raw
 * JSON object); falls back to the node's default action when neither says anything.
 */
export function parseAction(input: ActionInput, fallback?: string): Action {
  if (input.brightness !== undefined && input.brightness !== null && input.brightness !== '') return brightnessAction(input);
  if (input.command !== undefined && input.command !== null && input.command !== '') {
    return actionFromCommand(input.command, input.payload);
  }
  const fromPayload = actionFromPayload(input.payload);
  if (fromPayload !== undefined) return fromPayload;
  if (fallback !== undefined && fallback !== '') return actionFromCommand(fallback, input.payload);
  throw new KasaError(
    ErrorCode.BAD_INPUT,
    `Nothing to do: msg.payload ${describe(input.payload)} is not on/off/toggle and there is no msg.command. ` +
      'Send true/false, 1/0, "on"/"off", "toggle", or set msg.command (e.g. "info"), or set a default action in the node.',
  );
}

function actionFromCommand(command: unknown, payload: unknown): Action {
  const name = typeof command === 'string' ? command.trim().toLowerCase() : command;
  if (name === 'on' || name === 'off') return { kind: 'power', target: name === 'on' };
  if (name === 'toggle') return { kind: 'power', target: 'toggle' };
  if (name === 'alias') {
    if (typeof payload !== 'string' || payload.trim() === '') {
      throw new KasaError(ErrorCode.BAD_INPUT, 'The alias command needs the new name as a string in msg.payload.');
    }
    return { kind: 'alias', alias: payload.trim() };
  }
  if (name === 'brightness') return { kind: 'brightness' };
  if (isPresetName(name)) return { kind: 'preset', name: name as Exclude<PresetName, 'on' | 'off'> };
  throw new KasaError(ErrorCode.BAD_INPUT, `Unknown command ${describe(command)}; one of: ${COMMAND_NAMES.join(', ')}.`);
}

/** msg.brightness sets the level; an on/off msg.payload beside it switches too (a toggle does not mix). */
function brightnessAction(input: ActionInput): Action {
  const level = checkNumber(input.brightness, RANGES.brightness);
  const transitionMs = input.transition === undefined ? undefined : checkNumber(input.transition, RANGES.transitionMs);
  const power = actionFromPayload(input.payload);
  const action: Action = { kind: 'brightness', level };
  if (transitionMs !== undefined) action.transitionMs = transitionMs;
  if (power?.kind === 'power' && power.target !== 'toggle') action.power = power.target;
  return action;
}

function actionFromPayload(payload: unknown): Action | undefined {
  // MQTT and TCP nodes deliver bytes: "on" as a Buffer means "on", not a raw command.
  if (Buffer.isBuffer(payload)) return actionFromPayload(payload.toString('utf8'));
  if (payload === true || payload === 1) return { kind: 'power', target: true };
  if (payload === false || payload === 0) return { kind: 'power', target: false };
  if (typeof payload === 'string') {
    const word = payload.trim().toLowerCase();
    if (word === 'on' || word === 'true' || word === '1') return { kind: 'power', target: true };
    if (word === 'off' || word === 'false' || word === '0') return { kind: 'power', target: false };
    if (word === 'toggle') return { kind: 'power', target: 'toggle' };
    return undefined;
  }
  if (isObject(payload) && Object.keys(payload).length > 0) return { kind: 'raw', request: payload };
  return undefined;
}

/** Throws NOT_ALLOWED when the action needs a permission the node does not give. */
export function checkPermission(action: Action, permissions: Permissions): void {
  // Destructive under any kind's module names: the guard holds before the device's kind is known.
  const request = action.kind === 'raw' ? action.request : action.kind === 'preset' ? PRESETS[action.name].request() : undefined;
  if (action.kind === 'raw' && !permissions.allowRaw) {
    throw new KasaError(
      ErrorCode.NOT_ALLOWED,
      'Raw JSON commands from msg.payload are switched off for this node. Tick "Allow raw JSON commands" in the node to send them.',
    );
  }
  // A raw command may be in either dialect: Kasa's {module: {method}} or SMART's {method, params}.
  const destructive = request === undefined ? [] : [...destructiveMethods(request), ...smartDestructiveOf(request)];
  if (destructive.length > 0 && !permissions.allowDestructive) {
    throw new KasaError(
      ErrorCode.NOT_ALLOWED,
      `${destructive.join(', ')} can reset, reboot or erase the device and is switched off for this node. ` +
        'Tick "Allow destructive commands" in the node if you really mean it.',
    );
  }
}

export interface ActionResult {
  /** What goes into msg.payload. */
  payload: unknown;
  /** The outlets involved, as they are after the action (strips). */
  outlets: OutletInfo[];
  /** The sysinfo read as part of the action, after it took effect; absent when none was read. */
  info?: DeviceInfo;
}

/**
 * Runs an action on a target: a device, or outlets of a strip. Relay actions yield the state after
 * the command (a boolean, or one per outlet); `info` the sysinfo as the device sent it (the
 * outlets' entries for a strip); brightness the level; other presets the device's answer.
 */
export async function runAction(target: Target, action: Action): Promise<ActionResult> {
  switch (action.kind) {
    case 'power': {
      const state = await target.setPower(action.target);
      return forTarget(state, state.on, (o) => o.on);
    }
    case 'brightness': {
      let state = action.level === undefined ? target.stateIn((await target.device.getSysinfo()).info) : await target.setBrightness(action.level, action.transitionMs);
      if (action.power !== undefined && state.on !== action.power) state = await target.setPower(action.power);
      if (state.info.brightness === undefined || state.outlets.length > 0) throw target.device.cannot('dim its light');
      return { payload: state.info.brightness, outlets: [], info: state.info };
    }
    case 'alias': {
      const state = await target.rename(action.alias);
      return forTarget(state, state.info.alias, (o) => o.alias);
    }
    case 'raw':
      return { payload: await target.run(action.request), outlets: [...target.outlets] };
    case 'preset': {
      if (action.name === 'info') {
        const { raw, info, children } = await target.device.getSysinfo();
        // An outlet's index is its position in this very list (the normalisers count the same way).
        return forTarget(target.stateIn(info), raw, (o) => children[o.index - 1] ?? {});
      }
      if (action.name === 'energy') {
        const { parts } = await target.realtime();
        return { payload: perOutlet(parts.map((p) => p.raw)), outlets: [...target.outlets] };
      }
      return { payload: await target.preset(action.name), outlets: [...target.outlets] };
    }
  }
}

/** The device's own value, or one value per outlet (a list when several), with the state read. */
function forTarget(state: SwitchResult, whole: unknown, perOutletValue: (o: OutletInfo) => unknown): ActionResult {
  const payload = state.outlets.length === 0 ? whole : perOutlet(state.outlets.map(perOutletValue));
  return { payload, outlets: state.outlets, info: state.info };
}

/** One outlet: its value; several: an array in outlet order. */
function perOutlet<T>(values: T[]): T | T[] {
  return values.length === 1 ? values[0]! : values;
}

function smartDestructiveOf(request: Request): string[] {
  return typeof request['method'] === 'string' ? smartDestructiveMethods(request as unknown as SmartRequest) : [];
}

/** More outlets than any strip has: a longer list in msg.outlet is a mistake, not a choice. */
export const MAX_OUTLET_SELECTORS = 256;

/** Reads `msg.outlet` or the node's setting: a number, a name, "1,3", "all", or an array of those. */
export function parseOutletSelectors(value: unknown): OutletSelector[] {
  // One level only: an array of outlets, each a number, a name or {index|id|alias}.
  const nested = Array.isArray(value) && (value.length > MAX_OUTLET_SELECTORS || value.some((v) => Array.isArray(v)));
  const selectors = nested ? [] : Array.isArray(value) ? value.flatMap((v) => parseOneSelector(v)) : parseOneSelector(value);
  if (nested || selectors.length > MAX_OUTLET_SELECTORS) {
    throw new KasaError(
      ErrorCode.BAD_INPUT,
      `msg.outlet must be one outlet or a list of at most ${MAX_OUTLET_SELECTORS} outlets (numbers, names or {index}), not nested lists.`,
    );
  }
  return selectors;
}

function parseOneSelector(value: unknown): OutletSelector[] {
  if (typeof value === 'number') return [value];
  if (typeof value === 'string') {
    // "1,3" lists outlets (so an alias cannot contain a comma here).
    return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  }
  if (isObject(value)) {
    if (typeof value['id'] === 'string') return [value['id']];
    if (typeof value['index'] === 'number') return [value['index']];
    if (typeof value['alias'] === 'string') return [value['alias']];
  }
  return [];
}

function describe(value: unknown): string {
  return value === undefined ? '(missing)' : displayValue(value, 60);
}
