import type { KasaClient } from './client';
import type { Reply, Request } from './message';
import { PRESETS, batch, forOutlets, isPresetName } from './commands';
import { Device, DeviceReading, MeterReading, StatsPeriod, SwitchResult, SysinfoRead, Target, partKey } from '../../device/device';
import { EnergyStat } from '../../device/energy';
import { normaliseRealtime, normaliseStats } from './energy';
import { ErrorCode, KasaError } from '../../util/errors';
import { isObject } from '../../util/json';
import { normaliseSysinfo } from './sysinfo';
import { DeviceInfo } from '../../device/state';
import { IotModules, modulesOf } from './kinds';

/**
 * A plug, strip, switch, dimmer or bulb of the Kasa JSON family over one client (one connection,
 * one queue). Its sysinfo says which kind it is, and so which modules it has; a strip's outlets get
 * the same requests with a `context` naming them.
 */
export class IotDevice extends Device {
  readonly family = 'iot' as const;

  constructor(readonly client: KasaClient) {
    super();
  }

  get address(): string {
    return this.client.address;
  }

  get host(): string {
    return this.client.host;
  }

  close(): Promise<void> {
    return this.client.close();
  }

  async getSysinfo(): Promise<SysinfoRead> {
    return this.readSysinfo(await this.client.send(modulesOf('plug').system.getSysinfo()));
  }

  /** The modules of this kind of device, reading sysinfo first if the kind is not known yet. */
  async knownModules(): Promise<IotModules> {
    if (this.lastInfo === undefined) await this.getSysinfo();
    return modulesOf(this.lastInfo!.kind);
  }

  /** Reads the sysinfo in a reply and remembers it. */
  readSysinfo(reply: Reply): SysinfoRead {
    const module = reply['system'];
    const raw = isObject(module) ? module['get_sysinfo'] : undefined;
    if (!isObject(raw)) {
      throw new KasaError(ErrorCode.PROTOCOL, `${this.address} answered without its sysinfo.`, { device: this.address });
    }
    const info = normaliseSysinfo(raw);
    this.lastInfo = info;
    return { info, raw, children: Array.isArray(raw['children']) ? raw['children'].filter(isObject) : [] };
  }

  /**
   * Sysinfo and, in the same request, the device's own meter; each outlet asked for is read on its
   * own (a strip meters one outlet per request).
   */
  async poll(wanted: ReadonlyArray<(info: DeviceInfo) => readonly Target[]>): Promise<DeviceReading> {
    const known = this.lastInfo;
    const meters = new Map<string, MeterReading | KasaError>();
    let info: DeviceInfo;
    if (known !== undefined && known.hasEnergyMeter && Device.partsOf(wanted, known).some((part) => partKey(part) === '')) {
      const { system, meter } = modulesOf(known.kind);
      const reply = await this.client.send(batch(system.getSysinfo(), meter.getRealtime()));
      info = this.readSysinfo(reply).info;
      const raw = isObject(reply[meter.name]) ? (reply[meter.name] as Record<string, unknown>)['get_realtime'] : undefined;
      meters.set('', isObject(raw) ? this.readingOf(raw) : this.noReading());
    } else {
      info = (await this.getSysinfo()).info;
    }
    await this.readMeters(Device.partsOf(wanted, info), meters);
    return { info, meters };
  }

  runOn(target: Target, request: Request): Promise<Reply> {
    return this.client.send(forOutlets(request, target.outlets.map((o) => o.id)));
  }

  async switchTarget(target: Target, on: boolean): Promise<SwitchResult> {
    const modules = await this.knownModules();
    const power = modules.lighting?.setOn(on) ?? modules.system.setRelayState(on);
    return target.stateIn(this.readSysinfo(await this.runOn(target, batch(power, modules.system.getSysinfo()))).info);
  }

  async dimTarget(target: Target, brightness: number, transitionMs: number | undefined): Promise<SwitchResult> {
    const modules = await this.knownModules();
    const request =
      modules.dimmer !== undefined
        ? transitionMs === undefined
          ? modules.dimmer.setBrightness(brightness)
          : modules.dimmer.fadeTo(brightness, transitionMs)
        : modules.lighting?.setBrightness(brightness, transitionMs);
    if (request === undefined) throw this.cannot('dim its light');
    return target.stateIn(this.readSysinfo(await this.runOn(target, batch(request, modules.system.getSysinfo()))).info);
  }

  async renameTarget(target: Target, alias: string): Promise<SwitchResult> {
    const modules = await this.knownModules();
    await this.runOn(target, modules.system.setAlias(alias));
    return target.stateIn((await this.getSysinfo()).info);
  }

  async presetOn(target: Target, name: string): Promise<unknown> {
    if (!isPresetName(name)) throw new KasaError(ErrorCode.BAD_INPUT, `Unknown preset ${name}.`);
    await this.knownModules();
    const request = PRESETS[name].request(this.lastInfo!.kind);
    const reply = await this.runOn(target, request);
    // The answer to the preset's single method, without the module/method envelope.
    const [module, methods] = Object.entries(request)[0]!;
    const method = Object.keys(methods as object)[0]!;
    const moduleReply = reply[module];
    return isObject(moduleReply) && method in moduleReply ? moduleReply[method] : reply;
  }

  async meterPart(part: Target): Promise<MeterReading> {
    const raw = await this.meter(part, (m) => m.getRealtime(), 'get_realtime');
    const reading = this.readingOf(raw);
    if (reading instanceof KasaError) throw reading;
    return part.outlets[0] === undefined ? reading : { ...reading, outlet: part.outlets[0] };
  }

  async statsOfPart(part: Target, period: StatsPeriod): Promise<EnergyStat[]> {
    const raw =
      period.kind === 'day'
        ? await this.meter(part, (m) => m.getDayStat(period.year, period.month), 'get_daystat')
        : await this.meter(part, (m) => m.getMonthStat(period.year), 'get_monthstat');
    return normaliseStats(raw);
  }

  async eraseMeterOf(part: Target): Promise<void> {
    await this.meter(part, (m) => m.eraseStats(), 'erase_emeter_stat');
  }

  /** One meter method of a part, after checking the device has a meter at all. */
  private async meter(part: Target, build: (meter: IotModules['meter']) => Request, method: string): Promise<Record<string, unknown>> {
    // Some devices hang when asked for a module they lack: learn what this one has first.
    const modules = await this.knownModules();
    if (!this.lastInfo!.hasEnergyMeter) throw this.noMeter();
    let reply: Reply;
    try {
      reply = await this.runOn(part, build(modules.meter));
    } catch (err) {
      if (err instanceof KasaError && err.code === ErrorCode.NOT_SUPPORTED && err.module === modules.meter.name) throw this.noMeter();
      throw err;
    }
    const module = reply[modules.meter.name];
    const raw = isObject(module) ? module[method] : undefined;
    if (!isObject(raw)) throw this.noReading(method);
    return raw;
  }

  private readingOf(raw: Record<string, unknown>): MeterReading | KasaError {
    try {
      return { reading: normaliseRealtime(raw), raw };
    } catch (err) {
      return err instanceof KasaError ? err : new KasaError(ErrorCode.PROTOCOL, String(err));
    }
  }

  private noReading(method = 'get_realtime'): KasaError {
    return new KasaError(ErrorCode.PROTOCOL, `${this.address} answered ${method} without a reading.`, { device: this.address });
  }
}
