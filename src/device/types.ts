import type { LogRead } from './child-events';
import type { EnergyReading } from './energy';
import type { DeviceInfo, OutletInfo } from './state';
import type { KasaError } from '../util/errors';

/** The protocol family a device speaks: the Kasa JSON protocol ("iot") or the Tapo/SMART one. */
export type Family = 'iot' | 'smart';

/** Identifies a device in output messages (`msg.device`). */
export interface DeviceIdentity {
  host: string;
  /** "iot" (the Kasa JSON protocol, over XOR or KLAP) or "smart" (Tapo and newer Kasa hardware). */
  family: Family;
  alias: string;
  model: string;
  deviceId: string;
  mac: string;
}

export interface SwitchResult {
  /** The device's or the selected outlets' state after the command: true when all are on. */
  on: boolean;
  info: DeviceInfo;
  /** The selected outlets as they are after the command (none for the device itself). */
  outlets: OutletInfo[];
}

export interface MeterReading {
  reading: EnergyReading;
  /** What the device sent for this reading. */
  raw: Record<string, unknown>;
  /** The outlet read, on a strip with a meter per outlet. */
  outlet?: OutletInfo;
}

export interface MeterSnapshot {
  /** The one reading, or the sum over several outlets (mean voltage). */
  reading: EnergyReading;
  /** One reading per part: the device's, or each outlet's (with `outlet`). */
  parts: MeterReading[];
}

export type StatsPeriod = { kind: 'day'; year: number; month: number } | { kind: 'month'; year: number };

/** A device's information as read, normalised and as sent. */
export interface SysinfoRead {
  info: DeviceInfo;
  raw: Record<string, unknown>;
  children: Record<string, unknown>[];
}

/** What one poll of a device found: its state, and the meter readings its watchers asked for. */
export interface DeviceReading {
  /** The device's state: as read in this poll, or (with `metersOnly`) as read last. */
  info: DeviceInfo;
  /** Only the meters were read: nobody this poll was for follows the state, so `info` is the last one read. */
  metersOnly?: true;
  /** By part (`partKey`): the reading, or why there is none. Empty for a command's read-back. */
  meters: ReadonlyMap<string, MeterReading | KasaError>;
  /** A hub's children's event logs read in this poll, by child id: what came since the id asked, or why not. */
  logs?: ReadonlyMap<string, LogRead | KasaError>;
}

/** A reading shared after a command: the state only. */
export function stateReading(info: DeviceInfo): DeviceReading {
  return { info, meters: new Map() };
}

/** '' is the device itself; an outlet is its id. */
export function partKey(part: Part): string {
  return part.outlets[0]?.id ?? '';
}

/**
 * What a capability module works on: the device itself (no outlets), or some of its outlets.
 * Modules address them in their family's way and describe the result with `stateIn`.
 */
export interface Part {
  /** The outlets this part is made of; empty for the device itself. */
  readonly outlets: readonly OutletInfo[];
  /** This part's state as a (newer) device information describes it. */
  stateIn(info: DeviceInfo): SwitchResult;
}
