import type { BrightnessModule } from '../../../device/capabilities';
import type { Part, SwitchResult } from '../../../device/types';
import { batch } from '../commands';
import type { IotContext } from './context';

/** Wall dimmers (smartlife.iot.dimmer, which fades only when asked to) and bulbs (their lighting service). */
export class IotBrightness implements BrightnessModule {
  constructor(private readonly device: IotContext) {}

  async dim(part: Part, level: number, transitionMs: number | undefined): Promise<SwitchResult> {
    const { dimmer, lighting, system } = this.device.wire;
    const request =
      dimmer !== undefined
        ? transitionMs === undefined
          ? dimmer.setBrightness(level)
          : dimmer.fadeTo(level, transitionMs)
        : lighting?.setBrightness(level, transitionMs);
    if (request === undefined) throw this.device.cannot('dim its light');
    return part.stateIn(this.device.readSysinfo(await this.device.send(part, batch(request, system.getSysinfo()))).info);
  }
}
