import { AutoTransport } from './auto-transport';
import type { ClientOptions } from './client';
import { KLAP_DEFAULT_PORT, KlapTransport } from './klap';

/** auto: port 9999, falling back to KLAP on port 80 for newer firmware. */
export type TransportChoice = 'auto' | 'tcp' | 'udp' | 'klap';
export const TRANSPORT_CHOICES: readonly TransportChoice[] = ['auto', 'tcp', 'udp', 'klap'];

export interface TransportSettings {
  transport: TransportChoice;
  host: string;
  /** The Smart Home protocol's port (9999). */
  port: number;
  /** KLAP's HTTP port (80). */
  klapPort?: number;
  username?: string;
  password?: string;
}

export function isTransportChoice(value: unknown): value is TransportChoice {
  return typeof value === 'string' && (TRANSPORT_CHOICES as readonly string[]).includes(value);
}

/** The transport a client takes for a setting: the XOR ones by name, KLAP and auto ready-made. */
export function transportFor(settings: TransportSettings): NonNullable<ClientOptions['transport']> {
  if (settings.transport === 'tcp' || settings.transport === 'udp') return settings.transport;
  if (settings.host.trim() === '') return 'tcp'; // the client explains the missing address
  const klapPort = settings.klapPort ?? KLAP_DEFAULT_PORT;
  const credentials = {
    ...(settings.username ? { username: settings.username } : {}),
    ...(settings.password ? { password: settings.password } : {}),
  };
  if (settings.transport === 'klap') return new KlapTransport({ host: settings.host, port: klapPort, ...credentials });
  return new AutoTransport({ host: settings.host, port: settings.port, klapPort, ...credentials });
}
