import type { Reply, Request } from './client';
import { KIND_LABELS } from './device-kind';
import { displayText } from './display-text';
import { DroppedStat, EnergyReading, EnergyStat, EnergyStats, sumReadings, withDropped } from './energy';
import { ErrorCode, KasaError } from './errors';
import { OutletSelector, resolveOutlets } from './outlet-selection';
import { DeviceInfo, OutletInfo, currentOutlets } from './sysinfo';

export { OutletSelector, resolveOutlets };

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
  info: DeviceInfo;
  /** By part (`partKey`): the reading, or why there is none. Empty for a command's read-back. */
  meters: ReadonlyMap<string, MeterReading | KasaError>;
}

/** A reading shared after a command: the state only. */
export function stateReading(info: DeviceInfo): DeviceReading {
  return { info, meters: new Map() };
}

/** '' is the device itself; an outlet is its id. */
export function partKey(part: Target): string {
  return part.outlets[0]?.id ?? '';
}

/**
 * What switching, dimming and metering work on: a device itself, or a set of a strip's outlets.
 * Both have the same operations, so nodes and actions never ask which one they hold, nor which
 * protocol family speaks underneath: a family implements the few primitives at the bottom.
 */
export abstract class Target {
  /** The outlets this target is made of; empty for the device itself. */
  abstract readonly outlets: readonly OutletInfo[];
  /** The device this target belongs to (itself, for a device). */
  abstract readonly device: Device;

  /** This target's state as a (newer) device information describes it. */
  abstract stateIn(info: DeviceInfo): SwitchResult;

  /** The parts a meter reads one at a time: the device, or each outlet on its own. */
  abstract parts(): Target[];

  /** Sends a raw request of the device's own dialect to this target. */
  run(request: Request): Promise<Reply> {
    return this.device.runOn(this, request);
  }

  /** Renames the device or each outlet; resolves with the state read afterwards. */
  rename(alias: string): Promise<SwitchResult> {
    return this.device.renameTarget(this, alias);
  }

  /** The device's answer to one of the seed's read or settings presets (not on/off/info/energy). */
  preset(name: string): Promise<unknown> {
    return this.device.presetOn(this, name);
  }

  /**
   * Switches, and reads the state back in the same request where the family can. Toggle flips each
   * part from its own current state (some outlets may go on while others go off).
   */
  async setPower(target: boolean | 'toggle'): Promise<SwitchResult> {
    if (target !== 'toggle') return this.device.switchTarget(this, target);
    const { info } = await this.device.getSysinfo();
    const current = this.parts().map((part) => ({ part, on: part.stateIn(info).on }));
    let last = info;
    for (const on of [true, false]) {
      const parts = current.filter((p) => p.on === on).map((p) => p.part);
      if (parts.length > 0) last = (await this.device.switchTarget(this.together(parts), !on)).info;
    }
    return this.stateIn(last);
  }

  /** Dims to 1-100 %, fading over `transitionMs` where the device can, and reads the state back. */
  async setBrightness(brightness: number, transitionMs?: number): Promise<SwitchResult> {
    if (this.outlets.length > 0) throw this.device.cannot('dim an outlet');
    return this.device.dimTarget(this, brightness, transitionMs);
  }

  /** A meter reading of each part: the device's, or each outlet's (a strip meters one outlet per request). */
  async realtime(): Promise<MeterSnapshot> {
    const readings: MeterReading[] = [];
    for (const part of this.parts()) readings.push(await this.device.meterPart(part));
    return { reading: readings.length === 1 ? readings[0]!.reading : sumReadings(readings.map((r) => r.reading)), parts: readings };
  }

  /**
   * Energy per day of a month, or per month of a year (kWh), summed over the parts, in date order;
   * `dropped` lists the impossible entries left out, with the outlet they came from.
   */
  async stats(period: StatsPeriod): Promise<EnergyStats> {
    const totals = new Map<string, EnergyStat>();
    const dropped: DroppedStat[] = [];
    for (const part of this.parts()) {
      const stats: EnergyStats = await this.device.statsOfPart(part, period);
      const outlet = part.outlets[0]?.index;
      for (const entry of stats.dropped ?? []) dropped.push(outlet === undefined ? entry : { ...entry, outlet });
      for (const stat of stats) {
        const key = `${stat.year}-${stat.month}-${stat.day ?? ''}`;
        const seen = totals.get(key);
        totals.set(key, seen === undefined ? { ...stat } : { ...seen, energy: Math.round((seen.energy + stat.energy) * 1e6) / 1e6 });
      }
    }
    const sorted = [...totals.values()].sort((a, b) => a.year - b.year || a.month - b.month || (a.day ?? 0) - (b.day ?? 0));
    return withDropped(sorted, dropped);
  }

  /** Erases the meter's statistics of each part. */
  async eraseStats(): Promise<void> {
    for (const part of this.parts()) await this.device.eraseMeterOf(part);
  }

  /** Parts of this target as one target again, to switch them in one request. */
  abstract together(parts: readonly Target[]): Target;
}

/** Some outlets of a strip, as one target. */
class Outlets extends Target {
  constructor(
    readonly device: Device,
    readonly outlets: readonly OutletInfo[],
  ) {
    super();
  }

  stateIn(info: DeviceInfo): SwitchResult {
    const current = currentOutlets(info, this.outlets);
    return { on: current.every((o) => o.on), info, outlets: current };
  }

