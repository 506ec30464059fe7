import { ErrorCode, KasaError } from '../../util/errors';
import { seededHex } from '../models';
import type { LightComponents, LightSpec } from './light';

/**
 * The SMART models the simulator plays (PROTOCOL.md section 5). The fixtures are written here
 * from the documented message shapes, not taken from any device dump: names, versions and
 * component lists are plausible, not copies of a real unit.
 */
export const SMART_MODEL_NAMES = ['p110', 'p110m', 'p300', 'p304m', 'kp125m', 's500d', 'ks225', 'l510', 'l530', 'l900', 'l930', 'h100', 'kh100'] as const;
export type SmartModelName = (typeof SMART_MODEL_NAMES)[number];

/**
 * A meter: ver_code of energy_monitoring (1: get_energy_usage only; 2: adds get_current_power),
 * whether get_emeter_data answers (the P110M's), and whether get_energy_usage carries
 * `current_power` in mW (default true; a P304M's outlets leave it out and give the power only in
 * get_current_power, in whole W).
 */
export interface SmartEnergySpec {
  verCode: 1 | 2;
  emeterData: boolean;
  usagePower?: boolean;
}

/** The P304M outlets' meters as the simulator answered before it followed the real ones: power in get_energy_usage and get_emeter_data. */
export const POWER_IN_USAGE_OUTLET_ENERGY: SmartEnergySpec = { verCode: 2, emeterData: true, usagePower: true };

export interface SmartModelSpec {
  name: SmartModelName;
  /** `model` of get_device_info: no region. */
  model: string;
  type: 'SMART.TAPOPLUG' | 'SMART.KASAPLUG' | 'SMART.TAPOSWITCH' | 'SMART.KASASWITCH' | 'SMART.TAPOBULB' | 'SMART.TAPOHUB' | 'SMART.KASAHUB';
  hwVer: string;
  fwVer: string;
  /** 0 for a plug; the number of outlets for a strip. */
  outlets: number;
  /**
   * The energy meter: ver_code of energy_monitoring (1: get_energy_usage only; 2: adds
   * get_current_power) and whether get_emeter_data answers (the P110M's). Absent: no meter.
   */
  energy?: SmartEnergySpec;
  /** A strip whose outlets each have a meter (P304M): their energy_monitoring, as `energy` is the parent's. */
  outletEnergy?: SmartEnergySpec;
  /** Default nickname before the MAC suffix. */
  nicknamePrefix: string;
  /** Power drawn while on, in mW, for a metered model. */
  loadMilliwatts: number;
  /**
   * component_nego's whole list, for the models that are not plugs (dimmers, lights); what the
   * device answers follows from it (brightness, color, on_off_gradually, ...). Plugs' lists are
   * composed by componentList.
   */
  components?: ReadonlyArray<readonly [string, number]>;
  /** A dimmer or a light: its white range, first state and presets. */
  light?: LightSpec;
  /** Wall switches report `overheat_status` ("normal") where plugs and bulbs report `overheated`. */
  overheatStatus?: boolean;
  /** Bulbs send no `on_time` in get_device_info. Default true. */
  reportsOnTime?: boolean;
  /** A hub (H100, KH100): sensors, a button, a switch and a valve as children (hub.ts). */
  hub?: boolean;
}

/** What every Tapo/Kasa SMART device of 2022 on lists first. */
const COMMON: ReadonlyArray<readonly [string, number]> = [
  ['device', 2],
  ['firmware', 2],
  ['quick_setup', 3],
  ['inherit', 1],
  ['time', 1],
  ['wireless', 1],
  ['schedule', 2],
  ['countdown', 2],
  ['antitheft', 1],
  ['account', 1],
  ['synchronize', 1],
  ['sunrise_sunset', 1],
];

