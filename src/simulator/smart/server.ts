import { TAPO_DEFAULT_PASSWORD, TAPO_DEFAULT_USERNAME } from '../../transport/klap/credentials';
import { formatAddress } from '../../transport/transport';
import { AesServer } from '../aes-server';
import { KlapServer } from '../klap-server';
import { TdpResponder, tdpOwnerOf } from '../tdp-responder';
import { TpapServer } from '../tpap-server';
import { SmartDevice, SmartDeviceOptions } from './device';

export interface SmartSimulatedDeviceOptions extends SmartDeviceOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** HTTP port; default 0 (any free port, read it after start()). */
  port?: number;
  /** 'klap' (default): KLAP v2, as current firmware; 'aes': AES securePassthrough, as older Tapo firmware; 'tpap': 2025 firmware. */
  transport?: 'klap' | 'aes' | 'tpap';
  /** TPAP: HTTPS (tls mode 1) for the login and requests with this key and certificate (PEM), on `tlsPort` (default any free port). */
  tls?: { key: string; cert: string };
  tlsPort?: number;
  /** TPAP: ask for the SHA-1 of the password (extra_crypt password_shadow, passwd_id 2). */
  passwordShadow?: boolean;
  /** AES only: the login version, 1 (default, `password`) or 2 (`password2`). */
  loginVersion?: 1 | 2;
  /** The account it is bound to; without one it is unbound and answers to the Tapo default credentials. */
  username?: string;
  password?: string;
  /** Session lifetime announced in the TIMEOUT cookie and enforced (s). */
  sessionTimeoutSeconds?: number;
  /** Drop each session after this many requests: KLAP answers the next one with HTTP 403, AES with error 9999. */
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

/** A simulated SMART device on port 80's HTTP API: KLAP v2, AES for older Tapo firmware, or TPAP for 2025 firmware. */
export class SmartSimulatedDevice {
  readonly device: SmartDevice;
  readonly transport: 'klap' | 'aes' | 'tpap';
  readonly server: KlapServer | AesServer | TpapServer;
  /** Null when built with `tdpPort: null`. */
  readonly tdp: TdpResponder | null;
  private readonly host: string;

  constructor(options: SmartSimulatedDeviceOptions) {
    this.device = new SmartDevice(options);
    this.host = options.host ?? '127.0.0.1';
    this.transport = options.transport ?? 'klap';
    const bound = options.username !== undefined;
    const common = {
      host: this.host,
      port: options.port ?? 0,
      bound,
      ...(bound ? { username: options.username, password: options.password ?? '' } : {}),
      defaultCredentials: { username: TAPO_DEFAULT_USERNAME, password: TAPO_DEFAULT_PASSWORD },
      handle: this.device.handle,
      ...(options.sessionTimeoutSeconds === undefined ? {} : { sessionTimeoutSeconds: options.sessionTimeoutSeconds }),
      ...(options.invalidateAfter === undefined ? {} : { invalidateAfter: options.invalidateAfter }),
      ...(options.replyDelayMs === undefined ? {} : { replyDelayMs: options.replyDelayMs }),
    };
    this.server =
      this.transport === 'tpap'
        ? new TpapServer({
            ...common,
            mac: this.device.mac,
            ...(options.tls === undefined ? {} : { tls: options.tls }),
            ...(options.tlsPort === undefined ? {} : { tlsPort: options.tlsPort }),
            ...(options.passwordShadow === true ? { extraCrypt: 'password_shadow' as const } : {}),
          })
        : this.transport === 'aes'
        ? new AesServer({ ...common, ...(options.loginVersion === undefined ? {} : { loginVersion: options.loginVersion }) })
        : new KlapServer({ ...common, version: 2 });
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
              mgt_encrypt_schm: {
                is_support_https: false,
                encrypt_type: this.transport.toUpperCase(),
                http_port: this.server.port,
                lv: this.transport === 'aes' ? (options.loginVersion ?? 1) : 2,
              },
            }),
          });
  }

  /** The TDP port once started; undefined without TDP. */
  get tdpPort(): number | undefined {
    return this.tdp === null ? undefined : this.tdp.port;
  }

  /** The KLAP server; throws for a device that speaks AES. */
  get klap(): KlapServer {
    if (!(this.server instanceof KlapServer)) throw new TypeError('this simulated device speaks AES, not KLAP');
    return this.server;
  }

  /** The AES server; throws for a device that speaks KLAP. */
  get aes(): AesServer {
    if (!(this.server instanceof AesServer)) throw new TypeError('this simulated device speaks KLAP, not AES');
    return this.server;
  }

  /** The TPAP server; throws for a device that speaks another login. */
  get tpap(): TpapServer {
    if (!(this.server instanceof TpapServer)) throw new TypeError(`this simulated device speaks ${this.transport.toUpperCase()}, not TPAP`);
    return this.server;
  }

  get port(): number {
    return this.server.port;
  }

  get address(): string {
    return formatAddress(this.host, this.port);
  }

  /** Resolves with the HTTP port once the HTTP server and TDP listen. */
  async start(): Promise<number> {
    const port = await this.server.start();
    try {
      await this.tdp?.start();
    } catch (err) {
      await this.server.stop();
      throw err;
    }
    return port;
  }

  async stop(): Promise<void> {
    await Promise.all([this.server.stop(), this.tdp?.stop()]);
  }
}
