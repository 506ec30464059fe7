import type { KasaClient } from './client';
import { batch, forOutlets } from './commands';
import { Device, DeviceReading, MeterReading, Part, SysinfoRead, Target, partKey } from '../../device/device';
import type { DeviceInfo } from '../../device/state';
import { ErrorCode, KasaError } from '../../util/errors';
import { isObject } from '../../util/json';
import { normaliseSysinfo } from './sysinfo';
import { modulesOf } from './kinds';
import type { Reply, Request } from './message';
import { IotRaw } from './capabilities/basics';
import { iotModules } from './capabilities';
import type { IotContext } from './capabilities/context';
import { noReading, readingOf } from './capabilities/energy';

/**
 * A plug, strip, switch, dimmer or bulb of the Kasa JSON family over one client (one connection,
 * one queue). Its sysinfo says which kind it is, and so which modules it has
 * (family/iot/capabilities); a strip's outlets get the same requests with a `context` naming them.
 */
export class IotDevice extends Device {
  readonly family = 'iot' as const;
  /** The kind and meter the modules were made for: a new sysinfo that says otherwise remakes them. */
  private madeFor = '';

  constructor(readonly client: KasaClient) {
    super();
    // Raw requests need no knowledge of the device: no sysinfo is read for them.
    this.modules = { raw: new IotRaw((part, request) => this.send(part, request)) };
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

  protected async learnModules(): Promise<void> {
    if (this.lastInfo === undefined) await this.getSysinfo();
  }

  /** Reads the sysinfo in a reply and remembers it, with the modules of the kind it tells. */
  readSysinfo(reply: Reply): SysinfoRead {
    const module = reply['system'];
    const raw = isObject(module) ? module['get_sysinfo'] : undefined;
    if (!isObject(raw)) {
      throw new KasaError(ErrorCode.PROTOCOL, `${this.address} answered without its sysinfo.`, { device: this.address });
    }
    const info = normaliseSysinfo(raw);
    this.lastInfo = info;
    const madeFor = `${info.kind}/${info.hasEnergyMeter}`;
    if (madeFor !== this.madeFor) {
      this.madeFor = madeFor;
      this.modules = { raw: this.modules.raw!, ...iotModules(this.context(info)) };
    }
    return { info, raw, children: Array.isArray(raw['children']) ? raw['children'].filter(isObject) : [] };
  }

  /**
   * Sysinfo and, in the same request, the device's own meter; each outlet asked for is read on its
   * own (a strip meters one outlet per request).
   */
  protected async pollState(wanted: ReadonlyArray<(info: DeviceInfo) => readonly Target[]>): Promise<DeviceReading> {
    const known = this.lastInfo;
    const meters = new Map<string, MeterReading | KasaError>();
    let info: DeviceInfo;
    if (known !== undefined && known.hasEnergyMeter && Device.partsOf(wanted, known).some((part) => partKey(part) === '')) {
      const { system, meter } = modulesOf(known.kind);
      const reply = await this.client.send(batch(system.getSysinfo(), meter.getRealtime()));
      info = this.readSysinfo(reply).info;
      const raw = isObject(reply[meter.name]) ? (reply[meter.name] as Record<string, unknown>)['get_realtime'] : undefined;
      meters.set('', isObject(raw) ? readingOf(raw) : noReading(this.address));
    } else {
      info = (await this.getSysinfo()).info;
    }
    await this.readMeters(Device.partsOf(wanted, info), meters);
    return { info, meters };
  }

  private send(part: Part, request: Request): Promise<Reply> {
    return this.client.send(forOutlets(request, part.outlets.map((o) => o.id)));
  }

  /** What the capability modules use of this device. */
  private context(info: DeviceInfo): IotContext {
    const latest = (): DeviceInfo => this.lastInfo ?? info;
    return {
      address: this.address,
      wire: modulesOf(info.kind),
      get info(): DeviceInfo {
        return latest();
      },
      send: (part: Part, request: Request) => this.send(part, request),
      readSysinfo: (reply: Reply) => this.readSysinfo(reply),
      getSysinfo: () => this.getSysinfo(),
      noMeter: () => this.noMeter(),
      cannot: (what: string) => this.cannot(what),
    };
  }
}
