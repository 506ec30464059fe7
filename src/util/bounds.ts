import { displayValue } from './display-text';
import { ErrorCode, KasaError } from './errors';

/**
 * The ranges every number from a person, a flow or a request is checked against when it is set.
 * setTimeout holds at most 2^31-1 ms: a longer timeout or interval fires at once, so a timeout
 * of 99999999999 ms would time out in 1 ms and a 30-day poll would poll hundreds of times a second.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface NumberRange {
  /** How a person knows the setting: "Timeout", "msg.year". */
  name: string;
  min: number;
  max: number;
  /** Shown after the numbers: "ms", "s", "W". */
  unit?: string;
  integer?: boolean;
}

export const RANGES = {
  timeoutMs: { name: 'Timeout', min: 100, max: 600_000, unit: 'ms', integer: true },
  port: { name: 'Port', min: 1, max: 65_535, integer: true },
  /** 0 asks the system for any free port (the TDDP reply port in tests). */
  localPort: { name: 'Reply port', min: 0, max: 65_535, integer: true },
  pollSeconds: { name: 'Poll interval', min: 0.1, max: 86_400, unit: 's' },
  deadbandWatts: { name: 'Deadband', min: 0, max: 100_000, unit: 'W' },
  brightness: { name: 'msg.brightness', min: 1, max: 100, unit: '%', integer: true },
  /** A dimmer fades for at most a few seconds; ten minutes is a typo, an hour certainly one. */
  transitionMs: { name: 'msg.transition', min: 0, max: 600_000, unit: 'ms', integer: true },
} as const satisfies Record<string, NumberRange>;

/**
 * `value` (a number, or text of one) when it lies in the range; `fallback` when it is empty
 * (undefined, null or ""); otherwise BAD_INPUT saying what is allowed.
 */
export function checkNumber(value: unknown, range: NumberRange, fallback?: number): number {
  if ((value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) && fallback !== undefined) {
    return fallback;
  }
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  const fits =
    typeof n === 'number' && Number.isFinite(n) && n >= range.min && n <= range.max && (range.integer !== true || Number.isInteger(n));
  if (!fits) {
    const unit = range.unit === undefined ? '' : ` ${range.unit}`;
    const kind = range.integer === true ? 'a whole number' : 'a number';
    throw new KasaError(
      ErrorCode.BAD_INPUT,
      `${range.name} must be ${kind} from ${range.min} to ${range.max}${unit}, not ${displayValue(value)}.`,
    );
  }
  return n;
}
