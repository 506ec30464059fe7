import { EventEmitter } from 'node:events';
import type { EnergyReading, EnergyStat } from '../energy';
import { ErrorCode, KasaError } from '../errors';
import { isObject } from '../reply';
import {
  DeviceIdentity,
  ModelName,
  ModelSpec,
  defaultAlias,
  defaultOutletAlias,
  deriveIdentity,
  modelSpec,
  seededHex,
  seededInt,
} from './models';

type Json = Record<string, unknown>;

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

/** Events: 'request' (the parsed request object), 'relay' (RelayEvent), emitted when a relay changes. */
export interface RelayEvent {
  /** 0-based outlet index on strips; absent on plugs. */
  outlet?: number;
  on: boolean;
}

const ERR_MODULE = { err_code: -1, err_msg: 'module not support' } as const;
const ERR_MEMBER = { err_code: -2, err_msg: 'member not support' } as const;
const ERR_ARGUMENT = { err_code: -3, err_msg: 'invalid argument' } as const;
const ERR_ENTRY = { err_code: -14, err_msg: 'entry not exist' } as const;

/** Devices created without a seed still differ from one another. */
let autoSeeds = 0;

/** Days of history a fresh device has statistics for. */
const HISTORY_DAYS = 400;
const DAY_MS = 86_400_000;

interface DateParts {
  year: number;
  month: number;
  day: number;
}

/**
 * A value per calendar day (Wh of energy, minutes of runtime): generated from the seed for the
 * device's history, overridable per day, cleared by an erase. Months sum their days.
 */
class DailySeries {
  private readonly overrides = new Map<string, number>();
  private erased = false;

  constructor(
    private readonly seedParts: ReadonlyArray<string | number>,
    private readonly min: number,
    private readonly max: number,
  ) {}

  set(date: DateParts, value: number): void {
    this.overrides.set(dateKey(date), value);
  }

  erase(): void {
    this.erased = true;
    this.overrides.clear();
  }

  value(date: DateParts, today: DateParts): number | undefined {
    const override = this.overrides.get(dateKey(date));
    if (override !== undefined) return override;
    if (this.erased) return undefined;
    const age = (dayNumber(today) - dayNumber(date)) | 0;
    if (age < 0 || age > HISTORY_DAYS) return undefined;
    return this.min + (seededInt(...this.seedParts, date.year, date.month, date.day) % (this.max - this.min + 1));
  }

  days(year: number, month: number, today: DateParts): Array<DateParts & { value: number }> {
    const out: Array<DateParts & { value: number }> = [];
    const length = new Date(Date.UTC(year, month, 0)).getUTCDate();
    for (let day = 1; day <= length; day++) {
      const value = this.value({ year, month, day }, today);
      if (value !== undefined) out.push({ year, month, day, value });
    }
    return out;
  }

  months(year: number, today: DateParts): Array<{ year: number; month: number; value: number }> {
    const out: Array<{ year: number; month: number; value: number }> = [];
    for (let month = 1; month <= 12; month++) {
      const days = this.days(year, month, today);
      if (days.length > 0) out.push({ year, month, value: days.reduce((sum, d) => sum + d.value, 0) });
    }
    return out;
  }
}

function dateKey(date: DateParts): string {
  return `${date.year}-${date.month}-${date.day}`;
}

function dayNumber(date: DateParts): number {
  return Math.floor(Date.UTC(date.year, date.month - 1, date.day) / DAY_MS);
}

/** schedule, count_down and anti_theft all keep a list of rules with ids. */
class RuleTable {
  rules: Json[] = [];
  enable = 1;
}

const RULE_MODULES = ['schedule', 'count_down', 'anti_theft'] as const;
type RuleModule = (typeof RULE_MODULES)[number];
type RuleTables = Record<RuleModule, RuleTable>;

function newRuleTables(): RuleTables {
  return { schedule: new RuleTable(), count_down: new RuleTable(), anti_theft: new RuleTable() };
}

interface Meter {
  /** What the meter reads while the relay is on; power and current read 0 while it is off. */
  reading: EnergyReading;
  energyWh: DailySeries;
}

interface Outlet {
  /** Strips: deviceId + 2-digit index. Plugs: the deviceId. */
  id: string;
  alias: string;
  on: boolean;
  /** When the relay last went on (ms since the epoch). */
  onSince: number;
  meter?: Meter;
  rules: RuleTables;
  runtimeMinutes: DailySeries;
}

