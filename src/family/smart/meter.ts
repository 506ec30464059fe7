import { ErrorCode, KasaError } from '../../errors';
import type { EnergyStat } from '../../energy';
import type { SmartClient, SmartOutcome } from './client';
import { SmartComponents, energyMethods } from './components';
import { SmartEnergyParts, SmartEnergyReading, combineSmartEnergy, energyDataParams, normaliseEnergyData } from './energy';

const PART_OF: Readonly<Record<string, keyof SmartEnergyParts>> = {
  get_emeter_data: 'emeterData',
  get_energy_usage: 'energyUsage',
  get_current_power: 'currentPower',
};

/**
 * The energy meter of one SMART device (or one outlet, through `childId`): reads with the best
 * methods its components offer, and remembers those the device turned out not to have.
 */
export class SmartMeter {
  private readonly unsupported = new Set<string>();

  constructor(
    private readonly client: SmartClient,
    private readonly components: SmartComponents,
    private readonly childId?: string,
  ) {}

  /** True when component_nego lists an energy meter. */
  get present(): boolean {
    return energyMethods(this.components).length > 0;
  }

  /**
   * One reading: emeter data and energy usage together when there are both (a batch), current
   * power only when neither answered. NO_ENERGY_METER when the device has no meter.
   */
  async read(): Promise<SmartEnergyReading> {
    const methods = energyMethods(this.components).filter((method) => !this.unsupported.has(method));
    if (methods.length === 0) {
      throw new KasaError(ErrorCode.NO_ENERGY_METER, `${this.client.address} has no energy meter.`, { device: this.client.address });
    }
    const best = methods.filter((method) => method !== 'get_current_power');
    const parts: SmartEnergyParts = {};
    let failure = await this.collect(best, parts);
    if (parts.emeterData === undefined && parts.energyUsage === undefined && methods.includes('get_current_power')) {
      failure = (await this.collect(['get_current_power'], parts)) ?? failure;
    }
    if (Object.keys(parts).length === 0) {
      throw failure ?? new KasaError(ErrorCode.NO_ENERGY_METER, `${this.client.address} has no energy meter.`, { device: this.client.address });
    }
    return combineSmartEnergy(parts);
  }

  /** Daily statistics of a month (`month` 1-12), or monthly ones of a year, in kWh. */
  async stats(period: { year: number; month?: number }, timeDiffMinutes = 0): Promise<EnergyStat[]> {
    if (!this.present) {
      throw new KasaError(ErrorCode.NO_ENERGY_METER, `${this.client.address} has no energy meter.`, { device: this.client.address });
    }
    const params = energyDataParams(period, timeDiffMinutes);
    const result =
      this.childId === undefined
        ? await this.client.call('get_energy_data', params)
        : await this.client.controlChild(this.childId, 'get_energy_data', params);
    return normaliseEnergyData(result, timeDiffMinutes);
  }

  /** Runs the methods, puts their results into `parts`; returns the first failure other than "not supported". */
  private async collect(methods: readonly string[], parts: SmartEnergyParts): Promise<KasaError | undefined> {
    if (methods.length === 0) return undefined;
    const outcomes: SmartOutcome[] =
      this.childId === undefined
        ? await this.client.callMany(methods.map((method) => ({ method })))
        : await Promise.all(methods.map((method) => this.viaChild(method)));
    let failure: KasaError | undefined;
    for (const outcome of outcomes) {
      if (outcome.result !== undefined) parts[PART_OF[outcome.method]!] = outcome.result;
      else if (outcome.error?.code === ErrorCode.NOT_SUPPORTED) this.unsupported.add(outcome.method);
      else failure ??= outcome.error;
    }
    return failure;
  }

  private async viaChild(method: string): Promise<SmartOutcome> {
    try {
      return { method, result: await this.client.controlChild(this.childId!, method) };
    } catch (err) {
      if (err instanceof KasaError && (err.code === ErrorCode.NOT_SUPPORTED || err.code === ErrorCode.DEVICE_ERROR) && err.errCode !== undefined) {
        return { method, error: err };
      }
      throw err;
    }
  }
}
