import { createHash } from 'node:crypto';
import { askTdp } from '../discovery/ask';
import { TDP_PORT, TdpAnswer } from '../discovery/tdp';
import { DEFAULT_PORT } from './iot/client';
import { ErrorCode, KasaError } from '../util/errors';
import { AesTransport } from '../transport/aes';
import { ExplainingTransport } from '../transport/explaining';
import { tpapOptions } from '../transport/factory';
import { KLAP_DEFAULT_PORT, KlapTransport } from '../transport/klap';
import { TpapTransport } from '../transport/tpap';
import type { Transport } from '../transport/transport';
import type { DeviceSettings } from './settings';

/** Longest wait for a discovery answer before the first request (ms): a device on the LAN answers in a few ms. */
export const TDP_ASK_TIMEOUT_MS = 1500;

/** What a device's discovery answer decided: the transport to use and the family it speaks. */
export interface AskedDevice {
  transport: Transport;
  family: 'iot' | 'smart';
  /** The HTTP port announced, which the transport uses: messages name it. */
  port: number;
}

/**
 * The TDP port to ask for `auto`, or null not to ask. A port given is asked. Otherwise 20002 is
 * asked only where the device's ports are the standard ones: a host on other ports is a port
 * mapping (Docker, NAT) or several simulated devices, whose 20002 need not be this device's.
 */
export function discoveryPortOf(settings: DeviceSettings): number | null {
  if (settings.tdpPort === null) return null;
  if (settings.tdpPort !== undefined) return settings.tdpPort;
  const standard = settings.port === DEFAULT_PORT && (settings.klapPort ?? KLAP_DEFAULT_PORT) === KLAP_DEFAULT_PORT;
  return standard ? TDP_PORT : null;
}

/**
 * Asks the device over TDP and, when it answers, makes the transport it announced: KLAP, AES or
 * TPAP on its HTTP port (the question doubles as the wake-up some firmware needs before that port
 * opens), null for a device that speaks port 9999 (or gave no answer), so the caller goes on as
 * without discovery.
 */
export async function askedDevice(settings: DeviceSettings, tdpPort: number, timeoutMs: number): Promise<AskedDevice | null> {
  const answer = await askTdp(settings.host, tdpPort, Math.min(TDP_ASK_TIMEOUT_MS, timeoutMs));
  if (answer === null) return null;
  // TPAP carries the SMART dialect only (every device reported speaking it is a SMART one).
  const family = answer.deviceType.toUpperCase().startsWith('IOT.') && answer.encryption !== 'tpap' ? 'iot' : 'smart';
  // No scheme named: older firmware, the 9999 protocol for Kasa devices, AES for SMART ones.
  const encryption = answer.encryption ?? (family === 'iot' ? undefined : 'aes');
  if (encryption === undefined) return null;
  const common = {
    host: settings.host,
    port: answer.httpPort,
    ...(settings.username ? { username: settings.username } : {}),
    ...(settings.password ? { password: settings.password } : {}),
    ...(settings.maxReplyBytes === undefined ? {} : { maxReplyBytes: settings.maxReplyBytes }),
  };
  const inner =
    encryption === 'tpap'
      ? new TpapTransport({ ...common, ...tpapOptions(settings) })
      : encryption === 'aes'
      ? new AesTransport({ ...common, ...(answer.loginVersion === undefined ? {} : { loginVersion: answer.loginVersion }) })
      : new KlapTransport({ ...common, family });
  return { transport: new ExplainingTransport(inner, (err) => explain(err, answer, settings)), family, port: answer.httpPort };
}

/** The owner field as known clients read it: the MD5 of the account e-mail, upper-case hex (unverified). */
export function ownerHashOf(email: string): string {
  return createHash('md5').update(email, 'utf8').digest('hex').toUpperCase();
}

/** A better message for a failure, from what the discovery answer said; undefined keeps the error as it is. */
function explain(err: KasaError, answer: TdpAnswer, settings: DeviceSettings): string | undefined {
  if (err.code === ErrorCode.AUTH) {
    const given = settings.username ?? '';
    if (answer.owner !== '' && given !== '' && ownerHashOf(given) !== answer.owner.toUpperCase()) {
      return (
        `${err.message} The device appears to be bound to another account: the owner it names in its discovery answer ` +
        'does not match the e-mail given (a hash of it; TP-Link does not document this, so it may be wrong). ' +
        'Use the e-mail and password of the app account the device was added with.'
      );
    }
    return undefined;
  }
  if (err.code === ErrorCode.REFUSED || err.code === ErrorCode.TIMEOUT || err.code === ErrorCode.RESET) {
    return (
      `${err.message} It answered TP-Link's discovery, so it is there, but its local ${(answer.encryption ?? 'klap').toUpperCase()} ` +
      `login on port ${answer.httpPort} did not: in the Tapo or Kasa app, turn on "Third-Party Compatibility" for it ` +
      '(newer firmware opens its local API only then), and check that nothing between here and the device blocks that port.'
    );
  }
  return undefined;
}