/** Who a per-outlet method addresses: the outlets named in the context, or the device itself. */
type Target = { kind: 'device' } | { kind: 'outlets'; outlets: Outlet[] };

type Handler = (args: Json, target: Target) => Json;

interface MethodSpec {
  /** Honours `context.child_ids`; other methods ignore the context. */
  perOutlet?: boolean;
  run: Handler;
}

/**
 * The state of one simulated device and its answers to Smart Home requests. Outlet indexes in the
 * public methods are 0-based, like the child id suffixes ("00" is outlet 0) and HS300 `slot_id`.
 */
export class DeviceState extends EventEmitter {
  readonly spec: ModelSpec;
  readonly seed: string | number;
  private readonly clock: () => number;
  private identity!: DeviceIdentity;
  private alias!: string;
  private ledOff!: number;
  private latitude!: number;
  private longitude!: number;
  private iconHash!: string;
  private icon!: string;
  private timezoneIndex!: number;
  private clockOffsetMs!: number;
  private cloud!: Json;
  private station!: Json;
  private firmwareUrl!: string;
  private gains!: { vgain: number; igain: number };
  private outlets!: Outlet[];
  /** A strip's own rules (no context); a plug's are its single outlet's. */
  private deviceRules!: RuleTables;
  private ruleCounter = 0;
  private readonly modules: Record<string, Record<string, MethodSpec>>;

  constructor(options: DeviceStateOptions) {
    super();
    this.spec = modelSpec(options.model);
    this.seed = options.seed ?? `auto-${++autoSeeds}`;
    this.clock = options.clock ?? Date.now;
    this.build();
    this.restoreSettings(options.alias);
    this.modules = {
      system: this.systemMethods(),
      netif: this.netifMethods(),
      cnCloud: this.cloudMethods(),
      time: this.timeMethods(),
      emeter: this.emeterMethods(),
      ...Object.fromEntries(RULE_MODULES.map((module) => [module, this.ruleMethods(module)])),
    };
  }

  get deviceId(): string {
    return this.identity.deviceId;
  }

  get mac(): string {
    return this.identity.mac;
  }

  get deviceAlias(): string {
    return this.alias;
  }

  /** The Wi-Fi network the device was last told to join (netif.set_stainfo), if any. */
  get joinedNetwork(): string | undefined {
    const ssid = this.station['ssid'];
    return typeof ssid === 'string' ? ssid : undefined;
  }

  get hasMeter(): boolean {
    return this.spec.meter !== undefined;
  }

  /** 0 for a plug. */
  get outletCount(): number {
    return this.spec.outlets;
  }

