import type { EnergyModule } from '../../../device/capabilities';
import type { EnergyStat } from '../../../device/energy';
import type { MeterReading, Part, StatsPeriod } from '../../../device/types';
import { ErrorCode, KasaError } from '../../../util/errors';
import { isObject } from '../../../util/json';
import { normaliseRealtime, normaliseStats } from '../energy';
import type { Request } from '../message';
import type { IotContext } from './context';

/** The meter of a plug with one (HS110, KP115, ...), of each outlet of a metering strip (HS300), or a bulb's. */
export class IotEnergy implements EnergyModule {
  constructor(private readonly device: IotContext) {}

  async read(part: Part): Promise<MeterReading> {
    const raw = await this.meter(part, this.device.wire.meter.getRealtime(), 'get_realtime');
    const reading = readingOf(raw);
    if (reading instanceof KasaError) throw reading;
    return part.outlets[0] === undefined ? reading : { ...reading, outlet: part.outlets[0] };
  }

  async stats(part: Part, period: StatsPeriod): Promise<EnergyStat[]> {
    const { meter } = this.device.wire;
    const raw =
      period.kind === 'day'
        ? await this.meter(part, meter.getDayStat(period.year, period.month), 'get_daystat')
        : await this.meter(part, meter.getMonthStat(period.year), 'get_monthstat');
    return normaliseStats(raw);
  }

  async erase(part: Part): Promise<void> {
    await this.meter(part, this.device.wire.meter.eraseStats(), 'erase_emeter_stat');
  }

  /** One meter method of a part; a device that turns out to lack the module has no meter. */
  private async meter(part: Part, request: Request, method: string): Promise<Record<string, unknown>> {
    const { meter } = this.device.wire;
    let reply;
    try {
      reply = await this.device.send(part, request);
    } catch (err) {
      if (err instanceof KasaError && err.code === ErrorCode.NOT_SUPPORTED && err.module === meter.name) throw this.device.noMeter();
      throw err;
    }
    const module = reply[meter.name];
    const raw = isObject(module) ? module[method] : undefined;
    if (!isObject(raw)) throw noReading(this.device.address, method);
    return raw;
  }
}

/** A realtime reading normalised, or why it cannot be (a poll reports it for its part alone). */
export function readingOf(raw: Record<string, unknown>): MeterReading | KasaError {
  try {
    return { reading: normaliseRealtime(raw), raw };
  } catch (err) {
    return err instanceof KasaError ? err : new KasaError(ErrorCode.PROTOCOL, String(err));
  }
}

export function noReading(address: string, method = 'get_realtime'): KasaError {
  return new KasaError(ErrorCode.PROTOCOL, `${address} answered ${method} without a reading.`, { device: address });
}
