import { SmartDevice } from './device';
import { EnergyReading, EnergyStat, sumReadings } from './energy';
import type { OutletInfo } from './sysinfo';

export interface OutletReading {
  outlet: OutletInfo;
  reading: EnergyReading;
}

export interface MeterSnapshot {
  /** The plug's reading, the one outlet's, or the sum over several outlets (mean voltage). */
  reading: EnergyReading;
  /** One entry per outlet when outlets were read. */
  outlets: OutletReading[];
}

/** Reads the plug, or each outlet in turn (a strip meters per outlet, one outlet per request). */
export async function readMeter(device: SmartDevice, outlets: readonly OutletInfo[] = []): Promise<MeterSnapshot> {
  if (outlets.length === 0) return { reading: (await device.realtime()).reading, outlets: [] };
  const perOutlet: OutletReading[] = [];
  for (const outlet of outlets) perOutlet.push({ outlet, reading: (await device.realtime(outlet)).reading });
  const reading = perOutlet.length === 1 ? perOutlet[0]!.reading : sumReadings(perOutlet.map((o) => o.reading));
  return { reading, outlets: perOutlet };
}

export type StatsPeriod = { kind: 'day'; year: number; month: number } | { kind: 'month'; year: number };

/** Daily or monthly energy of the plug, or summed over outlets, in kWh, in date order. */
export async function readStats(device: SmartDevice, period: StatsPeriod, outlets: readonly OutletInfo[] = []): Promise<EnergyStat[]> {
  const read = (outlet?: OutletInfo) =>
    period.kind === 'day' ? device.dayStats(period.year, period.month, outlet) : device.monthStats(period.year, outlet);
  if (outlets.length === 0) return sortStats(await read());
  const totals = new Map<string, EnergyStat>();
  for (const outlet of outlets) {
    for (const stat of await read(outlet)) {
      const key = `${stat.year}-${stat.month}-${stat.day ?? ''}`;
      const seen = totals.get(key);
      totals.set(key, seen === undefined ? { ...stat } : { ...seen, energy: Math.round((seen.energy + stat.energy) * 1e6) / 1e6 });
    }
  }
  return sortStats([...totals.values()]);
}

function sortStats(stats: EnergyStat[]): EnergyStat[] {
  return stats.sort((a, b) => a.year - b.year || a.month - b.month || (a.day ?? 0) - (b.day ?? 0));
}

/**
 * Report by exception: a reading passes when the power moved more than `deadbandWatts` from the
 * last one passed (the first always passes). A deadband of 0 passes every reading.
 */
export class Deadband {
  private last: number | undefined;

  constructor(private readonly deadbandWatts: number) {}

  pass(power: number): boolean {
    if (this.deadbandWatts > 0 && this.last !== undefined && Math.abs(power - this.last) <= this.deadbandWatts) return false;
    this.last = power;
    return true;
  }
}
