import type { Request } from './message';

/**
 * The modules of the Kasa JSON ("IOT") family. A module is a role (what it does) and a name (what
 * the device calls it): a plug meters in `emeter`, a bulb in `smartlife.iot.common.emeter`, with the
 * same methods. Each module builds its own requests and lists its own destructive methods, so a
 * kind of device that names a module differently needs one table entry, not new code.
 */

export type ModuleRole = 'system' | 'netif' | 'cloud' | 'time' | 'meter' | 'schedule' | 'countdown' | 'away' | 'dimmer' | 'lighting';

export interface Module {
  readonly role: ModuleRole;
  /** The key the device answers on, e.g. "emeter". */
  readonly name: string;
  /**
   * Methods that reset, reboot, rewrite identity, firmware, network or cloud binding, erase
   * statistics or recalibrate: a flow must opt in before any of them is sent.
   */
  readonly destructive: readonly string[];
}

/** Builds `{"<module>":{"<method>":<args>}}`. */
export function command(module: string, method: string, args: Record<string, unknown> = {}): Request {
  return { [module]: { [method]: args } };
}

/** A module with its builders, checked to be a Module. */
function defineModule<T extends Module>(module: T): T {
  return module;
}

/** Every device answers sysinfo on `system`, whatever it calls its system module otherwise. */
export const SYSINFO_MODULE = 'system';

export function systemModule(name: string) {
  return defineModule({
    role: 'system',
    name,
    destructive: ['reset', 'reboot', 'set_mac_addr', 'set_device_id', 'set_hw_id', 'set_test_mode', 'download_firmware', 'flash_firmware'],
    getSysinfo: () => command(SYSINFO_MODULE, 'get_sysinfo'),
    setRelayState: (on: boolean) => command(name, 'set_relay_state', { state: on ? 1 : 0 }),
    /** Night mode: `on` false turns the LED off. */
    setLed: (on: boolean) => command(name, 'set_led_off', { off: on ? 0 : 1 }),
    setAlias: (alias: string) => command(name, 'set_dev_alias', { alias }),
    setLocation: (latitude: number, longitude: number) => command(name, 'set_dev_location', { latitude, longitude }),
    reboot: (delaySeconds = 1) => command(name, 'reboot', { delay: delaySeconds }),
    factoryReset: (delaySeconds = 1) => command(name, 'reset', { delay: delaySeconds }),
    setMac: (mac: string) => command(name, 'set_mac_addr', { mac }),
    setDeviceId: (deviceId: string) => command(name, 'set_device_id', { deviceId }),
    setHardwareId: (hwId: string) => command(name, 'set_hw_id', { hwId }),
    checkUboot: () => command(name, 'test_check_uboot'),
    getIcon: () => command(name, 'get_dev_icon'),
    setIcon: (icon: string, hash: string) => command(name, 'set_dev_icon', { icon, hash }),
    setTestMode: (enable: boolean) => command(name, 'set_test_mode', { enable: enable ? 1 : 0 }),
    downloadFirmware: (url: string) => command(name, 'download_firmware', { url }),
    getDownloadState: () => command(name, 'get_download_state'),
    flashFirmware: () => command(name, 'flash_firmware'),
    checkNewConfig: () => command(name, 'check_new_config'),
  } as const);
}

export function netifModule(name: string) {
  return defineModule({
    role: 'netif',
    name,
    destructive: ['set_stainfo'],
    scanWifi: (refresh = false, timeoutSeconds?: number) =>
      command(name, 'get_scaninfo', { refresh: refresh ? 1 : 0, ...(timeoutSeconds === undefined ? {} : { timeout: timeoutSeconds }) }),
    /** key_type 3 is WPA2. */
    joinWifi: (ssid: string, password: string, keyType = 3) => command(name, 'set_stainfo', { ssid, password, key_type: keyType }),
  } as const);
}

