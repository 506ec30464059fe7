import { KasaClient, Reply, Request } from './client';
import { batch, forOutlets } from './commands';
import { displayText } from './display-text';
import { EnergyReading, EnergyStat, normaliseRealtime, normaliseStats, sumReadings } from './energy';
import { ErrorCode, KasaError } from './errors';
import { IotModules, KIND_LABELS, modulesOf } from './family/iot/kinds';
import { isObject } from './reply';
import { DeviceInfo, OutletInfo, currentOutlets, normaliseSysinfo } from './sysinfo';
import { OutletSelector, resolveOutlets } from './outlet-selection';

export { OutletSelector, resolveOutlets };

/** Identifies a device in output messages (`msg.device`). */
export interface DeviceIdentity {
  host: string;
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

/**
 * What switching, dimming and metering work on: a device itself, or a set of a strip's outlets.
 * Both have the same operations, so nodes and actions never ask which one they hold.
 */
export abstract class Target {
  /** The outlets this target is made of; empty for the device itself. */
  abstract readonly outlets: readonly OutletInfo[];

  /** The device this target belongs to (itself, for a device). */
  abstract readonly device: KasaDevice;

  /** Sends any request to this target (a strip's outlets get it with their `context`). */
  run(request: Request): Promise<Reply> {
    return this.device.client.send(forOutlets(request, this.outlets.map((o) => o.id)));
  }

  /** This target's state as a (newer) sysinfo describes it. */
  abstract stateIn(info: DeviceInfo): SwitchResult;

  /** The parts a meter reads one at a time: the device, or each outlet on its own. */
  abstract parts(): Target[];

  /**
   * Switches, and reads the state back in the same request. Toggle flips each part from its own
   * current state (some outlets may go on while others go off).
   */
  async setPower(target: boolean | 'toggle'): Promise<SwitchResult> {
    if (target !== 'toggle') return this.switchTo(target);
    const { info } = await this.device.getSysinfo();
    const current = this.parts().map((part) => ({ part, on: part.stateIn(info).on }));
    let last = info;
    for (const on of [true, false]) {
      const parts = current.filter((p) => p.on === on).map((p) => p.part);
      if (parts.length > 0) last = (await this.together(parts).switchTo(!on)).info;
    }
    return this.stateIn(last);
  }

  /** Parts of this target as one target again, to switch them in one request. */
  protected abstract together(parts: readonly Target[]): Target;

  /** Dims to 1-100 %, fading over `transitionMs` where the device can, and reads the state back. */
  async setBrightness(brightness: number, transitionMs?: number): Promise<SwitchResult> {
    const modules = await this.device.knownModules();
    const request =
      modules.dimmer !== undefined
        ? transitionMs === undefined
          ? modules.dimmer.setBrightness(brightness)
          : modules.dimmer.fadeTo(brightness, transitionMs)
        : modules.lighting?.setBrightness(brightness, transitionMs);
    if (request === undefined || this.outlets.length > 0) throw this.device.cannot('dim its light');
    return this.stateIn(this.device.readSysinfo(await this.run(batch(request, modules.system.getSysinfo()))).info);
  }

  /** A meter reading of each part: the device's, or each outlet's (a strip meters one outlet per request). */
  async realtime(): Promise<MeterSnapshot> {
    const readings: MeterReading[] = [];
    for (const part of this.parts()) {
      const raw = await part.meter((m) => m.getRealtime(), 'get_realtime');
      readings.push({ reading: normaliseRealtime(raw), raw, ...(part.outlets[0] === undefined ? {} : { outlet: part.outlets[0] }) });
    }
    return { reading: readings.length === 1 ? readings[0]!.reading : sumReadings(readings.map((r) => r.reading)), parts: readings };
  }

  /** Energy per day of a month, or per month of a year (kWh), summed over the parts, in date order. */
  async stats(period: StatsPeriod): Promise<EnergyStat[]> {
    const totals = new Map<string, EnergyStat>();
    for (const part of this.parts()) {
      const raw =
        period.kind === 'day'
          ? await part.meter((m) => m.getDayStat(period.year, period.month), 'get_daystat')
          : await part.meter((m) => m.getMonthStat(period.year), 'get_monthstat');
      for (const stat of normaliseStats(raw)) {
        const key = `${stat.year}-${stat.month}-${stat.day ?? ''}`;
        const seen = totals.get(key);
        totals.set(key, seen === undefined ? { ...stat } : { ...seen, energy: Math.round((seen.energy + stat.energy) * 1e6) / 1e6 });
      }
    }
    return [...totals.values()].sort((a, b) => a.year - b.year || a.month - b.month || (a.day ?? 0) - (b.day ?? 0));
  }

  /** Erases the meter's statistics of each part. */
  async eraseStats(): Promise<void> {
    for (const part of this.parts()) await part.meter((m) => m.eraseStats(), 'erase_emeter_stat');
  }

  protected async switchTo(on: boolean): Promise<SwitchResult> {
    const modules = await this.device.knownModules();
    const power = modules.lighting?.setOn(on) ?? modules.system.setRelayState(on);
    const reply = await this.run(batch(power, modules.system.getSysinfo()));
    return this.stateIn(this.device.readSysinfo(reply).info);
  }

