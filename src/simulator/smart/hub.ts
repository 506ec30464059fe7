import { ErrorCode, KasaError } from '../../util/errors';
import { seededHex, seededInt } from '../models';
import { MethodTable, SIM_CODES, SmartAnswer, base64, fail, fromBase64, ok, pageOf } from './answer';
import { isWholeInRange } from './light';
import { COMFORT, COMMON_EVENTS, HUB_CHILD_KINDS, HUB_CHILD_KIND_SPECS, HubChildKind, HubChildKindSpec, HubEvent } from './hub-kinds';

type Json = Record<string, unknown>;

/** One trigger-log entry, as get_trigger_logs lists it. */
export interface TriggerLogEntry {
  id: number;
  eventId: string;
  /** Seconds since the epoch (the hub's clock). */
  timestamp: number;
  event: string;
  params?: Json;
}

/** How many entries a child's log keeps (older ones are dropped; the real number is unverified). */
const LOG_CAPACITY = 200;
/** get_trigger_logs' page when none is asked for, and the largest one taken (unverified). */
const DEFAULT_LOG_PAGE = 5;
const MAX_LOG_PAGE = 50;

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** How far a value lies outside a range: 0 inside, positive above, negative below (the sign convention is unverified). */
function outside(value: number, [min, max]: readonly [number, number]): number {
  return value > max ? value - max : value < min ? value - min : 0;
}

/**
 * One child of a simulated hub: its readings, battery, status, name and trigger log, the methods
 * it answers through control_child, and `fire` to make things happen to it.
 */
export class SimHubChild {
  readonly spec: HubChildKindSpec;
  nickname: string;
  online = true;
  lowBattery = false;
  /** 1-100 where the kind reports it. */
  batteryPercentage = 100;
  /** The readings that change: detected, open, water_leak_status, current_temp (°C), target_temp ... */
  readonly readings: Json;
  private readonly logs: TriggerLogEntry[] = [];
  private nextLogId: number;

  constructor(
    kind: HubChildKind,
    readonly id: string,
    private readonly parentId: string,
    private readonly seed: string | number,
    /** Seconds since the epoch, the hub's clock. */
    private readonly nowSeconds: () => number,
  ) {
    this.spec = HUB_CHILD_KIND_SPECS[kind];
    this.nickname = this.spec.nickname;
    this.readings = { ...this.spec.initial };
    // Ids continue from an earlier life of the sensor: they need not start at 1.
    this.nextLogId = 1 + (seededInt('log-start', seed, id) % 500);
  }

  get kind(): HubChildKind {
    return this.spec.kind;
  }

  /** The child's entry of get_child_device_list, which get_device_info through control_child also answers. */
  info(): Json {
    const { spec } = this;
    const rssi = -40 - (seededInt('rssi', this.seed, this.id) % 40);
    const info: Json = {
      device_id: this.id,
      parent_device_id: this.parentId,
      category: spec.category,
      type: spec.type,
      model: spec.model,
      hw_ver: spec.hwVer,
      fw_ver: spec.fwVer,
      nickname: base64(this.nickname),
      mac: seededHex(12, 'hub-child-mac', this.seed, this.id),
      region: 'Europe/London',
      status: this.online ? 'online' : 'offline',
      rssi,
      signal_level: rssi > -60 ? 3 : rssi > -70 ? 2 : 1,
      jamming_rssi: -115,
      jamming_signal_level: 1,
      [spec.lowBatteryKey]: this.lowBattery,
      ...(spec.batteryPercentage ? { battery_percentage: this.batteryPercentage } : {}),
      ...this.readings,
    };
    if (spec.kind === 'climate' || spec.kind === 'trv') Object.assign(info, this.temperatureFields());
    return info;
  }

  /** component_nego's list. */
  components(): Array<{ id: string; ver_code: number }> {
    return this.spec.components.map(([id, ver_code]) => ({ id, ver_code }));
  }

  /** The methods it answers through control_child. */
  get methods(): MethodTable {
    const hasLog = this.spec.components.some(([id]) => id === 'trigger_log');
    return {
      get_device_info: () => ok(this.info()),
      component_nego: () => ok({ component_list: this.components() }),
      set_device_info: (params) => this.setInfo(params),
      ...(hasLog ? { get_trigger_logs: (params: Json | undefined) => this.triggerLogs(params) } : {}),
      ...(this.spec.kind === 'climate' ? { set_temperature_unit: (params: Json | undefined) => this.setUnit(params) } : {}),
    };
  }

  /** The entries of its log, newest first. */
  get triggerLog(): readonly TriggerLogEntry[] {
    return [...this.logs].reverse();
  }

