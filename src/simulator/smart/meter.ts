import { seededInt } from '../models';
import { MethodTable, SIM_CODES, fail, ok } from './answer';
import type { SmartModelSpec } from './models';
import type { SwitchState } from './switch-state';

const HOUR_MS = 3_600_000;
const VOLTAGE_MV = 230_400;
/** What the unit has used before the simulation started, so the first readings are not all zero. */
const TODAY_BASE_WH = 250;
const MONTH_BASE_WH = 5_400;

/**
 * The energy meter of a simulated SMART plug: power while the relay is on, energy integrated over
 * the simulation's clock, and the methods the model's energy_monitoring version offers, in the
 * documented units (mW, mV, mA, Wh; get_current_power in whole W).
 */
export class SimSmartMeter {
  private energyWh = 0;
  private lastUpdate: number;

  constructor(
    private readonly spec: SmartModelSpec,
    private readonly relay: SwitchState,
    private readonly timeDiffMinutes: number,
    private readonly seed: string | number,
  ) {
    this.lastUpdate = relay.now();
    // Energy is counted up to each change of the relay, so a change never rewrites the past.
    const previous = relay.onChange;
    relay.onChange = (on) => {
      this.update(!on);
      previous?.(on);
    };
  }

  get methods(): MethodTable {
    const energy = this.spec.energy;
    if (energy === undefined) return {};
    const table: Record<string, MethodTable[string]> = {
      get_energy_usage: () => this.energyUsage(),
      get_energy_data: (params) => this.energyData(params),
    };
    if (energy.verCode >= 2) table['get_current_power'] = () => ok({ current_power: Math.trunc(this.powerMw() / 1000) });
    if (energy.emeterData) table['get_emeter_data'] = () => this.emeterData();
    return table;
  }

  private powerMw(): number {
    return this.relay.isOn ? this.spec.loadMilliwatts : 0;
  }

  /** Adds the energy used since the last update; `wasOn` is the relay's state over that time. */
  private update(wasOn = this.relay.isOn): void {
    const now = this.relay.now();
    if (wasOn) this.energyWh += (this.spec.loadMilliwatts / 1000) * ((now - this.lastUpdate) / HOUR_MS);
    this.lastUpdate = now;
  }

  private todayWh(): number {
    this.update();
    return Math.round(TODAY_BASE_WH + this.energyWh);
  }

  private energyUsage() {
    const today = this.todayWh();
    return ok({
      today_runtime: 95,
      month_runtime: 2_880,
      today_energy: today,
      month_energy: MONTH_BASE_WH + (today - TODAY_BASE_WH),
      local_time: this.localTime(),
      ...(this.spec.energy?.usagePower === false ? {} : { current_power: this.powerMw() }),
    });
  }

  private emeterData() {
    const power = this.powerMw();
    return ok({
      power_mw: power,
      voltage_mv: VOLTAGE_MV,
      current_ma: Math.round(power / (VOLTAGE_MV / 1000)),
      energy_wh: 120_000 + this.todayWh(),
    });
  }

  /** Local date of a timestamp (s) as the device sees it: UTC shifted by time_diff. */
  private localDate(seconds: number): Date {
    return new Date((seconds + this.timeDiffMinutes * 60) * 1000);
  }

  private localTime(): string {
    return this.localDate(Math.floor(this.relay.now() / 1000)).toISOString().slice(0, 19).replace('T', ' ');
  }

  /** get_energy_data {start_timestamp, end_timestamp, interval}: one Wh value per interval. */
  private energyData(params: Record<string, unknown> | undefined) {
    const start = params?.['start_timestamp'];
    const end = params?.['end_timestamp'];
    const interval = params?.['interval'];
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || (end as number) < (start as number)) return fail(SIM_CODES.params);
    if (interval !== 60 && interval !== 1440 && interval !== 43200) return fail(SIM_CODES.params);
    const from = this.localDate(start as number);
    const to = this.localDate(end as number);
    const now = this.localDate(Math.floor(this.relay.now() / 1000));
    const key = (d: Date, unit: number): string =>
      unit === 60
        ? d.toISOString().slice(0, 13)
        : unit === 1440
          ? d.toISOString().slice(0, 10)
          : d.toISOString().slice(0, 7);
    const today = this.todayWh();
    const data: number[] = [];
    for (let i = 0; data.length < 400; i++) {
      const [y, m, d, h] = [from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate(), from.getUTCHours()];
      const at = new Date(interval === 43200 ? Date.UTC(y, m + i, 1) : interval === 1440 ? Date.UTC(y, m, d + i) : Date.UTC(y, m, d, h + i));
      if (key(at, interval) > key(to, interval)) break;
      const period = key(at, interval);
      const current = key(now, interval);
      if (period > current) data.push(0);
      else if (period === current) data.push(interval === 43200 ? MONTH_BASE_WH + today - TODAY_BASE_WH : interval === 1440 ? today : 12);
      else data.push(interval === 60 ? seededInt(this.seed, period) % 60 : (interval === 1440 ? 100 : 3_000) + (seededInt(this.seed, period) % 400));
    }
    return ok({ data, start_timestamp: start, end_timestamp: end, interval, local_time: this.localTime() });
  }
}
