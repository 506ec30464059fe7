import { EnergyReading, EnergyStat, EnergyStats, checkPlausible, finite, keepReadable, round, withDropped } from '../../device/energy';
import { ErrorCode, KasaError } from '../../util/errors';
import { isObject } from '../../util/json';

/**
 * Old hardware (HS110 hw 1.x) sends floats in V, A, W, kWh; newer hardware sends integers in
 * mV, mA, mW, Wh. A reply may in principle mix them: each value is taken from whichever is there.
 */
export function normaliseRealtime(raw: unknown): EnergyReading {
  if (!isObject(raw)) throw new KasaError(ErrorCode.PROTOCOL, 'The meter reading is not an object.');
  const power = plausible(pick(raw, 'power', 'power_mw'), 'power');
  const voltage = plausible(pick(raw, 'voltage', 'voltage_mv'), 'voltage');
  const current = plausible(pick(raw, 'current', 'current_ma'), 'current');
  const total = plausible(pick(raw, 'total', 'total_wh'), 'total');
  if (power === undefined && voltage === undefined && current === undefined && total === undefined) {
    throw new KasaError(ErrorCode.PROTOCOL, 'The meter reading has none of power, voltage, current or total.');
  }
  return { power: power ?? 0, voltage: voltage ?? 0, current: current ?? 0, total: total ?? 0 };
}

/** A value read, checked to be one a meter could measure; undefined stays undefined. */
function plausible(value: number | undefined, name: string): number | undefined {
  if (value !== undefined) checkPlausible(value, `${name} reading`);
  return value;
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

/** The base unit value, or the milli-unit value divided by 1000. */
function pick(raw: Record<string, unknown>, base: string, milli: string): number | undefined {
  const direct = finite(raw[base]);
  if (direct !== undefined) return direct;
  const scaled = finite(raw[milli]);
  return scaled === undefined ? undefined : round(scaled / 1000);
}
