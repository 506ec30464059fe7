import type { LightModule } from '../../../device/capabilities';
import type { LightChange, LightFeatures } from '../../../device/light';
import { EFFECT_DESIGNS, designNamed, noSuchEffect, stripEffectObject } from '../../../device/light-effects';
import type { Part, SwitchResult } from '../../../device/types';
import { isObject } from '../../../util/json';
import { hasComponent } from '../components';
import { decodeBase64Text } from '../device-info';
import type { SmartRequest } from '../envelope';
import { BULB_EFFECT_NAMES } from '../light';
import type { SmartContext, SmartModuleSpec } from './context';

const STRIP_EFFECTS = 'light_strip_lighting_effect';
const BULB_EFFECTS = 'light_effect';
const FADE = 'on_off_gradually';
/** The longest fade on_off_gradually takes, in seconds. */
const MAX_FADE_SECONDS = 60;

/**
 * A Tapo light (or a newer Kasa one): brightness, hue and saturation (with color_temp 0) or a white
 * (color_temp within color_temp_range) in one set_device_info; a strip's effects with
 * set_lighting_effect (a whole effect object), a colour bulb's dynamic light effects with
 * set_dynamic_light_effect_rule_enable; fades through the device's on_off_gradually setting, which
 * applies to switching only. Every write and the state read back go in one multipleRequest.
 * Unverified on hardware: stopping an effect with `enable: 0` (and its id), and that a light
 * applies its gradual on/off setting to the switch sent in the same batch.
 */
export class SmartLight implements LightModule {
  constructor(private readonly device: SmartContext) {}

  features(): LightFeatures {
    const { components } = this.device;
    const range = this.device.info?.light?.colorTempRange;
    return {
      color: hasComponent(components, 'color'),
      ...(hasComponent(components, 'color_temperature') && range !== undefined ? { colorTempRange: range } : {}),
      effects: hasComponent(components, STRIP_EFFECTS) || hasComponent(components, BULB_EFFECTS),
      transition: hasComponent(components, FADE) ? 'switching' : 'none',
    };
  }

  async set(part: Part, change: LightChange): Promise<SwitchResult> {
    const writes: SmartRequest[] = [];
    if (change.transitionMs !== undefined && change.on !== undefined && hasComponent(this.device.components, FADE)) {
      writes.push(this.fade(change.on, change.transitionMs));
    }
    if (change.effect === null) writes.push(this.stopEffect());
    const params: Record<string, unknown> = {};
    if (change.on !== undefined) params['device_on'] = change.on;
    if (change.brightness !== undefined && typeof change.effect !== 'string') params['brightness'] = change.brightness;
    if (change.color !== undefined) Object.assign(params, { hue: change.color.hue, saturation: change.color.saturation, color_temp: 0 });
    if (change.colorTemp !== undefined) params['color_temp'] = change.colorTemp;
    if (Object.keys(params).length > 0) writes.push({ method: 'set_device_info', params });
    if (typeof change.effect === 'string') writes.push(await this.startEffect(change.effect, change.brightness));
    return await this.device.writeAndRead(part, writes);
  }

  async effects(): Promise<string[]> {
    if (hasComponent(this.device.components, STRIP_EFFECTS)) return EFFECT_DESIGNS.map((design) => design.name);
    return (await this.bulbRules()).map((rule) => rule.name);
  }

  /** on_off_gradually: v1 has one switch; v2 on and off apart, with a duration in whole seconds. */
  private fade(on: boolean, transitionMs: number): SmartRequest {
    const enable = transitionMs > 0;
    if ((this.device.components.get(FADE) ?? 1) < 2) return { method: 'set_on_off_gradually_info', params: { enable } };
    const duration = Math.min(MAX_FADE_SECONDS, Math.max(1, Math.round(transitionMs / 1000)));
    return { method: 'set_on_off_gradually_info', params: { [on ? 'on_state' : 'off_state']: enable ? { enable, duration } : { enable } } };
  }

  private stopEffect(): SmartRequest {
    const id = this.device.info?.light?.effectId;
    if (hasComponent(this.device.components, STRIP_EFFECTS)) return { method: 'set_lighting_effect', params: { enable: 0, ...(id === undefined ? {} : { id }) } };
    return { method: 'set_dynamic_light_effect_rule_enable', params: { enable: false, ...(id === undefined ? {} : { id }) } };
  }

  private async startEffect(name: string, brightness: number | undefined): Promise<SmartRequest> {
    if (hasComponent(this.device.components, STRIP_EFFECTS)) {
      return { method: 'set_lighting_effect', params: tapoEffect(name, brightness ?? this.device.info?.brightness ?? 100) };
    }
    const rules = await this.bulbRules();
    const wanted = name.trim().toLowerCase();
    const rule = rules.find((candidate) => candidate.name.toLowerCase() === wanted || candidate.id.toLowerCase() === wanted);
    if (rule === undefined) throw noSuchEffect(name, rules.map((r) => r.name));
    return { method: 'set_dynamic_light_effect_rule_enable', params: { enable: true, id: rule.id } };
  }

  /** A colour bulb's dynamic light effect rules: id, and the name the app shows. */
  private async bulbRules(): Promise<Array<{ id: string; name: string }>> {
    const list = await this.device.client.paged('get_dynamic_light_effect_rules', 'rule_list');
    return list.filter(isObject).flatMap((rule) => {
      const id = rule['id'];
      if (typeof id !== 'string' || id === '') return [];
      const own = decodeBase64Text(rule['scene_name']);
      return [{ id, name: own !== '' ? own : (BULB_EFFECT_NAMES[id] ?? id) }];
    });
  }
}

/** A design as a Tapo strip's effect object: the common one, with the colours the app shows for it. */
function tapoEffect(name: string, brightness: number): Record<string, unknown> {
  const design = designNamed(name);
  return { ...stripEffectObject(design, brightness), display_colors: design.colours.map((colour) => [...colour]) };
}

export const lightModule: SmartModuleSpec<'light'> = {
  capability: 'light',
  // Every light, white-only bulbs and dimmer switches included: what each has follows from its components.
  component: 'brightness',
  create: (device) => new SmartLight(device),
};
