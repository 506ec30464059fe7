import type { ChildReadings } from './child-events';
import type { ChildKind, DeviceKind } from './kind';
import type { LightState } from './light-state';

/** One outlet of a strip. `index` counts from 1 in the order the strip lists its outlets. */
export interface OutletInfo {
  index: number;
  id: string;
  alias: string;
  on: boolean;
  onTime?: number;
}

/** One child of a device, of any kind. `index` counts from 1 in the order the device lists its children. */
export interface ChildInfo {
  index: number;
  id: string;
  alias: string;
  kind: ChildKind;
  /** The child's model, where it reports one (T100, S200B, ...). */
  model?: string;
  /** Children that switch (outlets, switches, dimmers): on or off. */
  on?: boolean;
  /** What the child sent about itself (its readings among them), base64 texts decoded. */
  raw: Record<string, unknown>;
  /** A hub's child: its readings (sensors, switches, valves). */
  readings?: ChildReadings;
}

/** What the package needs to know of any device, whatever its model or firmware calls it. */
export interface DeviceInfo {
  alias: string;
  model: string;
  deviceId: string;
  mac: string;
  type: string;
  /** Which kind of device it is, and so which modules it has. */
  kind: DeviceKind;
  hardwareVersion?: string;
  softwareVersion?: string;
  /** The sysinfo `feature` string has ENE: the device has an energy meter. */
  hasEnergyMeter: boolean;
  /** Plugs and switches: the relay; bulbs: the light; strips: true when any outlet is on. */
  on: boolean;
  /** Dimmers and dimmable bulbs: 1-100 %, the level the light has (or comes on at). */
  brightness?: number;
  /** Bulbs and light strips: colour or white, and the effect running (while off: what it comes back on with). */
  light?: LightState;
  ledOn?: boolean;
  onTime?: number;
  rssi?: number;
  latitude?: number;
  longitude?: number;
  /** Present on strips (HS300, HS303, HS107, KP303, KP400, P300, ...): the children that are outlets. */
  outlets?: OutletInfo[];
  /** Every child of a strip or hub, whatever its kind. */
  children?: ChildInfo[];
  /** The Wi-Fi network the device is on (SMART devices report it). */
  ssid?: string;
  /** Conditions the device reports that a person should know of (SMART `overheated`, ...), in plain words. */
  warnings?: string[];
}

/** The given outlets as a newer sysinfo describes them (state, alias); unknown ones as they were. */
export function currentOutlets(info: DeviceInfo, outlets: readonly OutletInfo[]): OutletInfo[] {
  return outlets.map((wanted) => info.outlets?.find((o) => o.id === wanted.id) ?? wanted);
}
