import type * as dgram from 'node:dgram';
import { RANGES, checkNumber } from '../util/bounds';
import { errCodeOf } from '../family/iot/reply';
import { decodeReplyText, isObject, parseReplyText } from '../util/json';
import { normaliseSysinfo } from '../family/iot/sysinfo';
import { formatAddress } from '../transport/transport';
import { decrypt, encodeDatagram } from '../transport/xor-cipher';
import { DEFAULT_BROADCAST, HostEntry, checkBindAddress, checkBroadcast, checkPort, parseHostList, resolveEntries } from './targets';
import { SearchTarget, entriesOf, runSearch } from './udp-search';

/** Kasa's own discovery: the XOR-"encrypted" sysinfo request on UDP 9999. */
export const DISCOVERY_PORT = 9999;
export const DEFAULT_DISCOVERY_TIMEOUT_MS = 3000;
export const DEFAULT_DISCOVERY_ROUNDS = 3;

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
  onDevice?: (device: XorDiscoveredDevice) => void;
}

/** A device that answered on port 9999. */
export interface XorDiscoveredDevice {
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

/** The options every search shares, checked; throws BAD_INPUT before anything is sent. */
export interface CheckedSearch {
  port: number;
  timeoutMs: number;
  rounds: number;
  broadcast: string | null;
  entries: HostEntry[];
}

export function checkSearchOptions(options: Omit<DiscoveryOptions, 'onDevice'>): CheckedSearch {
  const port = checkPort(options.port ?? DISCOVERY_PORT, 'port');
  const timeoutMs = checkNumber(options.timeoutMs, { ...RANGES.timeoutMs, name: 'The search timeout' }, DEFAULT_DISCOVERY_TIMEOUT_MS);
  // More rounds than this would be a flood, not a search.
  const rounds = checkNumber(options.rounds, { name: 'The number of search rounds', min: 1, max: 10, integer: true }, DEFAULT_DISCOVERY_ROUNDS);
  const broadcast = checkBroadcast(options.broadcast === undefined ? DEFAULT_BROADCAST : options.broadcast);
  const entries = parseHostList(options.hosts ?? [], port);
  checkBindAddress(options.bindAddress);
  return { port, timeoutMs, rounds, broadcast, entries };
}

export function xorQuery(): Buffer {
  return encodeDatagram(SYSINFO_REQUEST);
}

/**
 * Finds Kasa devices by asking for their sysinfo over UDP: a broadcast and/or a list of hosts.
 * Answers are accepted from any address and port; anything that is not a sysinfo is ignored.
 */
export async function discover(options: DiscoveryOptions = {}): Promise<XorDiscoveredDevice[]> {
  const checked = checkSearchOptions(options);
  if (options.signal?.aborted) return [];
  const entries = await resolveEntries(checked.entries);
  const request = xorQuery();
  const targets: SearchTarget[] = entries.map((e, index) => ({ address: e.host, port: e.port, request, entry: index }));
  if (checked.broadcast !== null) targets.unshift({ address: checked.broadcast, port: checked.port, request, entry: 'broadcast' });
  // Stopped while host names were being resolved: the abort event has already gone by.
  if (targets.length === 0 || options.signal?.aborted) return [];
  const found = await runSearch<XorDiscoveredDevice>({
    targets,
    entries: entries.length,
    broadcasting: checked.broadcast !== null,
    timeoutMs: checked.timeoutMs,
    rounds: checked.rounds,
    bindAddress: options.bindAddress,
    signal: options.signal,
    read: (datagram, from) => {
      const asked = entriesOf(targets, from);
      const device = readXorAnswer(datagram, from, asked?.port ?? checked.port);
      if (device === null) return null;
      return { key: device.deviceId !== '' ? device.deviceId : formatAddress(device.host, device.port), item: device, entries: asked?.entries ?? [] };
    },
    ...(options.onDevice === undefined ? {} : { onNew: options.onDevice }),
  });
  return sortDevices(found);
}

/** A sysinfo answer as an XorDiscoveredDevice, or null for anything else (garbage is never thrown). */
export function readXorAnswer(datagram: Buffer, from: dgram.RemoteInfo, port: number): XorDiscoveredDevice | null {
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

/** By alias, then address and port. */
export function sortDevices<T extends { alias: string; host: string; port: number }>(found: T[]): T[] {
  return [...found].sort((a, b) => a.alias.localeCompare(b.alias) || a.host.localeCompare(b.host, undefined, { numeric: true }) || a.port - b.port);
}
