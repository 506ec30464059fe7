import type { Node } from 'node-red';
import type { Device, DeviceReading, Target } from '../../src/device/device';
import type { HubWatcher, PollingHub } from '../../src/device/poll-hub';
import type { DeviceInfo } from '../../src/device/state';
import type { TddpLogin } from '../../src/tddp';
import type { TransportChoice } from '../../src/transport/factory';

/** Admin HTTP endpoints of this package live under this path (others use /smarthome/*). */
export const ADMIN_PREFIX = '/kasa-flows';

export interface DeviceCredentials {
  /** The TP-Link account (the Kasa app's e-mail and password): KLAP, and the SMART family next. */
  username?: string;
  password?: string;
  /** The TDDP debug login, kept apart from the account (TDDP_DEFAULT_LOGIN when both are empty). */
  tddpUsername?: string;
  tddpPassword?: string;
}

/** A node watching its device through the hub. */
export interface DeviceWatcher extends HubWatcher<DeviceReading> {
  /** The meters this node wants read with every poll (none: the state only). */
  meters?(info: DeviceInfo): readonly Target[];
}

/** The `tplink-device` config node as the other nodes of the package see it. */
export interface DeviceConfigNode extends Node<DeviceCredentials> {
  host: string;
  port: number;
  timeoutMs: number;
  transport: TransportChoice;
  /** KLAP's HTTP port (80). */
  klapPort: number;
  tddpPort: number;
  tddpReplyPort: number;
  /** The one connection and request queue to this device, opened on first use. */
  getDevice(): Device;
  /** One poll for every node that watches this device (state and meters); commands' read-backs shared. */
  hub: PollingHub<DeviceReading, DeviceWatcher>;
  /** Throws BAD_INPUT while a setting of the node is out of range (logged at deploy). */
  checkSettings(): void;
  /** The login TDDP requests are encrypted with. */
  tddpLogin(): TddpLogin;
}