  /**
   * Makes something happen to the child, as in the room: updates its readings and, for sensor
   * events, appends a trigger-log entry (returned). Throws BAD_INPUT for an event its kind lacks.
   */
  fire(event: HubEvent): TriggerLogEntry | undefined {
    const { spec } = this;
    if (!spec.events.includes(event.type) && !COMMON_EVENTS.includes(event.type)) {
      throw new KasaError(ErrorCode.BAD_INPUT, `A ${spec.model} (${spec.kind}) cannot fire "${event.type}"; it fires ${[...spec.events, ...COMMON_EVENTS].join(', ')}.`);
    }
    const r = this.readings;
    switch (event.type) {
      case 'motion':
        r['detected'] = true;
        return this.log('motion');
      case 'clear':
        r['detected'] = false;
        return undefined;
      case 'open':
        r['open'] = true;
        return this.log('open');
      case 'close':
        r['open'] = false;
        return this.log('close');
      case 'keepOpen':
        return this.log('keepOpen');
      case 'leak':
        Object.assign(r, { water_leak_status: 'water_leak', in_alarm: true, trigger_timestamp: this.nowSeconds() });
        return this.log('waterLeak');
      case 'dry':
        Object.assign(r, { water_leak_status: 'water_dry', in_alarm: false });
        return this.log('waterDry');
      case 'singleClick':
        if (spec.kind === 'switch') {
          // The S210's button toggles its own relay and logs the new state.
          r['device_on'] = r['device_on'] !== true;
          return this.log('singleClick', { on_off: r['device_on'] });
        }
        return this.log('singleClick');
      case 'doubleClick':
        return this.log('doubleClick');
      case 'rotation':
        if (!Number.isInteger(event.degrees) || Math.abs(event.degrees) > 3600) throw new KasaError(ErrorCode.BAD_INPUT, `A rotation is whole degrees, not ${String(event.degrees)}.`);
        return this.log('rotation', { rotate_deg: event.degrees });
      case 'temperature':
        return this.setTemperature(event.value);
      case 'humidity':
        return this.setHumidity(event.value);
      case 'lowBattery':
        this.lowBattery = true;
        this.batteryPercentage = 8;
        return undefined;
      case 'batteryOk':
        this.lowBattery = false;
        this.batteryPercentage = 100;
        return undefined;
      case 'offline':
      case 'online':
        this.online = event.type === 'online';
        return undefined;
    }
  }

  private setTemperature(celsius: number): TriggerLogEntry | undefined {
    if (!Number.isFinite(celsius) || celsius < -40 || celsius > 80) throw new KasaError(ErrorCode.BAD_INPUT, `A temperature is -40 to 80 °C, not ${String(celsius)}.`);
    const before = outside(this.readings['current_temp'] as number, COMFORT.temperature);
    this.readings['current_temp'] = round1(celsius);
    if (this.spec.kind !== 'climate') return undefined;
    const after = outside(celsius, COMFORT.temperature);
    if (after > 0 && before <= 0) return this.log('tooHot');
    if (after < 0 && before >= 0) return this.log('tooCold');
    return undefined;
  }

  private setHumidity(percent: number): TriggerLogEntry | undefined {
    if (!isWholeInRange(percent, 0, 100)) throw new KasaError(ErrorCode.BAD_INPUT, `A humidity is a whole 0 to 100 %, not ${String(percent)}.`);
    const before = outside(this.readings['current_humidity'] as number, COMFORT.humidity);
    this.readings['current_humidity'] = percent;
    const after = outside(percent, COMFORT.humidity);
    if (after > 0 && before <= 0) return this.log('tooHumid');
    if (after < 0 && before >= 0) return this.log('tooDry');
    return undefined;
  }

  /** Temperatures in the child's unit, and the climate sensor's distances from its comfort range. */
  private temperatureFields(): Json {
    const fahrenheit = this.readings['temp_unit'] === 'fahrenheit';
    const shown = (celsius: number) => (fahrenheit ? round1((celsius * 9) / 5 + 32) : celsius);
    const celsius = this.readings['current_temp'] as number;
    const fields: Json = { current_temp: shown(celsius) };
    if (this.spec.kind === 'climate') {
      fields['current_temp_exception'] = round1(outside(celsius, COMFORT.temperature));
      fields['current_humidity_exception'] = outside(this.readings['current_humidity'] as number, COMFORT.humidity);
    } else {
      // A valve heats while it is below its target and frost protection (its "off") is not on.
      const heating = this.readings['frost_protection_on'] !== true && celsius < (this.readings['target_temp'] as number);
      fields['trv_states'] = heating ? ['heating'] : [];
    }
    return fields;
  }

