import { RANGES, checkNumber } from '../util/bounds';
import { displayText, displayValue } from '../util/display-text';
import { ErrorCode, KasaError } from '../util/errors';
import { parseAction } from './actions';
import type { Device } from './device';
import { CHILD_KIND_LABELS } from './kind';
import type { ChildInfo, DeviceInfo } from './state';

/**
 * What a message asks of a hub's child: its state now, a switch child on, off or toggled, a valve's
 * target temperature or frost protection.
 */
export type ChildAction =
  | { kind: 'state' }
  | { kind: 'power'; target: boolean | 'toggle' }
  | { kind: 'target'; celsius: number }
  | { kind: 'frost'; on: boolean };

export interface ChildActionInput {
  payload?: unknown;
  command?: unknown;
  targetTemperature?: unknown;
  frostProtection?: unknown;
}

const TARGET = { name: 'msg.targetTemperature', min: -40, max: 80, unit: '°C' };

/** Reads the action from msg.command "state", msg.targetTemperature, msg.frostProtection, or an on/off/toggle payload. */
export function parseChildAction(input: ChildActionInput): ChildAction {
  const command = typeof input.command === 'string' ? input.command.trim().toLowerCase() : input.command;
  if (command === 'state') return { kind: 'state' };
  if (input.targetTemperature !== undefined && input.targetTemperature !== null && input.targetTemperature !== '') {
    return { kind: 'target', celsius: checkNumber(input.targetTemperature, TARGET) };
  }
  if (input.frostProtection !== undefined) {
    if (typeof input.frostProtection !== 'boolean') throw new KasaError(ErrorCode.BAD_INPUT, `msg.frostProtection is true or false, not ${displayValue(input.frostProtection)}.`);
    return { kind: 'frost', on: input.frostProtection };
  }
  if (command !== undefined && command !== null && command !== '' && command !== 'on' && command !== 'off' && command !== 'toggle') {
    throw new KasaError(ErrorCode.BAD_INPUT, `Unknown command ${displayValue(input.command)}: a hub sensor takes "state", on/off/toggle, msg.targetTemperature or msg.frostProtection.`);
  }
  try {
    const action = parseAction({ payload: input.payload, command: input.command });
    if (action.kind === 'power') return action;
  } catch {
    // said below, in the words of this node
  }
  throw new KasaError(
    ErrorCode.BAD_INPUT,
    `Nothing to do: send msg.command "state" to read the child, on/off/toggle in msg.payload for a switch, or msg.targetTemperature / msg.frostProtection for a valve (msg.payload was ${displayValue(input.payload)}).`,
  );
}

/**
 * The child a selector names: its id, or its name (case aside). BAD_INPUT naming the hub's
 * children when none is, or when the device carries none.
 */
export function resolveChild(info: DeviceInfo, selector: unknown, where: string): ChildInfo {
  const children = (info.children ?? []).filter((child) => child.kind !== 'outlet');
  if (typeof selector !== 'string' || selector.trim() === '') {
    throw new KasaError(ErrorCode.BAD_INPUT, 'No child chosen: pick one in the node, or send msg.child (its id or name).');
  }
  if (children.length === 0) {
    throw new KasaError(ErrorCode.BAD_INPUT, `${where} carries no sensors, switches or valves: is it a hub (H100, KH100)?`, { device: where });
  }
  const wanted = selector.trim();
  const found = children.find((child) => child.id === wanted) ?? children.find((child) => child.alias.trim().toLowerCase() === wanted.toLowerCase());
  if (found !== undefined) return found;
  const known = children.map((child) => `${displayText(child.alias, 40)} (${CHILD_KIND_LABELS[child.kind]})`).join(', ');
  throw new KasaError(ErrorCode.BAD_INPUT, `${where} has no child ${displayValue(wanted)}; it has ${known}.`, { device: where });
}

/** What an action came to: the child as read afterwards, and the value for msg.payload. */
export interface ChildActionResult {
  child: ChildInfo;
  payload: unknown;
  /** The hub's information read with it, for the other nodes of the hub. */
  info: DeviceInfo;
}

/** Runs an action on the child a selector names, reading the hub's child list first. */
export async function runChildAction(device: Device, selector: unknown, action: ChildAction): Promise<ChildActionResult> {
  const { info } = await device.getSysinfo();
  const child = resolveChild(info, selector, device.describe());
  switch (action.kind) {
    case 'state':
      return { child, payload: child.readings ?? {}, info };
    case 'power': {
      const on = action.target === 'toggle' ? child.on !== true : action.target;
      const now = await (await device.need('children')).switchChild(child, on);
      return { child: now, payload: now.on === true, info: device.info ?? info };
    }
    case 'target': {
      const now = await (await device.need('thermostat')).setTarget(child, action.celsius);
      return { child: now, payload: now.readings?.targetTemperature, info: device.info ?? info };
    }
    case 'frost': {
      const now = await (await device.need('thermostat')).setFrostProtection(child, action.on);
      return { child: now, payload: now.readings?.frostProtection, info: device.info ?? info };
    }
  }
}

/** The poll interval of hub sensors: from 1 s (a hub is asked once per interval for all its sensors). */
export const HUB_POLL_SECONDS = { ...RANGES.pollSeconds, min: 1 };
export const HUB_POLL_DEFAULT_SECONDS = 2;
