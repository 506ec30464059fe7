import type { Part, SysinfoRead } from '../../../device/types';
import type { DeviceInfo } from '../../../device/state';
import type { KasaError } from '../../../util/errors';
import type { IotModules } from '../kinds';
import type { Reply, Request } from '../message';

/** What a Kasa capability module uses of its device: the kind's wire modules, requests, the sysinfo. */
export interface IotContext {
  /** host:port, for messages. */
  readonly address: string;
  /** The wire names of this kind of device's modules (family/iot/kinds.ts). */
  readonly wire: IotModules;
  /** The last sysinfo read (there is one: modules exist once the kind is known). */
  readonly info: DeviceInfo;
  /** Sends a request to the part: the device, or its outlets through a `context`. */
  send(part: Part, request: Request): Promise<Reply>;
  /** Reads the sysinfo in a reply and remembers it. */
  readSysinfo(reply: Reply): SysinfoRead;
  getSysinfo(): Promise<SysinfoRead>;
  noMeter(): KasaError;
  cannot(what: string): KasaError;
}
