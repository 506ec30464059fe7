import { ErrorCode, KasaError } from './errors';
import type { Request } from './client';
import { isObject } from './reply';

/**
 * The command catalogue of the Smart Home protocol, as reverse engineered from the HS110:
 * one typed builder per command, grouped by module, plus the seed client's presets.
 */

/** Builds `{"<module>":{"<method>":<args>}}`. */
export function command(module: string, method: string, args: Record<string, unknown> = {}): Request {
  return { [module]: { [method]: args } };
}

const rule = (module: string) => ({
  getRules: () => command(module, 'get_rules'),
  addRule: (rule: Record<string, unknown>) => command(module, 'add_rule', rule),
  editRule: (rule: Record<string, unknown> & { id: string }) => command(module, 'edit_rule', rule),
  deleteRule: (id: string) => command(module, 'delete_rule', { id }),
  deleteAllRules: () => command(module, 'delete_all_rules'),
});

export const system = {
  getSysinfo: () => command('system', 'get_sysinfo'),
  setRelayState: (on: boolean) => command('system', 'set_relay_state', { state: on ? 1 : 0 }),
  /** Night mode: `on` false turns the LED off. */
  setLed: (on: boolean) => command('system', 'set_led_off', { off: on ? 0 : 1 }),
  setAlias: (alias: string) => command('system', 'set_dev_alias', { alias }),
  setLocation: (latitude: number, longitude: number) => command('system', 'set_dev_location', { latitude, longitude }),
  reboot: (delaySeconds = 1) => command('system', 'reboot', { delay: delaySeconds }),
  factoryReset: (delaySeconds = 1) => command('system', 'reset', { delay: delaySeconds }),
  setMac: (mac: string) => command('system', 'set_mac_addr', { mac }),
  setDeviceId: (deviceId: string) => command('system', 'set_device_id', { deviceId }),
  setHardwareId: (hwId: string) => command('system', 'set_hw_id', { hwId }),
  checkUboot: () => command('system', 'test_check_uboot'),
  getIcon: () => command('system', 'get_dev_icon'),
  setIcon: (icon: string, hash: string) => command('system', 'set_dev_icon', { icon, hash }),
  setTestMode: (enable: boolean) => command('system', 'set_test_mode', { enable: enable ? 1 : 0 }),
  downloadFirmware: (url: string) => command('system', 'download_firmware', { url }),
  getDownloadState: () => command('system', 'get_download_state'),
  flashFirmware: () => command('system', 'flash_firmware'),
  checkNewConfig: () => command('system', 'check_new_config'),
};

export const netif = {
  scanWifi: (refresh = false, timeoutSeconds?: number) =>
    command('netif', 'get_scaninfo', { refresh: refresh ? 1 : 0, ...(timeoutSeconds === undefined ? {} : { timeout: timeoutSeconds }) }),
  /** key_type 3 is WPA2. */
  joinWifi: (ssid: string, password: string, keyType = 3) => command('netif', 'set_stainfo', { ssid, password, key_type: keyType }),
};

export const cloud = {
  getInfo: () => command('cnCloud', 'get_info'),
  getFirmwareList: () => command('cnCloud', 'get_intl_fw_list'),
  setServerUrl: (server: string) => command('cnCloud', 'set_server_url', { server }),
  bind: (username: string, password: string) => command('cnCloud', 'bind', { username, password }),
  unbind: () => command('cnCloud', 'unbind'),
};

export const time = {
  getTime: () => command('time', 'get_time'),
  getTimezone: () => command('time', 'get_timezone'),
  setTimezone: (t: { year: number; month: number; mday: number; hour: number; min: number; sec: number; index: number }) =>
    command('time', 'set_timezone', t),
};

export const emeter = {
  getRealtime: () => command('emeter', 'get_realtime'),
  getGain: () => command('emeter', 'get_vgain_igain'),
  setGain: (vgain: number, igain: number) => command('emeter', 'set_vgain_igain', { vgain, igain }),
  calibrate: (vtarget: number, itarget: number) => command('emeter', 'start_calibration', { vtarget, itarget }),
  getDayStat: (year: number, month: number) => command('emeter', 'get_daystat', { year, month }),
  getMonthStat: (year: number) => command('emeter', 'get_monthstat', { year }),
  eraseStats: () => command('emeter', 'erase_emeter_stat'),
};

export const schedule = {
  ...rule('schedule'),
  getNextAction: () => command('schedule', 'get_next_action'),
  eraseRuntimeStats: () => command('schedule', 'erase_runtime_stat'),
  getDayStat: (year: number, month: number) => command('schedule', 'get_daystat', { year, month }),
  getMonthStat: (year: number) => command('schedule', 'get_monthstat', { year }),
};

export const countdown = rule('count_down');
export const antiTheft = rule('anti_theft');

/**
 * Commands that reset, reboot, rewrite identity, firmware, network or cloud binding, erase
 * statistics or recalibrate: a flow must opt in before any of them is sent.
 */
const DESTRUCTIVE = new Set([
  'system.reset',
  'system.reboot',
  'system.set_mac_addr',
  'system.set_device_id',
  'system.set_hw_id',
  'system.set_test_mode',
  'system.download_firmware',
  'system.flash_firmware',
  'netif.set_stainfo',
  'cnCloud.set_server_url',
  'cnCloud.bind',
  'cnCloud.unbind',
  'emeter.set_vgain_igain',
  'emeter.start_calibration',
  'emeter.erase_emeter_stat',
  'schedule.erase_runtime_stat',
]);

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
  const methods = Object.entries(request).flatMap(([module, m]) => (module === 'context' || !isObject(m) ? [] : Object.keys(m)));
  return methods.length > 0 && methods.every((name) => name.startsWith('get_'));
}

/** How the editor groups presets in a node's action list. */
export type PresetGroup = 'switch' | 'read' | 'settings' | 'destructive';

export interface Preset {
  description: string;
  request: () => Request;
  destructive: boolean;
  group: PresetGroup;
}

/** A preset; its group follows from its request (destructive, read-only, or a setting) unless given. */
function preset(description: string, request: () => Request, group?: PresetGroup): Preset {
  const destructive = destructiveMethods(request()).length > 0;
  return { description, request, destructive, group: destructive ? 'destructive' : (group ?? (isReadOnly(request()) ? 'read' : 'settings')) };
}

/** The seed client's `-c` presets. */
export const PRESETS = {
  info: preset('System information (sysinfo)', system.getSysinfo),
  on: preset('Switch the relay on', () => system.setRelayState(true), 'switch'),
  off: preset('Switch the relay off', () => system.setRelayState(false), 'switch'),
  ledon: preset('Switch the LED on', () => system.setLed(true)),
  ledoff: preset('Switch the LED off (night mode)', () => system.setLed(false)),
  cloudinfo: preset('Cloud connection information', cloud.getInfo),
  wlanscan: preset('Scan for Wi-Fi networks', () => netif.scanWifi(false)),
  time: preset('Date and time of the device', time.getTime),
  schedule: preset('Schedule rules', schedule.getRules),
  countdown: preset('Countdown rules', countdown.getRules),
  antitheft: preset('Anti-theft (away mode) rules', antiTheft.getRules),
  reboot: preset('Reboot the device', () => system.reboot(1)),
  reset: preset('Factory reset the device', () => system.factoryReset(1)),
  energy: preset('Energy meter realtime reading', emeter.getRealtime),
  energy_reset: preset('Erase the energy meter statistics', emeter.eraseStats),
  runtime_reset: preset('Erase the runtime statistics', schedule.eraseRuntimeStats),
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
