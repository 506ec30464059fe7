import { TAPO_DEFAULT_PASSWORD, TAPO_DEFAULT_USERNAME } from '../../transport/klap/credentials';
import { formatAddress } from '../../transport/transport';
import { KlapServer } from '../klap-server';
import { TdpResponder, tdpOwnerOf } from '../tdp-responder';
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
  /**
   * UDP port of its answers to TP-Link's discovery (TDP): default 20002, or any free port when
   * 20002 is taken; 0 is any free port; null answers no discovery.
   */
  tdpPort?: number | null;
  /** Also hear TDP on this address (127.255.255.255 for loopback broadcasts in tests). */
  tdpAlsoListenOn?: string;
}

/** A simulated SMART device on KLAP v2, as Tapo plugs and newer Kasa hardware serve it on port 80. */
export class SmartSimulatedDevice {
  readonly device: SmartDevice;
  readonly klap: KlapServer;
  /** Null when built with `tdpPort: null`. */
  readonly tdp: TdpResponder | null;
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
    const owner = tdpOwnerOf(options.username);
    this.tdp =
      options.tdpPort === null
        ? null
        : new TdpResponder({
            host: this.host,
            ...(options.tdpPort === undefined ? {} : { port: options.tdpPort }),
            ...(options.tdpAlsoListenOn === undefined ? {} : { alsoListenOn: options.tdpAlsoListenOn }),
            describe: () => ({
              device_type: this.device.spec.type,
              device_model: `${this.device.spec.model}(EU)`,
              device_id: this.device.deviceId,
              ip: this.host,
              mac: this.device.mac,
              hw_ver: this.device.spec.hwVer,
              owner,
              factory_default: !bound,
              is_support_iot_cloud: true,
              mgt_encrypt_schm: { is_support_https: false, encrypt_type: 'KLAP', http_port: this.klap.port, lv: 2 },
            }),
          });
  }

  /** The TDP port once started; undefined without TDP. */
  get tdpPort(): number | undefined {
    return this.tdp === null ? undefined : this.tdp.port;
  }

  get port(): number {
    return this.klap.port;
  }

  get address(): string {
    return formatAddress(this.host, this.port);
  }

  /** Resolves with the HTTP port once KLAP and TDP listen. */
  async start(): Promise<number> {
    const port = await this.klap.start();
    try {
      await this.tdp?.start();
    } catch (err) {
      await this.klap.stop();
      throw err;
    }
    return port;
  }

  async stop(): Promise<void> {
    await Promise.all([this.klap.stop(), this.tdp?.stop()]);
  }
}
