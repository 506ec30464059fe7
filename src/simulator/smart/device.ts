import { isObject } from '../../util/json';
import { base64, MethodTable, SIM_CODES, SmartAnswer, fail, ok } from './answer';
import { SimChildren } from './children';
import { SimCountdown } from './countdown';
import { SimBulbEffect, SimSegmentEffect, SimStripEffect } from './effects';
import { SimHub } from './hub';
import { SimLight } from './light';
import { SimSmartMeter } from './meter';
import { POWER_IN_USAGE_OUTLET_ENERGY, SmartModelName, SmartModelSpec, componentList, lightComponentsOf, smartIdentity, smartModelSpec } from './models';
import { SwitchState } from './switch-state';

export interface SmartDeviceOptions {
  model: SmartModelName;
  /** Ids and MACs follow from it: the same seed, the same device. Default 0. */
  seed?: string | number;
  nickname?: string;
  /** The simulation's clock (ms); Date.now by default. */
  now?: () => number;
  /** time_diff of get_device_info (minutes east of UTC). Default 0. */
  timeDiffMinutes?: number;
  /** Entries per page of the child lists. Default 10; hubs 3, so that their lists take several pages. */
  childPageSize?: number;
  /**
   * Hubs and strips: a multipleRequest carrying control_child entries is 'accept'ed (default), or
   * each such entry is 'refuse'd with -1002 (whether real hubs take them is unverified).
   */
  controlChildInBatch?: 'accept' | 'refuse';
  /**
   * A P304M's outlets answer as the simulator did before it followed the real ones: current_power
   * (mW) in get_energy_usage, and get_emeter_data. Default false: as the real outlets answer.
   */
  outletPowerInUsage?: boolean;
}

/** Most requests one multipleRequest may carry here; more is answered as a bad request. */
const MAX_BATCH = 20;

/**
 * A simulated SMART device: request JSON text in, reply JSON text out, as KlapServer's `handle`.
 * Parts: the relay and name (SwitchState), the meter, the outlets, the countdown. Faults a test
 * can set: session errors for the next requests, batches refused, batches that stop at their
 * first failing entry.
 */
export class SmartDevice {
  readonly spec: SmartModelSpec;
  readonly deviceId: string;
  readonly mac: string;
  readonly relay: SwitchState;
  readonly children: SimChildren;
  /** Dimmers and lights: brightness, colour, white, fades. Undefined for plugs and strips. */
  readonly light: SimLight | undefined;
  /** A hub's children (H100, KH100); undefined for other models. */
  readonly hub: SimHub | undefined;
  /** See SmartDeviceOptions.controlChildInBatch; tests may change it. */
  controlChildInBatch: 'accept' | 'refuse';
  /** A light's effects, where its components list them. */
  readonly effects: { strip?: SimStripEffect; segment?: SimSegmentEffect; bulb?: SimBulbEffect } = {};
  private readonly countdown: SimCountdown;
  private readonly methods: MethodTable;
  private readonly timeDiffMinutes: number;
  private sessionErrors: number[] = [];
  /** When set, multipleRequest is answered with this code (as a P100 does). */
  refuseBatches: number | undefined;
  /** A batch stops at its first failing entry: the entries after it are not answered. */
  batchStopsAtError = false;
  /** Top-level methods received, in order (the last 1000), for tests. */
  readonly received: string[] = [];

