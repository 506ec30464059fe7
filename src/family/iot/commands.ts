import type { Request } from './message';
import { ErrorCode, KasaError } from '../../util/errors';
import { KIND_LABELS } from '../../device/kind';
import type { DeviceKind } from '../../device/kind';
import { IotModules, allModules, modulesOf } from './kinds';
import { command } from './modules';
import { isObject } from '../../util/json';

/**
 * The command catalogue of the Smart Home protocol, as reverse engineered from the HS110: the
 * modules of a plug (other kinds name some modules differently: src/family/iot/kinds.ts), the
 * guards every request passes, and the seed client's presets.
 */

export { command };

const PLUG = modulesOf('plug');
export const system = PLUG.system;
export const netif = PLUG.netif;
export const cloud = PLUG.cloud;
export const time = PLUG.time;
export const emeter = PLUG.meter;
export const schedule = PLUG.schedule;
export const countdown = PLUG.countdown!;
export const antiTheft = PLUG.away!;

/** Each module's destructive methods under each name any kind gives the module. */
const DESTRUCTIVE = new Set(allModules().flatMap((module) => module.destructive.map((method) => `${module.name}.${method}`)));

/** The `module.method` names of a request that are destructive. */
export function destructiveMethods(request: Request): string[] {
  return methodsOf(request).filter((name) => DESTRUCTIVE.has(name));
}

/** Every `module.method` of a request, context aside. */
export function methodsOf(request: Request): string[] {
  return Object.entries(request).flatMap(([module, methods]) =>
    module === 'context' || !isObject(methods) ? [] : Object.keys(methods).map((method) => `${module}.${method}`),
  );
}

/**
 * True when every method of a request only reads (get_*): sending it twice does no harm, so a
 * request lost on a broken connection may be sent again. Anything else could run twice.
 */
export function isReadOnly(request: Request): boolean {
  // The method names themselves: module names may have dots of their own (smartlife.iot.dimmer).
  // Plain loops over own keys: this runs for every request, and allocates nothing.
  let methods = 0;
  for (const module in request) {
    const m = request[module];
    if (!Object.hasOwn(request, module) || module === 'context' || !isObject(m)) continue;
    for (const name in m) {
      if (!Object.hasOwn(m, name)) continue;
      if (!name.startsWith('get_')) return false;
      methods++;
    }
  }
  return methods > 0;
}

/** How the editor groups presets in a node's action list. */
export type PresetGroup = 'switch' | 'read' | 'settings' | 'destructive';

export interface Preset {
  description: string;
  /** The request for a kind of device (a plug's when none is given); NOT_SUPPORTED where the kind lacks the module. */
  request: (kind?: DeviceKind) => Request;
  destructive: boolean;
  group: PresetGroup;
}

/** A preset, built from a kind's modules; its group follows from a plug's request unless given. */
function preset(description: string, build: (modules: IotModules) => Request | undefined, group?: PresetGroup): Preset {
  const request = (kind: DeviceKind = 'plug'): Request => {
    const built = build(modulesOf(kind));
    if (built === undefined) {
      throw new KasaError(ErrorCode.NOT_SUPPORTED, `A ${KIND_LABELS[kind]} has no such module: "${description}" cannot be done on it.`);
    }
    return built;
  };
  const destructive = destructiveMethods(request()).length > 0;
  return { description, request, destructive, group: destructive ? 'destructive' : (group ?? (isReadOnly(request()) ? 'read' : 'settings')) };
}

/** The seed client's `-c` presets. */
export const PRESETS = {
  info: preset('System information (sysinfo)', (m) => m.system.getSysinfo()),
  on: preset('Switch the relay on', (m) => m.lighting?.setOn(true) ?? m.system.setRelayState(true), 'switch'),
  off: preset('Switch the relay off', (m) => m.lighting?.setOn(false) ?? m.system.setRelayState(false), 'switch'),
  ledon: preset('Switch the LED on', (m) => m.system.setLed(true)),
  ledoff: preset('Switch the LED off (night mode)', (m) => m.system.setLed(false)),
  cloudinfo: preset('Cloud connection information', (m) => m.cloud.getInfo()),
  wlanscan: preset('Scan for Wi-Fi networks', (m) => m.netif.scanWifi(false)),
  time: preset('Date and time of the device', (m) => m.time.getTime()),
  schedule: preset('Schedule rules', (m) => m.schedule.getRules()),
  countdown: preset('Countdown rules', (m) => m.countdown?.getRules()),
  antitheft: preset('Anti-theft (away mode) rules', (m) => m.away?.getRules()),
  reboot: preset('Reboot the device', (m) => m.system.reboot(1)),
  reset: preset('Factory reset the device', (m) => m.system.factoryReset(1)),
  energy: preset('Energy meter realtime reading', (m) => m.meter.getRealtime()),
  energy_reset: preset('Erase the energy meter statistics', (m) => m.meter.eraseStats()),
  runtime_reset: preset('Erase the runtime statistics', (m) => m.schedule.eraseRuntimeStats()),
} as const satisfies Record<string, Preset>;

export type PresetName = keyof typeof PRESETS;

export function isPresetName(name: unknown): name is PresetName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(PRESETS, name);
}

/** Merges several requests into one (modules and their methods side by side; child ids joined). */
export function batch(...requests: Request[]): Request {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const request of requests) {
    for (const [module, methods] of Object.entries(request)) {
      if (!isObject(methods)) {
        throw new KasaError(ErrorCode.BAD_INPUT, `Module "${module}" of a command must be an object of methods.`);
      }
      const target = (merged[module] ??= {});
      if (module === 'context' && Array.isArray(methods['child_ids']) && Array.isArray(target['child_ids'])) {
        target['child_ids'] = [...new Set([...(target['child_ids'] as unknown[]), ...methods['child_ids']])];
      } else {
        Object.assign(target, methods);
      }
    }
  }
  return merged;
}

/** Addresses a request to outlets of a strip: `"context":{"child_ids":[...]}` before the modules. */
export function forOutlets(request: Request, childIds: readonly string[]): Request {
  if (childIds.length === 0) return request;
  const { context: _ignored, ...modules } = request;
  return { context: { child_ids: [...childIds] }, ...modules };
}

/**
 * A strip's child id is the 40-hex-char deviceId followed by a 2-digit index. Some firmware
 * reports only the suffix, but a short id gets "entry not exist": always send the full one.
 */
export function fullChildId(id: string, parentDeviceId: string): string {
  const trimmed = id.trim();
  if (/^[0-9a-f]{1,2}$/i.test(trimmed)) return `${parentDeviceId}${trimmed.padStart(2, '0')}`;
  return trimmed;
}
