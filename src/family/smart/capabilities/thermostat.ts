import type { ThermostatModule } from '../../../device/capabilities';
import { CHILD_KIND_LABELS } from '../../../device/kind';
import type { ChildInfo } from '../../../device/state';
import { displayText, displayValue } from '../../../util/display-text';
import { ErrorCode, KasaError } from '../../../util/errors';
import type { SmartContext, SmartModuleSpec } from './context';
import { commandChild } from './children';

/**
 * A hub's radiator valves (KE100): `set_device_info` with `target_temp` (checked against the valve's
 * own min_control_temp..max_control_temp before anything is sent) or `frost_protection_on`.
 */
export class SmartThermostat implements ThermostatModule {
  constructor(private readonly device: SmartContext) {}

  async setTarget(child: ChildInfo, celsius: number): Promise<ChildInfo> {
    const readings = this.valve(child);
    const min = readings.minTemperature ?? 5;
    const max = readings.maxTemperature ?? 30;
    if (typeof celsius !== 'number' || !Number.isFinite(celsius) || celsius < min || celsius > max) {
      throw new KasaError(ErrorCode.BAD_INPUT, `${displayText(child.alias || child.id)} takes a target temperature of ${min} to ${max} °C, not ${displayValue(celsius)}.`, {
        device: this.device.address,
      });
    }
    // Valves set half degrees (unverified for every model): the nearest one.
    return await commandChild(this.device, child, { method: 'set_device_info', params: { target_temp: Math.round(celsius * 2) / 2 } });
  }

  async setFrostProtection(child: ChildInfo, on: boolean): Promise<ChildInfo> {
    this.valve(child);
    return await commandChild(this.device, child, { method: 'set_device_info', params: { frost_protection_on: on } });
  }

  private valve(child: ChildInfo): NonNullable<ChildInfo['readings']> {
    if (child.kind !== 'valve' || child.readings === undefined) {
      throw new KasaError(ErrorCode.NOT_SUPPORTED, `${displayText(child.alias || child.id)} is a ${CHILD_KIND_LABELS[child.kind]}, not a radiator valve: it has no target temperature.`, {
        device: this.device.address,
      });
    }
    return child.readings;
  }
}

export const thermostatModule: SmartModuleSpec<'thermostat'> = {
  capability: 'thermostat',
  component: 'control_child',
  when: ({ type }) => type.toUpperCase().includes('HUB'),
  create: (device) => new SmartThermostat(device),
};