  constructor(options: SmartDeviceOptions) {
    const spec = smartModelSpec(options.model);
    this.spec = options.outletPowerInUsage === true && spec.outletEnergy !== undefined ? { ...spec, outletEnergy: POWER_IN_USAGE_OUTLET_ENERGY } : spec;
    const seed = options.seed ?? 0;
    const identity = smartIdentity(this.spec, seed);
    this.deviceId = identity.deviceId;
    this.mac = identity.mac;
    this.timeDiffMinutes = options.timeDiffMinutes ?? 0;
    const now = options.now ?? Date.now;
    const suffix = this.mac.replace(/-/g, '').slice(-4);
    this.relay = new SwitchState({ nickname: options.nickname ?? `${this.spec.nicknamePrefix}${suffix}`, now });
    this.countdown = new SimCountdown(this.relay);
    this.children = new SimChildren(this.spec, this.deviceId, this.mac, now, options.childPageSize ?? 10, this.timeDiffMinutes);
    this.hub = this.spec.hub === true ? new SimHub(this.deviceId, seed, () => Math.floor(now() / 1000), options.childPageSize ?? 3) : undefined;
    this.controlChildInBatch = options.controlChildInBatch ?? 'accept';
    const meter = new SimSmartMeter(this.spec, this.relay, this.timeDiffMinutes, seed);
    // Strips and hubs have no relay of their own.
    const strip = this.spec.outlets > 0 || this.spec.hub === true;
    this.light = this.spec.light === undefined ? undefined : new SimLight(lightComponentsOf(componentList(this.spec)), this.spec.light);
    if (this.light !== undefined) {
      // A light turns on to show an effect it is given (unverified: the app does so).
      const turnOn = () => this.relay.setOn(true);
      const { components } = this.light;
      const segments = this.spec.light?.segments ?? 1;
      if (components.stripEffect) this.effects.strip = new SimStripEffect(segments, turnOn);
      if (components.segmentEffect) this.effects.segment = new SimSegmentEffect(segments, turnOn);
      if (components.bulbEffect) this.effects.bulb = new SimBulbEffect(turnOn);
    }
    this.methods = {
      component_nego: () => ok({ component_list: componentList(this.spec) }),
      get_device_info: () => ok(this.deviceInfo()),
      get_device_time: () => ok({ timestamp: Math.floor(now() / 1000), time_diff: this.timeDiffMinutes, region: 'Europe/London' }),
      set_device_info: (params) => (strip && params?.['device_on'] !== undefined ? fail(SIM_CODES.params) : this.setInfo(params)),
      device_reboot: () => ok(),
      ...(strip ? {} : this.countdown.methods),
      ...meter.methods,
      ...(this.light?.methods ?? {}),
      ...this.effects.strip?.methods,
      ...this.effects.segment?.methods,
      ...this.effects.bulb?.methods,
      ...this.children.parentMethods,
      ...this.hub?.parentMethods,
    };
  }

  /** The next `count` requests are answered with `code` (a session error: 9999 by default) and not carried out. */
  failSessionNext(count = 1, code: number = SIM_CODES.sessionTimeout): void {
    this.sessionErrors.push(...Array.from({ length: count }, () => code));
  }

  /** Back to an honest device: no session errors waiting, batches taken and answered in full. */
  clearFaults(): void {
    this.sessionErrors = [];
    this.refuseBatches = undefined;
    this.batchStopsAtError = false;
  }

  /** KlapServer's handler. */
  handle = (json: string): string => JSON.stringify(this.answer(json));

  private answer(json: string): SmartAnswer {
    let request: unknown;
    try {
      request = JSON.parse(json);
    } catch {
      return fail(SIM_CODES.jsonDecode);
    }
    if (!isObject(request) || typeof request['method'] !== 'string') return fail(SIM_CODES.jsonDecode);
    this.received.push(request['method']);
    if (this.received.length > 1000) this.received.shift();
    const sessionError = this.sessionErrors.shift();
    if (sessionError !== undefined) return fail(sessionError);
    this.countdown.tick();
    this.children.tick();
    const params = isObject(request['params']) ? request['params'] : undefined;
    switch (request['method']) {
      case 'multipleRequest':
        return this.refuseBatches === undefined ? this.batch(params, this.methods) : fail(this.refuseBatches);
      case 'control_child':
        return this.controlChild(params);
      default:
        return this.run(this.methods, request['method'], params);
    }
  }

