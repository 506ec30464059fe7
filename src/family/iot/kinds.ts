import type { DeviceKind } from '../../device/kind';
import { isObject } from '../../util/json';
import {
  Module,
  ModuleRole,
  awayModule,
  cloudModule,
  countdownModule,
  dimmerModule,
  lightingModule,
  meterModule,
  netifModule,
  scheduleModule,
  systemModule,
  timeModule,
} from './modules';

/** The kinds of Kasa JSON device, told apart by their sysinfo. */
export type IotKind = Exclude<DeviceKind, 'hub'>;

/** The wire names of a kind's modules: the only thing that differs between kinds. */
type ModuleNames = Readonly<{
  system: string;
  netif: string;
  cloud: string;
  time: string;
  meter: string;
  schedule: string;
  countdown?: string;
  away?: string;
  dimmer?: string;
  lighting?: string;
}>;

const PLUG: ModuleNames = {
  system: 'system',
  netif: 'netif',
  cloud: 'cnCloud',
  time: 'time',
  meter: 'emeter',
  schedule: 'schedule',
  countdown: 'count_down',
  away: 'anti_theft',
};

// Bulbs answer sysinfo on `system` but everything else on their own module names, and keep no countdown.
const BULB: ModuleNames = {
  system: 'smartlife.iot.common.system',
  netif: 'netif',
  cloud: 'smartlife.iot.common.cloud',
  time: 'smartlife.iot.common.timesetting',
  meter: 'smartlife.iot.common.emeter',
  schedule: 'smartlife.iot.common.schedule',
  away: 'smartlife.iot.common.anti_theft',
  lighting: 'smartlife.iot.smartbulb.lightingservice',
};

/** One entry per kind: adding a kind of device is adding a line here. */
const KIND_MODULES: Readonly<Record<IotKind, ModuleNames>> = {
  plug: PLUG,
  strip: PLUG,
  switch: PLUG,
  dimmer: { ...PLUG, dimmer: 'smartlife.iot.dimmer' },
  bulb: BULB,
  lightstrip: { ...BULB, lighting: 'smartlife.iot.lightStrip' },
};

export interface IotModules {
  system: ReturnType<typeof systemModule>;
  netif: ReturnType<typeof netifModule>;
  cloud: ReturnType<typeof cloudModule>;
  time: ReturnType<typeof timeModule>;
  meter: ReturnType<typeof meterModule>;
  schedule: ReturnType<typeof scheduleModule>;
  countdown?: ReturnType<typeof countdownModule>;
  away?: ReturnType<typeof awayModule>;
  dimmer?: ReturnType<typeof dimmerModule>;
  lighting?: ReturnType<typeof lightingModule>;
}

function build(names: ModuleNames): IotModules {
  return {
    system: systemModule(names.system),
    netif: netifModule(names.netif),
    cloud: cloudModule(names.cloud),
    time: timeModule(names.time),
    meter: meterModule(names.meter),
    schedule: scheduleModule(names.schedule),
    ...(names.countdown === undefined ? {} : { countdown: countdownModule(names.countdown) }),
    ...(names.away === undefined ? {} : { away: awayModule(names.away) }),
    ...(names.dimmer === undefined ? {} : { dimmer: dimmerModule(names.dimmer) }),
    ...(names.lighting === undefined ? {} : { lighting: lightingModule(names.lighting) }),
  };
}

const MODULES: Readonly<Record<IotKind, IotModules>> = Object.fromEntries(
  Object.entries(KIND_MODULES).map(([kind, names]) => [kind, build(names)]),
) as Record<IotKind, IotModules>;

/** The modules of a kind of device (hubs are SMART devices only: a Kasa device is never one). */
export function modulesOf(kind: DeviceKind): IotModules {
  return kind === 'hub' ? MODULES.plug : MODULES[kind];
}

/** Every module of every kind, for guards that must hold before the kind is known. */
export function allModules(): Module[] {
  return Object.values(MODULES).flatMap((modules) => Object.values(modules) as Module[]);
}

/** The module of a role, if the kind has one. */
export function moduleOf(kind: IotKind, role: ModuleRole): Module | undefined {
  return (MODULES[kind] as unknown as Record<string, Module | undefined>)[role];
}

/**
 * Tells the kind from a sysinfo: strips list children, bulbs say SMARTBULB (light strips also
 * report their `length`), dimmers report a `brightness` beside the relay, and wall switches are
 * plugs by protocol with an HS2xx/KS2xx/ES model or a name that says "Switch".
 */
export function kindOf(sysinfo: Record<string, unknown>): IotKind {
  if (Array.isArray(sysinfo['children'])) return 'strip';
  const type = `${text(sysinfo['type'])} ${text(sysinfo['mic_type'])}`.toUpperCase();
  if (type.includes('SMARTBULB') || isObject(sysinfo['light_state'])) {
    return typeof sysinfo['length'] === 'number' || /^KL4/i.test(text(sysinfo['model'])) ? 'lightstrip' : 'bulb';
  }
  if (typeof sysinfo['brightness'] === 'number') return 'dimmer';
  if (/^(HS2|KS2|ES)\d/i.test(text(sysinfo['model'])) || /switch/i.test(text(sysinfo['dev_name']))) return 'switch';
  return 'plug';
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
