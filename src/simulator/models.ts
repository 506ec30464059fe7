import { createHash } from 'node:crypto';
import { ErrorCode, KasaError } from '../util/errors';

/**
 * The device models the simulator can play. Their sysinfo follows what real units of that
 * hardware and firmware send, quirks included (unit family, `type` vs `mic_type`, location fields).
 */
export const PLUG_MODEL_NAMES = ['hs100', 'hs110', 'hs110v2', 'hs300', 'kp303', 'hs200', 'hs210', 'hs220'] as const;
export type PlugModelName = (typeof PLUG_MODEL_NAMES)[number];
/** Bulbs and light strips (IOT.SMARTBULB). */
export const LIGHT_MODEL_NAMES = ['lb130', 'kl130', 'kl430'] as const;
export const MODEL_NAMES = [...PLUG_MODEL_NAMES, ...LIGHT_MODEL_NAMES] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/**
 * The parts a simulated device is made of (src/simulator/modules): `rules` is schedule, count_down
 * and anti_theft, `cloud` is cnCloud, `dimmer` is smartlife.iot.dimmer, `light` a bulb's or light
 * strip's lighting service (and a strip's effects).
 */
export const MODULE_NAMES = ['system', 'netif', 'cloud', 'time', 'rules', 'emeter', 'dimmer', 'light'] as const;
export type ModuleName = (typeof MODULE_NAMES)[number];

/** What every plug, strip and wall switch of the Kasa JSON protocol has. */
const SWITCH: readonly ModuleName[] = ['system', 'netif', 'cloud', 'time', 'rules'];
const METERED: readonly ModuleName[] = [...SWITCH, 'emeter'];
const DIMMER: readonly ModuleName[] = [...SWITCH, 'dimmer'];
const LIGHT: readonly ModuleName[] = ['system', 'netif', 'cloud', 'time', 'rules', 'emeter', 'light'];

/**
 * Bulbs answer sysinfo on `system` and the rest on module names of their own; they keep no
 * countdown. Each module key of the simulator's parts to the names it answers under.
 */
const BULB_MODULE_KEYS: Readonly<Record<string, readonly string[]>> = {
  system: ['system', 'smartlife.iot.common.system'],
  cnCloud: ['smartlife.iot.common.cloud'],
  time: ['smartlife.iot.common.timesetting'],
  schedule: ['smartlife.iot.common.schedule'],
  anti_theft: ['smartlife.iot.common.anti_theft'],
  emeter: ['smartlife.iot.common.emeter'],
  count_down: [],
};

/** What a Kasa light can do, from its model. */
export interface KasaLightSpec {
  /** sysinfo `description`. */
  description: string;
  color: boolean;
  variableColorTemp: boolean;
  /** The white range in kelvin (per model). */
  kelvin: readonly [number, number];
  /** Light strips: their `length` (segments); set_light_state on smartlife.iot.lightStrip, effects. */
  stripLength?: number;
}

/**
 * 'old': V, A, W, kWh floats (HS110 hw 1.x). 'new': mV, mA, mW, Wh integers. 'power-only': a
 * bulb's `power_mw` alone in get_realtime (statistics in Wh), and no ENE feature in sysinfo.
 */
export type MeterUnits = 'old' | 'new' | 'power-only';

export interface ModelSpec {
  name: ModelName;
  /** `model` field of sysinfo, region included. */
  model: string;
  hwVer: string;
  swVer: string;
  /** `dev_name`; strips do not send one. */
  devName?: string;
  /** Which key carries "IOT.SMARTPLUGSWITCH". */
  typeKey: 'type' | 'mic_type';
  /** Floats `latitude`/`longitude` or integers `latitude_i`/`longitude_i` (degrees x 10^4). */
  location: 'float' | 'int';
  /** The modules it answers, in the order they add to sysinfo. */
  modules: readonly ModuleName[];
  /** The meter's units; with the `emeter` module only. */
  meter?: MeterUnits;
  /** 0 for a plug; the number of outlets for a strip. */
  outlets: number;
  /** Default alias before the MAC suffix, e.g. "TP-LINK_Smart Plug_" + "1A2B". */
  aliasPrefix: string;
  /** Bulbs and light strips: what the light can do; their sysinfo says IOT.SMARTBULB. */
  light?: KasaLightSpec;
  /** Module keys answered under other names (bulbs'); an empty list: not answered. */
  moduleKeys?: Readonly<Record<string, readonly string[]>>;
}

