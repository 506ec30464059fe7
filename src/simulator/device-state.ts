import { EventEmitter } from 'node:events';
import type { EnergyReading, EnergyStat } from '../device/energy';
import { ErrorCode, KasaError } from '../util/errors';
import { isObject } from '../util/json';
import { ModelName, ModelSpec, modelSpec } from './models';
import { DeviceCore } from './modules/core';
import { Outlet } from './modules/module';
import { DimmerModule, isBrightness } from './modules/dimmer';
import { EmeterModule } from './modules/emeter';
import { LightEvent, LightModule } from './modules/light';
import { MODULE_FACTORIES } from './modules';
import { ERR_ARGUMENT, ERR_ENTRY, ERR_MEMBER, ERR_MODULE, Json, MethodTable, SimModule, Target } from './modules/module';
import { NetifModule } from './modules/netif';
import { SystemModule } from './modules/system';

export type { RelayEvent } from './modules/core';
export type { BrightnessEvent } from './modules/dimmer';
export type { LightEvent } from './modules/light';

export interface DeviceStateOptions {
  model: ModelName;
  /** The device's alias; the model's out-of-the-box alias when absent. */
  alias?: string;
  /**
   * Ids, MAC, readings and statistics derive from it: the same seed gives the same device.
   * Without one, each device of the process gets a seed of its own.
   */
  seed?: string | number;
  /** Milliseconds since the epoch; tests may pass their own clock. */
  clock?: () => number;
}

/** Devices created without a seed still differ from one another. */
let autoSeeds = 0;

/**
 * One simulated device: the modules its model lists, composed. It routes each request's modules
 * and methods to the module that answers them, resolves `context.child_ids` for per-outlet methods,
 * and offers tests a way to act on the device as a person at the plug would. Outlet indexes in the
 * public methods are 0-based, like the child id suffixes ("00" is outlet 0) and HS300 `slot_id`.
 * Events: 'request' (the parsed request object), 'relay' (RelayEvent), emitted when a relay changes,
 * 'brightness' (BrightnessEvent) when a dimmer's brightness changes, 'light' (LightEvent) when a
 * bulb's or light strip's light is set.
 */
export class DeviceState extends EventEmitter {
  readonly spec: ModelSpec;
  readonly seed: string | number;
  private readonly core: DeviceCore;
  private readonly parts: readonly SimModule[];
  /** Request key ("system", "schedule", ...) to its methods. */
  private readonly tables = new Map<string, MethodTable>();

  constructor(options: DeviceStateOptions) {
    super();
    this.spec = modelSpec(options.model);
    this.seed = options.seed ?? `auto-${++autoSeeds}`;
    this.core = new DeviceCore(this.spec, this.seed, options.clock ?? Date.now, this);
    this.core.reset(options.alias);
    this.parts = this.spec.modules.map((name) => MODULE_FACTORIES[name](this.core));
    for (const part of this.parts) {
      for (const [key, table] of Object.entries(part.methods)) for (const name of this.spec.moduleKeys?.[key] ?? [key]) this.tables.set(name, table);
    }
    this.core.resetAll = () => {
      this.core.reset(undefined);
      for (const part of this.parts) part.reset?.();
    };
    this.core.sysinfo = () => this.sysinfo();
  }

  get deviceId(): string {
    return this.core.identity.deviceId;
  }

  get mac(): string {
    return this.core.identity.mac;
  }

  get deviceAlias(): string {
    return this.core.alias;
  }

  /** The Wi-Fi network the device was last told to join (netif.set_stainfo), if any. */
  get joinedNetwork(): string | undefined {
    return this.part(NetifModule)?.joinedNetwork;
  }

  get hasMeter(): boolean {
    return this.part(EmeterModule) !== undefined;
  }

  get hasDimmer(): boolean {
    return this.part(DimmerModule) !== undefined;
  }

  /** 0 for a plug. */
  get outletCount(): number {
    return this.spec.outlets;
  }

  /** Full child id of a strip's outlet (0-based). */
  childId(outlet: number): string {
    return this.core.outletAt(outlet).id;
  }

  /** Answers a request: every module and method asked gets its own reply with an err_code. */
  handle(request: unknown): Json {
    if (!isObject(request)) return {};
    this.emit('request', request);
    const context = request['context'];
    // Built with fromEntries: a key such as "__proto__" becomes a plain property, never a prototype.
    return Object.fromEntries(
      Object.entries(request)
        .filter(([module]) => module !== 'context')
        .map(([module, methods]) => [module, this.handleModule(module, methods, context)]),
    );
  }

  /** The sysinfo the device would send now: the system module's, with every module's fields. */
  sysinfo(): Json {
    const system = this.part(SystemModule);
    const info = system === undefined ? {} : system.baseSysinfo();
    for (const part of this.parts) part.sysinfo?.(info);
    return info;
  }

  /**
   * Switches a relay as the button would. Plugs: leave `outlet` out (or 0). Strips: `outlet` is the
   * 0-based index; left out, every outlet switches.
   */
  setRelay(on: boolean, outlet?: number): void {
    const targets = outlet === undefined ? this.core.outlets : [this.core.outletAt(outlet)];
    for (const target of targets) this.core.switchOutlet(target, on);
  }

  /** Relay state of a plug, or of outlet `outlet` (0-based) of a strip. */
  getRelay(outlet?: number): boolean {
    if (outlet === undefined && this.core.isStrip) {
      throw new KasaError(ErrorCode.BAD_INPUT, `A ${this.spec.model} has ${this.spec.outlets} outlets: say which (0-based).`);
    }
    return this.core.outletAt(outlet ?? 0).on;
  }