  /** Full child id of a strip's outlet (0-based). */
  childId(outlet: number): string {
    return this.outletAt(outlet).id;
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

  /** The sysinfo the device would send now. */
  sysinfo(): Json {
    const spec = this.spec;
    const info: Json = {
      sw_ver: spec.swVer,
      hw_ver: spec.hwVer,
      [spec.typeKey]: 'IOT.SMARTPLUGSWITCH',
      model: spec.model,
      mac: this.identity.mac,
    };
    if (spec.devName !== undefined) info['dev_name'] = spec.devName;
    info['alias'] = this.alias;
    if (spec.outlets === 0) {
      info['relay_state'] = this.outlets[0]!.on ? 1 : 0;
      info['on_time'] = this.onTime(this.outlets[0]!);
      info['active_mode'] = this.activeMode();
      info['icon_hash'] = this.iconHash;
    } else {
      info['status'] = 'new';
    }
    info['feature'] = spec.meter === undefined ? 'TIM' : 'TIM:ENE';
    info['updating'] = 0;
    info['rssi'] = -40 - (seededInt('rssi', this.seed) % 36);
    info['led_off'] = this.ledOff;
    if (spec.location === 'float') {
      info['latitude'] = this.latitude;
      info['longitude'] = this.longitude;
    } else {
      info['latitude_i'] = Math.round(this.latitude * 10_000);
      info['longitude_i'] = Math.round(this.longitude * 10_000);
    }
    info['hwId'] = this.identity.hwId;
    info['fwId'] = this.identity.fwId;
    info['deviceId'] = this.identity.deviceId;
    info['oemId'] = this.identity.oemId;
    if (spec.outlets > 0) {
      info['children'] = this.outlets.map((outlet) => ({
        id: outlet.id,
        state: outlet.on ? 1 : 0,
        alias: outlet.alias,
        on_time: this.onTime(outlet),
        next_action: { type: -1 },
      }));
      info['child_num'] = spec.outlets;
      info['ntc_state'] = 0;
    }
    return info;
  }

  /**
   * Switches a relay as the button would. Plugs: leave `outlet` out (or 0). Strips: `outlet` is the
   * 0-based index; left out, every outlet switches.
   */
  setRelay(on: boolean, outlet?: number): void {
    const targets = outlet === undefined ? this.outlets : [this.outletAt(outlet)];
    for (const target of targets) this.switchOutlet(target, on);
  }

  /** Relay state of a plug, or of outlet `outlet` (0-based) of a strip. */
  getRelay(outlet?: number): boolean {
    if (outlet === undefined && this.spec.outlets > 0) {
      throw new KasaError(ErrorCode.BAD_INPUT, `A ${this.spec.model} has ${this.spec.outlets} outlets: say which (0-based).`);
    }
    return this.outletAt(outlet ?? 0).on;
  }

  /**
   * Sets what the meter reads while the relay is on, in W, V, A and kWh; the device converts to its
   * own units. When only power (or voltage) changes, current follows from power / voltage.
   * Plugs: leave `outlet` out. Strips with meters: 0-based index, or every outlet when left out.
   */
  setReading(reading: Partial<EnergyReading>, outlet?: number): void {
    const targets = outlet === undefined ? this.outlets : [this.outletAt(outlet)];
    for (const target of targets) {
      const meter = this.meterOf(target);
      const next = { ...meter.reading, ...reading };
      if (reading.current === undefined && next.voltage > 0) next.current = next.power / next.voltage;
      meter.reading = next;
    }
  }

  /** The reading the device reports now (power and current 0 while the relay is off), in W, V, A, kWh. */
  getReading(outlet?: number): EnergyReading {
    const target = this.outletAt(outlet ?? 0);
    const reading = this.meterOf(target).reading;
    return target.on ? { ...reading } : { ...reading, power: 0, current: 0 };
  }

  /** Overrides one day's energy (kWh) in the statistics. */
  setDayEnergy(year: number, month: number, day: number, kWh: number, outlet?: number): void {
    this.meterOf(this.outletAt(outlet ?? 0)).energyWh.set({ year, month, day }, Math.round(kWh * 1000));
  }

  /** What get_daystat reports for that month, in kWh. */
  getDayStats(year: number, month: number, outlet?: number): EnergyStat[] {
    return this.meterOf(this.outletAt(outlet ?? 0))
      .energyWh.days(year, month, this.today())
      .map(({ value, ...date }) => ({ ...date, energy: value / 1000 }));
  }

  /** What get_monthstat reports for that year, in kWh. */
  getMonthStats(year: number, outlet?: number): EnergyStat[] {
    return this.meterOf(this.outletAt(outlet ?? 0))
      .energyWh.months(year, this.today())
      .map(({ value, ...date }) => ({ ...date, energy: value / 1000 }));
  }

  private handleModule(module: string, methods: unknown, context: unknown): Json {
    const table = Object.prototype.hasOwnProperty.call(this.modules, module) ? this.modules[module] : undefined;
    if (table === undefined || (module === 'emeter' && !this.hasMeter)) return { ...ERR_MODULE };
    if (methods === null) return {};
    if (!isObject(methods)) return { ...ERR_ARGUMENT };
    return Object.fromEntries(
      Object.entries(methods).map(([method, args]) => [method, this.handleMethod(table, method, args, context)]),
    );
  }

  private handleMethod(table: Record<string, MethodSpec>, method: string, args: unknown, context: unknown): Json {
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
        this.spec.outlets === 0 || typeof id !== 'string'
          ? undefined
          : this.outlets.find((candidate) => candidate.id === id.toUpperCase());
      if (outlet === undefined) return { error: { ...ERR_ENTRY } };
      if (!outlets.includes(outlet)) outlets.push(outlet);
    }
    return { target: { kind: 'outlets', outlets } };
  }