/** A wall dimmer's components: a brightness, presets of it, fades, a calibration, overheat protection. */
const WALL_DIMMER: ReadonlyArray<readonly [string, number]> = [
  ...COMMON,
  ['led', 1],
  ['cloud_connect', 1],
  ['iot_cloud', 1],
  ['device_local_time', 1],
  ['default_states', 1],
  ['brightness', 1],
  ['preset', 1],
  ['on_off_gradually', 2],
  ['dimmer_calibration', 1],
  ['overheat_protection', 1],
];

const DIMMER_PRESETS = [100, 75, 50, 25, 1] as const;

/** A hub's components: children, an alarm (siren), no relay. */
const HUB: ReadonlyArray<readonly [string, number]> = [
  ...COMMON.filter(([id]) => id !== 'schedule' && id !== 'countdown' && id !== 'antitheft'),
  ['led', 1],
  ['cloud_connect', 1],
  ['iot_cloud', 1],
  ['child_device', 1],
  ['child_quick_setup', 1],
  ['child_inherit', 1],
  ['control_child', 1],
  ['alarm', 1],
  ['device_load', 1],
  ['device_local_time', 1],
  ['alarm_logs', 1],
  ['localSmart', 1],
];

/** What a Tapo colour light lists after COMMON: brightness, colour, white, fades. */
const COLOUR_LIGHT: ReadonlyArray<readonly [string, number]> = [
  ...COMMON,
  ['cloud_connect', 1],
  ['default_states', 1],
  ['brightness', 1],
  ['color', 1],
  ['color_temperature', 1],
  ['device_local_time', 1],
  ['iot_cloud', 1],
  ['bulb_quick_control', 1],
];

/** A light strip's own components. */
const LIGHT_STRIP: ReadonlyArray<readonly [string, number]> = [
  ['light_strip', 1],
  ['light_strip_lighting_effect', 2],
  ['preset', 3],
  ['on_off_gradually', 1],
  ['music_rhythm', 3],
];

