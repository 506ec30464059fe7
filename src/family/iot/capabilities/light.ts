import type { LightModule } from '../../../device/capabilities';
import type { LightChange, LightFeatures } from '../../../device/light';
import { EFFECT_DESIGNS, designNamed, stripEffectObject } from '../../../device/light-effects';
import type { Part, SwitchResult } from '../../../device/types';
import { batch } from '../commands';
import type { Request } from '../message';
import type { IotContext } from './context';

/**
 * Colour, white, brightness and fades of a Kasa bulb or light strip in one lighting request
 * (`transition_light_state`, a strip's `set_light_state`; color_temp 0 selects colour), effects of
 * a light strip through `smartlife.iot.lighting_effect`, and the sysinfo read back in the same request.
 */
export class IotLight implements LightModule {
  constructor(private readonly device: IotContext) {}

  features(): LightFeatures {
    const light = this.device.info.light;
    return {
      color: light?.hue !== undefined,
      ...(light?.colorTempRange === undefined ? {} : { colorTempRange: light.colorTempRange }),
      effects: this.device.wire.effect !== undefined,
      transition: 'any',
    };
  }

  async set(part: Part, change: LightChange): Promise<SwitchResult> {
    const { lighting, effect, system } = this.device.wire;
    if (lighting === undefined) throw this.device.cannot('show colours, whites or effects');
    const requests: Request[] = [];
    if (change.effect !== undefined && effect !== undefined) {
      requests.push(effect.setEffect(change.effect === null ? this.stopEffect() : stripEffectObject(designNamed(change.effect), change.brightness ?? 100)));
    }
    const state: Record<string, number> = {};
    if (change.on !== undefined) state['on_off'] = change.on ? 1 : 0;
    // With an effect, its own object carries the brightness.
    if (change.brightness !== undefined && (change.effect === undefined || change.effect === null)) state['brightness'] = change.brightness;
    if (change.color !== undefined) Object.assign(state, { hue: change.color.hue, saturation: change.color.saturation, color_temp: 0 });
    if (change.colorTemp !== undefined) state['color_temp'] = change.colorTemp;
    if (Object.keys(state).length > 0) requests.push(lighting.setState(state, change.transitionMs));
    const reply = await this.device.send(part, batch(...requests, system.getSysinfo()));
    return part.stateIn(this.device.readSysinfo(reply).info);
  }

  effects(): Promise<string[]> {
    return Promise.resolve(EFFECT_DESIGNS.map((design) => design.name));
  }

  /** Stops the running effect, named by its id where the strip reported one. */
  private stopEffect(): Record<string, unknown> {
    const light = this.device.info.light;
    return { enable: 0, ...(light?.effectId === undefined ? {} : { id: light.effectId }), ...(light?.effect ? { name: light.effect } : {}) };
  }
}
