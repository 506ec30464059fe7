import * as dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { ErrorCode, KasaError } from '../util/errors';
import { FrameReader } from '../transport/frame-reader';
import { decodeReplyText, parseReplyText } from '../util/json';
import { formatAddress } from '../transport/transport';
import { decrypt } from '../transport/xor-cipher';
import { BrightnessEvent, DeviceState, LightEvent, RelayEvent } from './device-state';
import { Fault, FaultOptions, FaultQueue, TcpReplyPlan, planDatagramReply, planTcpReply, refusal } from './faults';
import { ModelName } from './models';
import { TdpResponder, tdpOwnerOf } from './tdp-responder';
import { bindUdpSocket } from './udp-bind';

export interface SimulatedDeviceOptions {
  model: ModelName;
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** TCP port; default 0 (any free port). */
  port?: number;
  /** Answer UDP too, on the TCP port number when it is free, else on any port; default true. */
  udp?: boolean;
  alias?: string;
  /** See DeviceStateOptions.seed. */
  seed?: string | number;
  /** Largest request frame accepted; a bigger one closes the connection. Default 1 MiB. */
  maxRequestBytes?: number;
  /**
   * Firmware from 2024 on: the device also answers TP-Link's discovery (TDP) as a Kasa device
   * (IOT) that speaks KLAP on `klapPort` (the KlapServer serving this state; a function when
   * that port is known only once started). Without it the device answers port 9999 only.
   */
  newFirmware?: NewFirmwareOptions;
}

export interface NewFirmwareOptions {
  klapPort: number | (() => number);
  /** The account the KLAP side is bound to, if any: announced as `owner`. */
  username?: string;
  /** As SmartSimulatedDeviceOptions.tdpPort: default 20002 or any free port when taken; 0 any. */
  tdpPort?: number;
  /** Also hear TDP on this address (127.255.255.255 for loopback broadcasts in tests). */
  tdpAlsoListenOn?: string;
}

export interface SimulatorStats {
  /** TCP frames and UDP datagrams received, valid or not. */
  requests: number;
  connectionsOpened: number;
  openConnections: number;
  /**
   * Requests that parsed, by each `module.method` they asked ("system.get_sysinfo",
   * "emeter.get_realtime"): one request asking two modules counts under both.
   */
  methods: Record<string, number>;
}

/** Second argument of the 'request' event. */
export interface RequestInfo {
  transport: 'tcp' | 'udp';
}

export const DEFAULT_SIMULATOR_HOST = '127.0.0.1';
export const DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;
const UNSOLICITED_FAULTS: ReadonlySet<string | undefined> = new Set(['push', 'glued-frame', 'stray-before', 'trailing-bytes']);
/** Between the partial reply and the RST of a reset fault. */
const RESET_PAUSE_MS = 20;

/**
 * A simulated Kasa device on TCP (and UDP) like a real one on port 9999.
 * Events: 'request' (request object, RequestInfo) for every request that parsed, before any fault;
 * 'relay' (RelayEvent) when a relay changes, 'brightness' (BrightnessEvent) when a dimmer's
 * brightness changes, 'light' (LightEvent) when a bulb's light is set. It never emits 'error'.
 * start() after stop() listens again on the same port(s), as a plug that was unplugged comes back.
 */
export class SimulatedDevice extends EventEmitter {
  readonly model: ModelName;
  readonly state: DeviceState;
  private readonly hostName: string;
  private wantedPort: number;
  private readonly udpEnabled: boolean;
  private readonly maxRequestBytes: number;
  private readonly faults = new FaultQueue();
  private readonly counters: SimulatorStats = { requests: 0, connectionsOpened: 0, openConnections: 0, methods: Object.create(null) as Record<string, number> };
  private server: net.Server | null = null;
  private udpSocket: dgram.Socket | null = null;
  private readonly tdp: TdpResponder | null;
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private tcpPort = 0;
  private boundUdpPort: number | undefined;
  /** start() and stop() run one after the other, never interleaved. */
  private lifecycle: Promise<void> = Promise.resolve();