export const MODELS: Readonly<Record<ModelName, ModelSpec>> = {
  hs100: {
    name: 'hs100',
    model: 'HS100(EU)',
    hwVer: '2.0',
    swVer: '1.2.5 Build 171213 Rel.101523',
    devName: 'Smart Wi-Fi Plug',
    typeKey: 'type',
    location: 'int',
    modules: SWITCH,
    outlets: 0,
    aliasPrefix: 'TP-LINK_Smart Plug_',
  },
  hs110: {
    name: 'hs110',
    model: 'HS110(EU)',
    hwVer: '1.0',
    swVer: '1.0.8 Build 151113 Rel.24658',
    devName: 'Wi-Fi Smart Plug With Energy Monitoring',
    typeKey: 'type',
    location: 'float',
    meter: 'old',
    modules: METERED,
    outlets: 0,
    aliasPrefix: 'TP-LINK_Smart Plug_',
  },
  hs110v2: {
    name: 'hs110v2',
    model: 'HS110(EU)',
    hwVer: '2.0',
    swVer: '1.5.4 Build 180815 Rel.121440',
    devName: 'Smart Wi-Fi Plug With Energy Monitoring',
    typeKey: 'mic_type',
    location: 'int',
    meter: 'new',
    modules: METERED,
    outlets: 0,
    aliasPrefix: 'TP-LINK_Smart Plug_',
  },
  hs300: {
    name: 'hs300',
    model: 'HS300(US)',
    hwVer: '1.0',
    swVer: '1.0.10 Build 190103 Rel.163517',
    typeKey: 'mic_type',
    location: 'int',
    meter: 'new',
    modules: METERED,
    outlets: 6,
    aliasPrefix: 'TP-LINK_Power Strip_',
  },
  kp303: {
    name: 'kp303',
    model: 'KP303(UK)',
    hwVer: '1.0',
    swVer: '1.0.3 Build 191105 Rel.113122',
    typeKey: 'mic_type',
    location: 'int',
    modules: SWITCH,
    outlets: 3,
    aliasPrefix: 'TP-LINK_Power Strip_',
  },
  // Wall switches answer as plugs do (IOT.SMARTPLUGSWITCH, relay_state); the HS220 adds a dimmer.
  hs200: {
    name: 'hs200',
    model: 'HS200(US)',
    hwVer: '2.0',
    swVer: '1.5.8 Build 180815 Rel.135935',
    devName: 'Smart Wi-Fi Light Switch',
    typeKey: 'mic_type',
    location: 'int',
    modules: SWITCH,
    outlets: 0,
    aliasPrefix: 'TP-LINK_Smart Switch_',
  },
  hs210: {
    name: 'hs210',
    model: 'HS210(US)',
    hwVer: '1.0',
    swVer: '1.5.8 Build 180815 Rel.135720',
    devName: 'Smart Wi-Fi 3-Way Light Switch',
    typeKey: 'mic_type',
    location: 'int',
    modules: SWITCH,
    outlets: 0,
    aliasPrefix: 'TP-LINK_Smart Switch_',
  },
  hs220: {
    name: 'hs220',
    model: 'HS220(US)',
    hwVer: '1.0',
    swVer: '1.5.7 Build 180912 Rel.104837',
    devName: 'Smart Wi-Fi Dimmer',
    typeKey: 'mic_type',
    location: 'int',
    modules: DIMMER,
    outlets: 0,
    aliasPrefix: 'TP-LINK_Smart Dimmer_',
  },
  // Colour bulbs; white ranges per model as python-kasa's kelvin table has them.
  lb130: {
    name: 'lb130',
    model: 'LB130(US)',
    hwVer: '1.0',
    swVer: '1.8.11 Build 191113 Rel.093102',
    typeKey: 'mic_type',
    location: 'int',
    modules: LIGHT,
    meter: 'power-only',
    outlets: 0,
    aliasPrefix: 'TP-LINK_Smart Bulb_',
    light: { description: 'Smart Wi-Fi LED Bulb with Color Changing', color: true, variableColorTemp: true, kelvin: [2500, 9000] },
    moduleKeys: BULB_MODULE_KEYS,
  },
  kl130: {
    name: 'kl130',
    model: 'KL130(EU)',
    hwVer: '1.0',
    swVer: '1.8.8 Build 190613 Rel.101848',
    typeKey: 'mic_type',
    location: 'int',
    modules: LIGHT,
    meter: 'power-only',
    outlets: 0,
    aliasPrefix: 'Kasa Bulb_',
    light: { description: 'Smart Wi-Fi LED Bulb with Color Changing', color: true, variableColorTemp: true, kelvin: [2500, 9000] },
    moduleKeys: BULB_MODULE_KEYS,
  },
  // A light strip: smartlife.iot.lightStrip and effects on smartlife.iot.lighting_effect.
  kl430: {
    name: 'kl430',
    model: 'KL430(US)',
    hwVer: '2.0',
    swVer: '1.0.11 Build 220812 Rel.140221',
    typeKey: 'mic_type',
    location: 'int',
    modules: LIGHT,
    meter: 'power-only',
    outlets: 0,
    aliasPrefix: 'Kasa Light Strip_',
    light: { description: 'Kasa Smart Light Strip, Multicolor', color: true, variableColorTemp: true, kelvin: [2500, 9000], stripLength: 16 },
    moduleKeys: BULB_MODULE_KEYS,
  },
};

