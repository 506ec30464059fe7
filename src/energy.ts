import { ErrorCode, KasaError } from './errors';
import { isObject } from './reply';

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

/**
 * Old hardware (HS110 hw 1.x) sends floats in V, A, W, kWh; newer hardware sends integers in
 * mV, mA, mW, Wh. A reply may in principle mix them: each value is taken from whichever is there.
 */
export function normaliseRealtime(raw: unknown): EnergyReading {
  if (!isObject(raw)) throw new KasaError(ErrorCode.PROTOCOL, 'The meter reading is not an object.');
  const reading = {
    power: pick(raw, 'power', 'power_mw'),
    voltage: pick(raw, 'voltage', 'voltage_mv'),
    current: pick(raw, 'current', 'current_ma'),
    total: pick(raw, 'total', 'total_wh'),
  };
  const missing = Object.entries(reading).filter(([, value]) => value === undefined);
  if (missing.length === 4) {
    throw new KasaError(ErrorCode.PROTOCOL, 'The meter reading has none of power, voltage, current or total.');
  }
  for (const [name, value] of Object.entries(reading)) {
    if (value !== undefined) checkPlausible(value, `${name} reading`);
  }
  return {
    power: reading.power ?? 0,
    voltage: reading.voltage ?? 0,
    current: reading.current ?? 0,
    total: reading.total ?? 0,
  };
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

/**
 * `get_daystat` / `get_monthstat` replies: `{day_list|month_list: [{year, month, day?, energy|energy_wh}]}`.
 * An entry without year, month and energy, or with an impossible one, is left out and listed in `dropped`.
 */
export function normaliseStats(raw: unknown): EnergyStats {
  if (!isObject(raw)) throw new KasaError(ErrorCode.PROTOCOL, 'The energy statistics are not an object.');
  const list = raw['day_list'] ?? raw['month_list'];
  if (!Array.isArray(list)) {
    throw new KasaError(ErrorCode.PROTOCOL, 'The energy statistics have no day_list or month_list.');
  }
  const { kept, dropped } = keepReadable(list, statOf, 'statistics entry with year, month and energy');
  return withDropped(kept, dropped);
}

function statOf(entry: unknown): EnergyStat | undefined {
  if (!isObject(entry)) return undefined;
  const year = finite(entry['year']);
  const month = finite(entry['month']);
  const energy = pick(entry, 'energy', 'energy_wh');
  if (year === undefined || month === undefined || energy === undefined) return undefined;
  checkPlausible(energy, 'energy statistic');
  if (!Number.isInteger(month) || month < 1 || month > 12) {
    throw new KasaError(ErrorCode.PROTOCOL, `The device sent an impossible month (${month}); it was not used.`);
  }
  const day = finite(entry['day']);
  if (day !== undefined && (!Number.isInteger(day) || day < 1 || day > 31)) {
    throw new KasaError(ErrorCode.PROTOCOL, `The device sent an impossible day (${day}); it was not used.`);
  }
  return day === undefined ? { year, month, energy } : { year, month, day, energy };
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

/** The base unit value, or the milli-unit value divided by 1000. */
function pick(raw: Record<string, unknown>, base: string, milli: string): number | undefined {
  const direct = finite(raw[base]);
  if (direct !== undefined) return direct;
  const scaled = finite(raw[milli]);
  return scaled === undefined ? undefined : round(scaled / 1000);
}

function finite(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/** Rounds away float noise (0.1 + 0.2) without losing meaningful digits; huge values stay as they are. */
export function round(value: number): number {
  return Math.abs(value) < 1e9 ? Math.round(value * 1e6) / 1e6 : value;
}
