/**
 * A hub's children as flows see them, whatever family the hub speaks: the readings of a sensor,
 * switch or valve, and the events they give. A hub's family fills these from what the hub sends
 * (SMART: src/family/smart/child-readings.ts and trigger-log.ts); the device's hub
 * (src/device/device-hub.ts) decides what is new.
 */

/** What one child reports now; only what its kind has is present. Temperatures in °C. */
export interface ChildReadings {
  /** The hub hears from the child. */
  online: boolean;
  /** Motion sensors: something moves now. */
  motion?: boolean;
  /** Door and window sensors: open. */
  open?: boolean;
  /** Water sensors: water is detected. */
  leak?: boolean;
  /** Climate sensors and valves (°C, converted from °F where the child shows °F). */
  temperature?: number;
  /** Climate sensors (%). */
  humidity?: number;
  /** Switches: on or off. */
  on?: boolean;
  /** Valves: the temperature they heat to (°C), and its range. */
  targetTemperature?: number;
  minTemperature?: number;
  maxTemperature?: number;
  /** Valves: frost protection on (the valve's "off": it only keeps the room from freezing). */
  frostProtection?: boolean;
  /** Valves: heating now. */
  heating?: boolean;
  /** Battery level (%), where the child reports one. */
  battery?: number;
  lowBattery: boolean;
  /** Radio signal (dBm), where the child reports it. */
  signal?: number;
}

/** What a message from a hub sensor says happened (`msg.event`). */
export type ChildEventName =
  | 'motion'
  | 'open'
  | 'close'
  | 'leak'
  | 'dry'
  | 'press'
  | 'double-press'
  | 'rotate'
  | 'temperature'
  | 'humidity'
  | 'battery-low'
  | 'online'
  | 'offline'
  | 'change';

/** One entry of a child's event log, as the family read it. */
export interface LogEntry {
  /** Increasing with every entry of that child's log. */
  id: number;
  /** What a flow is told. */
  name: ChildEventName;
  /** msg.payload: true/false, degrees of a rotation, or the event's own name for a `change`. */
  value: unknown;
  /** The event as the device named it (singleClick, keepOpen, ...). */
  deviceEvent: string;
  /** When it happened, seconds since the epoch by the hub's clock (0 when not said). */
  timestamp: number;
}

/** What one poll read of one child's log: the entries after the id asked (oldest first), and the newest id the log holds. */
export interface LogRead {
  entries: LogEntry[];
  /** The newest id in the log (0 for an empty log). */
  newestId: number;
}

/** One event of a child: from its log (with the entry), or from a change of its readings. */
export interface ChildEvent {
  name: ChildEventName;
  value: unknown;
  /** The log entry it came from; absent for a change of readings. */
  log?: LogEntry;
  /** For a `change` of readings: which reading changed (on, targetTemperature, frostProtection, heating, ...). */
  reading?: keyof ChildReadings;
}

/** How far a temperature (°C) or humidity (%) moves before it is news. */
export const READING_DEADBANDS = { temperature: 0.5, humidity: 2 } as const;
