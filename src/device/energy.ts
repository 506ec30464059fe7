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
