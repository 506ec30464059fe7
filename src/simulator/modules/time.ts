import type { DeviceCore } from './core';
import { ERR_ARGUMENT, MethodTable, SimModule } from './module';

/** `time`: the device's clock and time zone; setting a date moves the clock every module reads. */
export class TimeModule implements SimModule {
  readonly methods: Readonly<Record<string, MethodTable>>;
  private timezoneIndex = 39;

  constructor(private readonly core: DeviceCore) {
    this.methods = { time: this.table() };
  }

  reset(): void {
    this.timezoneIndex = 39;
    this.core.clockOffsetMs = 0;
  }

  private table(): MethodTable {
    const core = this.core;
    return {
      get_time: {
        run: () => {
          const now = new Date(core.deviceNow());
          return {
            year: now.getFullYear(),
            month: now.getMonth() + 1,
            mday: now.getDate(),
            hour: now.getHours(),
            min: now.getMinutes(),
            sec: now.getSeconds(),
          };
        },
      },
      get_timezone: { run: () => ({ index: this.timezoneIndex }) },
      set_timezone: {
        run: (args) => {
          const index = args['index'];
          if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 109) return { ...ERR_ARGUMENT };
          const fields = ['year', 'month', 'mday', 'hour', 'min', 'sec'].map((key) => args[key]);
          if (fields.every((value) => typeof value === 'number')) {
            const [year, month, mday, hour, min, sec] = fields as number[];
            const set = new Date(year!, month! - 1, mday, hour, min, sec).getTime();
            if (Number.isNaN(set)) return { ...ERR_ARGUMENT };
            core.clockOffsetMs = set - core.clock();
          }
          this.timezoneIndex = index;
          return {};
        },
      },
    };
  }
}
