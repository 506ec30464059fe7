import type { ChildKind, DeviceKind } from '../../device/kind';
import { ErrorCode, KasaError } from '../../util/errors';
import { isObject } from '../../util/json';
import { smartChildReadings } from './child-readings';
import type { ChildInfo, DeviceInfo, OutletInfo } from '../../device/state';
import { smartLightState } from './light';
import { TextMemo } from '../../util/text-memo';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A base64 text field (nickname, ssid) as the text it encodes. Never throws: a value that is not
 * a string gives '', and one that is not canonical base64 of UTF-8 is kept as it came, since
 * a firmware that sends plain text means that text. What is shown of it goes through displayText
 * where it is shown, as for a Kasa alias.
 */
export function decodeBase64Text(value: unknown): string {
  return typeof value === 'string' ? decodedTexts.get(value) : '';
}

/** A device sends the same nickname and ssid in every state: each is decoded once. */
const decodedTexts = new TextMemo(decodeOnce);

function decodeOnce(value: string): string {
  if (value.length === 0 || value.length % 4 !== 0 || !BASE64.test(value)) return value;
  try {
    return strictUtf8.decode(Buffer.from(value, 'base64'));
  } catch {
    return value;
  }
}

/**
 * "48-22-54-00-00-00" and "788CB5000000" as "48:22:54:00:00:00", the form Kasa devices use: twelve
 * hex digits once dashes and colons are left out; anything else is kept as it came. One pass, no
 * regular expressions: it runs for every state a SMART device sends.
 */
export function normaliseMac(value: unknown): string {
  return typeof value === 'string' ? normalisedMacs.get(value) : '';
}

/** A device sends the same MAC in every state: it is written out once. */
const normalisedMacs = new TextMemo(macOnce);

function macOnce(value: string): string {
  let digits = 0;
  // Whether every separator sits between two pairs (48-22-54-...): then only the separators change.
  let paired = value.length === 17;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const separator = c === DASH || c === COLON;
    if (paired && separator !== (i % 3 === 2)) paired = false;
    if (separator) continue;
    if (digits === 12 || !isHexDigit(c)) return value;
    digits++;
  }
  if (digits !== 12) return value;
  const upper = value.toUpperCase();
  if (paired) return upper.replaceAll('-', ':');
  let mac = '';
  for (let i = 0; i < upper.length; i++) {
    const c = upper.charCodeAt(i);
    if (c === DASH || c === COLON) continue;
    if (mac.length % 3 === 2) mac += ':';
    mac += upper[i];
  }
  return mac;
}

const DASH = 0x2d;
const COLON = 0x3a;

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

export interface SmartInfoOptions {
  /** From component_nego (energy_monitoring): get_device_info does not say. */
  hasEnergyMeter?: boolean;
  /** A strip's or hub's children (normaliseChildren): a strip's parent has no `device_on` of its own. */
  children?: ChildInfo[];
}

/**
 * Warnings a SMART device reports in get_device_info. `overheated` is documented; the two status
 * fields are what Tapo firmware with power protection reports ("normal" when all is well).
 */
function warningsOf(raw: Record<string, unknown>): string[] {
  const warnings: string[] = [];
  if (raw['overheated'] === true) warnings.push('The device is overheated and may have switched off to protect itself.');
  const overcurrent = raw['overcurrent_status'];
  if (typeof overcurrent === 'string' && overcurrent !== 'normal') {
    warnings.push('The device reports an overcurrent and may have switched off to protect itself.');
  }
  const protection = raw['power_protection_status'];
  if (typeof protection === 'string' && protection !== 'normal') {
    warnings.push('The device reports an overload: its power protection has switched it off.');
  }
  return warnings;
}

/**
 * The kind from `type` (SMART.TAPOPLUG, SMART.KASASWITCH, SMART.TAPOBULB, ...): a plug with children
 * is a strip, a switch with a brightness a dimmer.
 */
function smartKindOf(raw: Record<string, unknown>, hasOutlets: boolean): DeviceKind {
  const type = (text(raw['type']) ?? '').toUpperCase();
  if (type.includes('HUB')) return 'hub';
  if (hasOutlets) return 'strip';
  if (type.includes('BULB')) return 'bulb';
  if (type.includes('SWITCH')) return typeof raw['brightness'] === 'number' ? 'dimmer' : 'switch';
  return 'plug';
}

