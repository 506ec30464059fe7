import type * as dgram from 'node:dgram';
import { formatAddress } from '../transport/transport';
import { TDP_PORT, TdpAnswer, encodeTdpQuery, freshTdpKey, parseTdpAnswer } from './tdp';
import { checkPort, resolveEntries } from './targets';
import { DiscoveryOptions, XorDiscoveredDevice, checkSearchOptions, readXorAnswer, sortDevices, xorQuery } from './xor';
import { SearchTarget, entriesOf, runSearch } from './udp-search';

export type DeviceFamily = 'iot' | 'smart';
/** How the device's requests are protected: Kasa's XOR on 9999, or KLAP, AES or TPAP over HTTP. */
export type DeviceEncryption = 'xor' | 'klap' | 'aes' | 'tpap';
/** Which discovery the device answered: port 9999 (XOR) or TP-Link's discovery protocol. */
export type DiscoveryProtocol = 'xor' | 'tdp';

/** One device of a merged search, however many ways it answered. */
export interface DiscoveredDevice extends XorDiscoveredDevice {
  /** 'iot' for the Kasa protocol, 'smart' for Tapo's (and newer Kasa hardware's). */
  family: DeviceFamily;
  encryption: DeviceEncryption;
  /** The HTTP port of KLAP, AES or TPAP; null when the device answered only on port 9999. */
  httpPort: number | null;
  https: boolean;
  /** KLAP or AES on a device bound to an account: it takes only that TP-Link account. */
  needsAccount: boolean;
  /** Bound to no account yet (set up from new, or reset). */
  factoryDefault: boolean;
  /** The bound account as the device gives it (a hash); '' when unbound or not said. */
  owner: string;
  /** AES login version (`lv`); null when not said. */
  loginVersion: number | null;
  /** A hub (H100, KH100: SMART.TAPOHUB, SMART.KASAHUB), whose children are sensors, switches and valves. */
  hub: boolean;
  answered: DiscoveryProtocol[];
}

export interface DeviceSearchOptions extends Omit<DiscoveryOptions, 'onDevice'> {
  /**
   * TDP's port on the broadcast and on hosts without a port of their own (default 20002). A host
   * given as "host:port" is asked on that port with both protocols ("host:9999" asks 9999 for XOR
   * and this port for TDP). Answers are taken from any port, so tests can use any.
   */
  tdpPort?: number;
  /** Ask with TDP too (default true); false is port 9999 only. */
  tdp?: boolean;
  onDevice?: (device: DiscoveredDevice) => void;
}

/**
 * One search for every kind of device: Kasa's sysinfo on port 9999 and TP-Link's discovery (TDP)
 * from one socket, answers merged into one entry per device (by MAC, else device id, else address).
 */
export async function discoverDevices(options: DeviceSearchOptions = {}): Promise<DiscoveredDevice[]> {
  const checked = checkSearchOptions(options);
  const tdpPort = checkPort(options.tdpPort ?? TDP_PORT, 'The TDP port');
  const withTdp = options.tdp !== false;
  if (options.signal?.aborted) return [];
  const entries = await resolveEntries(checked.entries);
  if ((entries.length === 0 && checked.broadcast === null) || options.signal?.aborted) return [];
  const xorRequest = xorQuery();
  // A key of its own for each search, dropped with it.
  const tdpRequest = withTdp ? encodeTdpQuery(await freshTdpKey()) : null;
  if (options.signal?.aborted) return [];

  const xorTargets: SearchTarget[] = entries.map((e, index) => ({ address: e.host, port: e.port, request: xorRequest, entry: index }));
  const tdpTargets: SearchTarget[] =
    tdpRequest === null
      ? []
      : entries.map((e, index) => ({ address: e.host, port: e.portGiven && e.port !== checked.port ? e.port : tdpPort, request: tdpRequest, entry: index }));
  const broadcasts: SearchTarget[] = [];
  if (checked.broadcast !== null) {
    broadcasts.push({ address: checked.broadcast, port: checked.port, request: xorRequest, entry: 'broadcast' });
    if (tdpRequest !== null) broadcasts.push({ address: checked.broadcast, port: tdpPort, request: tdpRequest, entry: 'broadcast' });
  }
  const targets = dedupe([...broadcasts, ...xorTargets, ...tdpTargets], xorRequest);

  const found = await runSearch<DiscoveredDevice>({
    targets,
    entries: entries.length,
    broadcasting: checked.broadcast !== null,
    timeoutMs: checked.timeoutMs,
    rounds: checked.rounds,
    bindAddress: options.bindAddress,
    signal: options.signal,
    read: (datagram, from) => {
      const tdp = tdpRequest === null ? null : parseTdpAnswer(datagram);
      if (tdp !== null) {
        const device = fromTdp(tdp, from);
        return { key: deviceKey(device), item: device, entries: entriesOf(tdpTargets, from)?.entries ?? [] };
      }
      const asked = entriesOf(xorTargets, from);
      const xor = readXorAnswer(datagram, from, asked?.port ?? checked.port);
      if (xor === null) return null;
      const device = fromXor(xor);
      return { key: deviceKey(device), item: device, entries: asked?.entries ?? [] };
    },
    merge: mergeDevices,
    ...(options.onDevice === undefined ? {} : { onNew: options.onDevice }),
  });
  return sortDevices(found);
}

