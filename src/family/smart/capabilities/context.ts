import type { CapabilityName, Capabilities } from '../../../device/capabilities';
import type { DeviceInfo } from '../../../device/state';
import type { Part, SwitchResult, SysinfoRead } from '../../../device/types';
import type { KasaError } from '../../../util/errors';
import type { SmartClient } from '../client';
import type { SmartComponents } from '../components';
import type { SmartRequest } from '../envelope';
import type { SmartMeter } from '../meter';

/** What a SMART capability module uses of its device. */
export interface SmartContext {
  /** host:port, for messages. */
  readonly address: string;
  readonly client: SmartClient;
  /** The device's own components (component_nego). */
  readonly components: SmartComponents;
  /** The device's clock offset (get_device_info `time_diff`, minutes), for energy history. */
  readonly timeDiffMinutes: number;
  /** One request to the device, or the same request to each outlet through control_child. */
  each(part: Part, request: SmartRequest): Promise<Record<string, unknown>[]>;
  /** Commands (in order) to the device or each outlet, and the part's state read back: one round trip where the device takes batches. */
  writeAndRead(part: Part, request: SmartRequest | readonly SmartRequest[]): Promise<SwitchResult>;
  /** The last device information read (there is one once modules exist, but for strips and hubs before their first read). */
  readonly info: DeviceInfo | undefined;
  getSysinfo(): Promise<SysinfoRead>;
  /** The meter of the device or of one outlet; NO_ENERGY_METER where there is none. */
  meterOf(part: Part): Promise<SmartMeter>;
  describe(): string;
  cannot(what: string): KasaError;
}

/** What the device has, to decide which modules it gets. */
export interface SmartFindings {
  components: SmartComponents;
  /** Each outlet's (child's) components, by child id; empty for a device without children. */
  childComponents: ReadonlyMap<string, SmartComponents>;
  /** get_device_info `type` (SMART.TAPOPLUG, SMART.TAPOHUB, ...); '' when it did not say. */
  type: string;
}

/**
 * A SMART capability module as it registers: the component it needs (created only when
 * component_nego lists it), an optional further condition, and how to make it.
 */
export interface SmartModuleSpec<K extends CapabilityName = CapabilityName> {
  capability: K;
  /** The component the device must list; none: every SMART device has the module. */
  component?: string;
  /** A further condition on what the device has (a strip that meters only per outlet, ...). */
  when?(found: SmartFindings): boolean;
  create(device: SmartContext): Capabilities[K];
}
