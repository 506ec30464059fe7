import type { ModuleSet } from '../../../device/capabilities';
import { hasComponent } from '../components';
import { nameModule } from './basics';
import type { SmartContext, SmartFindings, SmartModuleSpec } from './context';
import { brightnessModule } from './brightness';
import { childrenModule } from './children';
import { energyModule } from './energy';
import { lightModule } from './light';
import { powerModule } from './power';
import { presetsModule } from './presets';
import { thermostatModule } from './thermostat';

/** Every SMART capability module there is; a device gets those whose component it lists. Adding one is adding a line. */
const SMART_MODULES: readonly SmartModuleSpec[] = [
  powerModule,
  brightnessModule,
  lightModule,
  energyModule,
  nameModule,
  presetsModule,
  childrenModule,
  thermostatModule,
];

/** The modules a SMART device has, from what component_nego (and its children's lists) said. */
export function smartModules(device: SmartContext, found: SmartFindings): ModuleSet {
  const modules: Record<string, unknown> = {};
  for (const spec of SMART_MODULES) {
    if (spec.component !== undefined && !hasComponent(found.components, spec.component)) continue;
    if (spec.when !== undefined && !spec.when(found)) continue;
    modules[spec.capability] = spec.create(device);
  }
  return modules as ModuleSet;
}
