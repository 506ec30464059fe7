import type { NameModule, PresetsModule, RawModule } from '../../../device/capabilities';
import type { Part, SwitchResult } from '../../../device/types';
import { ErrorCode, KasaError } from '../../../util/errors';
import { isObject } from '../../../util/json';
import { PRESETS, isPresetName } from '../commands';
import type { Reply, Request } from '../message';
import type { IotContext } from './context';

/** Every Kasa device has a name (`alias`): set, then read back. */
export class IotName implements NameModule {
  constructor(private readonly device: IotContext) {}

  async rename(part: Part, alias: string): Promise<SwitchResult> {
    await this.device.send(part, this.device.wire.system.setAlias(alias));
    return part.stateIn((await this.device.getSysinfo()).info);
  }
}

/** The seed's presets, built for the device's kind (a bulb's time lives on its own module name). */
export class IotPresets implements PresetsModule {
  constructor(private readonly device: IotContext) {}

  async run(part: Part, name: string): Promise<unknown> {
    if (!isPresetName(name)) throw new KasaError(ErrorCode.BAD_INPUT, `Unknown preset ${name}.`);
    const request = PRESETS[name].request(this.device.info.kind);
    const reply = await this.device.send(part, request);
    // The answer to the preset's single method, without the module/method envelope.
    const [module, methods] = Object.entries(request)[0]!;
    const method = Object.keys(methods as object)[0]!;
    const moduleReply = reply[module];
    return isObject(moduleReply) && method in moduleReply ? moduleReply[method] : reply;
  }
}

/** Raw Kasa JSON, to the device or (with a `context`) its outlets; needs no knowledge of the kind. */
export class IotRaw implements RawModule {
  constructor(private readonly send: (part: Part, request: Request) => Promise<Reply>) {}

  run(part: Part, request: Request): Promise<Reply> {
    return this.send(part, request);
  }
}
