import { AesTransport } from './aes';
import { AutoTransport } from './auto';
import { KLAP_DEFAULT_PORT, KlapTransport } from './klap';
import type { KlapFamily } from './klap/credentials';
import { TcpTransport } from './tcp';
import type { ExchangeTrace } from '../util/trace';
import { TpapTransport } from './tpap';
import type { Transport } from './transport';
import { UdpTransport } from './udp';
import { displayValue } from '../util/display-text';
import { ErrorCode, KasaError } from '../util/errors';

/** auto: port 9999, falling back to KLAP on port 80 for newer firmware. aes: older Tapo firmware (SMART only). tpap: 2025 firmware (SMART only). */
export type TransportChoice = 'auto' | 'tcp' | 'udp' | 'klap' | 'aes' | 'tpap';
export const TRANSPORT_CHOICES: readonly TransportChoice[] = ['auto', 'tcp', 'udp', 'klap', 'aes', 'tpap'];

export interface TransportSettings {
  transport: TransportChoice;
  host: string;
  /** The Smart Home protocol's port (9999). */
  port: number;
  /** The HTTP port of KLAP and AES (80). */
  klapPort?: number;
  /** The TP-Link account, for KLAP and AES. */
  username?: string;
  password?: string;
  /** Largest reply accepted (bytes). */
  maxReplyBytes?: number;
  /** TCP: keep the connection open between requests (default true). */
  persistent?: boolean;
  /** Which dialect a KLAP device speaks, if known: it chooses the default credentials tried ('any' when not known). */
  klapFamily?: KlapFamily;
  /** TPAP: each login step, request and answer shapes (no secrets), for trace logs. */
  onExchange?: (trace: ExchangeTrace) => void;
  /** TPAP: what a person should hear of (the device's TLS certificate changed). */
  onWarning?: (message: string) => void;
}

export function isTransportChoice(value: unknown): value is TransportChoice {
  return typeof value === 'string' && (TRANSPORT_CHOICES as readonly string[]).includes(value);
}

/**
 * The one place transports are made: the config node, the command-line tools, the admin
 * endpoints and the client (for 'tcp' and 'udp' by name) all ask here, so a setting means the
 * same everywhere. Nothing is opened until the first exchange.
 */
export function createTransport(settings: TransportSettings): Transport {
  const common = { host: settings.host, ...(settings.maxReplyBytes === undefined ? {} : { maxReplyBytes: settings.maxReplyBytes }) };
  const credentials = {
    ...(settings.username ? { username: settings.username } : {}),
    ...(settings.password ? { password: settings.password } : {}),
    ...(settings.klapFamily === undefined ? {} : { family: settings.klapFamily }),
  };
  const klapPort = settings.klapPort ?? KLAP_DEFAULT_PORT;
  switch (settings.transport) {
    case 'tcp':
      return new TcpTransport({ ...common, port: settings.port, ...(settings.persistent === undefined ? {} : { persistent: settings.persistent }) });
    case 'udp':
      return new UdpTransport({ ...common, port: settings.port });
    case 'klap':
      return new KlapTransport({ ...common, port: klapPort, ...credentials });
    case 'aes':
      return new AesTransport({
        ...common,
        port: klapPort,
        ...(settings.username ? { username: settings.username } : {}),
        ...(settings.password ? { password: settings.password } : {}),
      });
    case 'tpap':
      return new TpapTransport({ ...common, port: klapPort, ...tpapOptions(settings) });
    case 'auto':
      return new AutoTransport({ ...common, port: settings.port, klapPort, ...credentials, ...tpapOptions(settings) });
    default:
      // Only a caller without the types can get here (JavaScript, a hand-edited setting).
      throw new KasaError(
        ErrorCode.BAD_INPUT,
        `${displayValue(settings.transport)} is no transport: choose one of ${TRANSPORT_CHOICES.join(', ')}.`,
      );
  }
}

/** What a TPAP transport takes from the settings beyond host and port: the account and the listeners. */
export function tpapOptions(settings: Pick<TransportSettings, 'username' | 'password' | 'onExchange' | 'onWarning'>): {
  username?: string;
  password?: string;
  onExchange?: (trace: ExchangeTrace) => void;
  onWarning?: (message: string) => void;
} {
  return {
    ...(settings.username ? { username: settings.username } : {}),
    ...(settings.password ? { password: settings.password } : {}),
    ...(settings.onExchange === undefined ? {} : { onExchange: settings.onExchange }),
    ...(settings.onWarning === undefined ? {} : { onWarning: settings.onWarning }),
  };
}