export function isModelName(value: unknown): value is ModelName {
  return typeof value === 'string' && (MODEL_NAMES as readonly string[]).includes(value);
}

export function modelSpec(name: string): ModelSpec {
  if (!isModelName(name)) {
    throw new KasaError(ErrorCode.BAD_INPUT, `Unknown simulated model "${name}"; one of: ${MODEL_NAMES.join(', ')}.`);
  }
  return MODELS[name];
}

/**
 * A stable pseudo-random unsigned 32-bit number from the parts: the same seed always gives the
 * same device, different seeds give devices that differ.
 */
export function seededInt(...parts: ReadonlyArray<string | number>): number {
  return createHash('sha1').update(parts.join('\u0000')).digest().readUInt32BE(0);
}

/** Upper-case hex digits (up to 64) derived from the parts the same way, for ids. */
export function seededHex(chars: number, ...parts: ReadonlyArray<string | number>): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, chars).toUpperCase();
}

/** The identity fields a real unit has burnt in. */
export interface DeviceIdentity {
  deviceId: string;
  hwId: string;
  fwId: string;
  oemId: string;
  mac: string;
}

export function deriveIdentity(spec: ModelSpec, seed: string | number): DeviceIdentity {
  const hex = (label: string, chars: number): string => seededHex(chars, 'tplink-sim', label, spec.name, seed);
  // Hardware and OEM ids are the same for every unit of one model, like on real devices.
  const perModel = (label: string): string =>
    createHash('md5').update(`tplink-sim\u0000${label}\u0000${spec.model}\u0000${spec.hwVer}`).digest('hex').toUpperCase();
  const macTail = hex('mac', 6).match(/../g)!;
  return {
    deviceId: hex('deviceId', 40),
    hwId: perModel('hwId'),
    fwId: '00000000000000000000000000000000',
    oemId: perModel('oemId'),
    mac: ['50', 'C7', 'BF', ...macTail].join(':'),
  };
}

/** The alias a unit has out of the box: a prefix and the last four hex digits of its MAC. */
export function defaultAlias(spec: ModelSpec, mac: string): string {
  return `${spec.aliasPrefix}${mac.replace(/:/g, '').slice(-4)}`;
}

/** Default alias of outlet `index` (0-based) of a strip, as the app names them. */
export function defaultOutletAlias(index: number): string {
  return `Plug ${index + 1}`;
}
