import type { PowerModule } from '../../../device/capabilities';
import type { Part, SwitchResult } from '../../../device/types';
import { batch } from '../commands';
import type { IotContext } from './context';

/** Relays (plugs, switches, outlets) and lights: the switch and the sysinfo read back in one request. */
export class IotPower implements PowerModule {
  constructor(private readonly device: IotContext) {}

  async switch(part: Part, on: boolean): Promise<SwitchResult> {
    const { wire } = this.device;
    const power = wire.lighting?.setOn(on) ?? wire.system.setRelayState(on);
    return part.stateIn(this.device.readSysinfo(await this.device.send(part, batch(power, wire.system.getSysinfo()))).info);
  }
}
