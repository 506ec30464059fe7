import * as dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { RANGES, checkNumber } from './bounds';
import { ErrorCode, KasaError, fromSocketError } from './errors';
import { decodeReplyText, errCodeOf, isObject, parseReplyText } from './reply';
import { normaliseSysinfo } from './sysinfo';
import { formatAddress } from './transport/transport';
import { decrypt, encodeDatagram } from './xor-cipher';

export const DISCOVERY_PORT = 9999;
export const DEFAULT_BROADCAST = '255.255.255.255';
export const DEFAULT_DISCOVERY_TIMEOUT_MS = 3000;
export const DEFAULT_DISCOVERY_ROUNDS = 3;
/** A /24 worth of addresses: more is a scan, not a list. */
export const MAX_DISCOVERY_HOSTS = 254;

const SYSINFO_REQUEST = '{"system":{"get_sysinfo":{}}}';

export interface DiscoveryOptions {
  /**
   * Where to broadcast; default 255.255.255.255. A subnet's own broadcast (e.g. 192.168.1.255)
   * helps on hosts with several interfaces. `null` or '' sends no broadcast (host list only).
   */
  broadcast?: string | null;
  /**
   * Addresses asked directly, for networks where broadcasts do not pass (Docker, VLANs):
   * "192.168.1.20", "plug.lan", or with a port "127.0.0.1:40123".
   */
  hosts?: readonly string[];
  /** Port asked on the broadcast and on hosts given without one. */
  port?: number;
  /** How long to listen for answers, in ms; a search of hosts only ends as soon as every one answered. */
  timeoutMs?: number;
  /** The request is sent this many times, spread over the timeout (UDP gets lost). */
  rounds?: number;
  /** Local address to send from; default all interfaces. */
  bindAddress?: string;
  /** Stops early: the promise then resolves with the devices found so far. */
  signal?: AbortSignal;
  /** Called once per new device as it answers, before the promise resolves (e.g. to stop at the first). */
  onDevice?: (device: DiscoveredDevice) => void;
}

export interface DiscoveredDevice {
  host: string;
  /** The port the device was asked on (its control port), not the port its answer came from. */
  port: number;
  alias: string;
  model: string;
  mac: string;
  deviceId: string;
  type: string;
  /** Number of outlets of a strip; 0 for a plug. */
  outlets: number;
  hasEnergyMeter: boolean;
}

interface Target {
  address: string;
  port: number;
}

/**
 * Finds Kasa devices by asking for their sysinfo over UDP: a broadcast and/or a list of hosts.
 * Answers are accepted from any address and port; anything that is not a sysinfo is ignored.
 */
export async function discover(options: DiscoveryOptions = {}): Promise<DiscoveredDevice[]> {
  const port = checkPort(options.port ?? DISCOVERY_PORT, 'port');
  const timeoutMs = checkNumber(options.timeoutMs, { ...RANGES.timeoutMs, name: 'The search timeout' }, DEFAULT_DISCOVERY_TIMEOUT_MS);
  // More rounds than this would be a flood, not a search.
  const rounds = checkNumber(options.rounds, { name: 'The number of search rounds', min: 1, max: 10, integer: true }, DEFAULT_DISCOVERY_ROUNDS);
  const broadcast = checkBroadcast(options.broadcast === undefined ? DEFAULT_BROADCAST : options.broadcast);
  const hostTargets = parseHostList(options.hosts ?? [], port);
  if (options.bindAddress !== undefined && isIP(options.bindAddress) !== 4) {
    throw new KasaError(ErrorCode.BAD_INPUT, `The local address ${JSON.stringify(options.bindAddress)} is not an IPv4 address.`);
  }
  if (options.signal?.aborted) return [];

  const targets = await resolveTargets(hostTargets);
  if (broadcast !== null) targets.unshift({ address: broadcast, port });
  // Stopped while host names were being resolved: the abort event has already gone by.
  if (targets.length === 0 || options.signal?.aborted) return [];
  return listen(targets, broadcast !== null, { port, timeoutMs, rounds, bindAddress: options.bindAddress, signal: options.signal, onDevice: options.onDevice });
}

