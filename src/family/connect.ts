import { KasaClient } from './iot/client';
import type { Device } from '../device/device';
import { ErrorCode, KasaError } from '../util/errors';
import { checkReply } from './iot/reply';
import { isObject, parseReplyText } from '../util/json';
import { reportExchange } from '../util/trace';
import { createTransport } from '../transport/factory';
import type { DeviceSettings } from './settings';
import type { Transport } from '../transport/transport';
import { askedDevice, discoveryPortOf } from './discovered';
import { IotDevice } from './iot/device';
import { SmartClient } from './smart/client';
import { SmartDevice } from './smart/device';


/**
 * The one place devices are made, and made of the right family before anyone uses them. Port 9999
 * (tcp, udp) is always the Kasa JSON family, AES and TPAP always the SMART one: those resolve at once,
 * without a word to the device. Over KLAP (klap, or auto once 9999 refuses) a device may speak
 * either family, which one request finds out first; auto before that asks the device over TP-Link's
 * discovery, and where it answers, uses the transport and family it announced.
 */
export async function connectDevice(settings: DeviceSettings): Promise<Device> {
  if (typeof settings.host !== 'string' || settings.host.trim() === '') {
    throw new KasaError(ErrorCode.BAD_INPUT, 'No device address given: set the host (name or IP address) of the plug.');
  }
  if (settings.transport === 'tcp' || settings.transport === 'udp') return new IotDevice(kasaClient(settings, createTransport(settings)));
  if (settings.transport === 'aes' || settings.transport === 'tpap') return new SmartDevice(smartClient(settings, createTransport(settings)), settings.host);
  return await detectFamily(settings);
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
 * Finds the family of a device reached by KLAP or auto: what discovery announced, else the answer
 * to the Kasa sysinfo request (on port 9999 it is the only dialect; over KLAP a Kasa device answers
 * it with its sysinfo, a SMART device with an `error_code`). The probe's answer is not wasted: a
 * Kasa device's sysinfo becomes its first reading. The transport is closed when nothing came of it.
 */
async function detectFamily(settings: DeviceSettings): Promise<Device> {
  const timeoutMs = settings.timeoutMs ?? 5000;
  const tdpPort = settings.transport === 'auto' ? discoveryPortOf(settings) : null;
  if (tdpPort !== null) {
    // The device says what it is: its answer decides the transport and the family (no probing).
    const asked = await askedDevice(settings, tdpPort, timeoutMs);
    if (asked !== null) {
      return asked.family === 'smart'
        ? new SmartDevice(smartClient(settings, asked.transport), settings.host)
        : new IotDevice(kasaClient({ ...settings, port: asked.port }, asked.transport));
    }
  }
  const transport = createTransport({ ...settings, klapFamily: 'any' });
  const started = Date.now();
  let received: string | undefined;
  let traced = false;
  const trace = (err?: unknown): void => reportExchange(settings.onExchange, { device: transport.address, sent: PROBE, received, err, started });
  try {
    received = await transport.exchange(PROBE, timeoutMs, true);
    const reply = parseReplyText(received, transport.address);
    trace();
    traced = true;
    if (isObject(reply['system'])) {
      checkReply(reply, transport.address);
      const device = new IotDevice(kasaClient(settings, transport));
      device.readSysinfo(reply);
      return device;
    }
    if (typeof reply['error_code'] === 'number') return new SmartDevice(smartClient(settings, transport), settings.host);
    throw new KasaError(
      ErrorCode.PROTOCOL,
      `${transport.address} answered in neither the Kasa nor the Tapo (SMART) protocol; is it a TP-Link plug?`,
      { device: transport.address },
    );
  } catch (err) {
    if (!traced) trace(err);
    await transport.close().catch(() => undefined);
    throw err;
  }
}