  constructor(options: SimulatedDeviceOptions) {
    super();
    this.model = options.model;
    this.state = new DeviceState({
      model: options.model,
      ...(options.alias === undefined ? {} : { alias: options.alias }),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    });
    this.state.on('relay', (event: RelayEvent) => this.emit('relay', event));
    this.state.on('brightness', (event: BrightnessEvent) => this.emit('brightness', event));
    this.state.on('light', (event: LightEvent) => this.emit('light', event));
    this.hostName = options.host ?? DEFAULT_SIMULATOR_HOST;
    this.wantedPort = options.port ?? 0;
    if (!Number.isInteger(this.wantedPort) || this.wantedPort < 0 || this.wantedPort > 65535) {
      throw new KasaError(ErrorCode.BAD_INPUT, `The simulator port must be 0 to 65535, not ${String(options.port)}.`);
    }
    this.udpEnabled = options.udp ?? true;
    this.maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    const fw = options.newFirmware;
    this.tdp = fw === undefined ? null : this.tdpResponder(fw);
  }

  private tdpResponder(fw: NewFirmwareOptions): TdpResponder {
    const owner = tdpOwnerOf(fw.username);
    return new TdpResponder({
      host: this.hostName,
      ...(fw.tdpPort === undefined ? {} : { port: fw.tdpPort }),
      ...(fw.tdpAlsoListenOn === undefined ? {} : { alsoListenOn: fw.tdpAlsoListenOn }),
      describe: () => {
        const info = this.state.handle({ system: { get_sysinfo: {} } });
        const sysinfo = (info['system'] as { get_sysinfo: Record<string, unknown> }).get_sysinfo;
        return {
          device_type: 'IOT.SMARTPLUGSWITCH',
          device_model: sysinfo['model'],
          device_id: this.state.deviceId,
          ip: this.hostName,
          mac: this.state.mac.replace(/:/g, '-'),
          owner,
          factory_default: false,
          is_support_iot_cloud: true,
          mgt_encrypt_schm: { is_support_https: false, encrypt_type: 'KLAP', http_port: typeof fw.klapPort === 'function' ? fw.klapPort() : fw.klapPort },
        };
      },
    });
  }

  /** The port of its TDP answers once started; undefined for older firmware (no TDP). */
  get tdpPort(): number | undefined {
    return this.tdp === null || this.tdp.port === 0 ? undefined : this.tdp.port;
  }

  /** TCP port once started (0 before). */
  get port(): number {
    return this.tcpPort;
  }

  /** UDP port once started; undefined without UDP. */
  get udpPort(): number | undefined {
    return this.boundUdpPort;
  }

  get host(): string {
    return this.hostName;
  }

  /** "host:port" of the TCP side. */
  get address(): string {
    return formatAddress(this.hostName, this.tcpPort);
  }

  get listening(): boolean {
    return this.server !== null;
  }

  /** A snapshot of the counters. */
  get stats(): SimulatorStats {
    return { ...this.counters, methods: { ...this.counters.methods } };
  }