/** Reads "host" or "host:port"; IPv6 is refused because Kasa devices speak IPv4 only. */
export function parseHostEntry(entry: string, defaultPort: number): { host: string; port: number } {
  const text = entry.trim();
  const match = /^([^:\s]+)(?::(\d{1,5}))?$/.exec(text);
  if (match === null) {
    throw new KasaError(ErrorCode.BAD_INPUT, `${JSON.stringify(entry)} is not a host: write an IPv4 address or a name, optionally with ":port".`);
  }
  const host = match[1]!;
  if (isIP(host) === 0 && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(host)) {
    throw new KasaError(ErrorCode.BAD_INPUT, `${JSON.stringify(host)} is neither an IPv4 address nor a host name.`);
  }
  return { host, port: match[2] === undefined ? defaultPort : checkPort(Number(match[2]), `the port of ${text}`) };
}

function parseHostList(hosts: readonly string[], defaultPort: number): Array<{ host: string; port: number }> {
  if (!Array.isArray(hosts)) throw new KasaError(ErrorCode.BAD_INPUT, 'The host list must be an array of strings.');
  const entries = hosts.filter((h) => typeof h === 'string' && h.trim() !== '');
  if (entries.length > MAX_DISCOVERY_HOSTS) {
    throw new KasaError(ErrorCode.BAD_INPUT, `The host list has ${entries.length} entries; at most ${MAX_DISCOVERY_HOSTS} are asked.`);
  }
  return entries.map((entry) => parseHostEntry(entry, defaultPort));
}

async function resolveTargets(entries: Array<{ host: string; port: number }>): Promise<Target[]> {
  return Promise.all(
    entries.map(async ({ host, port }) => {
      if (isIP(host) === 4) return { address: host, port };
      try {
        return { address: (await lookup(host, { family: 4 })).address, port };
      } catch (err) {
        throw fromSocketError(err as NodeJS.ErrnoException, formatAddress(host, port));
      }
    }),
  );
}

function checkBroadcast(value: string | null): string | null {
  if (value === null || value.trim() === '') return null;
  const address = value.trim();
  if (isIP(address) !== 4) {
    throw new KasaError(ErrorCode.BAD_INPUT, `The broadcast address ${JSON.stringify(value)} is not an IPv4 address (e.g. 255.255.255.255 or 192.168.1.255).`);
  }
  return address;
}

function checkPort(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new KasaError(ErrorCode.BAD_INPUT, `${what} must be a whole number from 1 to 65535, not ${JSON.stringify(value)}.`);
  }
  return value;
}

interface ListenSettings {
  /** The port of the broadcast, and of answers that match no listed host. */
  port: number;
  timeoutMs: number;
  rounds: number;
  bindAddress: string | undefined;
  signal: AbortSignal | undefined;
  onDevice: ((device: DiscoveredDevice) => void) | undefined;
}

