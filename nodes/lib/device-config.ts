import type { Node, NodeStatus } from 'node-red';
import type { Device } from '../../src/device/device';
import type { DeviceHub } from '../../src/device/device-hub';
import type { LinkState } from '../../src/device/link';
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

/** The device's link as a node that uses it shows it: the state and the status text for it. */
export interface LinkNews {
  state: LinkState;
  /** For every state but online: the status to show (its text from the locale files). */
  status: NodeStatus;
}

/**
 * The `tplink-device` config node as the other nodes of the package see it. Like Node-RED's MQTT
 * broker node: nodes register, the device is connected when the first registers and closed when
 * the last leaves, and every node hears at once how the link stands.
 */
export interface DeviceConfigNode extends Node<DeviceCredentials> {
  host: string;
  port: number;
  timeoutMs: number;
  transport: TransportChoice;
  /** KLAP's HTTP port (80). */
  klapPort: number;
  tddpPort: number;
  tddpReplyPort: number;
  /** The device, its family found (once; again after a failed try). Throws BAD_INPUT for an unusable setting. */
  device(): Promise<Device>;
  /** The device once connected, else null: for identities in event messages. */
  readonly connected: Device | null;
  /** Runs work on the device, and tells every node of the device how the link stands after it. */
  use<T>(work: (device: Device) => Promise<T>): Promise<T>;
  /** One poll for every node that watches this device (state and meters), and the events it finds. */
  hub: DeviceHub;
  /** Registers a node of this device; `onLink` hears the link state (now, and on every change). Returns the deregistration. */
  register(node: Node, onLink: (news: LinkNews) => void): () => void;
  /** Throws BAD_INPUT while a setting of the node is out of range (logged at deploy). */
  checkSettings(): void;
  /** The login TDDP requests are encrypted with. */
  tddpLogin(): TddpLogin;
}
