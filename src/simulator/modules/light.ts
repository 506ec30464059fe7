import type { DeviceCore } from './core';
import type { KasaLightSpec } from '../models';
import { ERR_ARGUMENT, Json, MethodTable, SimModule } from './module';

/** Where a Kasa bulb answers light requests, and where a light strip does (its own names, as data). */
export const BULB_LIGHT_MODULE = 'smartlife.iot.smartbulb.lightingservice';
export const STRIP_LIGHT_MODULE = 'smartlife.iot.lightStrip';
export const STRIP_EFFECT_MODULE = 'smartlife.iot.lighting_effect';


/** Events: 'light' (LightEvent), emitted when a light request or the wall changes the light. */
export interface LightEvent {
  on: boolean;
  brightness: number;
  hue: number;
  saturation: number;
  /** 0 in colour mode. */
  colorTemp: number;
  /** transition_period of the request (ms), when it gave one. */
  transition?: number;
}

const EFFECT_TYPES = ['sequence', 'random', 'pulse'] as const;

function isWhole(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/**
 * A Kasa bulb's or light strip's light: `transition_light_state` (bulbs) or `set_light_state`
 * (strips) with on_off, hue 0-360, saturation 0-100, color_temp (0 = colour mode, else within the
 * model's kelvin range), brightness 0-100, transition_period (ms), ignore_default; the state in
 * sysinfo's `light_state` (the last lit state in `dft_on_state` while off) and get_light_state;
 * presets in `preferred_state`. Strips also run effects: `smartlife.iot.lighting_effect`
 * set_lighting_effect with a whole effect object, reported in sysinfo's `lighting_effect_state`.
 * The relay is the core's single outlet, so DeviceState.setRelay and 'relay' events work as for plugs.
 * What a real unit answers to values out of range is unverified: -3 (invalid argument) here.
 */
export class LightModule implements SimModule {
  readonly methods: Readonly<Record<string, MethodTable>>;
  private state = { mode: 'normal', hue: 0, saturation: 0, color_temp: 2700, brightness: 70 };
  private presets: Json[] = [];
  private transitionMs = 500;
  private effect: Json = { id: '', name: '', enable: 0, brightness: 100, custom: 0 };

  constructor(
    private readonly core: DeviceCore,
    private readonly spec: KasaLightSpec,
  ) {
    this.reset();
    const strip = spec.stripLength !== undefined;
    const light: MethodTable = {
      [strip ? 'set_light_state' : 'transition_light_state']: { run: (args) => this.setLightState(args) },
      get_light_state: { run: () => this.lightState(strip) },
      set_preferred_state: { run: (args) => this.setPreset(args) },
      get_light_details: {
        run: () => ({ lamp_beam_angle: strip ? 180 : 150, min_voltage: 110, max_voltage: 120, wattage: 10, incandescent_equivalent: 60, max_lumens: 800, color_rendering_index: 80 }),
      },
      get_default_behavior: { run: () => ({ soft_on: { mode: 'last_status' }, hard_on: { mode: 'last_status' } }) },
    };
    this.methods = {
      [strip ? STRIP_LIGHT_MODULE : BULB_LIGHT_MODULE]: light,
      ...(strip ? { [STRIP_EFFECT_MODULE]: { set_lighting_effect: { run: (args: Json) => this.setEffect(args) } } } : {}),
    };
  }

  reset(): void {
    const [min] = this.spec.kelvin;
    this.presets = [
      { index: 0, hue: 0, saturation: 0, color_temp: Math.max(min, 2700), brightness: 50 },
      ...(this.spec.color
        ? [
            { index: 1, hue: 0, saturation: 75, color_temp: 0, brightness: 100 },
            { index: 2, hue: 120, saturation: 75, color_temp: 0, brightness: 100 },
            { index: 3, hue: 240, saturation: 75, color_temp: 0, brightness: 100 },
          ]
        : []),
    ];
  }

  /** The light as it is now (brightness and colour are kept while off). */
  get current(): LightEvent {
    const { hue, saturation, color_temp, brightness } = this.state;
    return { on: this.core.outlets[0]!.on, brightness, hue, saturation, colorTemp: color_temp };
  }

  /** Whether an effect runs (strips). */
  get effectRunning(): boolean {
    return this.effect['enable'] === 1;
  }

  sysinfo(info: Json): void {
    info['is_dimmable'] = 1;
    info['is_color'] = this.spec.color ? 1 : 0;
    info['is_variable_color_temp'] = this.spec.variableColorTemp ? 1 : 0;
    info['light_state'] = this.lightState(false);
    info['preferred_state'] = this.presets.map((preset) => ({ ...preset }));
    if (this.spec.stripLength !== undefined) {
      info['length'] = this.spec.stripLength;
      const { brightness, custom, enable, id, name } = this.effect;
      info['lighting_effect_state'] = { brightness, custom, enable, id, name };
    }
  }

  /** sysinfo's light_state (and get_light_state): the state while on, the last one in dft_on_state while off. */
  private lightState(forRequest: boolean): Json {
    const on = this.core.outlets[0]!.on;
    const state: Json = { ...this.state };
    const length = this.spec.stripLength;
    // A strip's get_light_state also gives its segment groups: [first, last, hue, saturation, brightness, color_temp].
    if (forRequest && length !== undefined) state['groups'] = [[0, length - 1, this.state.hue, this.state.saturation, this.state.brightness, this.state.color_temp]];
    const reply: Json = on ? { on_off: 1, ...state } : { on_off: 0, dft_on_state: state };
    if (forRequest && length !== undefined) Object.assign(reply, { length, transition: this.transitionMs });
    return reply;
  }

  private setLightState(args: Json): Json {
    const { on_off, hue, saturation, brightness, transition_period, ignore_default } = args;
    const colorTemp = args['color_temp'];
    if (on_off !== undefined && on_off !== 0 && on_off !== 1) return { ...ERR_ARGUMENT };
    if (ignore_default !== undefined && ignore_default !== 0 && ignore_default !== 1) return { ...ERR_ARGUMENT };
    if (transition_period !== undefined && !isWhole(transition_period, 0, 3_600_000)) return { ...ERR_ARGUMENT };
    if (brightness !== undefined && !isWhole(brightness, 0, 100)) return { ...ERR_ARGUMENT };
    if ((hue !== undefined || saturation !== undefined) && !this.spec.color) return { ...ERR_ARGUMENT };
    if (hue !== undefined && !isWhole(hue, 0, 360)) return { ...ERR_ARGUMENT };
    if (saturation !== undefined && !isWhole(saturation, 0, 100)) return { ...ERR_ARGUMENT };
    if (colorTemp !== undefined) {
      const colour = colorTemp === 0 && this.spec.color;
      const [min, max] = this.spec.kelvin;
      if (!colour && (!this.spec.variableColorTemp || !isWhole(colorTemp, min, max))) return { ...ERR_ARGUMENT };
    }
    if (hue !== undefined) this.state.hue = hue;
    if (saturation !== undefined) this.state.saturation = saturation;
    if (brightness !== undefined) this.state.brightness = brightness;
    if (colorTemp !== undefined) this.state.color_temp = colorTemp as number;
    else if (hue !== undefined || saturation !== undefined) this.state.color_temp = 0;
    if (transition_period !== undefined && this.spec.stripLength !== undefined) this.transitionMs = transition_period;
    // A light state of its own ends a strip's effect (unverified on hardware).
    if (hue !== undefined || saturation !== undefined || colorTemp !== undefined) this.effect['enable'] = 0;
    if (on_off !== undefined) this.core.switchOutlet(this.core.outlets[0]!, on_off === 1);
    const event: LightEvent = transition_period === undefined ? this.current : { ...this.current, transition: transition_period };
    this.core.emit('light', event);
    // The reply is the new state, as sysinfo's light_state.
    return this.lightState(false);
  }

  private setPreset(args: Json): Json {
    const index = args['index'];
    if (!isWhole(index, 0, this.presets.length - 1)) return { ...ERR_ARGUMENT };
    const { hue, saturation, color_temp, brightness } = args;
    if (![hue, saturation, color_temp, brightness].every((value) => value === undefined || isWhole(value, 0, 9000))) return { ...ERR_ARGUMENT };
    this.presets[index] = { ...this.presets[index], ...Object.fromEntries(Object.entries({ hue, saturation, color_temp, brightness }).filter(([, v]) => v !== undefined)) };
    return {};
  }

  private setEffect(args: Json): Json {
    const { enable, id, name, brightness, type, segments } = args;
    const custom = args['custom'] ?? 0;
    if ((enable !== 0 && enable !== 1) || (custom !== 0 && custom !== 1)) return { ...ERR_ARGUMENT };
    if (enable === 0) {
      this.effect['enable'] = 0;
      return {};
    }
    const length = this.spec.stripLength ?? 1;
    if (typeof id !== 'string' || id === '' || id.length > 64 || typeof name !== 'string' || name.length > 64) return { ...ERR_ARGUMENT };
    if (brightness !== undefined && !isWhole(brightness, 0, 100)) return { ...ERR_ARGUMENT };
    if (type !== undefined && !(EFFECT_TYPES as readonly unknown[]).includes(type)) return { ...ERR_ARGUMENT };
    if (segments !== undefined && !(Array.isArray(segments) && segments.every((segment) => isWhole(segment, 0, length - 1)))) return { ...ERR_ARGUMENT };
    this.effect = { ...args, enable: 1, custom, brightness: brightness ?? 100 };
    // The strip lights up to show it (unverified).
    this.core.switchOutlet(this.core.outlets[0]!, true);
    return {};
  }
}
