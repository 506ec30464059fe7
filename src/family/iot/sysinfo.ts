import { ErrorCode, KasaError } from '../../util/errors';
import type { DeviceInfo, OutletInfo } from '../../device/state';
import { kindOf } from './kinds';
import { isObject } from '../../util/json';

/** Reads a sysinfo object of any known shape; tolerant of missing fields, strict on nonsense. */
export function normaliseSysinfo(raw: unknown): DeviceInfo {
  if (!isObject(raw)) {
    throw new KasaError(ErrorCode.PROTOCOL, 'The device sent sysinfo that is not an object.');
  }
  const deviceId = text(raw['deviceId']) ?? text(raw['device_id']) ?? '';
  const feature = text(raw['feature']) ?? '';
  const kind = kindOf(raw);
  const lightState = isObject(raw['light_state']) ? raw['light_state'] : undefined;
  const info: DeviceInfo = {
    alias: text(raw['alias']) ?? '',
    model: text(raw['model']) ?? text(raw['dev_name']) ?? '',
    deviceId,
    mac: text(raw['mac']) ?? text(raw['mic_mac']) ?? text(raw['ethernet_mac']) ?? '',
    type: text(raw['type']) ?? text(raw['mic_type']) ?? '',
    kind,
    // Bulbs do not list features; those that have a meter answer on their meter module.
    hasEnergyMeter: feature.split(':').includes('ENE') || (lightState !== undefined && raw['feature'] === undefined),
    on: false,
  };
  assign(info, 'hardwareVersion', text(raw['hw_ver']));
  assign(info, 'softwareVersion', text(raw['sw_ver']));
  assign(info, 'onTime', num(raw['on_time']));
  assign(info, 'rssi', num(raw['rssi']));
  const ledOff = num(raw['led_off']);
  if (ledOff !== undefined) info.ledOn = ledOff === 0;
  assign(info, 'latitude', num(raw['latitude']) ?? scaled(raw['latitude_i']));
  assign(info, 'longitude', num(raw['longitude']) ?? scaled(raw['longitude_i']));

  if (Array.isArray(raw['children'])) {
    const entries = raw['children'].filter(isObject);
    info.outlets = entries.map((child, position) => normaliseOutlet(child, position, deviceId));
    // A Kasa strip's children are all outlets.
    info.children = info.outlets.map((outlet, position) => ({ index: outlet.index, id: outlet.id, alias: outlet.alias, kind: 'outlet', on: outlet.on, raw: entries[position]! }));
    info.on = info.outlets.some((outlet) => outlet.on);
  } else if (lightState !== undefined) {
    info.on = num(lightState['on_off']) === 1;
    // Off, a bulb reports the state it comes back on with.
    const level = num(lightState['brightness']) ?? (isObject(lightState['dft_on_state']) ? num(lightState['dft_on_state']['brightness']) : undefined);
    assign(info, 'brightness', level);
  } else {
    info.on = num(raw['relay_state']) === 1;
    assign(info, 'brightness', num(raw['brightness']));
  }
  return info;
}

function normaliseOutlet(child: Record<string, unknown>, position: number, parentId: string): OutletInfo {
  const rawId = text(child['id']) ?? String(position).padStart(2, '0');
  // Some firmware reports only the 2-digit suffix; the device needs the full id back.
  const id = /^[0-9a-f]{1,2}$/i.test(rawId) && parentId !== '' ? `${parentId}${rawId.padStart(2, '0')}` : rawId;
  const outlet: OutletInfo = {
    // The position, not the id's 2-digit suffix: past 100 outlets suffixes repeat, positions never do.
    index: position + 1,
    id,
    alias: text(child['alias']) ?? '',
    on: num(child['state']) === 1,
  };
  assign(outlet, 'onTime', num(child['on_time']));
  return outlet;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** latitude_i / longitude_i are degrees times 10^4. */
function scaled(value: unknown): number | undefined {
  const n = num(value);
  return n === undefined ? undefined : n / 10_000;
}

function assign<T, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}
