/** The modules a simulated device is composed of, by the names the model table uses. */
import { ErrorCode, KasaError } from '../../util/errors';
import type { ModuleName } from '../models';
import { CloudModule } from './cloud';
import type { DeviceCore } from './core';
import { DimmerModule } from './dimmer';
import { EmeterModule } from './emeter';
import { LightModule } from './light';
import type { SimModule } from './module';
import { NetifModule } from './netif';
import { RulesModule } from './rules';
import { SystemModule } from './system';
import { TimeModule } from './time';

export const MODULE_FACTORIES: Readonly<Record<ModuleName, (core: DeviceCore) => SimModule>> = {
  system: (core) => new SystemModule(core),
  netif: (core) => new NetifModule(core),
  cloud: () => new CloudModule(),
  time: (core) => new TimeModule(core),
  rules: (core) => new RulesModule(core),
  emeter: (core) => new EmeterModule(core),
  dimmer: (core) => new DimmerModule(core),
  light: (core) => {
    if (core.spec.light === undefined) throw new KasaError(ErrorCode.BAD_INPUT, `A ${core.spec.model} has no light.`);
    return new LightModule(core, core.spec.light);
  },
};
