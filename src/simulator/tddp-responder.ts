import * as dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { ErrorCode, KasaError } from '../util/errors';
import { deriveTddpKey } from '../tddp/des';
import { TDDP_DEFAULT_LOGIN } from '../tddp/login';
import { TDDP_STATUS_OK, TddpCode, TddpHeader, TddpType, TddpVersion, buildTddpPacket, parseTddpPacket } from '../tddp/packet';

export type TddpProfile = 'hs110' | 'router';
export type TddpReplyMode = 'reply-port' | 'source-port';

export interface TddpResponderOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: an ephemeral port, read it from `port` after start(). */
  port?: number;
  username?: string;
  password?: string;
  profile: TddpProfile;
  /** 'reply-port' (default): answer to `replyPort` on the sender's address, as HS110 and routers do. */
  replyTo?: TddpReplyMode;
  replyPort?: number;
  /** 40 hex digits; an HS110 answers it to subtype 0x12. */
  deviceId?: string;
  /** 32 hex digits; an HS110 answers it to subtype 0x14. */
  hardwareId?: string;
}

export type TddpFault =
  /** Encrypts replies with other credentials, so the client decrypts garbage. */
  | { kind: 'wrong-credentials' }
  /** Corrupts the reply digest (the data stays readable). */
  | { kind: 'bad-digest' }
  /** Answers every request with this status (default 0x02) and no data. */
  | { kind: 'error-status'; status?: number }
  /** Answers nothing. */
  | { kind: 'silence' };

/** Status the responder gives requests it has no answer for. Real devices' values are undocumented. */
export const UNSUPPORTED_STATUS = 0x02;

const DEFAULT_DEVICE_ID = '8006E4F7A1B2C3D4E5F60718293A4B5C6D7E8F90';
const DEFAULT_HARDWARE_ID = '60FF6B258734EA6880E186F8C96DDC61';
const DEFAULT_MAC = '50:C7:BF:01:02:03';

interface Answer {
  status: number;
  data?: string;
}

/**
 * A TDDP device on loopback for tests and demos: answers special commands like an HS110 or an
 * Archer router, stores set-config data for get-config, and misbehaves on demand.
 * Emits 'request' (TddpHeader, source {address, port}) for each request it understood.
 */
export class TddpResponder extends EventEmitter {
  private readonly host: string;
  private readonly requestedPort: number;
  private readonly key: Buffer;
  private readonly profile: TddpProfile;
  private readonly replyTo: TddpReplyMode;
  private readonly replyPort: number;
  private readonly identity: { deviceId: string; hardwareId: string; mac: string };
  private config: string;
  private faults: TddpFault[] = [];
  private socket: dgram.Socket | null = null;
  private requests = 0;

  constructor(options: TddpResponderOptions) {
    super();
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port ?? 0;
    this.key = deriveTddpKey(options.username ?? TDDP_DEFAULT_LOGIN.username, options.password ?? TDDP_DEFAULT_LOGIN.password);
    this.profile = options.profile;
    this.replyTo = options.replyTo ?? 'reply-port';
    this.replyPort = options.replyPort ?? 61000;
    this.identity = {
      deviceId: options.deviceId ?? DEFAULT_DEVICE_ID,
      hardwareId: options.hardwareId ?? DEFAULT_HARDWARE_ID,
      mac: DEFAULT_MAC,
    };
    this.config = this.profile === 'router' ? 'wan_type dhcp\nlan_ip 192.168.0.1\n' : 'alias TDDP simulator\n';
  }

  /** The UDP port it listens on (after start()). */
  get port(): number {
    if (this.socket === null) throw new KasaError(ErrorCode.CLOSED, 'The TDDP responder is not started.');
    return this.socket.address().port;
  }

  /** Requests understood so far. */
  get requestCount(): number {
    return this.requests;
  }

