import { KasaClient, Reply, Request } from './client';
import { batch, emeter, forOutlets, system } from './commands';
import { displayList, displayText, displayValue } from './display-text';
import { EnergyReading, EnergyStat, normaliseRealtime, normaliseStats } from './energy';
import { ErrorCode, KasaError } from './errors';
import { isObject } from './reply';
import { DeviceInfo, OutletInfo, currentOutlets, normaliseSysinfo } from './sysinfo';

/** Identifies a device in output messages (`msg.device`). */
export interface DeviceIdentity {
  host: string;
  alias: string;
  model: string;
  deviceId: string;
  mac: string;
}

/** An outlet as named by a person or a flow: 1-based index, full or 2-digit child id, alias, or "all". */
export type OutletSelector = number | string;

export interface SwitchResult {
  /** The device's (plug) or the selected outlets' state after the command: true when all are on. */
  on: boolean;
  info: DeviceInfo;
  /** The selected outlets as they are after the command (strips only). */
  outlets: OutletInfo[];
}

export interface MeterReading {
  reading: EnergyReading;
  raw: Record<string, unknown>;
  outlet?: OutletInfo;
}

/**
 * A plug or strip: the operations nodes and tools need, over one client (one connection, one queue).
 * Remembers the last sysinfo so outlets can be named by alias or index without asking every time.
 */
export class SmartDevice {
  private lastInfo: DeviceInfo | undefined;

  constructor(readonly client: KasaClient) {}

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

  /** Reads sysinfo; `raw` is exactly what the device sent. */
  async getSysinfo(): Promise<{ info: DeviceInfo; raw: Record<string, unknown> }> {
    const reply = await this.client.send(system.getSysinfo());
    return this.readSysinfo(reply);
  }

  /** Sends any request, addressed to outlets when given. */
  run(request: Request, outlets: readonly OutletInfo[] = []): Promise<Reply> {
    return this.client.send(forOutlets(request, outlets.map((o) => o.id)));
  }