  private log(event: string, params?: Json): TriggerLogEntry {
    const id = this.nextLogId++;
    const hex = seededHex(32, 'event', this.seed, this.id, id).toLowerCase();
    const eventId = [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-');
    const entry: TriggerLogEntry = { id, eventId, timestamp: this.nowSeconds(), event, ...(params === undefined ? {} : { params }) };
    this.logs.push(entry);
    if (this.logs.length > LOG_CAPACITY) this.logs.shift();
    return entry;
  }

  /**
   * get_trigger_logs {start_id, page_size}: newest first, from the entry with id start_id (0: the
   * newest) down; `start_id` of the answer is the id of its first entry, `sum` how many the log holds.
   */
  private triggerLogs(params: Json | undefined): SmartAnswer {
    const start = params?.['start_id'] ?? 0;
    const size = params?.['page_size'] ?? DEFAULT_LOG_PAGE;
    if (!Number.isSafeInteger(start) || (start as number) < 0 || !isWholeInRange(size, 1, MAX_LOG_PAGE)) return fail(SIM_CODES.params);
    const newestFirst = this.triggerLog.filter((entry) => start === 0 || entry.id <= (start as number));
    const page = newestFirst.slice(0, size).map((entry) => ({ ...entry }));
    return ok({ logs: page, start_id: page[0]?.id ?? 0, sum: this.logs.length });
  }

  /** set_device_info: a name for every child; device_on for the switch; target_temp, frost protection, offset, child lock for the valve. */
  private setInfo(params: Json | undefined): SmartAnswer {
    if (params === undefined) return fail(SIM_CODES.params);
    const changes: Json = {};
    let nickname: string | undefined;
    if (params['nickname'] !== undefined) {
      nickname = fromBase64(params['nickname']);
      if (nickname === undefined) return fail(SIM_CODES.params);
    }
    const { kind } = this.spec;
    for (const [key, value] of Object.entries(params)) {
      if (key === 'nickname') continue;
      if (kind === 'switch' && key === 'device_on' && typeof value === 'boolean') changes[key] = value;
      else if (kind === 'trv' && key === 'target_temp' && this.isTarget(value)) changes[key] = value;
      else if (kind === 'trv' && (key === 'frost_protection_on' || key === 'child_protection') && typeof value === 'boolean') changes[key] = value;
      else if (kind === 'trv' && key === 'temp_offset' && Number.isInteger(value) && Math.abs(value as number) <= 10) changes[key] = value;
      // Anything else (a value out of range, a field the kind lacks) refuses the whole request.
      else return fail(SIM_CODES.params);
    }
    Object.assign(this.readings, changes);
    if (nickname !== undefined) this.nickname = nickname;
    return ok();
  }

  /** A target temperature within min_control_temp..max_control_temp, in half degrees. */
  private isTarget(value: unknown): boolean {
    const min = this.readings['min_control_temp'] as number;
    const max = this.readings['max_control_temp'] as number;
    return typeof value === 'number' && Number.isInteger(value * 2) && value >= min && value <= max;
  }

  private setUnit(params: Json | undefined): SmartAnswer {
    const unit = params?.['temp_unit'];
    if (unit !== 'celsius' && unit !== 'fahrenheit') return fail(SIM_CODES.params);
    this.readings['temp_unit'] = unit;
    return ok();
  }
}

/**
 * The children of a simulated hub and the hub's lists of them: one child of each kind by
 * default, in HUB_CHILD_KINDS order, with ids made of the hub's id and a 2-digit index (the real
 * format is unverified). Lists are paged with the hub's page size.
 */
export class SimHub {
  readonly children: SimHubChild[];

  constructor(
    parentId: string,
    seed: string | number,
    nowSeconds: () => number,
    private readonly pageSize: number,
    kinds: readonly HubChildKind[] = HUB_CHILD_KINDS,
  ) {
    this.children = kinds.map((kind, index) => new SimHubChild(kind, `${parentId}${String(index).padStart(2, '0')}`, parentId, seed, nowSeconds));
  }

  find(id: unknown): SimHubChild | undefined {
    return this.children.find((child) => child.id === id);
  }

  /**
   * The child a person means: its device id, its kind ("motion", "contact", ...) or its model
   * ("t100", "KE100"); the first of that kind or model. Throws BAD_INPUT when none is.
   */
  child(which: string): SimHubChild {
    const wanted = which.trim().toLowerCase();
    const found =
      this.children.find((child) => child.id.toLowerCase() === wanted) ??
      this.children.find((child) => child.kind === wanted || child.spec.model.toLowerCase() === wanted);
    if (found === undefined) {
      const known = this.children.map((child) => `${child.kind} (${child.spec.model})`).join(', ');
      throw new KasaError(ErrorCode.BAD_INPUT, `The hub has no child "${which}"; it has ${known}.`);
    }
    return found;
  }

  /** Fires an event on a child (see SimHubChild.fire): the child by id, kind or model. */
  fire(which: string, event: HubEvent): TriggerLogEntry | undefined {
    return this.child(which).fire(event);
  }

  get parentMethods(): MethodTable {
    return {
      get_child_device_list: (params) => pageOf(params, 'child_device_list', this.children, this.pageSize, (child) => child.info()),
      get_child_device_component_list: (params) =>
        pageOf(params, 'child_component_list', this.children, this.pageSize, (child) => ({ device_id: child.id, component_list: child.components() })),
    };
  }

}
