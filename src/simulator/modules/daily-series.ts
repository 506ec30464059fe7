import { seededInt } from '../models';

/** Days of history a fresh device has statistics for. */
const HISTORY_DAYS = 400;
const DAY_MS = 86_400_000;

export interface DateParts {
  year: number;
  month: number;
  day: number;
}

/**
 * A value per calendar day (Wh of energy, minutes of runtime): generated from the seed for the
 * device's history, overridable per day, cleared by an erase. Months sum their days.
 */
export class DailySeries {
  private readonly overrides = new Map<string, number>();
  private erased = false;

  constructor(
    private readonly seedParts: ReadonlyArray<string | number>,
    private readonly min: number,
    private readonly max: number,
  ) {}

  set(date: DateParts, value: number): void {
    this.overrides.set(dateKey(date), value);
  }

  erase(): void {
    this.erased = true;
    this.overrides.clear();
  }

  value(date: DateParts, today: DateParts): number | undefined {
    const override = this.overrides.get(dateKey(date));
    if (override !== undefined) return override;
    if (this.erased) return undefined;
    const age = (dayNumber(today) - dayNumber(date)) | 0;
    if (age < 0 || age > HISTORY_DAYS) return undefined;
    return this.min + (seededInt(...this.seedParts, date.year, date.month, date.day) % (this.max - this.min + 1));
  }

  days(year: number, month: number, today: DateParts): Array<DateParts & { value: number }> {
    const out: Array<DateParts & { value: number }> = [];
    const length = new Date(Date.UTC(year, month, 0)).getUTCDate();
    for (let day = 1; day <= length; day++) {
      const value = this.value({ year, month, day }, today);
      if (value !== undefined) out.push({ year, month, day, value });
    }
    return out;
  }

  months(year: number, today: DateParts): Array<{ year: number; month: number; value: number }> {
    const out: Array<{ year: number; month: number; value: number }> = [];
    for (let month = 1; month <= 12; month++) {
      const days = this.days(year, month, today);
      if (days.length > 0) out.push({ year, month, value: days.reduce((sum, d) => sum + d.value, 0) });
    }
    return out;
  }
}

function dateKey(date: DateParts): string {
  return `${date.year}-${date.month}-${date.day}`;
}

function dayNumber(date: DateParts): number {
  return Math.floor(Date.UTC(date.year, date.month - 1, date.day) / DAY_MS);
}
