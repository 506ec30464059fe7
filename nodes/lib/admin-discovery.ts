import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { DISCOVERY_PORT, DiscoveryOptions, MAX_DISCOVERY_HOSTS, discover } from '../../src/discovery';
import { ErrorCode, KasaError } from '../../src/errors';
import { ADMIN_PREFIX } from './device-config';

export const DISCOVERY_PATH = `${ADMIN_PREFIX}/discover`;
/** The editor waits for the answer: long enough for slow Wi-Fi, short enough to stay usable. */
export const MIN_DISCOVERY_TIMEOUT_MS = 500;
export const MAX_DISCOVERY_TIMEOUT_MS = 10_000;
const DEFAULT_TIMEOUT_MS = 3000;
/** The dialog asks a handful of hosts; a longer list is a scan this endpoint does not offer. */
export const MAX_ENDPOINT_HOSTS = Math.min(64, MAX_DISCOVERY_HOSTS);

/**
 * GET /kasa-flows/discover?broadcast=&hosts=a,b:port&port=&timeout=<ms> for the config dialog's
 * scan button. Without `broadcast`, it broadcasts to 255.255.255.255 unless hosts are given:
 * then only the hosts are asked (`broadcast=...` asks both). The timeout is brought into
 * 500..10000 ms (the dialog sends the device's own timeout, which may be longer).
 * Answers 200 {devices}, 400 {error, code} for bad parameters, 502 {error, code} otherwise.
 */
export function registerDiscoveryEndpoint(RED: NodeAPI): void {
  RED.httpAdmin.get(DISCOVERY_PATH, RED.auth.needsPermission('tplink-device.read'), (req: Request, res: Response) => {
    void answerDiscovery(req, res);
  });
}

async function answerDiscovery(req: Request, res: Response): Promise<void> {
  try {
    const devices = await discover(discoveryOptions(req.query));
    res.json({ devices });
  } catch (err) {
    const error =
      err instanceof KasaError ? err : new KasaError(ErrorCode.INTERNAL, `Unexpected failure (please report it): ${String(err)}`, { cause: err });
    res.status(error.code === ErrorCode.BAD_INPUT ? 400 : 502).json({ error: error.message, code: error.code });
  }
}

/** Reads and bounds the query; throws BAD_INPUT with a message for the dialog. */
export function discoveryOptions(query: Request['query']): DiscoveryOptions {
  const broadcast = single(query['broadcast'], 'broadcast');
  const hostsText = single(query['hosts'], 'hosts');
  const hosts = (hostsText ?? '')
    .split(/[\s,;]+/)
    .map((h) => h.trim())
    .filter((h) => h !== '');
  if (hosts.length > MAX_ENDPOINT_HOSTS) {
    throw new KasaError(ErrorCode.BAD_INPUT, `${hosts.length} hosts given; the scan asks at most ${MAX_ENDPOINT_HOSTS}.`);
  }
  const port = integer(single(query['port'], 'port'), 'port', DISCOVERY_PORT, 1, 65535);
  const requestedTimeout = integer(single(query['timeout'], 'timeout'), 'timeout', DEFAULT_TIMEOUT_MS, 1, Number.MAX_SAFE_INTEGER);
  const timeoutMs = Math.min(Math.max(requestedTimeout, MIN_DISCOVERY_TIMEOUT_MS), MAX_DISCOVERY_TIMEOUT_MS);
  const broadcastGiven = broadcast !== undefined && broadcast.trim() !== '';
  return {
    broadcast: broadcastGiven ? broadcast.trim() : hosts.length > 0 ? null : undefined,
    hosts,
    port,
    timeoutMs,
  };
}

function single(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new KasaError(ErrorCode.BAD_INPUT, `Give the parameter ${name} once, as text.`);
  return value;
}

function integer(text: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new KasaError(ErrorCode.BAD_INPUT, `${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}.`);
  }
  return value;
}
