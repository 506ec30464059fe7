import { ErrorCode, KasaError } from '../../util/errors';
import { EnergyReading, EnergyStats, checkPlausible, keepReadable, round, withDropped } from '../../device/energy';
import { isObject } from '../../util/json';

/**
 * A SMART meter reading in the package's units (W, V, A, kWh), plus the energy used today and
 * this month (kWh) where the device reports them. Values the device's methods do not report are
 * 0, as in normaliseRealtime: get_energy_usage has no voltage, current or lifetime total.
 */
export interface SmartEnergyReading extends EnergyReading {
  today?: number;
  month?: number;
}

/** The raw results a reading is made of; any may be missing. */
export interface SmartEnergyParts {
  emeterData?: Record<string, unknown>;
  energyUsage?: Record<string, unknown>;
  currentPower?: Record<string, unknown>;
}

/** Daily (1440) and monthly (43200) history map onto EnergyStat; hourly (60) has no such form. */
export const ENERGY_INTERVAL = { hour: 60, day: 1440, month: 43200 } as const;

/**
 * Combines the results into one reading, preferring (section 5) emeter data, then energy usage,
 * then current power: get_emeter_data has mW, mV, mA and Wh; get_energy_usage has current_power
 * in mW and today/month in Wh; get_current_power has whole W only. PROTOCOL when none has a power.
 */
export function combineSmartEnergy(parts: SmartEnergyParts): SmartEnergyReading {
  const emeter = parts.emeterData;
  const usage = parts.energyUsage;
  const power =
    milli(emeter, 'power_mw', 'power') ??
    milli(usage, 'current_power', 'power') ??
    whole(parts.currentPower, 'current_power', 'power');
  if (power === undefined) {
    throw new KasaError(ErrorCode.PROTOCOL, 'The device sent an energy reading without a power value.');
  }
  const reading: SmartEnergyReading = {
    power,
    voltage: milli(emeter, 'voltage_mv', 'voltage') ?? 0,
    current: milli(emeter, 'current_ma', 'current') ?? 0,
    total: milli(emeter, 'energy_wh', 'total energy') ?? 0,
  };
  const today = milli(usage, 'today_energy', "today's energy");
  const month = milli(usage, 'month_energy', "this month's energy");
  if (today !== undefined) reading.today = today;
  if (month !== undefined) reading.month = month;
  return reading;
}

/**
 * get_energy_data's result (`{data: [Wh...], start_timestamp, interval}`) as statistics in kWh:
 * one entry per day (interval 1440) or month (43200) from the start. The timestamps are read as
 * the device's local time once `timeDiffMinutes` (get_device_info `time_diff`) is added; this
 * shape is unverified on hardware (docs/protocol.md, section 4, Energy units). Entries that are not numbers are left out.
 */
export function normaliseEnergyData(raw: unknown, timeDiffMinutes = 0): EnergyStats {
  if (!isObject(raw)) throw new KasaError(ErrorCode.PROTOCOL, 'The energy history is not an object.');
  const data = raw['data'];
  const start = raw['start_timestamp'];
  const interval = raw['interval'];
  if (!Array.isArray(data) || typeof start !== 'number' || !Number.isFinite(start)) {
    throw new KasaError(ErrorCode.PROTOCOL, 'The energy history has no data list or start_timestamp.');
  }
  if (interval !== ENERGY_INTERVAL.day && interval !== ENERGY_INTERVAL.month) {
    throw new KasaError(ErrorCode.PROTOCOL, `The energy history has an interval of ${String(interval)} minutes; only daily and monthly history can be used.`);
  }
  const local = new Date((start + timeDiffMinutes * 60) * 1000);
  if (Number.isNaN(local.getTime())) throw new KasaError(ErrorCode.PROTOCOL, 'The energy history starts at an impossible time.');
  const [year, month, day] = [local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()];
  // Entries that are not numbers are days or months without data, left out; impossible ones are dropped and said.
  const numbers = data.slice(0, 400).flatMap((value, i) => (typeof value === 'number' && Number.isFinite(value) ? [{ value, i }] : []));
  const { kept, dropped } = keepReadable(
    numbers,
    (entry) => {
      const { value, i } = entry as (typeof numbers)[number];
      checkPlausible(value, 'energy statistic');
      const energy = round(value / 1000);
      if (interval === ENERGY_INTERVAL.day) {
        const date = new Date(Date.UTC(year, month, day + i));
        return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), energy };
      }
      const date = new Date(Date.UTC(year, month + i, 1));
      return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, energy };
    },
    'number',
  );
  return withDropped(
    kept,
    dropped.map((d) => ({ ...d, index: numbers[d.index]!.i })),
  );
}

/**
 * The get_energy_data parameters for one month by day, or one year by month, in the convention
 * normaliseEnergyData reads: local calendar boundaries, less the device's time_diff.
 */
export function energyDataParams(
  period: { year: number; month?: number },
  timeDiffMinutes = 0,
): { start_timestamp: number; end_timestamp: number; interval: number } {
  const shift = timeDiffMinutes * 60;
  const { year, month } = period;
  const [from, to] =
    month === undefined ? [Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1)] : [Date.UTC(year, month - 1, 1), Date.UTC(year, month, 1)];
  return {
    start_timestamp: from / 1000 - shift,
    end_timestamp: to / 1000 - shift - 1,
    interval: month === undefined ? ENERGY_INTERVAL.month : ENERGY_INTERVAL.day,
  };
}

/** A milli-unit value (mW, mV, mA, Wh) in the base unit (W, V, A, kWh). */
function milli(raw: Record<string, unknown> | undefined, key: string, what: string): number | undefined {
  const value = whole(raw, key, what);
  return value === undefined ? undefined : round(value / 1000);
}

function whole(raw: Record<string, unknown> | undefined, key: string, what: string): number | undefined {
  const value = raw?.[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  checkPlausible(value, `${what} reading`);
  return value;
}