export const SMART_MODELS: Readonly<Record<SmartModelName, SmartModelSpec>> = {
  p110: {
    name: 'p110',
    model: 'P110',
    type: 'SMART.TAPOPLUG',
    hwVer: '1.0',
    fwVer: '1.3.1 Build 240621 Rel.162048',
    outlets: 0,
    energy: { verCode: 2, emeterData: false },
    nicknamePrefix: 'Tapo Plug ',
    loadMilliwatts: 42_500,
  },
  p110m: {
    name: 'p110m',
    model: 'P110M',
    type: 'SMART.TAPOPLUG',
    hwVer: '1.0',
    fwVer: '1.2.3 Build 240617 Rel.153525',
    outlets: 0,
    energy: { verCode: 2, emeterData: true },
    nicknamePrefix: 'Tapo Plug ',
    loadMilliwatts: 61_250,
  },
  p300: {
    name: 'p300',
    model: 'P300',
    type: 'SMART.TAPOPLUG',
    hwVer: '1.0',
    fwVer: '1.0.13 Build 240226 Rel.175434',
    outlets: 3,
    nicknamePrefix: 'Tapo Power Strip ',
    loadMilliwatts: 0,
  },
  // A strip with a meter per outlet and none of its own. Its outlets answer get_energy_usage
  // without current_power (today's and this month's energy only) and give the power in
  // get_current_power; get_emeter_data they do not answer (what code they answer is unverified).
  p304m: {
    name: 'p304m',
    model: 'P304M',
    type: 'SMART.TAPOPLUG',
    hwVer: '1.0',
    fwVer: '1.0.7 Build 240411 Rel.110238',
    outlets: 4,
    outletEnergy: { verCode: 2, emeterData: false, usagePower: false },
    nicknamePrefix: 'Tapo Power Strip ',
    loadMilliwatts: 15_000,
  },
  // Which energy_monitoring version a KP125M reports is not documented here; ver_code 1 lets the
  // simulator cover the devices that have get_energy_usage only.
  kp125m: {
    name: 'kp125m',
    model: 'KP125M',
    type: 'SMART.KASAPLUG',
    hwVer: '1.1',
    fwVer: '1.1.3 Build 230801 Rel.092557',
    outlets: 0,
    energy: { verCode: 1, emeterData: false },
    nicknamePrefix: 'Kasa Plug ',
    loadMilliwatts: 18_750,
  },
  // Wall dimmers: a relay and a brightness (SMART.TAPOSWITCH / SMART.KASASWITCH with `brightness`).
  s500d: {
    name: 's500d',
    model: 'S500D',
    type: 'SMART.TAPOSWITCH',
    hwVer: '1.0',
    fwVer: '1.0.6 Build 230118 Rel.094512',
    outlets: 0,
    nicknamePrefix: 'Tapo Dimmer ',
    loadMilliwatts: 0,
    components: WALL_DIMMER,
    light: { colorTempRange: [0, 0], initial: { brightness: 60 }, presets: DIMMER_PRESETS, fadeReportsMax: false },
    overheatStatus: true,
  },
  ks225: {
    name: 'ks225',
    model: 'KS225',
    type: 'SMART.KASASWITCH',
    hwVer: '1.0',
    fwVer: '1.1.1 Build 240618 Rel.170213',
    outlets: 0,
    nicknamePrefix: 'Kasa Dimmer ',
    loadMilliwatts: 0,
    components: [...WALL_DIMMER, ['matter', 2]],
    // Its on_off_gradually is version 2 but reports max_duration, as version 3 does.
    light: { colorTempRange: [0, 0], initial: { brightness: 40 }, presets: DIMMER_PRESETS, fadeReportsMax: true },
    overheatStatus: true,
  },
  // A white dimmable bulb: one colour temperature, reported as a range of one value.
  l510: {
    name: 'l510',
    model: 'L510',
    type: 'SMART.TAPOBULB',
    hwVer: '3.0',
    fwVer: '1.1.2 Build 231025 Rel.184027',
    outlets: 0,
    nicknamePrefix: 'Tapo Bulb ',
    loadMilliwatts: 0,
    components: [
      ...COMMON,
      ['brightness', 1],
      ['cloud_connect', 1],
      ['default_states', 1],
      ['preset', 1],
      ['device_local_time', 1],
      ['iot_cloud', 1],
      ['bulb_quick_control', 1],
      ['on_off_gradually', 3],
    ],
    light: { colorTempRange: [2700, 2700], initial: { brightness: 100 }, presets: [1, 25, 50, 75, 100] },
    reportsOnTime: false,
  },
  // A colour bulb: hue and saturation with color_temp 0, or a white within 2500-6500 K; two dynamic effects.
  l530: {
    name: 'l530',
    model: 'L530',
    type: 'SMART.TAPOBULB',
    hwVer: '3.0',
    fwVer: '1.1.6 Build 240112 Rel.161904',
    outlets: 0,
    nicknamePrefix: 'Tapo Bulb ',
    loadMilliwatts: 0,
    components: [...COLOUR_LIGHT, ['preset', 1], ['auto_light', 1], ['on_off_gradually', 3], ['light_effect', 1]],
    light: { colorTempRange: [2500, 6500], initial: { brightness: 100, hue: 0, saturation: 100, colorTemp: 2700 } },
    reportsOnTime: false,
  },
  // A light strip: colour, one fixed white (reported as 9000 K), lighting effects.
  l900: {
    name: 'l900',
    model: 'L900',
    type: 'SMART.TAPOBULB',
    hwVer: '1.0',
    fwVer: '1.1.0 Build 230828 Rel.181523',
    outlets: 0,
    nicknamePrefix: 'Tapo Light Strip ',
    loadMilliwatts: 0,
    components: [...COLOUR_LIGHT, ...LIGHT_STRIP],
    light: { colorTempRange: [9000, 9000], initial: { brightness: 100, hue: 0, saturation: 100, colorTemp: 9000 }, segments: 50 },
    reportsOnTime: false,
  },
  // A strip with addressable segments: a white range as well, and segment effects besides the lighting effects.
  l930: {
    name: 'l930',
    model: 'L930',
    type: 'SMART.TAPOBULB',
    hwVer: '1.0',
    fwVer: '1.2.5 Build 240715 Rel.094412',
    outlets: 0,
    nicknamePrefix: 'Tapo Light Strip ',
    loadMilliwatts: 0,
    components: [...COLOUR_LIGHT, ...LIGHT_STRIP, ['segment', 1], ['segment_effect', 1], ['auto_light', 1]],
    light: { colorTempRange: [2500, 6500], initial: { brightness: 100, hue: 250, saturation: 70, colorTemp: 0 }, segments: 50 },
    reportsOnTime: false,
  },
  // Hubs: the children speak through control_child; the same protocol, a Tapo or a Kasa brand.
  h100: {
    name: 'h100',
    model: 'H100',
    type: 'SMART.TAPOHUB',
    hwVer: '1.0',
    fwVer: '1.5.10 Build 240207 Rel.120644',
    outlets: 0,
    nicknamePrefix: 'Tapo Hub ',
    loadMilliwatts: 0,
    components: [...HUB, ['matter', 3], ['chime', 1]],
    hub: true,
  },
  kh100: {
    name: 'kh100',
    model: 'KH100',
    type: 'SMART.KASAHUB',
    hwVer: '1.0',
    fwVer: '1.5.12 Build 240320 Rel.143102',
    outlets: 0,
    nicknamePrefix: 'Kasa Hub ',
    loadMilliwatts: 0,
    components: HUB,
    hub: true,
  },
};