  private systemMethods(): Record<string, MethodSpec> {
    const ok = (): Json => ({});
    return {
      get_sysinfo: { run: () => this.sysinfo() },
      set_relay_state: {
        perOutlet: true,
        run: (args, target) => {
          const state = args['state'];
          if (state !== 0 && state !== 1) return { ...ERR_ARGUMENT };
          const outlets = target.kind === 'outlets' ? target.outlets : this.outlets;
          for (const outlet of outlets) this.switchOutlet(outlet, state === 1);
          return {};
        },
      },
      set_led_off: {
        run: (args) => {
          const off = args['off'];
          if (off !== 0 && off !== 1) return { ...ERR_ARGUMENT };
          this.ledOff = off;
          return {};
        },
      },
      set_dev_alias: {
        perOutlet: true,
        run: (args, target) => {
          const alias = args['alias'];
          if (typeof alias !== 'string' || alias.length > 64) return { ...ERR_ARGUMENT };
          if (target.kind === 'outlets') for (const outlet of target.outlets) outlet.alias = alias;
          else this.alias = alias;
          return {};
        },
      },
      set_dev_location: { run: (args) => this.setLocation(args) },
      reboot: { run: ok },
      reset: {
        run: () => {
          this.restoreSettings(undefined);
          return {};
        },
      },
      get_dev_icon: { run: () => ({ icon: this.icon, hash: this.iconHash }) },
      set_dev_icon: {
        run: (args) => {
          const { icon, hash } = args;
          if (typeof icon !== 'string' || typeof hash !== 'string') return { ...ERR_ARGUMENT };
          this.icon = icon;
          this.iconHash = hash;
          return {};
        },
      },
      set_mac_addr: {
        run: (args) => {
          const mac = args['mac'];
          if (typeof mac !== 'string' || !/^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i.test(mac)) return { ...ERR_ARGUMENT };
          this.identity.mac = mac.toUpperCase().replace(/-/g, ':');
          return {};
        },
      },
      set_device_id: {
        run: (args) => {
          const id = args['deviceId'];
          if (typeof id !== 'string' || !/^[0-9a-f]{40}$/i.test(id)) return { ...ERR_ARGUMENT };
          this.identity.deviceId = id.toUpperCase();
          this.renumberOutlets();
          return {};
        },
      },
      set_hw_id: {
        run: (args) => {
          const id = args['hwId'];
          if (typeof id !== 'string' || !/^[0-9a-f]{32}$/i.test(id)) return { ...ERR_ARGUMENT };
          this.identity.hwId = id.toUpperCase();
          return {};
        },
      },
      set_test_mode: { run: ok },
      download_firmware: {
        run: (args) => {
          const url = args['url'];
          if (typeof url !== 'string') return { ...ERR_ARGUMENT };
          this.firmwareUrl = url;
          return {};
        },
      },
      get_download_state: {
        run: () => ({
          url: this.firmwareUrl,
          status: this.firmwareUrl === '' ? 0 : 3,
          download_progress: this.firmwareUrl === '' ? 0 : 100,
          reboot_time: 0,
          flash_time: 0,
        }),
      },
      flash_firmware: { run: ok },
      check_new_config: { run: ok },
      test_check_uboot: { run: ok },
    };
  }

  private netifMethods(): Record<string, MethodSpec> {
    return {
      get_scaninfo: {
        run: () => ({
          ap_list: [
            { ssid: 'HomeNetwork', key_type: 3 },
            { ssid: 'HomeNetwork-Guest', key_type: 0 },
            { ssid: `TP-LINK_${this.identity.mac.replace(/:/g, '').slice(-6)}`, key_type: 3 },
            { ssid: 'Neighbour 5G', key_type: 2 },
          ],
        }),
      },
      set_stainfo: {
        run: (args) => {
          const { ssid, password, key_type: keyType } = args;
          if (typeof ssid !== 'string' || typeof keyType !== 'number') return { ...ERR_ARGUMENT };
          this.station = { ssid, password: typeof password === 'string' ? password : '', key_type: keyType };
          return {};
        },
      },
    };
  }

