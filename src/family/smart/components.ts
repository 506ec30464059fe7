import { isObject } from '../../util/json';

/** What a SMART device has: component id -> ver_code, from component_nego. */
export type SmartComponents = ReadonlyMap<string, number>;

/** component_nego's result (`{component_list: [{id, ver_code}]}`) as a map; odd entries are left out. */
export function parseComponents(result: unknown): Map<string, number> {
  const components = new Map<string, number>();
  const list = isObject(result) ? result['component_list'] : undefined;
  if (!Array.isArray(list)) return components;
  for (const entry of list.slice(0, 500)) {
    if (!isObject(entry) || typeof entry['id'] !== 'string') continue;
    const version = entry['ver_code'];
    components.set(entry['id'], typeof version === 'number' && Number.isSafeInteger(version) ? version : 1);
  }
  return components;
}

/** True when the device has the component, at `minVersion` or later. */
export function hasComponent(components: SmartComponents, id: string, minVersion = 1): boolean {
  const version = components.get(id);
  return version !== undefined && version >= minVersion;
}

export const ENERGY_COMPONENT = 'energy_monitoring';

/**
 * The energy methods to try, best first (PROTOCOL.md section 5): ver_code 1 of energy_monitoring
 * has only get_energy_usage; ver_code 2 adds get_current_power, and some (P110M) get_emeter_data,
 * which no component tells apart, so it is tried first and dropped when the device refuses it.
 * Empty: no meter.
 */
export function energyMethods(components: SmartComponents): string[] {
  const version = components.get(ENERGY_COMPONENT);
  if (version === undefined) return [];
  if (version < 2) return ['get_energy_usage'];
  return ['get_emeter_data', 'get_energy_usage', 'get_current_power'];
}