  /** Applies `fault` to the next requests: `times` of them, or all until clearFaults(). Faults queue up in order. */
  injectFault(fault: Fault, options: FaultOptions = {}): void {
    this.faults.add(fault, options);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  start(): Promise<void> {
    const run = this.lifecycle.then(() => this.listen());
    this.lifecycle = run.catch(() => undefined);
    return run;
  }

  /** Closes the listener, every connection, the UDP socket and every pending timer. */
  stop(): Promise<void> {
    const run = this.lifecycle.then(() => this.close());
    this.lifecycle = run.catch(() => undefined);
    return run;
  }

  private async listen(): Promise<void> {
    if (this.server !== null) return;
    const server = net.createServer({ allowHalfOpen: true }, (socket) => this.onConnection(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.hostName, port: this.wantedPort }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: NodeJS.ErrnoException) => {
      throw listenError(err, formatAddress(this.hostName, this.wantedPort), 'TCP');
    });
    // Nothing is expected here once listening; a listener keeps an odd error from killing the process.
    server.on('error', () => undefined);
    const bound = server.address() as net.AddressInfo;
    this.server = server;
    this.tcpPort = bound.port;
    this.wantedPort = bound.port;
    try {
      await this.tdp?.start();
    } catch (err) {
      await this.close();
      throw err;
    }
    if (!this.udpEnabled) return;
    try {
      this.udpSocket = await this.bindUdp(bound.address, bound.port).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EADDRINUSE') throw err;
        return this.bindUdp(bound.address, 0);
      });
    } catch (err) {
      await this.close();
      throw listenError(err as NodeJS.ErrnoException, formatAddress(this.hostName, bound.port), 'UDP');
    }
    this.boundUdpPort = this.udpSocket.address().port;
  }

  private async bindUdp(address: string, port: number): Promise<dgram.Socket> {
    const socket = await bindUdpSocket(address, port);
    socket.on('message', (message, peer) => this.onDatagram(socket, message, peer));
    return socket;
  }

  private async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    const udp = this.udpSocket;
    this.server = null;
    this.udpSocket = null;
    this.boundUdpPort = undefined;
    const closing: Array<Promise<unknown>> = [...this.sockets].map(
      (socket) =>
        new Promise((resolve) => {
          socket.once('close', resolve);
          socket.destroy();
        }),
    );
    if (server !== null) closing.push(new Promise((resolve) => server.close(resolve)));
    if (this.tdp !== null) closing.push(this.tdp.stop());
    if (udp !== null) closing.push(new Promise<void>((resolve) => udp.close(resolve)));
    await Promise.all(closing);
    // 'close' comes before libuv has released the handles; the next timers phase comes after.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }

  private onConnection(socket: net.Socket): void {
    socket.on('error', () => undefined); // a client leaving mid-reply is its own business
    if (this.server === null) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    this.counters.connectionsOpened += 1;
    this.counters.openConnections += 1;
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.counters.openConnections -= 1;
    });
    socket.setNoDelay(true);
    new Connection(socket, this.maxRequestBytes, (payload) => this.answerTcp(payload), (ms, fn) => this.later(ms, fn));
  }

  /** Decrypts and answers one TCP request; null when there is nothing to send back (not JSON). */
  private answerTcp(payload: Buffer): TcpReplyPlan | null {
    this.counters.requests += 1;
    const request = parseRequest(payload);
    if (request === undefined) return null;
    this.countMethods(request);
    this.emit('request', request, { transport: 'tcp' } satisfies RequestInfo);
    const fault = this.faults.take('tcp');
    // A frame nobody asked for is the sysinfo as it was before this request.
    const unsolicited = UNSOLICITED_FAULTS.has(fault?.kind) ? JSON.stringify(this.state.handle({ system: { get_sysinfo: {} } })) : undefined;
    return planTcpReply(JSON.stringify(this.answer(request, fault)), fault, unsolicited);
  }

  private onDatagram(socket: dgram.Socket, message: Buffer, peer: dgram.RemoteInfo): void {
    this.counters.requests += 1;
    const request = parseRequest(message);
    if (request === undefined) return;
    this.countMethods(request);
    this.emit('request', request, { transport: 'udp' } satisfies RequestInfo);
    const fault = this.faults.take('udp');
    const plan = planDatagramReply(JSON.stringify(this.answer(request, fault)), fault);
    const bytes = plan.bytes;
    if (bytes === null) return;
    const send = (): void => {
      if (this.udpSocket === socket) socket.send(bytes, peer.port, peer.address, () => undefined);
    };
    if (plan.delayMs > 0) this.later(plan.delayMs, send);
    else send();
  }

  private countMethods(request: Record<string, unknown>): void {
    const methods = this.counters.methods;
    for (const [module, asked] of Object.entries(request)) {
      const names = asked !== null && typeof asked === 'object' && !Array.isArray(asked) ? Object.keys(asked) : [''];
      for (const method of names) {
        const key = method === '' ? module : `${module}.${method}`;
        methods[key] = (methods[key] ?? 0) + 1;
      }
    }
  }

  private answer(request: Record<string, unknown>, fault: Fault | undefined): Record<string, unknown> {
    return fault?.kind === 'err-code' ? refusal(request, fault) : this.state.handle(request);
  }

  /** A timer stop() clears. */
  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }
}

