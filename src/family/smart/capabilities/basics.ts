import type { NameModule, RawModule } from '../../../device/capabilities';
import type { Part, SwitchResult } from '../../../device/types';
import type { JsonObject } from '../../../util/json';
import type { SmartClient } from '../client';
import { smartCommands } from '../commands';
import { checkSmartRequest } from '../envelope';
import { smartError } from '../errors';
import type { SmartContext, SmartModuleSpec } from './context';

/** The nickname of the device or of each outlet, and the state read back in the same batch. */
export class SmartName implements NameModule {
  constructor(private readonly device: SmartContext) {}

  async rename(part: Part, alias: string): Promise<SwitchResult> {
    return await this.device.writeAndRead(part, smartCommands.setNickname(alias));
  }
}

/**
 * A raw `{method, params}`: the device's whole reply; for outlets, each outlet's result by id. It
 * needs no knowledge of the device, so it exists before component_nego is read.
 */
export class SmartRaw implements RawModule {
  constructor(private readonly client: SmartClient) {}

  async run(part: Part, request: JsonObject): Promise<JsonObject> {
    const checked = checkSmartRequest(request);
    if (part.outlets.length === 0) {
      const { reply } = await this.client.exchange(checked);
      if (reply.errorCode !== 0) throw smartError(reply.errorCode, checked.method, this.client.address);
      return { error_code: reply.errorCode, ...(reply.result === undefined ? {} : { result: reply.result }) };
    }
    const results: JsonObject = {};
    for (const outlet of part.outlets) results[outlet.id] = await this.client.controlChild(outlet.id, checked.method, checked.params);
    return results;
  }
}

export const nameModule: SmartModuleSpec<'name'> = { capability: 'name', create: (device) => new SmartName(device) };
