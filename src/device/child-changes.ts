import { ChildEvent, ChildReadings, READING_DEADBANDS } from './child-events';

/** What the device's hub remembers of one child between readings. */
export interface ChildMemory {
  readings: ChildReadings;
  /** The last temperature and humidity told (what the deadband is measured from). */
  temperature?: number;
  humidity?: number;
}

/** Readings whose every change is news, as a `change` event. */
const CHANGES: ReadonlyArray<keyof ChildReadings> = ['on', 'targetTemperature', 'frostProtection', 'heating'];

/**
 * The events a new reading of a child gives against what was remembered, and what to remember now.
 * A child whose log is read reports motion, doors and water through its log entries; only what no
 * entry says (a motion sensor calming down) comes from its readings. The first reading gives none.
 */
export function childChanges(before: ChildMemory | undefined, now: ChildReadings, logRead: boolean): { events: ChildEvent[]; memory: ChildMemory } {
  const memory: ChildMemory = { readings: now, ...measured(before, now) };
  if (before === undefined) return { events: [], memory };
  const was = before.readings;
  const events: ChildEvent[] = [];
  if (now.online !== was.online) events.push({ name: now.online ? 'online' : 'offline', value: now.online });
  if (now.motion !== undefined && now.motion !== was.motion && (!now.motion || !logRead)) events.push({ name: 'motion', value: now.motion });
  if (!logRead && now.open !== undefined && was.open !== undefined && now.open !== was.open) events.push({ name: now.open ? 'open' : 'close', value: now.open });
  if (!logRead && now.leak !== undefined && was.leak !== undefined && now.leak !== was.leak) events.push({ name: now.leak ? 'leak' : 'dry', value: now.leak });
  for (const quantity of ['temperature', 'humidity'] as const) {
    if (memory[quantity] !== before[quantity] && memory[quantity] !== undefined) events.push({ name: quantity, value: memory[quantity] });
  }
  if (now.lowBattery !== was.lowBattery) events.push({ name: 'battery-low', value: now.lowBattery });
  for (const reading of CHANGES) {
    if (now[reading] !== undefined && JSON.stringify(now[reading]) !== JSON.stringify(was[reading])) events.push({ name: 'change', value: now[reading], reading });
  }
  return { events, memory };
}

/** The temperature and humidity to remember as told: the new value once it moved past the deadband. */
function measured(before: ChildMemory | undefined, now: ChildReadings): Pick<ChildMemory, 'temperature' | 'humidity'> {
  const told: Pick<ChildMemory, 'temperature' | 'humidity'> = {};
  for (const quantity of ['temperature', 'humidity'] as const) {
    const value = now[quantity];
    const last = before?.[quantity];
    const kept = value === undefined ? last : last === undefined || Math.abs(value - last) >= READING_DEADBANDS[quantity] - 1e-9 ? value : last;
    if (kept !== undefined) told[quantity] = kept;
  }
  return told;
}
