import { ErrorCode, KasaError } from '../../util/errors';
import { hasOwnKey } from '../../util/json';
import type { EnergyStat } from '../../device/energy';
import type { SmartClient, SmartOutcome } from './client';
import type { SmartRequest } from './envelope';
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
  /** True when component_nego lists an energy meter. */
  readonly present: boolean;
  /** The energy methods the components offer, less those the device refused. */
  private methods: string[];
  /** plannedRequests() for the methods as they are now. */
  private planned: readonly SmartRequest[] | undefined;

  constructor(
    private readonly client: SmartClient,
    components: SmartComponents,
    private readonly childId?: string,
  ) {
    this.methods = energyMethods(components);
    this.present = this.methods.length > 0;
  }

  /**
   * One reading: emeter data and energy usage together when there are both (a batch), current
   * power only when neither answered. NO_ENERGY_METER when the device has no meter.
   */
  async read(): Promise<SmartEnergyReading> {
    return await this.readFrom(await this.ask(this.plannedRequests()));
  }

  /**
   * The requests a reading starts with: the best methods not known to be refused (current power
   * only where there is nothing better). A poll may send them in one batch with other requests.
   */
  plannedRequests(): readonly SmartRequest[] {
    // Made again only when the methods change (one refused): a poll asks the same every time.
    if (this.planned === undefined) {
      const methods = this.methods;
      const best = methods.filter((method) => method !== 'get_current_power');
      this.planned = (best.length > 0 ? best : methods).map((method) => ({ method }));
    }
    return this.planned;
  }

  /** A reading from the outcomes of plannedRequests(); asks for the current power itself when nothing better gave one. */
  readFrom(outcomes: readonly SmartOutcome[]): Promise<SmartEnergyReading> {
    const methods = this.methods;
    if (methods.length === 0) {
      return Promise.reject(this.noMeter());
    }
    const parts: SmartEnergyParts = {};
    const failure = this.collect(outcomes, parts);
    // A P304M's outlets answer get_energy_usage with today's and this month's energy but no
    // current_power: their power is in get_current_power alone.
    const noPower = parts.emeterData === undefined && (parts.energyUsage === undefined || parts.energyUsage['current_power'] === undefined);
    if (noPower && methods.includes('get_current_power') && !outcomes.some((o) => o.method === 'get_current_power')) {
      return this.withCurrentPower(parts, failure);
    }
    // Settled here when nothing more is asked (a poll's every reading): no step of its own.
    try {
      return Promise.resolve(this.combined(parts, failure));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private async withCurrentPower(parts: SmartEnergyParts, failure: KasaError | undefined): Promise<SmartEnergyReading> {
    return this.combined(parts, this.collect(await this.ask([{ method: 'get_current_power' }]), parts) ?? failure);
  }

  /** The reading from what was collected; the first failure, or NO_ENERGY_METER, when nothing was. */
  private combined(parts: SmartEnergyParts, failure: KasaError | undefined): SmartEnergyReading {
    if (!hasOwnKey(parts)) {
      throw failure ?? this.noMeter();
    }
    return combineSmartEnergy(parts);
  }

  /** Daily statistics of a month (`month` 1-12), or monthly ones of a year, in kWh. */
  async stats(period: { year: number; month?: number }, timeDiffMinutes = 0): Promise<EnergyStat[]> {
    if (!this.present) {
      throw this.noMeter();
    }
    const params = energyDataParams(period, timeDiffMinutes);
    const result =
      this.childId === undefined
        ? await this.client.call('get_energy_data', params)
        : await this.client.controlChild(this.childId, 'get_energy_data', params);
    return normaliseEnergyData(result, timeDiffMinutes);
  }

  private noMeter(): KasaError {
    return new KasaError(ErrorCode.NO_ENERGY_METER, `${this.client.address} has no energy meter.`, { device: this.client.address });
  }

  /** Runs requests on the device, or on the outlet through control_child. */
  private ask(requests: readonly SmartRequest[]): Promise<SmartOutcome[]> {
    if (requests.length === 0) return Promise.resolve([]);
    return this.childId === undefined ? this.client.callMany(requests) : Promise.all(requests.map((request) => this.viaChild(request.method)));
  }

  /** Puts the results into `parts`; remembers what is not supported; returns the first other failure. */
  private collect(outcomes: readonly SmartOutcome[], parts: SmartEnergyParts): KasaError | undefined {
    let failure: KasaError | undefined;
    for (const outcome of outcomes) {
      const part = PART_OF[outcome.method];
      if (part === undefined) continue;
      if (outcome.result !== undefined) parts[part] = outcome.result;
      else if (outcome.error?.code === ErrorCode.NOT_SUPPORTED) {
        this.methods = this.methods.filter((method) => method !== outcome.method);
        this.planned = undefined;
      }
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