  /**
   * Sets what the meter reads while the relay is on, in W, V, A and kWh; the device converts to its
   * own units. When only power (or voltage) changes, current follows from power / voltage.
   * Plugs: leave `outlet` out. Strips with meters: 0-based index, or every outlet when left out.
   */
  setReading(reading: Partial<EnergyReading>, outlet?: number): void {
    const targets = outlet === undefined ? this.core.outlets : [this.core.outletAt(outlet)];
    const meter = this.meter();
    for (const target of targets) meter.setReading(target, reading);
  }

  /** The reading the device reports now (power and current 0 while the relay is off), in W, V, A, kWh. */
  getReading(outlet?: number): EnergyReading {
    const target = this.core.outletAt(outlet ?? 0);
    return this.meter().getReading(target);
  }

  /** Overrides one day's energy (kWh) in the statistics. */
  setDayEnergy(year: number, month: number, day: number, kWh: number, outlet?: number): void {
    const target = this.core.outletAt(outlet ?? 0);
    this.meter().setDayEnergy(target, year, month, day, kWh);
  }

  /** What get_daystat reports for that month, in kWh. */
  getDayStats(year: number, month: number, outlet?: number): EnergyStat[] {
    const target = this.core.outletAt(outlet ?? 0);
    return this.meter().getDayStats(target, year, month);
  }

  /** What get_monthstat reports for that year, in kWh. */
  getMonthStats(year: number, outlet?: number): EnergyStat[] {
    const target = this.core.outletAt(outlet ?? 0);
    return this.meter().getMonthStats(target, year);
  }

  /** Sets a dimmer's brightness (1-100) as a person at the wall would; emits 'brightness' when it changed. */
  setBrightness(brightness: number): void {
    const dimmer = this.dimmer();
    if (!isBrightness(brightness)) {
      throw new KasaError(ErrorCode.BAD_INPUT, `A brightness is a whole number from 1 to 100, not ${String(brightness)}.`);
    }
    dimmer.setBrightness(brightness);
  }

  /** A dimmer's brightness (1-100), whether its relay is on or off. */
  getBrightness(): number {
    return this.dimmer().brightness;
  }

  /** A bulb's or light strip's light as it is now (on, brightness, hue, saturation, color temperature). */
  getLight(): LightEvent {
    const light = this.part(LightModule);
    if (light === undefined) throw new KasaError(ErrorCode.NOT_SUPPORTED, `A ${this.spec.model} is not a light.`);
    return light.current;
  }

  /** The device's module of that kind, if its model has one. */
  private part<T extends SimModule>(kind: abstract new (...args: never[]) => T): T | undefined {
    return this.parts.find((part): part is T => part instanceof kind);
  }

  private meter(): EmeterModule {
    const meter = this.part(EmeterModule);
    if (meter === undefined) throw new KasaError(ErrorCode.NO_ENERGY_METER, `A ${this.spec.model} has no energy meter.`);
    return meter;
  }

  private dimmer(): DimmerModule {
    const dimmer = this.part(DimmerModule);
    if (dimmer === undefined) throw new KasaError(ErrorCode.NOT_SUPPORTED, `A ${this.spec.model} is not a dimmer.`);
    return dimmer;
  }

  private handleModule(module: string, methods: unknown, context: unknown): Json {
    const table = this.tables.get(module);
    if (table === undefined) return { ...ERR_MODULE };
    if (methods === null) return {};
    if (!isObject(methods)) return { ...ERR_ARGUMENT };
    return Object.fromEntries(
      Object.entries(methods).map(([method, args]) => [method, this.handleMethod(table, method, args, context)]),
    );
  }

  private handleMethod(table: MethodTable, method: string, args: unknown, context: unknown): Json {
    const spec = Object.prototype.hasOwnProperty.call(table, method) ? table[method] : undefined;
    if (spec === undefined) return { ...ERR_MEMBER };
    const resolved: { target: Target } | { error: Json } = spec.perOutlet
      ? this.resolveContext(context)
      : { target: { kind: 'device' } };
    if ('error' in resolved) return resolved.error;
    const result = spec.run(isObject(args) ? args : {}, resolved.target);
    return 'err_code' in result ? result : { ...result, err_code: 0 };
  }

  /** The outlets `context.child_ids` names, or an error reply: -3 when malformed, -14 for an unknown id. */
  private resolveContext(context: unknown): { target: Target } | { error: Json } {
    const device = { target: { kind: 'device' } } as const;
    if (context === undefined || context === null) return device;
    if (!isObject(context)) return { error: { ...ERR_ARGUMENT, err_msg: 'invalid argument: context must be an object' } };
    const ids = context['child_ids'];
    if (ids === undefined) return device;
    if (!Array.isArray(ids)) return { error: { ...ERR_ARGUMENT, err_msg: 'invalid argument: child_ids must be an array' } };
    if (ids.length === 0) return device;
    const outlets: Outlet[] = [];
    for (const id of ids) {
      const outlet =
        !this.core.isStrip || typeof id !== 'string'
          ? undefined
          : this.core.outlets.find((candidate) => candidate.id === id.toUpperCase());
      if (outlet === undefined) return { error: { ...ERR_ENTRY } };
      if (!outlets.includes(outlet)) outlets.push(outlet);
    }
    return { target: { kind: 'outlets', outlets } };
  }
}
