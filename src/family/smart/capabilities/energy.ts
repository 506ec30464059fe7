import type { EnergyModule } from '../../../device/capabilities';
import type { EnergyStat } from '../../../device/energy';
import type { MeterReading, Part, StatsPeriod } from '../../../device/types';
import { ErrorCode, KasaError } from '../../../util/errors';
import { ENERGY_COMPONENT, hasComponent } from '../components';
import type { SmartEnergyReading } from '../energy';
import type { SmartContext, SmartModuleSpec } from './context';

/** The energy meter of a plug (P110, P110M, KP125M) or of each outlet of a strip that meters them (P304M). */
export class SmartEnergy implements EnergyModule {
  constructor(private readonly device: SmartContext) {}

  async read(part: Part): Promise<MeterReading> {
    return meterReading(part, await (await this.device.meterOf(part)).read());
  }

  async stats(part: Part, period: StatsPeriod): Promise<EnergyStat[]> {
    const meter = await this.device.meterOf(part);
    return await meter.stats(period.kind === 'day' ? { year: period.year, month: period.month } : { year: period.year }, this.device.timeDiffMinutes);
  }

  async erase(): Promise<void> {
    throw new KasaError(ErrorCode.NOT_SUPPORTED, `${this.device.describe()} speaks the SMART protocol: ${NO_ERASE}.`, { device: this.device.address });
  }
}

export const NO_ERASE = 'Tapo devices offer no way to erase their energy statistics';

/** `raw` is the reading with today's and this month's energy (kWh), which only SMART devices report. */
export function meterReading(part: Part, smartReading: SmartEnergyReading): MeterReading {
  // Written out: an object rest ({today, month, ...reading}) costs more than the whole reading.
  const { power, voltage, current, total, today, month } = smartReading;
  const reading = { power, voltage, current, total };
  const raw: Record<string, number> = { power, voltage, current, total };
  if (today !== undefined) raw['today'] = today;
  if (month !== undefined) raw['month'] = month;
  const outlet = part.outlets[0];
  return outlet === undefined ? { reading, raw } : { reading, raw, outlet };
}

export const energyModule: SmartModuleSpec<'energy'> = {
  capability: 'energy',
  // The device's own meter, or (a P304M) only its outlets'.
  when: ({ components, childComponents }) =>
    hasComponent(components, ENERGY_COMPONENT) || [...childComponents.values()].some((child) => hasComponent(child, ENERGY_COMPONENT)),
  create: (device) => new SmartEnergy(device),
};
