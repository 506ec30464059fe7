import type { ChildReadings } from '../../device/child-events';

/**
 * A hub child's readings from its get_child_device_list entry (or its own get_device_info): T100
 * `detected`, T110 `open`, T300 `water_leak_status`/`in_alarm`, T310/T315 `current_temp`,
 * `temp_unit`, `current_humidity`, KE100 `target_temp`, `frost_protection_on`, `trv_states`,
 * `min_control_temp`/`max_control_temp`, switches `device_on`; battery (`battery_percentage`,
 * `at_low_battery`, or `is_low` on some switches), `rssi`, `status`. Whatever is missing or odd
 * is left out.
 */
export function smartChildReadings(raw: Record<string, unknown>): ChildReadings {
  const readings: ChildReadings = { online: raw['status'] !== 'offline', lowBattery: raw['at_low_battery'] === true || raw['is_low'] === true };
  const fahrenheit = raw['temp_unit'] === 'fahrenheit';
  const celsius = (value: unknown): number | undefined => {
    const n = num(value);
    return n === undefined ? undefined : fahrenheit ? Math.round(((n - 32) * 5) / 9 * 10) / 10 : n;
  };
  set(readings, 'motion', bool(raw['detected']));
  set(readings, 'open', bool(raw['open']));
  if (typeof raw['water_leak_status'] === 'string' || typeof raw['in_alarm'] === 'boolean') {
    readings.leak = raw['water_leak_status'] === 'water_leak' || raw['in_alarm'] === true;
  }
  set(readings, 'temperature', celsius(raw['current_temp']));
  set(readings, 'humidity', num(raw['current_humidity']));
  set(readings, 'on', bool(raw['device_on']));
  set(readings, 'targetTemperature', celsius(raw['target_temp']));
  set(readings, 'minTemperature', celsius(raw['min_control_temp']));
  set(readings, 'maxTemperature', celsius(raw['max_control_temp']));
  set(readings, 'frostProtection', bool(raw['frost_protection_on']));
  if (Array.isArray(raw['trv_states'])) readings.heating = raw['trv_states'].includes('heating');
  set(readings, 'battery', num(raw['battery_percentage']));
  set(readings, 'signal', num(raw['rssi']));
  return readings;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function bool(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

function set<K extends keyof ChildReadings>(readings: ChildReadings, key: K, value: ChildReadings[K] | undefined): void {
  if (value !== undefined) readings[key] = value;
}