/**
 * One client connection: frames are answered one after the other, in order, like a real plug
 * (a delayed reply holds back the ones behind it). A client that half-closes still gets its replies.
 */
class Connection {
  private readonly reader: FrameReader;
  private readonly queue: Buffer[] = [];
  private busy = false;
  /** A fault ended the exchange: later frames are ignored. */
  private finished = false;
  private clientEnded = false;

  constructor(
    private readonly socket: net.Socket,
    maxRequestBytes: number,
    private readonly answer: (payload: Buffer) => TcpReplyPlan | null,
    private readonly later: (ms: number, fn: () => void) => void,
  ) {
    this.reader = new FrameReader(maxRequestBytes);
    socket.on('data', (segment: Buffer) => this.onData(segment));
    socket.on('end', () => {
      this.clientEnded = true;
      this.endIfDone();
    });
  }

  private onData(segment: Buffer): void {
    if (this.finished) return;
    try {
      this.queue.push(...this.reader.push(segment));
    } catch {
      // A header announcing more than the cap: no device would read that much.
      this.finished = true;
      this.socket.destroy();
      return;
    }
    this.pump();
  }

  private pump(): void {
    while (!this.busy && !this.finished && this.queue.length > 0) {
      const plan = this.answer(this.queue.shift()!);
      if (plan === null) continue;
      if (plan.then !== 'keep') this.finished = true;
      if (plan.delayMs > 0) {
        this.busy = true;
        this.later(plan.delayMs, () => {
          this.busy = false;
          this.deliver(plan);
          this.pump();
        });
        return;
      }
      this.deliver(plan);
    }
    this.endIfDone();
  }

  private deliver(plan: TcpReplyPlan): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    if (plan.bytes === null) {
      if (plan.then === 'end') socket.end(); // carried out, never answered
      return;
    }
    const later = plan.later;
    if (later !== undefined) {
      this.later(later.delayMs, () => {
        if (!socket.destroyed && !socket.writableEnded) socket.write(later.bytes);
      });
    }
    if (plan.then === 'end') {
      socket.end(plan.bytes);
    } else if (plan.then === 'reset') {
      // The RST follows the partial reply after a pause: arriving together, libuv would report the
      // pair to the client as a plain end of stream (POLLHUP after a partial read), not ECONNRESET.
      socket.write(plan.bytes, () => {
        this.later(RESET_PAUSE_MS, () => {
          if (!socket.destroyed) socket.resetAndDestroy();
        });
      });
    } else {
      socket.write(plan.bytes);
    }
  }

  private endIfDone(): void {
    const idle = !this.busy && (this.queue.length === 0 || this.finished);
    if (this.clientEnded && idle && !this.socket.destroyed && !this.socket.writableEnded) {
      this.socket.end();
    }
  }
}

/** The request object, or undefined when the payload is not UTF-8 JSON text of an object. */
function parseRequest(payload: Buffer): Record<string, unknown> | undefined {
  try {
    return parseReplyText(decodeReplyText(decrypt(payload), 'client'), 'client');
  } catch {
    return undefined;
  }
}

function listenError(err: NodeJS.ErrnoException, address: string, what: string): KasaError {
  const reason =
    err.code === 'EADDRINUSE'
      ? 'the port is already in use'
      : err.code === 'EADDRNOTAVAIL'
        ? 'that address is not one of this machine'
        : err.code === 'EACCES'
          ? 'permission denied (ports below 1024 need privileges)'
          : err.message;
  return new KasaError(ErrorCode.BAD_INPUT, `The simulator cannot listen (${what}) on ${address}: ${reason}.`, { cause: err });
}
