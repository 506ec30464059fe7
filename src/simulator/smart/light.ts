import { MethodTable, SIM_CODES, SmartAnswer, fail, ok } from './answer';

/** The light components a model lists, with their ver_code; what the light does follows from them. */
export interface LightComponents {
  /** `brightness`: set_device_info {brightness} 1-100. */
  brightness: boolean;
  /** `color`: hue and saturation. */
  color: boolean;
  /** `color_temperature`: color_temp within color_temp_range. */
  colorTemperature: boolean;
  /** ver_code of `on_off_gradually`: 1 has one `enable`; 2 separate on/off states; 3 adds max_duration. Absent: none. */
  gradually?: number;
  /** `light_strip_lighting_effect`: set_lighting_effect. */
  stripEffect: boolean;
  /** `segment_effect`: apply_segment_effect_rule (L930). */
  segmentEffect: boolean;
  /** `light_effect`: a bulb's dynamic light effect rules (L530). */
  bulbEffect: boolean;
}

/** What a light reports when it comes out of the box, and the range of its white. */
export interface LightSpec {
  /** color_temp_range; a white-only bulb reports its one temperature twice ([2700, 2700]); [0, 0]: none (dimmer switches). */
  colorTempRange: readonly [number, number];
  /** The first state: brightness, and for colour lights hue, saturation, color_temp (0 = colour mode). */
  initial: { brightness: number; hue?: number; saturation?: number; colorTemp?: number };
  /** The fixed brightness presets of get_preset_rules (dimmers and white bulbs). */
  presets?: readonly number[];
  /** get_on_off_gradually_info reports max_duration; default: from on_off_gradually version 3 on. */
  fadeReportsMax?: boolean;
  /** Light strips: how many segments an effect may name (get_device_segment on an L930). */
  segments?: number;
}

/** The longest fade on_off_gradually v3 announces, in seconds (also assumed for v2). */
const MAX_FADE_SECONDS = 60;

interface Fade {
  enable: boolean;
  /** Seconds. */
  duration: number;
}

