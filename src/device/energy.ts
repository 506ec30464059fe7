import { ErrorCode, KasaError } from '../util/errors';

/** A meter reading in W, V, A and kWh, whichever unit family the hardware sent. */
export interface EnergyReading {
  power: number;
  voltage: number;
  current: number;
  total: number;
}

/** One entry of the daily or monthly statistics, in kWh. */
export interface EnergyStat {
  year: number;
  month: number;
  day?: number;
  energy: number;
}

/** An entry of a statistics answer that was left out: where it was in the list, and why. */
export interface DroppedStat {
  /** 0-based position in the device's list. */
  index: number;
  reason: string;
  /** The outlet (1-based) whose statistics it was in, on a strip metering per outlet. */
  outlet?: number;
}

/**
 * Statistics as read: the entries kept, and in `dropped` those left out because they were not
 * entries at all or impossible (a terawatt-hour day), so one broken entry does not blank a chart.
 */
export type EnergyStats = EnergyStat[] & { dropped?: DroppedStat[] };

/** `stats` with `dropped` attached when anything was left out. */
export function withDropped(stats: EnergyStat[], dropped: readonly DroppedStat[]): EnergyStats {
  const result: EnergyStats = stats;
  if (dropped.length > 0) result.dropped = [...dropped];
  return result;
}

/**
 * Keeps what `read` makes of each entry; an entry it refuses (undefined, or a KasaError) is
 * dropped and said. A list of entries none of which could be used is PROTOCOL: the answer is broken.
 */
export function keepReadable<T>(list: readonly unknown[], read: (entry: unknown, index: number) => T | undefined, what: string): { kept: T[]; dropped: DroppedStat[] } {
  const kept: T[] = [];
  const dropped: DroppedStat[] = [];
  list.forEach((entry, index) => {
    try {
      const value = read(entry, index);
      if (value === undefined) dropped.push({ index, reason: `not a ${what}` });
      else kept.push(value);
    } catch (err) {
      if (!(err instanceof KasaError)) throw err;
      dropped.push({ index, reason: err.message });
    }
  });
  if (list.length > 0 && kept.length === 0) {
    throw new KasaError(ErrorCode.PROTOCOL, `None of the ${list.length} entries of the energy statistics could be used (the first: ${dropped[0]!.reason}).`);
  }
  return { kept, dropped };
}

/** Sums of the outlets' power, current and energy, with the mean voltage. */
export function sumReadings(readings: readonly EnergyReading[]): EnergyReading {
  const sum = (key: keyof EnergyReading) => readings.reduce((acc, r) => acc + r[key], 0);
  return {
    power: round(sum('power')),
    voltage: readings.length === 0 ? 0 : round(sum('voltage') / readings.length),
    current: round(sum('current')),
    total: round(sum('total')),
  };
}

/**
 * No plug meters a gigawatt or a terawatt-hour: a value that large (or one that overflowed to
 * Infinity) is a broken or hostile reply, never a reading to pass on to a chart.
 */
const MAX_PLAUSIBLE = 1e9;

export function checkPlausible(value: number, what: string): void {
  if (!(Math.abs(value) <= MAX_PLAUSIBLE)) {
    throw new KasaError(ErrorCode.PROTOCOL, `The device sent an impossible ${what} (${value}); it was not used.`);
  }
}

/** A finite number, also from numeric text; undefined for anything else. */
export function finite(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/** Rounds away float noise (0.1 + 0.2) without losing meaningful digits; huge values stay as they are. */
export function round(value: number): number {
  return Math.abs(value) < 1e9 ? Math.round(value * 1e6) / 1e6 : value;
}
