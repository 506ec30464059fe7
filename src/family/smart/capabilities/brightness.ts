import type { BrightnessModule } from '../../../device/capabilities';
import type { Part, SwitchResult } from '../../../device/types';
import type { SmartContext, SmartModuleSpec } from './context';

/**
 * Dimming a Tapo or newer Kasa dimmer switch or bulb (component `brightness`): `set_device_info`
 * with the level, read back in the same batch. The SMART protocol sets a level at once; a fade
 * (`msg.transition`) is refused before anything is sent rather than silently ignored.
 */
export class SmartBrightness implements BrightnessModule {
  constructor(private readonly device: SmartContext) {}

  async dim(part: Part, level: number, transitionMs: number | undefined): Promise<SwitchResult> {
    if (transitionMs !== undefined) throw this.device.cannot('fade to a brightness (msg.transition): it sets a level at once');
    return await this.device.writeAndRead(part, { method: 'set_device_info', params: { brightness: level } });
  }
}

export const brightnessModule: SmartModuleSpec<'brightness'> = {
  capability: 'brightness',
  component: 'brightness',
  create: (device) => new SmartBrightness(device),
};