export function isSmartModelName(value: unknown): value is SmartModelName {
  return typeof value === 'string' && (SMART_MODEL_NAMES as readonly string[]).includes(value);
}

export function smartModelSpec(name: string): SmartModelSpec {
  if (!isSmartModelName(name)) {
    throw new KasaError(ErrorCode.BAD_INPUT, `Unknown simulated SMART model "${name}"; one of: ${SMART_MODEL_NAMES.join(', ')}.`);
  }
  return SMART_MODELS[name];
}

/** component_nego's list for a model: what every plug has, plus its meter and outlets. */
export function componentList(spec: SmartModelSpec): Array<{ id: string; ver_code: number }> {
  if (spec.components !== undefined) return spec.components.map(([id, ver_code]) => ({ id, ver_code }));
  const list: Array<[string, number]> = [
    ['device', 2],
    ['firmware', 2],
    ['quick_setup', 3],
    ['time', 1],
    ['wireless', 1],
    ['schedule', 2],
    ['countdown', 2],
    ['account', 1],
    ['led', 1],
    ['cloud_connect', 1],
    ['device_local_time', 1],
    ['default_states', 1],
  ];
  if (spec.energy !== undefined) list.push(['energy_monitoring', spec.energy.verCode], ['power_protection', 1], ['overheat_protection', 1]);
  if (spec.outlets > 0) list.push(['control_child', 2], ['child_device', 1]);
  return list.map(([id, ver_code]) => ({ id, ver_code }));
}

/** The light parts a component list names. */
export function lightComponentsOf(list: ReadonlyArray<{ id: string; ver_code: number }>): LightComponents {
  const version = (id: string): number | undefined => list.find((component) => component.id === id)?.ver_code;
  const gradually = version('on_off_gradually');
  return {
    brightness: version('brightness') !== undefined,
    color: version('color') !== undefined,
    colorTemperature: version('color_temperature') !== undefined,
    stripEffect: version('light_strip_lighting_effect') !== undefined,
    segmentEffect: version('segment_effect') !== undefined,
    bulbEffect: version('light_effect') !== undefined,
    ...(gradually === undefined ? {} : { gradually }),
  };
}

/** The ids a unit has burnt in: 40 hex digits of device id, a MAC (locally administered, so no vendor's). */
export function smartIdentity(spec: SmartModelSpec, seed: string | number): { deviceId: string; mac: string } {
  const hex = (label: string, chars: number): string => seededHex(chars, 'tplink-sim-smart', label, spec.name, seed);
  const tail = hex('mac', 10).match(/../g)!;
  return { deviceId: hex('deviceId', 40), mac: ['02', ...tail].join('-') };
}