  private cloudMethods(): Record<string, MethodSpec> {
    return {
      get_info: { run: () => ({ ...this.cloud }) },
      get_intl_fw_list: { run: () => ({ fw_list: [] }) },
      set_server_url: {
        run: (args) => {
          const server = args['server'];
          if (typeof server !== 'string' || server === '') return { ...ERR_ARGUMENT };
          this.cloud['server'] = server;
          return {};
        },
      },
      bind: {
        run: (args) => {
          const { username, password } = args;
          if (typeof username !== 'string' || typeof password !== 'string') return { ...ERR_ARGUMENT };
          Object.assign(this.cloud, { username, binded: 1, cld_connection: 1 });
          return {};
        },
      },
      unbind: {
        run: () => {
          Object.assign(this.cloud, { username: '', binded: 0, cld_connection: 0 });
          return {};
        },
      },
    };
  }

  private timeMethods(): Record<string, MethodSpec> {
    return {
      get_time: {
        run: () => {
          const now = new Date(this.deviceNow());
          return {
            year: now.getFullYear(),
            month: now.getMonth() + 1,
            mday: now.getDate(),
            hour: now.getHours(),
            min: now.getMinutes(),
            sec: now.getSeconds(),
          };
        },
      },
      get_timezone: { run: () => ({ index: this.timezoneIndex }) },
      set_timezone: {
        run: (args) => {
          const index = args['index'];
          if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 109) return { ...ERR_ARGUMENT };
          const fields = ['year', 'month', 'mday', 'hour', 'min', 'sec'].map((key) => args[key]);
          if (fields.every((value) => typeof value === 'number')) {
            const [year, month, mday, hour, min, sec] = fields as number[];
            const set = new Date(year!, month! - 1, mday, hour, min, sec).getTime();
            if (Number.isNaN(set)) return { ...ERR_ARGUMENT };
            this.clockOffsetMs = set - this.clock();
          }
          this.timezoneIndex = index;
          return {};
        },
      },
    };
  }

  private emeterMethods(): Record<string, MethodSpec> {
    const perOutlet = true;
    /** Reads go to the first outlet named, or slot 0 on a strip: it never sums the outlets. */
    const first = (target: Target): Outlet => (target.kind === 'outlets' ? target.outlets[0]! : this.outlets[0]!);
    const all = (target: Target): Outlet[] => (target.kind === 'outlets' ? target.outlets : this.outlets);
    return {
      get_realtime: { perOutlet, run: (_args, target) => this.realtimeReply(first(target)) },
      get_vgain_igain: { perOutlet, run: () => ({ ...this.gains }) },
      set_vgain_igain: {
        perOutlet,
        run: (args) => {
          const { vgain, igain } = args;
          if (!isCount(vgain) || !isCount(igain)) return { ...ERR_ARGUMENT };
          this.gains = { vgain, igain };
          return {};
        },
      },
      start_calibration: {
        perOutlet,
        run: (args) => (isCount(args['vtarget']) && isCount(args['itarget']) ? {} : { ...ERR_ARGUMENT }),
      },
      get_daystat: {
        perOutlet,
        run: (args, target) => {
          const { year, month } = args;
          if (!isYear(year) || !isMonth(month)) return { ...ERR_ARGUMENT };
          const days = this.meterOf(first(target)).energyWh.days(year, month, this.today());
          return { day_list: days.map(({ value, ...date }) => ({ ...date, ...this.energyField(value) })) };
        },
      },
      get_monthstat: {
        perOutlet,
        run: (args, target) => {
          const year = args['year'];
          if (!isYear(year)) return { ...ERR_ARGUMENT };
          const months = this.meterOf(first(target)).energyWh.months(year, this.today());
          return { month_list: months.map(({ value, ...date }) => ({ ...date, ...this.energyField(value) })) };
        },
      },
      erase_emeter_stat: {
        perOutlet,
        run: (_args, target) => {
          for (const outlet of all(target)) {
            const meter = this.meterOf(outlet);
            meter.energyWh.erase();
            meter.reading.total = 0;
          }
          return {};
        },
      },
    };
  }

  private ruleMethods(module: RuleModule): Record<string, MethodSpec> {
    const perOutlet = true;
    const tables = (target: Target): RuleTable[] =>
      target.kind === 'outlets' ? target.outlets.map((outlet) => outlet.rules[module]) : [this.deviceRules[module]];
    const methods: Record<string, MethodSpec> = {
      get_rules: {
        perOutlet,
        run: (_args, target) => {
          const table = tables(target)[0]!;
          const list = { rule_list: table.rules.map((rule) => ({ ...rule })) };
          return module === 'count_down' ? list : { ...list, enable: table.enable, version: 2 };
        },
      },
      add_rule: {
        perOutlet,
        run: (args, target) => {
          const id = seededHex(32, 'rule', this.seed, module, ++this.ruleCounter);
          for (const table of tables(target)) table.rules.push({ ...args, id });
          return { id };
        },
      },
      edit_rule: {
        perOutlet,
        run: (args, target) => {
          const all = tables(target);
          if (all.some((table) => !table.rules.some((rule) => rule['id'] === args['id']))) return { ...ERR_ENTRY };
          for (const table of all) table.rules = table.rules.map((rule) => (rule['id'] === args['id'] ? { ...rule, ...args } : rule));
          return {};
        },
      },
      delete_rule: {
        perOutlet,
        run: (args, target) => {
          const all = tables(target);
          if (all.some((table) => !table.rules.some((rule) => rule['id'] === args['id']))) return { ...ERR_ENTRY };
          for (const table of all) table.rules = table.rules.filter((rule) => rule['id'] !== args['id']);
          return {};
        },
      },
      delete_all_rules: {
        perOutlet,
        run: (_args, target) => {
          for (const table of tables(target)) table.rules = [];
          return {};
        },
      },
      set_overall_enable: {
        perOutlet,
        run: (args, target) => {
          const enable = args['enable'];
          if (enable !== 0 && enable !== 1) return { ...ERR_ARGUMENT };
          for (const table of tables(target)) table.enable = enable;
          return {};
        },
      },
    };
    if (module !== 'schedule') return methods;
    const runtime = (target: Target): DailySeries =>
      (target.kind === 'outlets' ? target.outlets[0]! : this.outlets[0]!).runtimeMinutes;
    return {
      ...methods,
      get_next_action: { perOutlet, run: () => ({ type: -1 }) },
      erase_runtime_stat: {
        perOutlet,
        run: (_args, target) => {
          for (const outlet of target.kind === 'outlets' ? target.outlets : this.outlets) outlet.runtimeMinutes.erase();
          return {};
        },
      },
      get_daystat: {
        perOutlet,
        run: (args, target) => {
          const { year, month } = args;
          if (!isYear(year) || !isMonth(month)) return { ...ERR_ARGUMENT };
          const days = runtime(target).days(year, month, this.today());
          return { day_list: days.map(({ value, ...date }) => ({ ...date, time: value })) };
        },
      },
      get_monthstat: {
        perOutlet,
        run: (args, target) => {
          const year = args['year'];
          if (!isYear(year)) return { ...ERR_ARGUMENT };
          const months = runtime(target).months(year, this.today());
          return { month_list: months.map(({ value, ...date }) => ({ ...date, time: value })) };
        },
      },
    };
  }

  /** The burnt-in identity and the outlets with their relays, meters and statistics. */
  private build(): void {
    this.identity = deriveIdentity(this.spec, this.seed);
    const now = this.clock();
    const voltage = 228 + (seededInt('voltage', this.seed) % 50) / 10;
    this.outlets = Array.from({ length: Math.max(1, this.spec.outlets) }, (_unused, index) => {
      const slot = this.spec.outlets === 0 ? 'plug' : index;
      const power = 5 + (seededInt('power', this.seed, slot) % 1200) / 10;
      const total = 1 + (seededInt('total', this.seed, slot) % 200_000) / 1000;
      return {
        id: '',
        alias: '',
        on: true,
        onSince: now - (seededInt('on_time', this.seed, slot) % 86_400) * 1000,
        meter:
          this.spec.meter === undefined
            ? undefined
            : {
                reading: { power, voltage, current: power / voltage, total },
                energyWh: new DailySeries(['energy', this.seed, slot], 20, 1500),
              },
        rules: newRuleTables(),
        runtimeMinutes: new DailySeries(['runtime', this.seed, slot], 0, 1440),
      };
    });
    this.renumberOutlets();
  }

  /** The settings a factory reset restores: names, rules, cloud, clock. Relays and meters stay as they are. */
  private restoreSettings(alias: string | undefined): void {
    this.alias = alias ?? defaultAlias(this.spec, this.identity.mac);
    this.ledOff = 0;
    this.latitude = 52 + (seededInt('lat', this.seed) % 10_000) / 10_000;
    this.longitude = 4 + (seededInt('lon', this.seed) % 10_000) / 10_000;
    this.icon = '';
    this.iconHash = '';
    this.timezoneIndex = 39;
    this.clockOffsetMs = 0;
    this.cloud = {
      username: '',
      server: 'devs.tplinkcloud.com',
      binded: 0,
      cld_connection: 0,
      illegalType: 0,
      stopConnect: 0,
      tcspStatus: 0,
      fwDlPage: '',
      tcspInfo: '',
      fwNotifyType: 0,
    };
    this.station = {};
    this.firmwareUrl = '';
    this.gains = { vgain: 13462, igain: 16835 };
    this.outlets.forEach((outlet, index) => {
      outlet.alias = defaultOutletAlias(index);
      outlet.rules = newRuleTables();
    });
    this.deviceRules = this.spec.outlets === 0 ? this.outlets[0]!.rules : newRuleTables();
  }

  private renumberOutlets(): void {
    this.outlets.forEach((outlet, index) => {
      outlet.id = this.spec.outlets === 0 ? this.identity.deviceId : `${this.identity.deviceId}${String(index).padStart(2, '0')}`;
    });
  }

  private outletAt(index: number): Outlet {
    const count = Math.max(1, this.spec.outlets);
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new KasaError(
        ErrorCode.BAD_INPUT,
        this.spec.outlets === 0
          ? `A ${this.spec.model} is a plug with a single relay: leave the outlet out.`
          : `A ${this.spec.model} has outlets 0 to ${count - 1} (0-based); ${String(index)} is not one of them.`,
      );
    }
    return this.outlets[index]!;
  }

  private meterOf(outlet: Outlet): Meter {
    if (outlet.meter === undefined) {
      throw new KasaError(ErrorCode.NO_ENERGY_METER, `A ${this.spec.model} has no energy meter.`);
    }
    return outlet.meter;
  }

  private switchOutlet(outlet: Outlet, on: boolean): void {
    if (outlet.on === on) return;
    outlet.on = on;
    outlet.onSince = this.clock();
    const event: RelayEvent = this.spec.outlets === 0 ? { on } : { outlet: this.outlets.indexOf(outlet), on };
    this.emit('relay', event);
  }

  private onTime(outlet: Outlet): number {
    return outlet.on ? Math.max(0, Math.floor((this.clock() - outlet.onSince) / 1000)) : 0;
  }

  private activeMode(): string {
    const rules = this.deviceRules;
    if (rules.count_down.rules.some((rule) => rule['enable'] === 1)) return 'count_down';
    if (rules.schedule.enable === 1 && rules.schedule.rules.some((rule) => rule['enable'] === 1)) return 'schedule';
    return 'none';
  }

  private setLocation(args: Json): Json {
    const latitude = typeof args['latitude_i'] === 'number' ? args['latitude_i'] / 10_000 : args['latitude'];
    const longitude = typeof args['longitude_i'] === 'number' ? args['longitude_i'] / 10_000 : args['longitude'];
    if (typeof latitude !== 'number' || typeof longitude !== 'number') return { ...ERR_ARGUMENT };
    if (!(Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180)) return { ...ERR_ARGUMENT };
    this.latitude = latitude;
    this.longitude = longitude;
    return {};
  }

  private realtimeReply(outlet: Outlet): Json {
    const slot = this.outlets.indexOf(outlet);
    const reading = this.getReading(this.spec.outlets === 0 ? 0 : slot);
    if (this.spec.meter === 'old') {
      return {
        current: round(reading.current, 6),
        voltage: round(reading.voltage, 6),
        power: round(reading.power, 6),
        total: round(reading.total, 3),
      };
    }
    const reply: Json = {
      voltage_mv: Math.round(reading.voltage * 1000),
      current_ma: Math.round(reading.current * 1000),
      power_mw: Math.round(reading.power * 1000),
      total_wh: Math.round(reading.total * 1000),
    };
    if (this.spec.outlets > 0) reply['slot_id'] = slot;
    return reply;
  }

  private energyField(wh: number): Json {
    return this.spec.meter === 'old' ? { energy: wh / 1000 } : { energy_wh: wh };
  }

  private deviceNow(): number {
    return this.clock() + this.clockOffsetMs;
  }

  private today(): DateParts {
    const now = new Date(this.deviceNow());
    return { year: now.getFullYear(), month: now.getMonth() + 1, day: now.getDate() };
  }
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isYear(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1970 && value <= 2100;
}

function isMonth(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 12;
}