export function cloudModule(name: string) {
  return defineModule({
    role: 'cloud',
    name,
    destructive: ['set_server_url', 'bind', 'unbind'],
    getInfo: () => command(name, 'get_info'),
    getFirmwareList: () => command(name, 'get_intl_fw_list'),
    setServerUrl: (server: string) => command(name, 'set_server_url', { server }),
    bind: (username: string, password: string) => command(name, 'bind', { username, password }),
    unbind: () => command(name, 'unbind'),
  } as const);
}

export function timeModule(name: string) {
  return defineModule({
    role: 'time',
    name,
    destructive: [],
    getTime: () => command(name, 'get_time'),
    getTimezone: () => command(name, 'get_timezone'),
    setTimezone: (t: { year: number; month: number; mday: number; hour: number; min: number; sec: number; index: number }) =>
      command(name, 'set_timezone', t),
  } as const);
}

export function meterModule(name: string) {
  return defineModule({
    role: 'meter',
    name,
    destructive: ['set_vgain_igain', 'start_calibration', 'erase_emeter_stat'],
    getRealtime: () => command(name, 'get_realtime'),
    getGain: () => command(name, 'get_vgain_igain'),
    setGain: (vgain: number, igain: number) => command(name, 'set_vgain_igain', { vgain, igain }),
    calibrate: (vtarget: number, itarget: number) => command(name, 'start_calibration', { vtarget, itarget }),
    getDayStat: (year: number, month: number) => command(name, 'get_daystat', { year, month }),
    getMonthStat: (year: number) => command(name, 'get_monthstat', { year }),
    eraseStats: () => command(name, 'erase_emeter_stat'),
  } as const);
}

/** Schedule, countdown and away (anti-theft) keep rules the same way. */
function ruleCommands(name: string) {
  return {
    getRules: () => command(name, 'get_rules'),
    addRule: (rule: Record<string, unknown>) => command(name, 'add_rule', rule),
    editRule: (rule: Record<string, unknown> & { id: string }) => command(name, 'edit_rule', rule),
    deleteRule: (id: string) => command(name, 'delete_rule', { id }),
    deleteAllRules: () => command(name, 'delete_all_rules'),
  };
}

export function scheduleModule(name: string) {
  return defineModule({
    role: 'schedule',
    name,
    destructive: ['erase_runtime_stat'],
    ...ruleCommands(name),
    getNextAction: () => command(name, 'get_next_action'),
    eraseRuntimeStats: () => command(name, 'erase_runtime_stat'),
    getDayStat: (year: number, month: number) => command(name, 'get_daystat', { year, month }),
    getMonthStat: (year: number) => command(name, 'get_monthstat', { year }),
  } as const);
}

export function countdownModule(name: string) {
  return defineModule({ role: 'countdown', name, destructive: [], ...ruleCommands(name) } as const);
}

export function awayModule(name: string) {
  return defineModule({ role: 'away', name, destructive: [], ...ruleCommands(name) } as const);
}

/** Wall dimmers (HS220): brightness 1-100 %, beside the relay that switches the light. */
export function dimmerModule(name: string) {
  return defineModule({
    role: 'dimmer',
    name,
    destructive: [],
    setBrightness: (brightness: number) => command(name, 'set_brightness', { brightness }),
    /** Fades to the brightness over `durationMs` and switches the light on. */
    fadeTo: (brightness: number, durationMs: number) => command(name, 'set_dimmer_transition', { brightness, duration: durationMs }),
    getParameters: () => command(name, 'get_dimmer_parameters'),
  } as const);
}

/** Bulbs and light strips: the light's state, switched and dimmed in one method. */
export function lightingModule(name: string) {
  const transition = (state: Record<string, unknown>, transitionMs?: number) =>
    command(name, 'transition_light_state', { ...state, ...(transitionMs === undefined ? {} : { transition_period: transitionMs }) });
  return defineModule({
    role: 'lighting',
    name,
    destructive: [],
    getLightState: () => command(name, 'get_light_state'),
    setOn: (on: boolean, transitionMs?: number) => transition({ on_off: on ? 1 : 0 }, transitionMs),
    setBrightness: (brightness: number, transitionMs?: number) => transition({ on_off: 1, brightness }, transitionMs),
  } as const);
}
