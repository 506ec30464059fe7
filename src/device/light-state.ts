/**
 * A light's colour, white and effect as the package describes it in either family. Brightness and
 * on/off stay in DeviceInfo (`brightness`, `on`), where dimmers have them too.
 */
export interface LightState {
  /** "color": hue and saturation show; "white": the colour temperature does. */
  mode: 'color' | 'white';
  /** 0-360, colour lights only. */
  hue?: number;
  /** 0-100, colour lights only. */
  saturation?: number;
  /** Kelvin, in white mode (0 while in colour mode, as the devices report it). */
  colorTemp?: number;
  /** The white range this light can be set to (kelvin), when it has a variable white. */
  colorTempRange?: readonly [number, number];
  /** The name of the effect running, or null. */
  effect: string | null;
  /** The running effect's id, where the device reports one (to stop it by its id). */
  effectId?: string;
}

/** What one message asks of a light; every field optional, all applied together. */
export interface LightChange {
  on?: boolean;
  /** 1-100 %. */
  brightness?: number;
  /** Colour mode. */
  color?: { hue: number; saturation: number };
  /** White mode, kelvin. */
  colorTemp?: number;
  /** Fade, ms. */
  transitionMs?: number;
  /** An effect's name, or null to stop the running one. */
  effect?: string | null;
}

/** What a light can be asked, as its family knows from what the device reports. */
export interface LightFeatures {
  color: boolean;
  /** The white range; absent: no settable white. */
  colorTempRange?: readonly [number, number];
  /** Whether the light runs effects. */
  effects: boolean;
  /** Fades: on every change (Kasa), only when switching on or off (Tapo), or none. */
  transition: 'any' | 'switching' | 'none';
}
