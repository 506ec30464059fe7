import type { EnergyStat } from './energy';
import type { LightChange, LightFeatures } from './light-state';
import type { MeterReading, Part, StatsPeriod, SwitchResult } from './types';
import type { JsonObject } from '../util/json';
import type { LogRead } from './child-events';
import type { ChildInfo } from './state';

/**
 * What a device can do, family by family the same: each capability is an interface here, and each
 * protocol family provides modules that implement them (src/family/<family>/capabilities/). A
 * device holds the modules it has; a caller asks for a capability and uses it, and what a device
 * lacks is refused in one place (`Device.need`) with a message a person understands.
 *
 * Every method takes the target it works on: the device itself, or some of its children (a strip's
 * outlets). A family's module knows how to address them (a Kasa `context`, a SMART `control_child`).
 */

/** Switching: relays, lights, a strip's outlets. */
export interface PowerModule {
  /** Switches the target and reads its state back. */
  switch(target: Part, on: boolean): Promise<SwitchResult>;
}

/** Dimming: wall dimmers and dimmable lights (1-100 %). */
export interface BrightnessModule {
  /** Dims to `level`, fading over `transitionMs` where the device can, and reads the state back. */
  dim(target: Part, level: number, transitionMs: number | undefined): Promise<SwitchResult>;
}

/** Colour, white, effects and fades of a bulb or light strip (src/device/light.ts). */
export interface LightModule {
  /** What this light can be asked, from what the device reported (checked before anything is sent). */
  features(): LightFeatures;
  /** Applies every field of the change together, in one request where the family can, and reads the state back. */
  set(target: Part, change: LightChange): Promise<SwitchResult>;
  /** The names of the effects this light can run. */
  effects(target: Part): Promise<string[]>;
}

/** An energy meter: the device's own, or each outlet's. */
export interface EnergyModule {
  /** The meter reading of one part (the device, or one outlet). */
  read(part: Part): Promise<MeterReading>;
  /** Energy per day of a month, or per month of a year, of one part (kWh). */
  stats(part: Part, period: StatsPeriod): Promise<EnergyStat[]>;
  /** Erases one part's statistics. */
  erase(part: Part): Promise<void>;
}

/** The device's name (its alias or nickname), or each outlet's. */
export interface NameModule {
  rename(target: Part, alias: string): Promise<SwitchResult>;
}

/** The seed's read and settings presets (time, schedule, countdown, LED, reboot, ...), named as in the CLI. */
export interface PresetsModule {
  /** The device's answer to one preset; NOT_SUPPORTED in plain words for one the family or device lacks. */
  run(target: Part, name: string): Promise<unknown>;
}

/** Requests in the device's own dialect, for flows that need what no capability offers. */
export interface RawModule {
  run(target: Part, request: JsonObject): Promise<JsonObject>;
}

/** A hub's children: their event logs, and switching a child that switches (a hub's wall switch). */
export interface ChildrenModule {
  /** The child's log entries after `afterId`, oldest first; without one, only the newest id. */
  events(child: ChildInfo, afterId: number | undefined): Promise<LogRead>;
  /** Switches a child and reads it back. */
  switchChild(child: ChildInfo, on: boolean): Promise<ChildInfo>;
}

/** A hub's radiator valves. */
export interface ThermostatModule {
  /** Sets the temperature the valve heats to (°C, within its range; BAD_INPUT otherwise) and reads it back. */
  setTarget(child: ChildInfo, celsius: number): Promise<ChildInfo>;
  /** Frost protection on (the valve only keeps the room from freezing) or off, read back. */
  setFrostProtection(child: ChildInfo, on: boolean): Promise<ChildInfo>;
}

/** The modules each capability is served by. */
export interface Capabilities {
  power: PowerModule;
  brightness: BrightnessModule;
  light: LightModule;
  energy: EnergyModule;
  name: NameModule;
  presets: PresetsModule;
  raw: RawModule;
  children: ChildrenModule;
  thermostat: ThermostatModule;
}

export type CapabilityName = keyof Capabilities;

/** The modules one device has: a family fills it from what the device reports it is. */
export type ModuleSet = Partial<Capabilities>;

/** What each capability lets a device do, for "it cannot ..." messages. */
export const CAPABILITY_VERBS: Readonly<Record<CapabilityName, string>> = {
  power: 'switch on and off',
  brightness: 'dim its light',
  light: 'show colours, whites or effects',
  energy: 'meter energy',
  name: 'be renamed',
  presets: 'run presets',
  raw: 'take raw commands',
  children: 'carry sensors, switches or valves of its own',
  thermostat: 'set a radiator valve',
};
