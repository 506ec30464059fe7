import { CAPABILITY_VERBS, Capabilities, CapabilityName, ModuleSet } from './capabilities';
import type { DroppedStat, EnergyStat, EnergyStats } from './energy';
import { sumReadings, withDropped } from './energy';
import { KIND_LABELS } from './kind';
import { linkStateAfter } from './link';
import { LightChange, checkLightChange } from './light';
import { OutletSelector, resolveOutlets } from './outlet-selection';
import { DeviceInfo, OutletInfo, currentOutlets } from './state';
import {
  DeviceIdentity,
  DeviceReading,
  Family,
  MeterReading,
  MeterSnapshot,
  Part,
  StatsPeriod,
  SwitchResult,
  SysinfoRead,
  partKey,
} from './types';
import { displayText } from '../util/display-text';
import { ErrorCode, KasaError } from '../util/errors';
import type { JsonObject } from '../util/json';

export { OutletSelector, resolveOutlets };

/** What one poll is for (see Device.poll). */
export interface PollRequest {
  /** For each watcher the poll is for: the targets whose meters it wants, named from the state. */
  meters: ReadonlyArray<(info: DeviceInfo) => readonly Target[]>;
  /** A hub's children whose event logs to read, each since the id given. */
  logs?: (info: DeviceInfo) => ReadonlyMap<string, number | undefined>;
  /** false: nobody the poll is for follows the state; the meters may be read alone. */
  state?: boolean;
}

export * from './types';

/**
 * What switching, dimming and metering work on: a device itself, or a set of a strip's outlets.
 * Both have the same operations, so nodes and actions never ask which one they hold, nor which
 * protocol family speaks underneath: each operation asks the device for the capability module
 * that serves it (src/device/capabilities.ts).
 */
export abstract class Target implements Part {
  /** The outlets this target is made of; empty for the device itself. */
  abstract readonly outlets: readonly OutletInfo[];
  /** The device this target belongs to (itself, for a device). */
  abstract readonly device: Device;

  /** This target's state as a (newer) device information describes it. */
  abstract stateIn(info: DeviceInfo): SwitchResult;

  /** The parts a meter reads one at a time: the device, or each outlet on its own. */
  abstract parts(): Target[];

  /** Parts of this target as one target again, to switch them in one request. */
  abstract together(parts: readonly Target[]): Target;

  /** Sends a raw request of the device's own dialect to this target. */
  async run(request: JsonObject): Promise<JsonObject> {
    return await (await this.device.need('raw')).run(this, request);
  }

  /** Renames the device or each outlet; resolves with the state read afterwards. */
  async rename(alias: string): Promise<SwitchResult> {
    return await (await this.device.need('name')).rename(this, alias);
  }

  /** The device's answer to one of the seed's read or settings presets (not on/off/info/energy). */
  async preset(name: string): Promise<unknown> {
    return await (await this.device.need('presets')).run(this, name);
  }

  /**
   * Switches, and reads the state back in the same request where the family can. Toggle flips each
   * part from its own current state (some outlets may go on while others go off).
   */
  setPower(target: boolean | 'toggle'): Promise<SwitchResult> {
    if (target === 'toggle') return this.toggle();
    // A switch goes straight to the module once it is known: no step, and no frame, of its own.
    const power = this.device.known('power');
    return power !== undefined ? power.switch(this, target) : this.switchOnceKnown(target);
  }

  private async switchOnceKnown(on: boolean): Promise<SwitchResult> {
    return await (await this.device.need('power')).switch(this, on);
  }

  private async toggle(): Promise<SwitchResult> {
    const power = await this.device.need('power');
    const { info } = await this.device.getSysinfo();
    const current = this.parts().map((part) => ({ part, on: part.stateIn(info).on }));
    let last = info;
    for (const on of [true, false]) {
      const parts = current.filter((p) => p.on === on).map((p) => p.part);
      if (parts.length > 0) last = (await power.switch(this.together(parts), !on)).info;
    }
    return this.stateIn(last);
  }

  /** Dims to 1-100 %, fading over `transitionMs` where the device can, and reads the state back. */
  async setBrightness(brightness: number, transitionMs?: number): Promise<SwitchResult> {
    if (this.outlets.length > 0) throw this.device.cannot('dim an outlet');
    return await (this.device.known('brightness') ?? (await this.device.need('brightness'))).dim(this, brightness, transitionMs);
  }

