import type { Reply, Request } from '../iot/message';
import { Device, DeviceReading, MeterReading, StatsPeriod, SwitchResult, SysinfoRead, Target, partKey } from '../../device/device';
import type { EnergyStat } from '../../device/energy';
import { ErrorCode, KasaError } from '../../util/errors';
import { isObject } from '../../util/json';
import type { DeviceInfo } from '../../device/state';
import type { SmartClient, SmartOutcome } from './client';
import { smartCommands } from './commands';
import { SmartComponents, hasComponent, parseComponents } from './components';
import { decodeBase64Text, normaliseChildList, normaliseSmartDeviceInfo } from './device-info';
import { checkSmartRequest, SmartRequest } from './envelope';
import type { SmartEnergyReading } from './energy';
import { smartError } from './errors';
import { SmartMeter } from './meter';

/**
 * The seed's presets in the SMART dialect, gated on the component that offers them. Those with no
 * SMART counterpart are absent and answer NOT_SUPPORTED in plain words.
 */
const PRESET_METHODS: Readonly<Record<string, { component: string; request: SmartRequest }>> = {
  time: { component: 'time', request: smartCommands.getTime() },
  countdown: { component: 'countdown', request: smartCommands.getCountdownRules() },
  schedule: { component: 'schedule', request: { method: 'get_schedule_rules', params: {} } },
  ledon: { component: 'led', request: { method: 'set_led_info', params: { led_rule: 'always' } } },
  ledoff: { component: 'led', request: { method: 'set_led_info', params: { led_rule: 'never' } } },
  cloudinfo: { component: 'cloud_connect', request: { method: 'get_connect_cloud_state' } },
  wlanscan: { component: 'wireless', request: { method: 'get_wireless_scan_info', params: {} } },
  reboot: { component: 'device', request: smartCommands.reboot() },
  reset: { component: 'device', request: smartCommands.factoryReset() },
};

/** Why a preset has no SMART counterpart, for the NOT_SUPPORTED message. */
const NO_SMART_PRESET: Readonly<Record<string, string>> = {
  antitheft: 'Tapo devices have no away (anti-theft) mode',
  energy_reset: 'Tapo devices offer no way to erase their energy statistics',
  runtime_reset: 'Tapo devices offer no way to erase their runtime statistics',
};

/**
 * A Tapo plug or strip, or newer Kasa hardware, speaking the SMART dialect: `component_nego` says
 * what it has (read once), `get_device_info` its state, a strip's outlets come from the paged
 * child list and take their commands through `control_child`.
 */
export class SmartDevice extends Device {
  readonly family = 'smart' as const;
  private components: SmartComponents | undefined;
  /** Each outlet's own components (a P304M meters per outlet), asked once when an outlet is metered. */
  private outletComponents: Map<string, SmartComponents> | undefined;
  private timeDiffMinutes = 0;
  private readonly meters = new Map<string, SmartMeter>();

  constructor(
    readonly client: SmartClient,
    readonly host: string,
  ) {
    super();
  }

  get address(): string {
    return this.client.address;
  }

  close(): Promise<void> {
    return this.client.close();
  }

  /** What the device has, asked once. */
  async knownComponents(): Promise<SmartComponents> {
    this.components ??= parseComponents(await this.client.call('component_nego'));
    return this.components;
  }

  async getSysinfo(): Promise<SysinfoRead> {
    return (await this.readInfo([])).read;
  }

  /**
   * get_device_info, with `extra` requests in the same batch (a poll's meter), and a strip's paged
   * child list; resolves with the information and the extra requests' outcomes.
   */
  private async readInfo(extra: readonly SmartRequest[]): Promise<{ read: SysinfoRead; outcomes: SmartOutcome[] }> {
    const components = await this.knownComponents();
    const [first, ...outcomes] = await this.client.callMany([smartCommands.getDeviceInfo(), ...extra]);
    if (first?.result === undefined) throw first?.error ?? new KasaError(ErrorCode.PROTOCOL, `${this.address} did not answer get_device_info.`);
    const result = first.result;
    const children = hasComponent(components, 'control_child')
      ? (await this.client.paged('get_child_device_list', 'child_device_list')).filter(isObject)
      : undefined;
    const info = normaliseSmartDeviceInfo(result, {
      // A strip that meters per outlet has a meter, though not one of its own.
      hasEnergyMeter: new SmartMeter(this.client, components).present || (children !== undefined && (await this.metersPerOutlet())),
      ...(children === undefined ? {} : { outlets: normaliseChildList(children) }),
    });
    if (typeof result['time_diff'] === 'number' && Number.isFinite(result['time_diff'])) this.timeDiffMinutes = result['time_diff'];
    this.lastInfo = info;
    return { read: { info, raw: decoded(result), children: (children ?? []).map(decoded) }, outcomes };
  }

  /** State and the device's own meter in one batch; each outlet's meter through control_child. */
  async poll(wanted: ReadonlyArray<(info: DeviceInfo) => readonly Target[]>): Promise<DeviceReading> {
    const meters = new Map<string, MeterReading | KasaError>();
    // The device's own meter joins the state's batch; a strip that meters only per outlet has none.
    const wholeMeter = this.lastInfo?.hasEnergyMeter === true && Device.partsOf(wanted, this.lastInfo).some((part) => partKey(part) === '');
    const meter = wholeMeter && new SmartMeter(this.client, await this.knownComponents()).present ? await this.meterOf(this) : undefined;
    const { read, outcomes } = await this.readInfo(meter?.plannedRequests() ?? []);
    if (meter !== undefined) {
      try {
        meters.set('', this.meterReading(this, await meter.readFrom(outcomes)));
      } catch (err) {
        if (!(err instanceof KasaError)) throw err;
        meters.set('', err);
      }
    }
    await this.readMeters(Device.partsOf(wanted, read.info), meters);
    return { info: read.info, meters };
  }