export function isWholeInRange(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/**
 * The light of a simulated SMART dimmer, bulb or strip: brightness, colour, white temperature and
 * the gradual on/off setting, as get_device_info reports them and set_device_info changes them.
 * Out-of-range values are refused with -1008 and nothing changes (the code a real unit answers is
 * unverified; -1008 is the SMART "params error").
 */
export class SimLight {
  brightness: number;
  hue: number;
  saturation: number;
  /** 0 in colour mode. */
  colorTemp: number;
  private fadeOn: Fade = { enable: true, duration: 2 };
  private fadeOff: Fade = { enable: true, duration: 2 };
  /** on_off_gradually v1 has one switch for both. */
  private fadeEnabled = false;

  constructor(
    readonly components: LightComponents,
    private readonly spec: LightSpec,
  ) {
    this.brightness = spec.initial.brightness;
    this.hue = spec.initial.hue ?? 0;
    this.saturation = spec.initial.saturation ?? 100;
    this.colorTemp = spec.initial.colorTemp ?? spec.colorTempRange[0];
  }

  get colorTempRange(): readonly [number, number] {
    return this.spec.colorTempRange;
  }

  /** True when set_device_info params change the colour or the white, which ends a running effect. */
  static changesColour(params: Record<string, unknown>): boolean {
    return params['hue'] !== undefined || params['saturation'] !== undefined || params['color_temp'] !== undefined;
  }

  /** True when the light shows a colour (hue/saturation), false in white mode. */
  get inColorMode(): boolean {
    return this.components.color && this.colorTemp === 0;
  }

  /** The light's fields of get_device_info. */
  infoFields(): Record<string, unknown> {
    const fields: Record<string, unknown> = {};
    if (this.components.brightness) fields['brightness'] = this.brightness;
    if (this.components.colorTemperature || this.components.color) {
      fields['color_temp_range'] = [...this.spec.colorTempRange];
      fields['color_temp'] = this.colorTemp;
    } else if (this.components.brightness && this.spec.colorTempRange[0] > 0) {
      // A white dimmable bulb reports its fixed temperature as a range of one value.
      fields['color_temp_range'] = [...this.spec.colorTempRange];
    }
    if (this.components.color) {
      fields['hue'] = this.hue;
      fields['saturation'] = this.saturation;
    }
    return fields;
  }

  /**
   * Checks the light's fields of a set_device_info: returns the change to make once every other
   * field is valid too, or the error. `color_temp: 0` with hue/saturation selects colour; a colour
   * temperature selects white; hue or saturation alone on a white light switch it to colour.
   */
  check(params: Record<string, unknown>): { apply: () => void } | SmartAnswer {
    const { brightness, hue, saturation } = params;
    const colorTemp = params['color_temp'];
    if (brightness !== undefined && (!this.components.brightness || !isWholeInRange(brightness, 1, 100))) return fail(SIM_CODES.params);
    if ((hue !== undefined || saturation !== undefined) && !this.components.color) return fail(SIM_CODES.params);
    if (hue !== undefined && !isWholeInRange(hue, 0, 360)) return fail(SIM_CODES.params);
    if (saturation !== undefined && !isWholeInRange(saturation, 0, 100)) return fail(SIM_CODES.params);
    if (colorTemp !== undefined) {
      const [min, max] = this.spec.colorTempRange;
      const colourMode = colorTemp === 0 && this.components.color;
      if (!colourMode && (!this.components.colorTemperature || !isWholeInRange(colorTemp, min, max))) return fail(SIM_CODES.params);
    }
    return {
      apply: () => {
        if (brightness !== undefined) this.brightness = brightness as number;
        if (hue !== undefined) this.hue = hue as number;
        if (saturation !== undefined) this.saturation = saturation as number;
        if (colorTemp !== undefined) this.colorTemp = colorTemp as number;
        else if (hue !== undefined || saturation !== undefined) this.colorTemp = 0;
      },
    };
  }

  get methods(): MethodTable {
    const table: Record<string, MethodTable[string]> = {};
    if (this.spec.presets !== undefined) table['get_preset_rules'] = () => ok({ brightness: [...this.spec.presets!] });
    const version = this.components.gradually;
    if (version !== undefined) {
      table['get_on_off_gradually_info'] = () => ok(this.graduallyInfo(version));
      table['set_on_off_gradually_info'] = (params) => this.setGradually(version, params);
    }
    return table;
  }

  private graduallyInfo(version: number): Record<string, unknown> {
    if (version < 2) return { enable: this.fadeEnabled };
    const withMax = this.spec.fadeReportsMax ?? version >= 3;
    const state = (fade: Fade) => (withMax ? { ...fade, max_duration: MAX_FADE_SECONDS } : { ...fade });
    return { on_state: state(this.fadeOn), off_state: state(this.fadeOff) };
  }

  /** v1: {enable}; v2 and v3: {on_state?: {enable, duration?}, off_state?: {...}}, at least one. */
  private setGradually(version: number, params: Record<string, unknown> | undefined): SmartAnswer {
    if (params === undefined) return fail(SIM_CODES.params);
    if (version < 2) {
      if (typeof params['enable'] !== 'boolean') return fail(SIM_CODES.params);
      this.fadeEnabled = params['enable'];
      return ok();
    }
    const read = (value: unknown, current: Fade): Fade | undefined | null => {
      if (value === undefined) return undefined;
      if (typeof value !== 'object' || value === null) return null;
      const { enable, duration } = value as Record<string, unknown>;
      if (typeof enable !== 'boolean') return null;
      if (duration !== undefined && !isWholeInRange(duration, 1, MAX_FADE_SECONDS)) return null;
      return { enable, duration: (duration as number | undefined) ?? current.duration };
    };
    const on = read(params['on_state'], this.fadeOn);
    const off = read(params['off_state'], this.fadeOff);
    if (on === null || off === null || (on === undefined && off === undefined)) return fail(SIM_CODES.params);
    if (on !== undefined) this.fadeOn = on;
    if (off !== undefined) this.fadeOff = off;
    return ok();
  }
}