  async start(): Promise<void> {
    if (this.socket !== null) return;
    const socket = dgram.createSocket(this.host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.requestedPort, this.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // Send failures (a client gone away) must not crash the process hosting the simulator.
    socket.on('error', () => undefined);
    socket.on('message', (datagram, from) => this.onDatagram(datagram, from));
    this.socket = socket;
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    if (socket === null) return;
    this.socket = null;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** Adds a fault; it lasts until clearFaults(). */
  injectFault(fault: TddpFault | TddpFault['kind']): void {
    const added = typeof fault === 'string' ? ({ kind: fault } as TddpFault) : fault;
    if (!['wrong-credentials', 'bad-digest', 'error-status', 'silence'].includes(added.kind)) {
      throw new KasaError(ErrorCode.BAD_INPUT, `Unknown TDDP fault "${String(added.kind)}".`);
    }
    if (added.kind === 'error-status' && added.status !== undefined) {
      const status = added.status;
      if (!Number.isInteger(status) || status < 0 || status > 0xff) {
        throw new KasaError(ErrorCode.BAD_INPUT, `A TDDP status is a byte (0 to 255), not ${String(status)}.`);
      }
    }
    this.faults.push(added);
  }

  clearFaults(): void {
    this.faults = [];
  }

  private fault<K extends TddpFault['kind']>(kind: K): Extract<TddpFault, { kind: K }> | undefined {
    return this.faults.find((fault): fault is Extract<TddpFault, { kind: K }> => fault.kind === kind);
  }

  private onDatagram(datagram: Buffer, from: dgram.RemoteInfo): void {
    let header: TddpHeader;
    let data: string;
    try {
      const request = parseTddpPacket(datagram, this.key);
      header = request.header;
      data = request.data.toString('utf8');
    } catch {
      return; // Not TDDP, or unreadable: devices stay silent.
    }
    if (header.code !== TddpCode.REQUEST) return;
    this.requests++;
    this.emit('request', header, { address: from.address, port: from.port });
    if (this.fault('silence')) return;

    const statusFault = this.fault('error-status');
    const answer: Answer = statusFault ? { status: statusFault.status ?? UNSUPPORTED_STATUS } : this.answer(header, data);
    const reply = buildTddpPacket({
      version: header.version as TddpVersion,
      type: header.type,
      code: TddpCode.REPLY,
      status: answer.status,
      id: header.id,
      subtype: header.subtype,
      ...(answer.data === undefined ? {} : { data: answer.data }),
      key: this.fault('wrong-credentials') ? deriveTddpKey(TDDP_DEFAULT_LOGIN.username, 'someone-else') : this.key,
    });
    if (this.fault('bad-digest') && reply.length >= 28) reply[12] = reply[12]! ^ 0xff;
    const toPort = this.replyTo === 'source-port' ? from.port : this.replyPort;
    this.socket?.send(reply, toPort, from.address);
  }

  private answer(header: TddpHeader, data: string): Answer {
    switch (header.type) {
      case TddpType.SPECIAL_COMMAND:
        return this.profile === 'hs110' ? this.hs110Command(header.subtype, data) : routerCommand(header.subtype);
      case TddpType.SET_CONFIG:
        this.config = data;
        return { status: TDDP_STATUS_OK };
      case TddpType.GET_CONFIG:
        return { status: TDDP_STATUS_OK, data: this.config };
      case TddpType.HEARTBEAT:
        return { status: TDDP_STATUS_OK };
      case TddpType.ENC_COMMAND:
        return { status: TDDP_STATUS_OK, data };
      default:
        return { status: UNSUPPORTED_STATUS };
    }
  }

  private hs110Command(subtype: number, data: string): Answer {
    switch (subtype) {
      case 0x0a:
        return { status: TDDP_STATUS_OK, data: 'ABCD0110' };
      case 0x12:
        return { status: TDDP_STATUS_OK, data: this.identity.deviceId };
      case 0x14:
        return { status: TDDP_STATUS_OK, data: this.identity.hardwareId };
      // The destructive writes only change this simulated device.
      case 0x06:
        this.identity.mac = data;
        return { status: TDDP_STATUS_OK };
      case 0x13:
        this.identity.deviceId = data;
        return { status: TDDP_STATUS_OK };
      case 0x15:
        this.identity.hardwareId = data;
        return { status: TDDP_STATUS_OK };
      default:
        return { status: UNSUPPORTED_STATUS };
    }
  }
}

function routerCommand(subtype: number): Answer {
  switch (subtype) {
    case 0x0e:
      return { status: TDDP_STATUS_OK, data: 'wan_ph_link 1 0' };
    case 0x0f:
      return { status: TDDP_STATUS_OK, data: 'wan_logic_link 1 0' };
    default:
      return { status: UNSUPPORTED_STATUS };
  }
}
