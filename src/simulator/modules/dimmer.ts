import type { DeviceCore } from './core';
import { ERR_ARGUMENT, Json, MethodTable, SimModule, isCount } from './module';

/** The module key a Kasa wall dimmer (HS220) answers brightness requests on. */
export const DIMMER_MODULE = 'smartlife.iot.dimmer';

/** Events: 'brightness' (BrightnessEvent), emitted when the brightness changes, by request or at the wall. */
export interface BrightnessEvent {
  /** 1-100 %. */
  brightness: number;
  /** The fade asked for with set_dimmer_transition, in ms; absent for set_brightness and the wall. */
  transition?: number;
}

/** Dimmers keep a brightness of 1 to 100 %: 0 is not a brightness, the relay is for off. */
export function isBrightness(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 100;
}

/**
 * `smartlife.iot.dimmer`: the brightness of a wall dimmer (HS220), which sysinfo reports beside
 * `relay_state`. A transition reaches its target at once here (the duration is only reported in
 * the event): tests await the event instead of waiting for a fade.
 */
export class DimmerModule implements SimModule {
  readonly methods: Readonly<Record<string, MethodTable>>;
  private level = 100;
  private readonly parameters: Json = {
    minThreshold: 5,
    fadeOnTime: 1000,
    fadeOffTime: 1000,
    gentleOnTime: 3000,
    gentleOffTime: 600_000,
    rampRate: 30,
    bulb_type: 1,
  };

  constructor(private readonly core: DeviceCore) {
    this.methods = { [DIMMER_MODULE]: this.table() };
  }

  get brightness(): number {
    return this.level;
  }

  sysinfo(info: Json): void {
    info['brightness'] = this.level;
  }

  /** Sets the brightness (1-100); emits 'brightness' when it changed. */
  setBrightness(brightness: number, transition?: number): void {
    if (brightness === this.level) return;
    this.level = brightness;
    const event: BrightnessEvent = transition === undefined ? { brightness } : { brightness, transition };
    this.core.emit('brightness', event);
  }

  private table(): MethodTable {
    const core = this.core;
    return {
      set_brightness: {
        run: (args) => {
          const brightness = args['brightness'];
          if (!isBrightness(brightness)) return { ...ERR_ARGUMENT };
          this.setBrightness(brightness);
          return {};
        },
      },
      // Fades to the brightness and turns the light on, as the app's slider does.
      set_dimmer_transition: {
        run: (args) => {
          const { brightness, duration } = args;
          if (!isBrightness(brightness) || !isCount(duration)) return { ...ERR_ARGUMENT };
          this.setBrightness(brightness, duration);
          core.switchOutlet(core.outlets[0]!, true);
          return {};
        },
      },
      get_dimmer_parameters: { run: () => ({ ...this.parameters }) },
    };
  }
}
