import type { EnergyReading, EnergyStat } from '../../device/energy';
import { ErrorCode, KasaError } from '../../util/errors';
import { seededInt } from '../models';
import type { MeterUnits } from '../models';
import type { DeviceCore } from './core';
import type { Outlet } from './module';
import { DailySeries } from './daily-series';
import { ERR_ARGUMENT, Json, MethodTable, SimModule, isCount, isMonth, isYear } from './module';

interface Meter {
  /** What the meter reads while the relay is on; power and current read 0 while it is off. */
  reading: EnergyReading;
  energyWh: DailySeries;
}

/**
 * `emeter`: a meter per relay (per outlet on a strip), in the model's units, with a history of
 * daily energy. Its sysinfo share is the `ENE` feature.
 */
export class EmeterModule implements SimModule {
  readonly methods: Readonly<Record<string, MethodTable>>;
  private readonly units: MeterUnits;
  /** By outlet index. */
  private readonly meters: Meter[];
  private gains = { vgain: 13462, igain: 16835 };

  constructor(private readonly core: DeviceCore) {
    const units = core.spec.meter;
    if (units === undefined) throw new KasaError(ErrorCode.BAD_INPUT, `A ${core.spec.model} has no energy meter units.`);
    this.units = units;
    const voltage = 228 + (seededInt('voltage', core.seed) % 50) / 10;
    this.meters = core.outlets.map((_outlet, index) => {
      const slot = core.slot(index);
      // A bulb draws a few watts; a plug's load anything up to 125 W.
      const power = units === 'power-only' ? 2 + (seededInt('power', core.seed, slot) % 100) / 10 : 5 + (seededInt('power', core.seed, slot) % 1200) / 10;
      const total = 1 + (seededInt('total', core.seed, slot) % 200_000) / 1000;
      return {
        reading: { power, voltage, current: power / voltage, total },
        energyWh: new DailySeries(['energy', core.seed, slot], 20, 1500),
      };
    });
    this.methods = { emeter: this.table() };
  }

  sysinfo(info: Json): void {
    if (this.units !== 'power-only') info['feature'] = 'TIM:ENE';
  }

  reset(): void {
    this.gains = { vgain: 13462, igain: 16835 };
  }

  /** See DeviceState.setReading. */
  setReading(outlet: Outlet, reading: Partial<EnergyReading>): void {
    const meter = this.meterOf(outlet);
    const next = { ...meter.reading, ...reading };
    if (reading.current === undefined && next.voltage > 0) next.current = next.power / next.voltage;
    meter.reading = next;
  }

  getReading(outlet: Outlet): EnergyReading {
    const reading = this.meterOf(outlet).reading;
    return outlet.on ? { ...reading } : { ...reading, power: 0, current: 0 };
  }

  setDayEnergy(outlet: Outlet, year: number, month: number, day: number, kWh: number): void {
    this.meterOf(outlet).energyWh.set({ year, month, day }, Math.round(kWh * 1000));
  }

  getDayStats(outlet: Outlet, year: number, month: number): EnergyStat[] {
    return this.meterOf(outlet)
      .energyWh.days(year, month, this.core.today())
      .map(({ value, ...date }) => ({ ...date, energy: value / 1000 }));
  }

  getMonthStats(outlet: Outlet, year: number): EnergyStat[] {
    return this.meterOf(outlet)
      .energyWh.months(year, this.core.today())
      .map(({ value, ...date }) => ({ ...date, energy: value / 1000 }));
  }

  private meterOf(outlet: Outlet): Meter {
    return this.meters[this.core.outlets.indexOf(outlet)]!;
  }

  private table(): MethodTable {
    const perOutlet = true;
    const core = this.core;
    return {
      get_realtime: { perOutlet, run: (_args, target) => this.realtimeReply(core.first(target)) },
      get_vgain_igain: { perOutlet, run: () => ({ ...this.gains }) },
      set_vgain_igain: {
        perOutlet,
        run: (args) => {
          const { vgain, igain } = args;
          if (!isCount(vgain) || !isCount(igain)) return { ...ERR_ARGUMENT };
          this.gains = { vgain, igain };
          return {};
        },
      },
      start_calibration: {
        perOutlet,
        run: (args) => (isCount(args['vtarget']) && isCount(args['itarget']) ? {} : { ...ERR_ARGUMENT }),
      },
      get_daystat: {
        perOutlet,
        run: (args, target) => {
          const { year, month } = args;
          if (!isYear(year) || !isMonth(month)) return { ...ERR_ARGUMENT };
          const days = this.meterOf(core.first(target)).energyWh.days(year, month, core.today());
          return { day_list: days.map(({ value, ...date }) => ({ ...date, ...this.energyField(value) })) };
        },
      },
      get_monthstat: {
        perOutlet,
        run: (args, target) => {
          const year = args['year'];
          if (!isYear(year)) return { ...ERR_ARGUMENT };
          const months = this.meterOf(core.first(target)).energyWh.months(year, core.today());
          return { month_list: months.map(({ value, ...date }) => ({ ...date, ...this.energyField(value) })) };
        },
      },
      erase_emeter_stat: {
        perOutlet,
        run: (_args, target) => {
          for (const outlet of core.addressed(target)) {
            const meter = this.meterOf(outlet);
            meter.energyWh.erase();
            meter.reading.total = 0;
          }
          return {};
        },
      },
    };
  }

  private realtimeReply(outlet: Outlet): Json {
    const reading = this.getReading(outlet);
    if (this.units === 'power-only') return { power_mw: Math.round(reading.power * 1000) };
    if (this.units === 'old') {
      return {
        current: round(reading.current, 6),
        voltage: round(reading.voltage, 6),
        power: round(reading.power, 6),
        total: round(reading.total, 3),
      };
    }
    const reply: Json = {
      voltage_mv: Math.round(reading.voltage * 1000),
      current_ma: Math.round(reading.current * 1000),
      power_mw: Math.round(reading.power * 1000),
      total_wh: Math.round(reading.total * 1000),
    };
    if (this.core.isStrip) reply['slot_id'] = this.core.outlets.indexOf(outlet);
    return reply;
  }

  private energyField(wh: number): Json {
    return this.units === 'old' ? { energy: wh / 1000 } : { energy_wh: wh };
  }
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
