import { ErrorCode, KasaError } from '../../errors';
import { seededHex } from '../models';

/**
 * The SMART models the simulator plays (docs/protocol.md, section 4). The fixtures are written here
 * from the documented message shapes, not taken from any device dump: names, versions and
 * component lists are plausible, not copies of a real unit.
 */
export const SMART_MODEL_NAMES = ['p110', 'p110m', 'p300', 'p304m', 'kp125m'] as const;
export type SmartModelName = (typeof SMART_MODEL_NAMES)[number];

export interface SmartModelSpec {
  name: SmartModelName;
  /** `model` of get_device_info: no region. */
  model: string;
  type: 'SMART.TAPOPLUG' | 'SMART.KASAPLUG';
  hwVer: string;
  fwVer: string;
  /** 0 for a plug; the number of outlets for a strip. */
  outlets: number;
  /**
   * The energy meter: ver_code of energy_monitoring (1: get_energy_usage only; 2: adds
   * get_current_power) and whether get_emeter_data answers (the P110M's). Absent: no meter.
   */
  energy?: { verCode: 1 | 2; emeterData: boolean };
  /** A strip whose outlets each have a meter (P304M): their energy_monitoring, as `energy` is the parent's. */
  outletEnergy?: { verCode: 1 | 2; emeterData: boolean };
  /** Default nickname before the MAC suffix. */
  nicknamePrefix: string;
  /** Power drawn while on, in mW, for a metered model. */
  loadMilliwatts: number;
}

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
  // A strip with a meter per outlet and none of its own (how the parent reports it is unverified).
  p304m: {
    name: 'p304m',
    model: 'P304M',
    type: 'SMART.TAPOPLUG',
    hwVer: '1.0',
    fwVer: '1.0.7 Build 240411 Rel.110238',
    outlets: 4,
    outletEnergy: { verCode: 2, emeterData: true },
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

/** The ids a unit has burnt in: 40 hex digits of device id, a MAC (locally administered, so no vendor's). */
export function smartIdentity(spec: SmartModelSpec, seed: string | number): { deviceId: string; mac: string } {
  const hex = (label: string, chars: number): string => seededHex(chars, 'tplink-sim-smart', label, spec.name, seed);
  const tail = hex('mac', 10).match(/../g)!;
  return { deviceId: hex('deviceId', 40), mac: ['02', ...tail].join('-') };
}