  /**
   * Sets a light: on/off (or a toggle), brightness, colour or white, effect, fade, together and
   * read back. What the light cannot do is refused before anything is sent. Dimmers and switches
   * without colour take what they have (on/off, brightness) through their own modules.
   */
  async setLight(change: Omit<LightChange, 'on'> & { on?: boolean | 'toggle' }): Promise<SwitchResult> {
    if (this.outlets.length > 0) throw this.device.cannot('take light settings on an outlet');
    // A colour, white, brightness or effect is meant to be seen: it switches the light on unless the message says off.
    const shows = change.brightness !== undefined || change.color !== undefined || change.colorTemp !== undefined || typeof change.effect === 'string';
    const on = change.on === 'toggle' ? !(await this.device.getSysinfo()).info.on : (change.on ?? (shows ? true : undefined));
    const { on: _asked, ...rest } = change;
    const wanted: LightChange = on === undefined ? rest : { ...rest, on };
    const light = await this.device.find('light');
    if (light !== undefined) {
      checkLightChange(wanted, light.features(), (what) => this.device.cannot(what));
      return await light.set(this, wanted);
    }
    checkLightChange(wanted, { color: false, effects: false, transition: 'any' }, (what) => this.device.cannot(what));
    if (wanted.brightness === undefined) {
      if (wanted.transitionMs !== undefined) throw this.device.cannot('fade when switching (msg.transition needs msg.brightness here)');
      return wanted.on === undefined ? this.stateIn((await this.device.getSysinfo()).info) : await this.setPower(wanted.on);
    }
    let state = await this.setBrightness(wanted.brightness, wanted.transitionMs);
    if (wanted.on !== undefined && state.on !== wanted.on) state = await this.setPower(wanted.on);
    return state;
  }

  /** The names of the effects the light can run (NOT_SUPPORTED for a light without effects). */
  async lightEffects(): Promise<string[]> {
    const light = await this.device.need('light');
    if (!light.features().effects) throw this.device.cannot('run light effects');
    return await light.effects(this);
  }

  /** A meter reading of each part: the device's, or each outlet's (a strip meters one outlet per request). */
  async realtime(): Promise<MeterSnapshot> {
    const energy = await this.device.need('energy');
    const readings: MeterReading[] = [];
    for (const part of this.parts()) readings.push(await energy.read(part));
    return { reading: readings.length === 1 ? readings[0]!.reading : sumReadings(readings.map((r) => r.reading)), parts: readings };
  }

