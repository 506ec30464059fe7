import type { ChildrenModule } from '../../../device/capabilities';
import type { LogRead } from '../../../device/child-events';
import { CHILD_KIND_LABELS } from '../../../device/kind';
import type { ChildInfo } from '../../../device/state';
import type { Part } from '../../../device/types';
import { displayText } from '../../../util/display-text';
import { ErrorCode, KasaError } from '../../../util/errors';
import { smartCommands } from '../commands';
import type { SmartRequest } from '../envelope';
import { TriggerLogReader } from '../trigger-log';
import type { SmartContext, SmartModuleSpec } from './context';

/** A child as the part a command goes to through control_child. */
function childPart(child: ChildInfo): Part {
  return {
    outlets: [{ index: child.index, id: child.id, alias: child.alias, on: child.on === true }],
    stateIn: (info) => ({ on: info.children?.find((c) => c.id === child.id)?.on === true, info, outlets: [] }),
  };
}

/**
 * A command to one child of a hub and the child as read back in the same batch (alone where the
 * hub refuses control_child in batches); BAD_INPUT in plain words if the child is gone from the list.
 */
export async function commandChild(device: SmartContext, child: ChildInfo, request: SmartRequest): Promise<ChildInfo> {
  const read = await device.writeAndRead(childPart(child), request);
  const now = read.info.children?.find((c) => c.id === child.id);
  if (now === undefined) throw new KasaError(ErrorCode.BAD_INPUT, `${device.describe()} no longer lists ${displayText(child.alias || child.id)}.`, { device: device.address });
  return now;
}

/** A hub's children (H100, KH100): their trigger logs, and switching a switch child (S210, S220). */
export class SmartChildren implements ChildrenModule {
  constructor(private readonly device: SmartContext) {}

  async events(child: ChildInfo, afterId: number | undefined): Promise<LogRead> {
    const reader = new TriggerLogReader(child.id, afterId);
    for (let request: SmartRequest | undefined = reader.first(); request !== undefined; ) {
      request = reader.take(this.device.client.childResult(await this.device.client.call(request.method, request.params), request));
    }
    return reader.result();
  }

  async switchChild(child: ChildInfo, on: boolean): Promise<ChildInfo> {
    if (child.on === undefined && child.kind !== 'switch') {
      throw new KasaError(ErrorCode.NOT_SUPPORTED, `${displayText(child.alias || child.id)} is a ${CHILD_KIND_LABELS[child.kind]}: it cannot switch on and off.`, {
        device: this.device.address,
      });
    }
    return await commandChild(this.device, child, smartCommands.setDeviceOn(on));
  }
}

export const childrenModule: SmartModuleSpec<'children'> = {
  capability: 'children',
  component: 'control_child',
  // A strip's children are its outlets (the power module); a hub's are devices of their own.
  when: ({ type }) => type.toUpperCase().includes('HUB'),
  create: (device) => new SmartChildren(device),
};