  private run(methods: MethodTable, method: string, params: Record<string, unknown> | undefined): SmartAnswer {
    const handler = Object.prototype.hasOwnProperty.call(methods, method) ? methods[method] : undefined;
    return handler === undefined ? fail(SIM_CODES.unknownMethod) : handler(params);
  }

  private batch(params: Record<string, unknown> | undefined, methods: MethodTable): SmartAnswer {
    const requests = params?.['requests'];
    if (!Array.isArray(requests) || requests.length > MAX_BATCH) return fail(SIM_CODES.params);
    const responses: Array<Record<string, unknown>> = [];
    for (const entry of requests) {
      const method = isObject(entry) && typeof entry['method'] === 'string' ? entry['method'] : undefined;
      if (method === undefined) return fail(SIM_CODES.params);
      const entryParams = isObject(entry['params']) ? entry['params'] : undefined;
      const answer =
        method === 'control_child' && methods === this.methods
          ? this.controlChildInBatch === 'accept'
            ? this.controlChild(entryParams)
            : fail(SIM_CODES.unknownMethod)
          : this.run(methods, method, entryParams);
      responses.push({ method, error_code: answer.error_code, result: answer.result ?? {} });
      if (answer.error_code !== 0 && this.batchStopsAtError) break;
    }
    return ok({ responses });
  }

  private controlChild(params: Record<string, unknown> | undefined): SmartAnswer {
    const id = params?.['device_id'];
    const outlet = this.children.find(id);
    const sensor = this.hub?.find(id);
    const inner = params?.['requestData'];
    if ((outlet === undefined && sensor === undefined) || !isObject(inner) || typeof inner['method'] !== 'string') return fail(SIM_CODES.params);
    const methods = sensor?.methods ?? this.children.childMethods(outlet!);
    const innerParams = isObject(inner['params']) ? inner['params'] : undefined;
    const answer = inner['method'] === 'multipleRequest' ? this.batch(innerParams, methods) : this.run(methods, inner['method'], innerParams);
    return ok({ responseData: answer });
  }

  /** set_device_info: the light's fields and the relay's are all checked before any changes. */
  private setInfo(params: Record<string, unknown> | undefined): SmartAnswer {
    if (params === undefined || this.light === undefined) return this.relay.setInfo(params);
    const light = this.light.check(params);
    if (!('apply' in light)) return light;
    const answer = this.relay.setInfo(params);
    if (answer.error_code !== 0) return answer;
    light.apply();
    // A colour or a white of its own ends a running effect (unverified on hardware).
    if (SimLight.changesColour(params)) for (const effect of Object.values(this.effects)) effect.stop();
    return answer;
  }

  private deviceInfo(): Record<string, unknown> {
    const fields: Record<string, unknown> = { ...this.relay.infoFields(), ...(this.light?.infoFields() ?? {}) };
    for (const effect of Object.values(this.effects)) Object.assign(fields, effect.infoFields());
    if (this.spec.outlets > 0 || this.hub !== undefined) {
      // A strip's or hub's parent has no relay of its own.
      delete fields['device_on'];
      delete fields['on_time'];
    }
    if (this.hub !== undefined) Object.assign(fields, { in_alarm: false, in_alarm_source: '' });
    if (this.spec.reportsOnTime === false) delete fields['on_time'];
    if (this.spec.overheatStatus === true) {
      fields['overheat_status'] = fields['overheated'] === true ? 'overheated' : 'normal';
      delete fields['overheated'];
    }
    return {
      device_id: this.deviceId,
      model: this.spec.model,
      type: this.spec.type,
      hw_ver: this.spec.hwVer,
      fw_ver: this.spec.fwVer,
      mac: this.mac,
      ssid: base64('Simulated Wi-Fi'),
      rssi: -52,
      signal_level: 2,
      region: 'Europe/London',
      time_diff: this.timeDiffMinutes,
      lang: 'en_US',
      ...fields,
    };
  }
}