/** An entry listed twice is asked once per round, as by the 9999 search. */
function dedupe(targets: SearchTarget[], xorRequest: Buffer): SearchTarget[] {
  const seen = new Set<string>();
  return targets.filter((t) => {
    const key = `${formatAddress(t.address, t.port)}|${t.request === xorRequest ? 'xor' : 'tdp'}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** "48-22-54-00-00-0A", "48:22:54:00:00:0a" and "48225400000A" are the same MAC. */
export function normaliseMac(mac: string): string {
  const hex = mac.replace(/[-:.\s]/g, '').toUpperCase();
  return /^[0-9A-F]{12}$/.test(hex) ? hex : '';
}

function deviceKey(device: DiscoveredDevice): string {
  const mac = normaliseMac(device.mac);
  if (mac !== '') return `mac:${mac}`;
  if (device.deviceId !== '') return `id:${device.deviceId}`;
  return `at:${device.host}`;
}

export function fromXor(xor: XorDiscoveredDevice): DiscoveredDevice {
  return {
    ...xor,
    family: 'iot',
    encryption: 'xor',
    httpPort: null,
    https: false,
    needsAccount: false,
    factoryDefault: false,
    owner: '',
    loginVersion: null,
    hub: false,
    answered: ['xor'],
  };
}

export function fromTdp(answer: TdpAnswer, from: Pick<dgram.RemoteInfo, 'address'>): DiscoveredDevice {
  const family: DeviceFamily = answer.deviceType.toUpperCase().startsWith('IOT.') ? 'iot' : 'smart';
  // No scheme named: older firmware, AES for SMART devices (unverified), the 9999 protocol for Kasa ones.
  const encryption: DeviceEncryption = answer.encryption ?? (family === 'iot' ? 'xor' : 'aes');
  return {
    host: from.address,
    port: answer.httpPort,
    alias: '',
    model: answer.model,
    mac: answer.mac,
    deviceId: answer.deviceId,
    type: answer.deviceType,
    outlets: 0,
    hasEnergyMeter: false,
    family,
    encryption,
    httpPort: answer.httpPort,
    https: answer.https,
    needsAccount: (encryption === 'klap' || encryption === 'aes' || encryption === 'tpap') && answer.owner !== '',
    factoryDefault: answer.factoryDefault,
    owner: answer.owner,
    loginVersion: answer.loginVersion ?? null,
    hub: answer.deviceType.toUpperCase().includes('HUB'),
    answered: ['tdp'],
  };
}

/**
 * One device that answered both ways: its 9999 answer gives the name, outlets, meter and port;
 * its TDP answer says the family and how the device wants to be spoken to.
 */
export function mergeDevices(a: DiscoveredDevice, b: DiscoveredDevice): DiscoveredDevice {
  const xor = a.answered.includes('xor') ? a : b.answered.includes('xor') ? b : undefined;
  const tdp = a.answered.includes('tdp') ? a : b.answered.includes('tdp') ? b : undefined;
  if (xor === undefined || tdp === undefined || xor === tdp) return a;
  return {
    ...tdp,
    host: xor.host,
    port: xor.port,
    alias: xor.alias,
    model: xor.model || tdp.model,
    mac: xor.mac || tdp.mac,
    deviceId: xor.deviceId || tdp.deviceId,
    type: xor.type || tdp.type,
    outlets: xor.outlets,
    hasEnergyMeter: xor.hasEnergyMeter,
    answered: ['xor', 'tdp'],
  };
}
