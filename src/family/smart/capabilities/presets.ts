import type { PresetsModule } from '../../../device/capabilities';
import type { Part } from '../../../device/types';
import { ErrorCode, KasaError } from '../../../util/errors';
import { smartCommands } from '../commands';
import { hasComponent } from '../components';
import type { SmartRequest } from '../envelope';
import type { SmartContext, SmartModuleSpec } from './context';
import { NO_ERASE } from './energy';

/**
 * The seed's presets in the SMART dialect, gated on the component that offers them. Those with no
 * SMART counterpart are absent and answer NOT_SUPPORTED in plain words.
 */
const PRESET_METHODS: Readonly<Record<string, { component: string; request: SmartRequest }>> = {
  time: { component: 'time', request: smartCommands.getTime() },
  countdown: { component: 'countdown', request: smartCommands.getCountdownRules() },
  schedule: { component: 'schedule', request: { method: 'get_schedule_rules', params: {} } },
  ledon: { component: 'led', request: { method: 'set_led_info', params: { led_rule: 'always' } } },
  ledoff: { component: 'led', request: { method: 'set_led_info', params: { led_rule: 'never' } } },
  cloudinfo: { component: 'cloud_connect', request: { method: 'get_connect_cloud_state' } },
  wlanscan: { component: 'wireless', request: { method: 'get_wireless_scan_info', params: {} } },
  reboot: { component: 'device', request: smartCommands.reboot() },
  reset: { component: 'device', request: smartCommands.factoryReset() },
};

/** Why a preset has no SMART counterpart, for the NOT_SUPPORTED message. */
const NO_SMART_PRESET: Readonly<Record<string, string>> = {
  antitheft: 'Tapo devices have no away (anti-theft) mode',
  energy_reset: NO_ERASE,
  runtime_reset: 'Tapo devices offer no way to erase their runtime statistics',
};

export class SmartPresets implements PresetsModule {
  constructor(private readonly device: SmartContext) {}

  async run(part: Part, name: string): Promise<unknown> {
    const preset = PRESET_METHODS[name];
    if (preset === undefined) {
      const why = NO_SMART_PRESET[name] ?? `"${name}" has no counterpart in the SMART protocol`;
      throw new KasaError(ErrorCode.NOT_SUPPORTED, `${this.device.describe()} speaks the SMART protocol: ${why}.`, { device: this.device.address });
    }
    if (!hasComponent(this.device.components, preset.component)) {
      throw new KasaError(ErrorCode.NOT_SUPPORTED, `${this.device.describe()} does not offer "${name}" (it lists no ${preset.component} component).`, {
        device: this.device.address,
      });
    }
    const results = await this.device.each(part, preset.request);
    return results.length === 1 ? results[0] : results;
  }
}

export const presetsModule: SmartModuleSpec<'presets'> = { capability: 'presets', create: (device) => new SmartPresets(device) };