/** A SMART get_device_info result in the package's DeviceInfo shape; tolerant of missing fields. */
export function normaliseSmartDeviceInfo(raw: unknown, options: SmartInfoOptions = {}): DeviceInfo {
  if (!isObject(raw)) throw new KasaError(ErrorCode.PROTOCOL, 'The device sent device info that is not an object.');
  // A strip's outlets are its children of that kind; a hub's children are no outlets.
  const outlets = options.children === undefined ? undefined : outletsOf(options.children);
  const hasOutlets = outlets !== undefined && (outlets.length > 0 || options.children!.length === 0);
  const info: DeviceInfo = {
    alias: decodeBase64Text(raw['nickname']),
    model: text(raw['model']) ?? '',
    deviceId: text(raw['device_id']) ?? '',
    mac: normaliseMac(raw['mac']),
    type: text(raw['type']) ?? '',
    kind: smartKindOf(raw, hasOutlets),
    hasEnergyMeter: options.hasEnergyMeter ?? false,
    on: false,
  };
  assign(info, 'hardwareVersion', text(raw['hw_ver']));
  assign(info, 'softwareVersion', text(raw['fw_ver']));
  assign(info, 'onTime', num(raw['on_time']));
  assign(info, 'rssi', num(raw['rssi']));
  assign(info, 'brightness', num(raw['brightness']));
  assign(info, 'light', smartLightState(raw));
  if (typeof raw['ssid'] === 'string') info.ssid = decodeBase64Text(raw['ssid']);
  const warnings = warningsOf(raw);
  if (warnings.length > 0) info.warnings = warnings;
  if (options.children !== undefined) info.children = options.children;
  if (outlets !== undefined && hasOutlets) {
    info.outlets = outlets;
    info.on = typeof raw['device_on'] === 'boolean' ? raw['device_on'] : outlets.some((outlet) => outlet.on);
  } else {
    info.on = raw['device_on'] === true;
  }
  return info;
}

/** The kind of child each SMART `category` names; a child without one is a strip's outlet. */
const CHILD_KINDS: ReadonlyArray<[RegExp, ChildKind]> = [
  [/powerstrip|sub-plug/, 'outlet'],
  [/sub-fan/, 'fan'],
  [/sub-dimmer/, 'dimmer'],
  [/motion-sensor/, 'motion-sensor'],
  [/contact-sensor/, 'contact-sensor'],
  [/water-leak-sensor/, 'leak-sensor'],
  [/temp-hmdt-sensor|temp-sensor/, 'climate-sensor'],
  [/button/, 'button'],
  [/trv/, 'valve'],
  [/switch/, 'switch'],
];

export function childKindOf(category: unknown): ChildKind {
  if (typeof category !== 'string' || category === '') return 'outlet';
  return CHILD_KINDS.find(([pattern]) => pattern.test(category))?.[1] ?? 'unknown';
}

/**
 * get_child_device_list entries as children of every kind: `index` counts from 1 in the order the
 * device lists them, `id` is the child's device_id, `alias` its decoded nickname, the kind from its
 * category. Entries that are not objects or have no id are left out.
 */
export function normaliseChildren(list: readonly unknown[]): ChildInfo[] {
  const children: ChildInfo[] = [];
  for (const entry of list) {
    if (!isObject(entry)) continue;
    const id = text(entry['device_id']);
    if (id === undefined || id === '') continue;
    const raw = { ...entry, ...(typeof entry['nickname'] === 'string' ? { nickname: decodeBase64Text(entry['nickname']) } : {}) };
    const child: ChildInfo = { index: children.length + 1, id, alias: decodeBase64Text(entry['nickname']), kind: childKindOf(entry['category']), raw };
    assign(child, 'model', text(entry['model']));
    if (typeof entry['device_on'] === 'boolean') child.on = entry['device_on'];
    if (child.kind !== 'outlet') child.readings = smartChildReadings(entry);
    children.push(child);
  }
  return children;
}

/**
 * The outlets among a device's children, as strips name them: `index` counts from 1 in the order
 * the strip lists its outlets (as for Kasa strips).
 */
export function outletsOf(children: readonly ChildInfo[]): OutletInfo[] {
  return children
    .filter((child) => child.kind === 'outlet')
    .map((child, position) => {
      const outlet: OutletInfo = { index: position + 1, id: child.id, alias: child.alias, on: child.on === true };
      assign(outlet, 'onTime', num(child.raw['on_time']));
      return outlet;
    });
}

/** get_child_device_list entries as a strip's outlets (the children of other kinds left out). */
export function normaliseChildList(list: readonly unknown[]): OutletInfo[] {
  return outletsOf(normaliseChildren(list));
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function assign<T, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}