function listen(targets: Target[], broadcasting: boolean, settings: ListenSettings): Promise<DiscoveredDevice[]> {
  const { timeoutMs, rounds, bindAddress, signal, onDevice } = settings;
  return new Promise<DiscoveredDevice[]>((resolve, reject) => {
    const found = new Map<string, DiscoveredDevice>();
    const socket = dgram.createSocket('udp4');
    const request = encodeDatagram(SYSINFO_REQUEST);
    // Without a broadcast the answers to expect are known: the search ends when each target answered.
    const unanswered = broadcasting ? null : new Set(targets.map(targetKey));
    let roundTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const finish = (err?: KasaError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(roundTimer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('message', onMessage);
      const settle = (): void => (err === undefined ? resolve(sortByAlias(found)) : reject(err));
      try {
        // Settle only once the socket is really closed, so callers never see a socket left behind.
        socket.close(settle);
      } catch {
        settle(); // already closed by a failed bind
      }
    };
    const onAbort = (): void => finish();
    const onMessage = (datagram: Buffer, from: dgram.RemoteInfo): void => {
      const device = readAnswer(datagram, from, portOf(targets, from, settings.port));
      if (device === null) return;
      const key = device.deviceId !== '' ? device.deviceId : formatAddress(device.host, device.port);
      if (!found.has(key)) {
        found.set(key, device);
        try {
          onDevice?.(device);
        } catch {
          // A failing callback is the caller's bug; it must not stop discovery or escape as an uncaught error.
        }
      }
      unanswered?.delete(targetKey({ address: from.address, port: device.port }));
      if (unanswered?.size === 0) finish();
    };
    const sendRound = (round: number): void => {
      for (const target of targets) {
        socket.send(request, target.port, target.address, (err) => {
          if (err) finish(sendError(err, target, broadcasting && target === targets[0]));
        });
      }
      if (round + 1 < rounds) roundTimer = setTimeout(() => sendRound(round + 1), timeoutMs / rounds);
    };

    const deadline = setTimeout(() => finish(), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('message', onMessage);
    socket.on('error', (err: NodeJS.ErrnoException) => finish(bindError(err, bindAddress)));
    socket.bind({ port: 0, ...(bindAddress === undefined ? {} : { address: bindAddress }) }, () => {
      if (settled) return;
      try {
        if (broadcasting) socket.setBroadcast(true);
      } catch (err) {
        finish(sendError(err as NodeJS.ErrnoException, targets[0]!, true));
        return;
      }
      sendRound(0);
    });
  });
}

function targetKey(target: Target): string {
  return formatAddress(target.address, target.port);
}

/** The answer's sender asked directly keeps its listed port even when it answers from another. */
function portOf(targets: Target[], from: dgram.RemoteInfo, defaultPort: number): number {
  const sameAddress = targets.filter((t) => t.address === from.address);
  if (sameAddress.some((t) => t.port === from.port)) return from.port;
  return sameAddress.length === 1 ? sameAddress[0]!.port : defaultPort;
}

/** A sysinfo answer as a DiscoveredDevice, or null for anything else (garbage is never thrown). */
function readAnswer(datagram: Buffer, from: dgram.RemoteInfo, port: number): DiscoveredDevice | null {
  try {
    const where = formatAddress(from.address, from.port);
    const reply = parseReplyText(decodeReplyText(decrypt(datagram), where), where);
    const system = reply['system'];
    const sysinfo = isObject(system) ? system['get_sysinfo'] : undefined;
    if (!isObject(sysinfo) || (sysinfo['err_code'] !== undefined && errCodeOf(sysinfo['err_code']) !== 0)) return null;
    const info = normaliseSysinfo(sysinfo);
    // Our own request echoed back (or an empty object) identifies nothing.
    if (info.deviceId === '' && info.mac === '' && info.model === '') return null;
    return {
      host: from.address,
      port,
      alias: info.alias,
      model: info.model,
      mac: info.mac,
      deviceId: info.deviceId,
      type: info.type,
      outlets: info.outlets?.length ?? 0,
      hasEnergyMeter: info.hasEnergyMeter,
    };
  } catch {
    return null;
  }
}

function sortByAlias(found: Map<string, DiscoveredDevice>): DiscoveredDevice[] {
  return [...found.values()].sort(
    (a, b) => a.alias.localeCompare(b.alias) || a.host.localeCompare(b.host, undefined, { numeric: true }) || a.port - b.port,
  );
}

function sendError(err: NodeJS.ErrnoException, target: Target, isBroadcast: boolean): KasaError {
  const where = formatAddress(target.address, target.port);
  if (err.code === 'EACCES' || err.code === 'EPERM') {
    const what = isBroadcast ? `Broadcasting to ${where}` : `Sending to ${where}`;
    return new KasaError(ErrorCode.UNREACHABLE, `${what} is not permitted here (${err.code}); a firewall or the container may forbid it. Try a list of hosts instead.`, {
      device: where,
      cause: err,
    });
  }
  return fromSocketError(err, where);
}

function bindError(err: NodeJS.ErrnoException, bindAddress: string | undefined): KasaError {
  const where = bindAddress ?? '0.0.0.0';
  if (err.code === 'EADDRNOTAVAIL') {
    return new KasaError(ErrorCode.BAD_INPUT, `The local address ${where} does not belong to this machine.`, { cause: err });
  }
  return new KasaError(ErrorCode.UNREACHABLE, `Discovery could not use a UDP socket on ${where}: ${err.message}`, { cause: err });
}
