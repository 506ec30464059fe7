import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ErrorCode, KasaError, fromSocketError } from '../util/errors';
import { formatAddress } from '../transport/transport';

/** A /24 worth of addresses: more is a scan, not a list. */
export const MAX_DISCOVERY_HOSTS = 254;
export const DEFAULT_BROADCAST = '255.255.255.255';

export interface HostEntry {
  host: string;
  port: number;
  /** Whether the entry named its port ("host:port") rather than taking the default. */
  portGiven: boolean;
}

/** Reads "host" or "host:port"; IPv6 is refused because Kasa devices speak IPv4 only. */
export function parseHostEntry(entry: string, defaultPort: number): { host: string; port: number } {
  const { host, port } = readHostEntry(entry, defaultPort);
  return { host, port };
}

export function readHostEntry(entry: string, defaultPort: number): HostEntry {
  const text = entry.trim();
  const match = /^([^:\s]+)(?::(\d{1,5}))?$/.exec(text);
  if (match === null) {
    throw new KasaError(ErrorCode.BAD_INPUT, `${JSON.stringify(entry)} is not a host: write an IPv4 address or a name, optionally with ":port".`);
  }
  const host = match[1]!;
  if (isIP(host) === 0 && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(host)) {
    throw new KasaError(ErrorCode.BAD_INPUT, `${JSON.stringify(host)} is neither an IPv4 address nor a host name.`);
  }
  const portGiven = match[2] !== undefined;
  return { host, port: portGiven ? checkPort(Number(match[2]), `the port of ${text}`) : defaultPort, portGiven };
}

export function parseHostList(hosts: readonly string[], defaultPort: number): HostEntry[] {
  if (!Array.isArray(hosts)) throw new KasaError(ErrorCode.BAD_INPUT, 'The host list must be an array of strings.');
  const entries = hosts.filter((h) => typeof h === 'string' && h.trim() !== '');
  if (entries.length > MAX_DISCOVERY_HOSTS) {
    throw new KasaError(ErrorCode.BAD_INPUT, `The host list has ${entries.length} entries; at most ${MAX_DISCOVERY_HOSTS} are asked.`);
  }
  return entries.map((entry) => readHostEntry(entry, defaultPort));
}

/** Host names become IPv4 addresses (answers come from addresses, not names). */
export async function resolveEntries(entries: HostEntry[]): Promise<HostEntry[]> {
  return await Promise.all(
    entries.map(async (entry) => {
      if (isIP(entry.host) === 4) return entry;
      try {
        return { ...entry, host: (await lookup(entry.host, { family: 4 })).address };
      } catch (err) {
        throw fromSocketError(err as NodeJS.ErrnoException, formatAddress(entry.host, entry.port));
      }
    }),
  );
}

export function checkBroadcast(value: string | null): string | null {
  if (value === null || value.trim() === '') return null;
  const address = value.trim();
  if (isIP(address) !== 4) {
    throw new KasaError(ErrorCode.BAD_INPUT, `The broadcast address ${JSON.stringify(value)} is not an IPv4 address (e.g. 255.255.255.255 or 192.168.1.255).`);
  }
  return address;
}

export function checkPort(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new KasaError(ErrorCode.BAD_INPUT, `${what} must be a whole number from 1 to 65535, not ${JSON.stringify(value)}.`);
  }
  return value;
}

export function checkBindAddress(bindAddress: string | undefined): void {
  if (bindAddress !== undefined && isIP(bindAddress) !== 4) {
    throw new KasaError(ErrorCode.BAD_INPUT, `The local address ${JSON.stringify(bindAddress)} is not an IPv4 address.`);
  }
}