  /** A raw `{method, params}`: the device's whole reply; for outlets, each outlet's result by id. */
  async runOn(target: Target, request: Request): Promise<Reply> {
    const checked = checkSmartRequest(request);
    if (target.outlets.length === 0) {
      const { reply } = await this.client.exchange(checked);
      if (reply.errorCode !== 0) throw smartError(reply.errorCode, checked.method, this.address);
      return { error_code: reply.errorCode, ...(reply.result === undefined ? {} : { result: reply.result }) };
    }
    const results: Reply = {};
    for (const outlet of target.outlets) results[outlet.id] = await this.client.controlChild(outlet.id, checked.method, checked.params);
    return results;
  }

  async switchTarget(target: Target, on: boolean): Promise<SwitchResult> {
    await this.knownComponents();
    await this.each(target, smartCommands.setDeviceOn(on));
    return target.stateIn((await this.getSysinfo()).info);
  }

  async dimTarget(): Promise<SwitchResult> {
    throw this.cannot('dim its light through this package yet');
  }

  async renameTarget(target: Target, alias: string): Promise<SwitchResult> {
    await this.each(target, smartCommands.setNickname(alias));
    return target.stateIn((await this.getSysinfo()).info);
  }

  async presetOn(target: Target, name: string): Promise<unknown> {
    const preset = PRESET_METHODS[name];
    if (preset === undefined) {
      const why = NO_SMART_PRESET[name] ?? `"${name}" has no counterpart in the SMART protocol`;
      throw new KasaError(ErrorCode.NOT_SUPPORTED, `${this.describe()} speaks the SMART protocol: ${why}.`, { device: this.address });
    }
    if (!hasComponent(await this.knownComponents(), preset.component)) {
      throw new KasaError(ErrorCode.NOT_SUPPORTED, `${this.describe()} does not offer "${name}" (it lists no ${preset.component} component).`, {
        device: this.address,
      });
    }
    const results = await this.each(target, preset.request);
    return results.length === 1 ? results[0] : results;
  }

  async meterPart(part: Target): Promise<MeterReading> {
    return this.meterReading(part, await (await this.meterOf(part)).read());
  }

  /** `raw` is the reading with today's and this month's energy (kWh), which only SMART devices report. */
  private meterReading(part: Target, smartReading: SmartEnergyReading): MeterReading {
    const { today, month, ...reading } = smartReading;
    const raw = { ...reading, ...(today === undefined ? {} : { today }), ...(month === undefined ? {} : { month }) };
    return { reading, raw, ...(part.outlets[0] === undefined ? {} : { outlet: part.outlets[0] }) };
  }

  async statsOfPart(part: Target, period: StatsPeriod): Promise<EnergyStat[]> {
    const meter = await this.meterOf(part);
    return meter.stats(period.kind === 'day' ? { year: period.year, month: period.month } : { year: period.year }, this.timeDiffMinutes);
  }

  async eraseMeterOf(): Promise<void> {
    throw new KasaError(ErrorCode.NOT_SUPPORTED, `${this.describe()} speaks the SMART protocol: ${NO_SMART_PRESET['energy_reset']}.`, {
      device: this.address,
    });
  }

  /** The meter of the device, or of one outlet (which has one only where the strip meters per outlet). */
  private async meterOf(part: Target): Promise<SmartMeter> {
    const key = partKey(part);
    let meter = this.meters.get(key);
    if (meter === undefined) {
      meter =
        key === ''
          ? new SmartMeter(this.client, await this.knownComponents())
          : new SmartMeter(this.client, (await this.componentsOfOutlets()).get(key) ?? new Map(), key);
      this.meters.set(key, meter);
    }
    if (!meter.present) throw this.noMeter();
    return meter;
  }

  /** The outlets' components, from the paged get_child_device_component_list, asked once. */
  private async componentsOfOutlets(): Promise<Map<string, SmartComponents>> {
    if (this.outletComponents === undefined) {
      const list = await this.client.paged('get_child_device_component_list', 'child_component_list');
      this.outletComponents = new Map(
        list.filter(isObject).flatMap((entry) => (typeof entry['device_id'] === 'string' ? [[entry['device_id'], parseComponents(entry)] as const] : [])),
      );
    }
    return this.outletComponents;
  }

  private async metersPerOutlet(): Promise<boolean> {
    for (const components of (await this.componentsOfOutlets()).values()) if (new SmartMeter(this.client, components).present) return true;
    return false;
  }

  /** One request to the device, or the same request to each outlet through control_child. */
  private async each(target: Target, request: SmartRequest): Promise<Record<string, unknown>[]> {
    if (target.outlets.length === 0) return [await this.client.call(request.method, request.params)];
    const results: Record<string, unknown>[] = [];
    for (const outlet of target.outlets) results.push(await this.client.controlChild(outlet.id, request.method, request.params));
    return results;
  }
}

/** The device's information as sent, with its base64 texts (nickname, ssid) decoded for people. */
function decoded(raw: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...raw };
  for (const key of ['nickname', 'ssid']) if (typeof copy[key] === 'string') copy[key] = decodeBase64Text(copy[key]);
  return copy;
}