  parts(): Target[] {
    return this.outlets.length === 1 ? [this] : this.outlets.map((outlet) => new Outlets(this.device, [outlet]));
  }

  together(parts: readonly Target[]): Target {
    return new Outlets(this.device, parts.flatMap((part) => part.outlets));
  }
}

/**
 * A device of any family over one connection and one queue. It is itself a target; `children()`
 * gives a strip's outlets as targets of their own. Remembers the last device information, which
 * says what the device is and names its outlets.
 */
export abstract class Device extends Target {
  readonly outlets: readonly OutletInfo[] = [];
  abstract readonly family: Family;
  /** host:port, for messages. */
  abstract readonly address: string;
  abstract readonly host: string;
  protected lastInfo: DeviceInfo | undefined;

  get device(): Device {
    return this;
  }

  /** The last device information read, if any. */
  get info(): DeviceInfo | undefined {
    return this.lastInfo;
  }

  identity(): DeviceIdentity {
    const info = this.info;
    return { host: this.host, family: this.family, alias: info?.alias ?? '', model: info?.model ?? '', deviceId: info?.deviceId ?? '', mac: info?.mac ?? '' };
  }

  stateIn(info: DeviceInfo): SwitchResult {
    return { on: info.on, info, outlets: [] };
  }

  parts(): Target[] {
    return [this];
  }

  together(): Target {
    return this;
  }

  /** The given outlets of this strip, as one target. */
  children(outlets: readonly OutletInfo[]): Target {
    return new Outlets(this, outlets);
  }

  /**
   * Reads the device information: `raw` what the device sent (SMART: with its base64 texts decoded),
   * `children` its outlets' own entries in outlet order (strips).
   */
  abstract getSysinfo(): Promise<SysinfoRead>;

  /**
   * One poll for all who watch the device: its state, and the meters of the targets each of
   * `wanted` names from that state (one that throws only leaves its own out).
   */
  abstract poll(wanted: ReadonlyArray<(info: DeviceInfo) => readonly Target[]>): Promise<DeviceReading>;

  /** Releases the connection. */
  abstract close(): Promise<void>;

  // What a family does for a target (the device itself, or outlets of it):
  /** Sends a raw request of the family's dialect. */
  abstract runOn(target: Target, request: Request): Promise<Reply>;
  /** Switches and reads the state back. */
  abstract switchTarget(target: Target, on: boolean): Promise<SwitchResult>;
  /** Dims the device (the Target has refused outlets already). */
  abstract dimTarget(target: Target, brightness: number, transitionMs: number | undefined): Promise<SwitchResult>;
  abstract renameTarget(target: Target, alias: string): Promise<SwitchResult>;
  abstract presetOn(target: Target, name: string): Promise<unknown>;
  /** The meter reading of one part (the device, or one outlet). */
  abstract meterPart(part: Target): Promise<MeterReading>;
  abstract statsOfPart(part: Target, period: StatsPeriod): Promise<EnergyStat[]>;
  abstract eraseMeterOf(part: Target): Promise<void>;

  /**
   * Resolves outlet selectors against the strip's information, read now if not known yet, and read
   * again before giving up: an outlet may have been renamed in the app since.
   */
  async resolveOutlets(selectors: OutletSelector | readonly OutletSelector[]): Promise<OutletInfo[]> {
    const known = this.info?.outlets ? this.info : undefined;
    if (known !== undefined) {
      try {
        return resolveOutlets(known, selectors, this.address);
      } catch {
        // fall through to a fresh read
      }
    }
    return resolveOutlets((await this.getSysinfo()).info, selectors, this.address);
  }

  /** "192.0.2.1:9999 (HS110(EU))": the device as messages name it. */
  describe(): string {
    const model = this.info?.model;
    return model ? `${this.address} (${displayText(model)})` : this.address;
  }

  noMeter(): KasaError {
    return new KasaError(ErrorCode.NO_ENERGY_METER, `${this.describe()} has no energy meter.`, { device: this.address });
  }

  /** NOT_SUPPORTED for something this device (or an outlet of it) cannot do. */
  cannot(what: string): KasaError {
    const kind = this.info === undefined ? 'device' : KIND_LABELS[this.info.kind];
    return new KasaError(ErrorCode.NOT_SUPPORTED, `${this.describe()} is a ${kind}: it cannot ${what}.`, { device: this.address });
  }

  /**
   * Meters each part not read yet into `meters`; a part without a meter gets its NO_ENERGY_METER
   * (its watcher reports it), any other failure fails the poll.
   */
  protected async readMeters(parts: readonly Target[], meters: Map<string, MeterReading | KasaError>): Promise<void> {
    for (const part of parts) {
      const key = partKey(part);
      if (meters.has(key)) continue;
      try {
        meters.set(key, await this.meterPart(part));
      } catch (err) {
        if (!(err instanceof KasaError) || err.code !== ErrorCode.NO_ENERGY_METER) throw err;
        meters.set(key, err);
      }
    }
  }

  /** Which parts of `wanted` to meter in a poll. */
  protected static partsOf(wanted: ReadonlyArray<(info: DeviceInfo) => readonly Target[]>, info: DeviceInfo): Target[] {
    return wanted.flatMap((targetsOf) => {
      try {
        return targetsOf(info).flatMap((target) => target.parts());
      } catch {
        return []; // its watcher finds the same reason when it reads the poll, and reports it
      }
    });
  }
}