  /** One meter method of this part, after checking the device has a meter at all. */
  private async meter(build: (meter: IotModules['meter']) => Request, method: string): Promise<Record<string, unknown>> {
    // Some devices hang when asked for a module they lack: learn what this one has first.
    const modules = await this.device.knownModules();
    if (!this.device.info!.hasEnergyMeter) throw this.device.noMeter();
    let reply: Reply;
    try {
      reply = await this.run(build(modules.meter));
    } catch (err) {
      if (err instanceof KasaError && err.code === ErrorCode.NOT_SUPPORTED && err.module === modules.meter.name) throw this.device.noMeter();
      throw err;
    }
    const module = reply[modules.meter.name];
    const raw = isObject(module) ? module[method] : undefined;
    if (!isObject(raw)) {
      throw new KasaError(ErrorCode.PROTOCOL, `${this.device.client.address} answered ${method} without a reading.`, {
        device: this.device.client.address,
      });
    }
    return raw;
  }
}

/** Some outlets of a strip, as one target. */
class Outlets extends Target {
  constructor(
    readonly device: KasaDevice,
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

  protected together(parts: readonly Target[]): Target {
    return new Outlets(this.device, parts.flatMap((part) => part.outlets));
  }
}

/**
 * A plug, strip, switch, dimmer or bulb over one client (one connection, one queue). It is itself
 * a target; `outlets()` gives a strip's outlets as targets of their own. Remembers the last
 * sysinfo, which says what kind of device it is (and so its modules) and names its outlets.
 */
export class KasaDevice extends Target {
  readonly outlets: readonly OutletInfo[] = [];
  private lastInfo: DeviceInfo | undefined;

  constructor(readonly client: KasaClient) {
    super();
  }

  get device(): KasaDevice {
    return this;
  }

  /** The last sysinfo read, if any. */
  get info(): DeviceInfo | undefined {
    return this.lastInfo;
  }

  identity(): DeviceIdentity {
    const info = this.lastInfo;
    return {
      host: this.client.host,
      alias: info?.alias ?? '',
      model: info?.model ?? '',
      deviceId: info?.deviceId ?? '',
      mac: info?.mac ?? '',
    };
  }

  stateIn(info: DeviceInfo): SwitchResult {
    return { on: info.on, info, outlets: [] };
  }

  parts(): Target[] {
    return [this];
  }

  protected together(): Target {
    return this;
  }

  /** The given outlets of this strip, as one target. */
  children(list: readonly OutletInfo[]): Target {
    return new Outlets(this, list);
  }

  /** Reads sysinfo; `raw` is exactly what the device sent. */
  async getSysinfo(): Promise<{ info: DeviceInfo; raw: Record<string, unknown> }> {
    return this.readSysinfo(await this.client.send(modulesOf('plug').system.getSysinfo()));
  }

  /** The modules of this kind of device, reading sysinfo first if the kind is not known yet. */
  async knownModules(): Promise<IotModules> {
    if (this.lastInfo === undefined) await this.getSysinfo();
    return modulesOf(this.lastInfo!.kind);
  }

  /**
   * Resolves outlet selectors against the strip's sysinfo, read now if not known yet, and read
   * again before giving up: an outlet may have been renamed in the Kasa app since.
   */
  async resolveOutlets(selectors: OutletSelector | readonly OutletSelector[]): Promise<OutletInfo[]> {
    const known = this.lastInfo?.outlets ? this.lastInfo : undefined;
    if (known !== undefined) {
      try {
        return resolveOutlets(known, selectors, this.client.address);
      } catch {
        // fall through to a fresh read
      }
    }
    return resolveOutlets((await this.getSysinfo()).info, selectors, this.client.address);
  }

  /** Reads the sysinfo in a reply and remembers it. */
  readSysinfo(reply: Reply): { info: DeviceInfo; raw: Record<string, unknown> } {
    const module = reply['system'];
    const raw = isObject(module) ? module['get_sysinfo'] : undefined;
    if (!isObject(raw)) {
      throw new KasaError(ErrorCode.PROTOCOL, `${this.client.address} answered without its sysinfo.`, {
        device: this.client.address,
      });
    }
    const info = normaliseSysinfo(raw);
    this.lastInfo = info;
    return { info, raw };
  }

  /** "192.0.2.1:9999 (HS110(EU))": the device as messages name it. */
  describe(): string {
    return this.lastInfo?.model ? `${this.client.address} (${displayText(this.lastInfo.model)})` : this.client.address;
  }

  noMeter(): KasaError {
    return new KasaError(ErrorCode.NO_ENERGY_METER, `${this.describe()} has no energy meter.`, { device: this.client.address });
  }

  /** NOT_SUPPORTED for something this kind of device (or an outlet of it) cannot do. */
  cannot(what: string): KasaError {
    const kind = this.lastInfo === undefined ? 'device' : KIND_LABELS[this.lastInfo.kind];
    return new KasaError(ErrorCode.NOT_SUPPORTED, `${this.describe()} is a ${kind}: it cannot ${what}.`, { device: this.client.address });
  }
}
