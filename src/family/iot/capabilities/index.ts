import type { ModuleSet } from '../../../device/capabilities';
import { IotName, IotPresets } from './basics';
import { IotBrightness } from './brightness';
import type { IotContext } from './context';
import { IotEnergy } from './energy';
import { IotPower } from './power';

/**
 * The capability modules of a Kasa device, from its kind's wire modules (family/iot/kinds.ts) and
 * what its sysinfo says: a module per capability the kind has, and none for what it lacks.
 */
export function iotModules(device: IotContext): ModuleSet {
  const { wire, info } = device;
  return {
    power: new IotPower(device),
    name: new IotName(device),
    presets: new IotPresets(device),
    ...(wire.dimmer !== undefined || wire.lighting !== undefined ? { brightness: new IotBrightness(device) } : {}),
    ...(info.hasEnergyMeter ? { energy: new IotEnergy(device) } : {}),
  };
}