  /**
   * Energy per day of a month, or per month of a year (kWh), summed over the parts, in date order;
   * `dropped` lists the impossible entries left out, with the outlet they came from.
   */
  async stats(period: StatsPeriod): Promise<EnergyStats> {
    const energy = await this.device.need('energy');
    const totals = new Map<string, EnergyStat>();
    const dropped: DroppedStat[] = [];
    for (const part of this.parts()) {
      const stats: EnergyStats = await energy.stats(part, period);
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
    const energy = await this.device.need('energy');
    for (const part of this.parts()) await energy.erase(part);
  }
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
 * A device of any family over one connection and one queue: an identity, its last information, and
 * the capability modules its family found it has. It is itself a target; `children()` gives a
 * strip's outlets as targets of their own.
 */
export abstract class Device extends Target {
  readonly outlets: readonly OutletInfo[] = [];
  abstract readonly family: Family;
  /** host:port, for messages. */
  abstract readonly address: string;
  abstract readonly host: string;
  protected lastInfo: DeviceInfo | undefined;
  /** The modules this device has, as far as its family knows yet (see `learnModules`). */
  protected modules: ModuleSet = {};

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

  /** Whether the device has a capability, as far as is known now. */
  has(name: CapabilityName): boolean {
    return this.known(name) !== undefined;
  }

  /** The module serving a capability if it is known already (no request, no wait): for paths that run every time, such as a switch. */
  known<K extends CapabilityName>(name: K): Capabilities[K] | undefined {
    return this.modules[name] as Capabilities[K] | undefined;
  }

  /** The module serving a capability, once the family has learnt what the device has; undefined where it has none. */
  async find<K extends CapabilityName>(name: K): Promise<Capabilities[K] | undefined> {
    if (this.modules[name] === undefined) await this.learnModules();
    return this.modules[name] as Capabilities[K] | undefined;
  }

  /**
   * The module serving a capability, after the family has learnt what the device has (one read,
   * the first time); what the device lacks is refused here, for every caller alike.
   */
  async need<K extends CapabilityName>(name: K): Promise<Capabilities[K]> {
    let module = this.modules[name];
    if (module === undefined) {
      await this.learnModules();
      module = this.modules[name];
    }
    if (module === undefined) throw name === 'energy' ? this.noMeter() : this.cannot(CAPABILITY_VERBS[name]);
    return module as Capabilities[K];
  }

  /**
   * Finds out what the device is and sets its modules (a Kasa device: from its sysinfo's kind; a SMART
   * one: from component_nego). Once is enough: later calls return at once.
   */
  protected abstract learnModules(): Promise<void>;

  /**
   * Reads the device information: `raw` what the device sent (SMART: with its base64 texts decoded),
   * `children` its outlets' own entries in outlet order (strips).
   */
  abstract getSysinfo(): Promise<SysinfoRead>;

  /**
   * One poll for all who watch the device: its state, and the meters of the targets each of
   * `request.meters` names from that state (one that throws only leaves its own out); for a hub,
   * the event logs of the children `request.logs` names from that state, each since the id given
   * (none: only the newest id). With `state: false` the meters alone are read where the state is
   * known and a meter answers (see metersOnly), so a device only metered costs its meter's request.
   */
  async poll(request: PollRequest): Promise<DeviceReading> {
    if (request.state === false) {
      const reading = await this.readMetersOnly(request.meters);
      if (reading !== undefined) return reading;
    }
    return await this.pollState(request.meters, request.logs);
  }

  /** The whole poll: the state, with the meters and logs asked, in as few round trips as the family allows. */
  protected abstract pollState(
    wanted: ReadonlyArray<(info: DeviceInfo) => readonly Target[]>,
    logs?: (info: DeviceInfo) => ReadonlyMap<string, number | undefined>,
  ): Promise<DeviceReading>;

  /**
   * The meters of `wanted`, named from the state read last, and nothing else; undefined when that
   * cannot stand for a poll: no state read yet, no meter wanted, or no meter that answered (a poll
   * must always ask the device something, or an unplugged device would look alive).
   */
  private async readMetersOnly(wanted: ReadonlyArray<(info: DeviceInfo) => readonly Target[]>): Promise<DeviceReading | undefined> {
    const info = this.info;
    if (info === undefined || this.modules.energy === undefined) return undefined;
    const meters = new Map<string, MeterReading | KasaError>();
    // The device answered (a meter it lacks, a reply without a reading): that part's watcher
    // reports it, as after a whole poll. Anything else is the device unreached: the poll failed.
    await this.readMeters(Device.partsOf(wanted, info), meters, answered);
    for (const meter of meters.values()) if (!(meter instanceof KasaError)) return { info, meters, metersOnly: true };
    return undefined;
  }

  /** Releases the connection. */
  abstract close(): Promise<void>;

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
   * Meters each part not read yet into `meters`; a failure `partOnly` accepts (by default a part
   * without a meter: NO_ENERGY_METER) becomes that part's reading for its watcher to report, any
   * other fails the poll.
   */
  protected async readMeters(
    parts: readonly Target[],
    meters: Map<string, MeterReading | KasaError>,
    partOnly: (err: KasaError) => boolean = lacksMeter,
  ): Promise<void> {
    for (const part of parts) {
      const key = partKey(part);
      if (meters.has(key)) continue;
      try {
        const energy = this.modules.energy ?? (await this.need('energy'));
        meters.set(key, await energy.read(part));
      } catch (err) {
        if (!(err instanceof KasaError) || !partOnly(err)) throw err;
        meters.set(key, err);
      }
    }
  }

  /** Which parts of `wanted` to meter in a poll. */
  protected static partsOf(wanted: ReadonlyArray<(info: DeviceInfo) => readonly Target[]>, info: DeviceInfo): Target[] {
    const parts: Target[] = [];
    for (const targetsOf of wanted) {
      let targets: readonly Target[];
      try {
        targets = targetsOf(info);
      } catch {
        continue; // its watcher finds the same reason when it reads the poll, and reports it
      }
      for (const target of targets) parts.push(...target.parts());
    }
    return parts;
  }
}

/** A part without a meter: its watcher says so, the poll goes on. */
function lacksMeter(err: KasaError): boolean {
  return err.code === ErrorCode.NO_ENERGY_METER;
}

/** Whether a failure came from a device that answered (a part's own trouble, not the poll's). */
function answered(err: KasaError): boolean {
  return linkStateAfter(err) === 'online';
}
