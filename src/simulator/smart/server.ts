import { TAPO_DEFAULT_PASSWORD, TAPO_DEFAULT_USERNAME } from '../../transport/klap/credentials';
import { formatAddress } from '../../transport/transport';
import { KlapServer } from '../klap-server';
import { SmartDevice, SmartDeviceOptions } from './device';

export interface SmartSimulatedDeviceOptions extends SmartDeviceOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** HTTP port; default 0 (any free port, read it after start()). */
  port?: number;
  /** The account it is bound to; without one it is unbound and answers to the Tapo default credentials. */
  username?: string;
  password?: string;
  /** Session lifetime announced in the TIMEOUT cookie and enforced (s). */
  sessionTimeoutSeconds?: number;
  /** Drop each session after this many requests: the next one gets HTTP 403 (a reboot mid-session). */
  invalidateAfter?: number;
  /** Answer each request this many ms late (a slow device). */
  replyDelayMs?: number;
}

/** A simulated SMART device on KLAP v2, as Tapo plugs and newer Kasa hardware serve it on port 80. */
export class SmartSimulatedDevice {
  readonly device: SmartDevice;
  readonly klap: KlapServer;
  private readonly host: string;

  constructor(options: SmartSimulatedDeviceOptions) {
    this.device = new SmartDevice(options);
    this.host = options.host ?? '127.0.0.1';
    const bound = options.username !== undefined;
    this.klap = new KlapServer({
      host: this.host,
      port: options.port ?? 0,
      version: 2,
      bound,
      ...(bound ? { username: options.username, password: options.password ?? '' } : {}),
      defaultCredentials: { username: TAPO_DEFAULT_USERNAME, password: TAPO_DEFAULT_PASSWORD },
      handle: this.device.handle,
      ...(options.sessionTimeoutSeconds === undefined ? {} : { sessionTimeoutSeconds: options.sessionTimeoutSeconds }),
      ...(options.invalidateAfter === undefined ? {} : { invalidateAfter: options.invalidateAfter }),
      ...(options.replyDelayMs === undefined ? {} : { replyDelayMs: options.replyDelayMs }),
    });
  }

  get port(): number {
    return this.klap.port;
  }

  get address(): string {
    return formatAddress(this.host, this.port);
  }

  start(): Promise<number> {
    return this.klap.start();
  }

  stop(): Promise<void> {
    return this.klap.stop();
  }
}
