import type { PowerModule } from '../../../device/capabilities';
import type { Part, SwitchResult } from '../../../device/types';
import { smartCommands } from '../commands';
import type { SmartContext, SmartModuleSpec } from './context';

/** Switching: `set_device_info {device_on}` to the device or each outlet, and the state read back in the same batch. */
export class SmartPower implements PowerModule {
  constructor(private readonly device: SmartContext) {}

  switch(part: Part, on: boolean): Promise<SwitchResult> {
    return this.device.writeAndRead(part, smartCommands.setDeviceOn(on));
  }
}

export const powerModule: SmartModuleSpec<'power'> = {
  capability: 'power',
  component: 'device',
  // A hub has no relay of its own: its switches are children.
  when: ({ type }) => !type.toUpperCase().includes('HUB'),
  create: (device) => new SmartPower(device),
};
