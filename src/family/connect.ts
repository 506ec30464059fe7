import { KasaClient, Reply, Request } from '../client';
import { Device, DeviceReading, MeterReading, StatsPeriod, SwitchResult, SysinfoRead, Target } from '../device';
import type { EnergyStat } from '../energy';
import { ErrorCode, KasaError } from '../errors';
import { checkReply, isObject, parseReplyText } from '../reply';
import type { DeviceInfo } from '../sysinfo';
import { ExchangeTrace, reportExchange } from '../trace';
import { TransportSettings, createTransport } from '../transport/factory';
import type { Transport } from '../transport/transport';
import { askedDevice, discoveryPortOf } from './discovered';
import { IotDevice } from './iot/device';
import { SmartClient } from './smart/client';
import { SmartDevice } from './smart/device';

export interface DeviceSettings extends TransportSettings {
  /** Time allowed for one request (ms). */
  timeoutMs?: number;
  /** Called after every exchange, for trace logs. */
  onExchange?: (trace: ExchangeTrace) => void;
  /**
   * auto: the UDP port asked over TP-Link's discovery before the first request (default 20002,
   * asked only when the device's ports are the standard ones or this is given); null asks nothing.
   */
  tdpPort?: number | null;
}

/**
 * The one place devices are made. Port 9999 (tcp, udp) is always the Kasa JSON family, AES and TPAP
 * always the SMART one; over KLAP (klap, or auto once 9999 refuses) a device may speak either family,
 * which the first request finds out and the device remembers. auto first asks the device over
 * TP-Link's discovery, and where it answers, uses the transport and family it announced.
 */
export function connectDevice(settings: DeviceSettings): Device {
  if (typeof settings.host !== 'string' || settings.host.trim() === '') {
    throw new KasaError(ErrorCode.BAD_INPUT, 'No device address given: set the host (name or IP address) of the plug.');
  }
  if (settings.transport === 'tcp' || settings.transport === 'udp') return new IotDevice(kasaClient(settings, createTransport(settings)));
  if (settings.transport === 'aes' || settings.transport === 'tpap') return new SmartDevice(smartClient(settings, createTransport(settings)), settings.host);
  return new DetectingDevice(settings);
}

function smartClient(settings: DeviceSettings, transport: Transport): SmartClient {
  return new SmartClient({
    transport,
    ...(settings.timeoutMs === undefined ? {} : { timeoutMs: settings.timeoutMs }),
    ...(settings.onExchange === undefined ? {} : { onExchange: settings.onExchange }),
  });
}

function kasaClient(settings: DeviceSettings, transport: Transport): KasaClient {
  return new KasaClient({
    host: settings.host,
    port: settings.port,
    transport,
    ...(settings.timeoutMs === undefined ? {} : { timeoutMs: settings.timeoutMs }),
    ...(settings.onExchange === undefined ? {} : { onExchange: settings.onExchange }),
  });
}

/** A sysinfo request, as the probe: every Kasa device answers it; a SMART device answers with an error_code. */
const PROBE = '{"system":{"get_sysinfo":{}}}';

/**
 * A device whose family is found out on first use: the Kasa sysinfo request goes first (on port
 * 9999 it is the only dialect; over KLAP a Kasa device answers it with its sysinfo, a SMART device
 * with an `error_code`), then every call goes to the device of that family over the same
 * transport. The probe's answer is not wasted: a Kasa device's sysinfo becomes its first reading.
 */
export class DetectingDevice extends Device {
  private transport: Transport;
  private found: Promise<Device> | undefined;
  private known: Device | undefined;

  constructor(private readonly settings: DeviceSettings) {
    super();
    this.transport = createTransport({ ...settings, klapFamily: 'any' });
  }

  /** 'iot' until the device said otherwise. */
  get family(): Device['family'] {
    return this.known?.family ?? 'iot';
  }

  get host(): string {
    return this.settings.host;
  }

  get address(): string {
    return this.known?.address ?? this.transport.address;
  }

  override get info(): DeviceInfo | undefined {
    return this.known?.info;
  }

  /** The device of the family found, finding it out first if need be (again after a failed try). */
  resolve(): Promise<Device> {
    this.found ??= this.detect().then(
      (device) => (this.known = device),
      (err: unknown) => {
        this.found = undefined;
        throw err;
      },
    );
    return this.found;
  }

  async close(): Promise<void> {
    await (this.known?.close() ?? this.transport.close());
  }

  async getSysinfo(): Promise<SysinfoRead> {
    return (await this.resolve()).getSysinfo();
  }
  async poll(wanted: ReadonlyArray<(info: DeviceInfo) => readonly Target[]>): Promise<DeviceReading> {
    return (await this.resolve()).poll(wanted);
  }
  async runOn(target: Target, request: Request): Promise<Reply> {
    return (await this.resolve()).runOn(target, request);
  }
  async switchTarget(target: Target, on: boolean): Promise<SwitchResult> {
    return (await this.resolve()).switchTarget(target, on);
  }
  async dimTarget(target: Target, brightness: number, transitionMs: number | undefined): Promise<SwitchResult> {
    return (await this.resolve()).dimTarget(target, brightness, transitionMs);
  }
  async renameTarget(target: Target, alias: string): Promise<SwitchResult> {
    return (await this.resolve()).renameTarget(target, alias);
  }
  async presetOn(target: Target, name: string): Promise<unknown> {
    return (await this.resolve()).presetOn(target, name);
  }
  async meterPart(part: Target): Promise<MeterReading> {
    return (await this.resolve()).meterPart(part);
  }
  async statsOfPart(part: Target, period: StatsPeriod): Promise<EnergyStat[]> {
    return (await this.resolve()).statsOfPart(part, period);
  }
  async eraseMeterOf(part: Target): Promise<void> {
    return (await this.resolve()).eraseMeterOf(part);
  }

  private async detect(): Promise<Device> {
    const timeoutMs = this.settings.timeoutMs ?? 5000;
    const tdpPort = this.settings.transport === 'auto' ? discoveryPortOf(this.settings) : null;
    if (tdpPort !== null) {
      // The device says what it is: its answer decides the transport and the family (no probing).
      const asked = await askedDevice(this.settings, tdpPort, timeoutMs);
      if (asked !== null) {
        await this.transport.close();
        this.transport = asked.transport;
        return asked.family === 'smart'
          ? new SmartDevice(smartClient(this.settings, asked.transport), this.settings.host)
          : new IotDevice(kasaClient({ ...this.settings, port: asked.port }, asked.transport));
      }
    }
    const started = Date.now();
    let received: string | undefined;
    let traced = false;
    try {
      received = await this.transport.exchange(PROBE, timeoutMs, true);
      const reply = parseReplyText(received, this.transport.address);
      this.trace(started, received);
      traced = true;
      if (isObject(reply['system'])) {
        checkReply(reply, this.transport.address);
        const device = new IotDevice(kasaClient(this.settings, this.transport));
        device.readSysinfo(reply);
        return device;
      }
      if (typeof reply['error_code'] === 'number') {
        return new SmartDevice(smartClient(this.settings, this.transport), this.settings.host);
      }
      throw new KasaError(
        ErrorCode.PROTOCOL,
        `${this.transport.address} answered in neither the Kasa nor the Tapo (SMART) protocol; is it a TP-Link plug?`,
        { device: this.transport.address },
      );
    } catch (err) {
      if (!traced) this.trace(started, received, err);
      throw err;
    }
  }

  private trace(started: number, received: string | undefined, err?: unknown): void {
    reportExchange(this.settings.onExchange, { device: this.transport.address, sent: PROBE, received, err, started });
  }
}
