import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { DISCOVERY_PORT, DeviceSearchOptions, MAX_DISCOVERY_HOSTS, TDP_PORT, discoverDevices } from '../../src/discovery';
import { RANGES, checkNumber } from '../../src/util/bounds';
import { ErrorCode, KasaError } from '../../src/util/errors';
import { answerError, singleParameter } from './admin-answer';
import { ADMIN_PREFIX } from './device-config';

export const DISCOVERY_PATH = `${ADMIN_PREFIX}/discover`;
/** The editor waits for the answer: long enough for slow Wi-Fi, short enough to stay usable. */
export const MIN_DISCOVERY_TIMEOUT_MS = 500;
export const MAX_DISCOVERY_TIMEOUT_MS = 10_000;
const DEFAULT_TIMEOUT_MS = 3000;
/** The dialog asks a handful of hosts; a longer list is a scan this endpoint does not offer. */
export const MAX_ENDPOINT_HOSTS = Math.min(64, MAX_DISCOVERY_HOSTS);

/**
 * GET /kasa-flows/discover?broadcast=&hosts=a,b:port&port=&tdpPort=&timeout=<ms> for the config
 * dialog's scan button: one search on port 9999 and TP-Link's discovery (UDP 20002), merged, one
 * entry per device. Without `broadcast`, it broadcasts to 255.255.255.255 unless hosts are given:
 * then only the hosts are asked (`broadcast=...` asks both). A host with a port is asked there with
 * both protocols. The timeout is brought into 500..10000 ms (the dialog sends the device's own
 * timeout, which may be longer).
 * Answers 200 {devices}, 400 {error, code} for bad parameters, 502 {error, code} otherwise.
 * It makes the server send packets to addresses typed in the request: it needs the write permission.
 */
export function registerDiscoveryEndpoint(RED: NodeAPI): void {
  RED.httpAdmin.get(DISCOVERY_PATH, RED.auth.needsPermission('tplink-device.write'), (req: Request, res: Response) => {
    void answerDiscovery(req, res);
  });
}

async function answerDiscovery(req: Request, res: Response): Promise<void> {
  try {
    const options = discoveryOptions(req.query);
    const devices = await discoverDevices(options);
    // The timeout actually used: the dialog's may have been brought into range.
    res.json({ devices, timeoutMs: options.timeoutMs });
  } catch (err) {
    answerError(res, err);
  }
}

/** Reads and bounds the query; throws BAD_INPUT with a message for the dialog. */
export function discoveryOptions(query: Request['query']): DeviceSearchOptions {
  const broadcast = singleParameter(query, 'broadcast');
  const hostsText = singleParameter(query, 'hosts');
  const hosts = (hostsText ?? '')
    .split(/[\s,;]+/)
    .map((h) => h.trim())
    .filter((h) => h !== '');
  if (hosts.length > MAX_ENDPOINT_HOSTS) {
    throw new KasaError(ErrorCode.BAD_INPUT, `${hosts.length} hosts given; the scan asks at most ${MAX_ENDPOINT_HOSTS}.`);
  }
  const port = checkNumber(singleParameter(query, 'port'), { ...RANGES.port, name: 'port' }, DISCOVERY_PORT);
  const tdpPort = checkNumber(singleParameter(query, 'tdpPort'), { ...RANGES.port, name: 'tdpPort' }, TDP_PORT);
  const requestedTimeout = checkNumber(
    singleParameter(query, 'timeout'),
    { name: 'timeout', min: 1, max: Number.MAX_SAFE_INTEGER, unit: 'ms', integer: true },
    DEFAULT_TIMEOUT_MS,
  );
  const timeoutMs = Math.min(Math.max(requestedTimeout, MIN_DISCOVERY_TIMEOUT_MS), MAX_DISCOVERY_TIMEOUT_MS);
  const broadcastGiven = broadcast !== undefined && broadcast.trim() !== '';
  return {
    broadcast: broadcastGiven ? broadcast.trim() : hosts.length > 0 ? null : undefined,
    hosts,
    port,
    tdpPort,
    timeoutMs,
  };
}