  /**
   * Switches the plug, or the given outlets of a strip, and reads the state back in the same request.
   * Toggle flips each outlet from its own current state.
   */
  async setPower(target: boolean | 'toggle', outlets: readonly OutletInfo[] = []): Promise<SwitchResult> {
    if (target !== 'toggle') return this.switchTo(target, outlets);
    const { info } = await this.getSysinfo();
    if (outlets.length === 0) return this.switchTo(!info.on, []);
    const current = currentOutlets(info, outlets);
    const turnOff = current.filter((o) => o.on);
    const turnOn = current.filter((o) => !o.on);
    let result: SwitchResult | undefined;
    if (turnOff.length > 0) result = await this.switchTo(false, turnOff);
    if (turnOn.length > 0) result = await this.switchTo(true, turnOn);
    return this.selection(result!.info, outlets);
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

  /** The realtime meter reading of the plug, or of one outlet of a strip with per-outlet meters. */
  async realtime(outlet?: OutletInfo): Promise<MeterReading> {
    const raw = await this.meter(emeter.getRealtime(), 'get_realtime', outlet);
    return { reading: normaliseRealtime(raw), raw, ...(outlet === undefined ? {} : { outlet }) };
  }

  /** Energy per day of a month (kWh). */
  async dayStats(year: number, month: number, outlet?: OutletInfo): Promise<EnergyStat[]> {
    return normaliseStats(await this.meter(emeter.getDayStat(year, month), 'get_daystat', outlet));
  }

  /** Energy per month of a year (kWh). */
  async monthStats(year: number, outlet?: OutletInfo): Promise<EnergyStat[]> {
    return normaliseStats(await this.meter(emeter.getMonthStat(year), 'get_monthstat', outlet));
  }

  /** Erases the meter's statistics of the plug or of each outlet given. */
  async eraseStats(outlets: readonly OutletInfo[] = []): Promise<void> {
    if (outlets.length === 0) await this.meter(emeter.eraseStats(), 'erase_emeter_stat', undefined);
    for (const outlet of outlets) await this.meter(emeter.eraseStats(), 'erase_emeter_stat', outlet);
  }

  private async switchTo(on: boolean, outlets: readonly OutletInfo[]): Promise<SwitchResult> {
    const reply = await this.run(batch(system.setRelayState(on), system.getSysinfo()), outlets);
    const { info } = this.readSysinfo(reply);
    return this.selection(info, outlets);
  }

  private selection(info: DeviceInfo, outlets: readonly OutletInfo[]): SwitchResult {
    if (outlets.length === 0) return { on: info.on, info, outlets: [] };
    const current = currentOutlets(info, outlets);
    return { on: current.every((o) => o.on), info, outlets: current };
  }

  private async meter(request: Request, method: string, outlet: OutletInfo | undefined): Promise<Record<string, unknown>> {
    // Some devices hang when asked for a module they lack: learn what this one has first.
    if (this.lastInfo === undefined) await this.getSysinfo();
    if (!this.lastInfo!.hasEnergyMeter) throw this.noMeter();
    let reply: Reply;
    try {
      reply = await this.run(request, outlet === undefined ? [] : [outlet]);
    } catch (err) {
      if (err instanceof KasaError && err.code === ErrorCode.NOT_SUPPORTED && err.module === 'emeter') throw this.noMeter();
      throw err;
    }
    const module = reply['emeter'];
    const raw = isObject(module) ? module[method] : undefined;
    if (!isObject(raw)) {
      throw new KasaError(ErrorCode.PROTOCOL, `${this.client.address} answered ${method} without a reading.`, {
        device: this.client.address,
      });
    }
    return raw;
  }

  private noMeter(): KasaError {
    const name = this.lastInfo?.model ? `${this.client.address} (${displayText(this.lastInfo.model)})` : this.client.address;
    return new KasaError(ErrorCode.NO_ENERGY_METER, `${name} has no energy meter.`, { device: this.client.address });
  }

  private readSysinfo(reply: Reply): { info: DeviceInfo; raw: Record<string, unknown> } {
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
}

/**
 * Finds outlets by 1-based index (number or "3"), full child id, 2-digit suffix ("02"), alias
 * (exact, then ignoring case), or "all". Throws BAD_INPUT naming the outlets there are.
 */
export function resolveOutlets(
  info: DeviceInfo,
  selectors: OutletSelector | readonly OutletSelector[],
  device: string,
): OutletInfo[] {
  const outlets = info.outlets;
  if (outlets === undefined || outlets.length === 0) {
    throw new KasaError(
      ErrorCode.BAD_INPUT,
      `${device}${info.model ? ` (${displayText(info.model)})` : ''} is not a power strip: it has no outlets to choose from.`,
      { device },
    );
  }
  const list = Array.isArray(selectors) ? selectors : [selectors as OutletSelector];
  if (list.length === 0) throw new KasaError(ErrorCode.BAD_INPUT, 'No outlet was chosen.', { device });
  const chosen = new Map<string, OutletInfo>();
  for (const selector of list) {
    for (const outlet of resolveOne(outlets, selector, device)) chosen.set(outlet.id, outlet);
  }
  return [...chosen.values()].sort((a, b) => a.index - b.index);
}

function resolveOne(outlets: readonly OutletInfo[], selector: OutletSelector, device: string): OutletInfo[] {
  const fail = (): never => {
    const names = displayList(outlets.map((o) => `${o.index} "${displayText(o.alias, 32)}"`));
    throw new KasaError(ErrorCode.BAD_INPUT, `No outlet ${displayValue(selector)} on ${device}; it has ${names}, or "all".`, {
      device,
    });
  };
  if (typeof selector === 'number') {
    const byIndex = outlets.find((o) => o.index === selector);
    return byIndex ? [byIndex] : fail();
  }
  if (typeof selector !== 'string' || selector.trim() === '') return fail();
  const wanted = selector.trim();
  if (wanted.toLowerCase() === 'all') return [...outlets];
  const match =
    outlets.find((o) => o.id === wanted || o.id.toLowerCase() === wanted.toLowerCase()) ??
    outlets.find((o) => o.alias === wanted) ??
    (/^\d{2}$/.test(wanted) ? outlets.find((o) => o.id.endsWith(wanted)) : undefined) ??
    (/^\d+$/.test(wanted) ? outlets.find((o) => o.index === Number(wanted)) : undefined) ??
    outlets.find((o) => o.alias.toLowerCase() === wanted.toLowerCase());
  return match ? [match] : fail();
}
