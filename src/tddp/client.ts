import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { RANGES, checkNumber } from '../util/bounds';
import { ErrorCode, KasaError, fromSocketError, isKasaError } from '../util/errors';
import { formatAddress, formatSeconds } from '../transport/transport';
import { deriveTddpKey } from './des';
import { TDDP_DEFAULT_LOGIN } from './login';
import { DigestConvention, TDDP_V1, TDDP_V2, TddpHeader, TddpType, TddpVersion, buildTddpPacket, hex2, parseTddpPacket } from './packet';
import { pendingReplies } from './pending';
import { DEFAULT_REPLY_PORT, ReplySocketFamily, acquireReplySocket } from './reply-socket';
import { suspectCredentials } from './reply-check';

export const DEFAULT_TDDP_PORT = 1040;
export const DEFAULT_TDDP_TIMEOUT_MS = 5000;

export interface TddpQueryOptions {
  host: string;
  /** The device's TDDP port (1040). */
  port?: number;
  /** Where this process listens for replies (61000); 0 = any free port. */
  replyPort?: number;
  /** The local address the reply port listens on; default every interface. */
  replyAddress?: string;
  username?: string;
  password?: string;
  /** Request type (3 = special command). */
  type?: number;
  subtype: number;
  /** Request data; strings are sent as UTF-8. */
  data?: Uint8Array | string;
  /** Request id; by default the next free one for this device. */
  id?: number;
  timeoutMs?: number;
  version?: TddpVersion;
  /** Called with the request packet just before it is sent (for logging). */
  onRequest?: (request: Buffer) => void;
}

export interface TddpReplyHeader extends TddpHeader {
  /** Whether the reply's digest matched (null: a v1 reply has no digest). Reported, never enforced. */
  digestOk: boolean | null;
}

export interface TddpReply {
  header: TddpReplyHeader;
  /** Which data the device hashed into its digest, when it matched. */
  digestConvention: DigestConvention | null;
  /** Decrypted data, trailing NULs removed. */
  data: Buffer;
  /** The reply packet as received. */
  raw: Buffer;
  /** The request packet as sent. */
  request: Buffer;
  /** The data could not be decrypted with these credentials (see checkTddpReply). */
  credentialsSuspect: boolean;
}

/**
 * Sends one TDDP request and resolves with the reply, whatever its status (see checkTddpReply).
 * Rejects with KasaError: BAD_INPUT (options), NETWORK (reply port in use), UNREACHABLE, TIMEOUT, PROTOCOL.
 */
export async function queryTddp(options: TddpQueryOptions): Promise<TddpReply> {
  const request = checkOptions(options);
  const device = formatAddress(request.host, request.port);
  const address = await resolveHost(request.host, device);
  const family: ReplySocketFamily = isIP(address) === 6 ? 6 : 4;
  const replySocket = await acquireReplySocket(request.replyPort, family, request.replyAddress);
  try {
    return await exchange(request, address, device, (packet) => replySocket.send(packet, request.port, address));
  } finally {
    await replySocket.release();
  }
}

type CheckedOptions = Required<Omit<TddpQueryOptions, 'id' | 'data' | 'onRequest' | 'replyAddress'>> &
  Pick<TddpQueryOptions, 'id' | 'data' | 'onRequest' | 'replyAddress'>;

function exchange(
  options: CheckedOptions,
  address: string,
  device: string,
  send: (packet: Buffer) => Promise<void>,
): Promise<TddpReply> {
  const key = deriveTddpKey(options.username, options.password);
  return new Promise<TddpReply>((resolve, reject) => {
    let id: number;
    let request: Buffer;
    try {
      id = pendingReplies.register(address, (raw) => settle(() => resolveReply(raw)), options.id);
    } catch (err) {
      reject(err);
      return;
    }
    try {
      request = buildTddpPacket({
        version: options.version,
        type: options.type,
        id,
        subtype: options.subtype,
        ...(options.data === undefined ? {} : { data: options.data }),
        key,
      });
    } catch (err) {
      pendingReplies.unregister(address, id);
      reject(err);
      return;
    }

    let settled = false;
    const timer = setTimeout(() => settle(() => reject(timeoutError(options, device))), options.timeoutMs);
    function settle(outcome: () => void): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      pendingReplies.unregister(address, id);
      outcome();
    }
    function resolveReply(raw: Buffer): void {
      try {
        const parsed = parseTddpPacket(raw, key);
        resolve({
          header: { ...parsed.header, digestOk: parsed.digestOk },
          digestConvention: parsed.digestConvention,
          data: parsed.data,
          raw,
          request,
          credentialsSuspect: suspectCredentials(parsed),
        });
      } catch (err) {
        reject(isKasaError(err) ? withDevice(err, device) : err);
      }
    }

    try {
      options.onRequest?.(request);
    } catch {
      // A logging callback that fails must not break the exchange.
    }
    send(request).then(undefined, (err: unknown) => settle(() => reject(err)));
  });
}

function timeoutError(options: CheckedOptions, device: string): KasaError {
  return new KasaError(
    ErrorCode.TIMEOUT,
    `${device} did not answer the TDDP request (type ${options.type}, subtype 0x${hex2(options.subtype)}) within ${formatSeconds(options.timeoutMs)}. ` +
      `Check the address and that the device speaks TDDP; replies come to UDP port ${options.replyPort || 'chosen by the system'}, which a firewall must let in.`,
    { device },
  );
}

function withDevice(err: KasaError, device: string): KasaError {
  return new KasaError(err.code, `${device}: ${err.message}`, { device, cause: err });
}

async function resolveHost(host: string, device: string): Promise<string> {
  if (isIP(host) !== 0) return host;
  try {
    const addresses = await lookup(host, { all: true });
    // TP-Link devices speak IPv4; prefer it when a name has both.
    const chosen = addresses.find((entry) => entry.family === 4) ?? addresses[0];
    if (chosen === undefined) throw Object.assign(new Error(`no address for ${host}`), { code: 'ENOTFOUND' });
    return chosen.address;
  } catch (err) {
    throw fromSocketError(err as NodeJS.ErrnoException, device);
  }
}

function checkOptions(options: TddpQueryOptions): CheckedOptions {
  if (typeof options.host !== 'string' || options.host.trim() === '') {
    throw new KasaError(ErrorCode.BAD_INPUT, 'A TDDP request needs the device address (host).');
  }
  const version = options.version ?? TDDP_V2;
  if (version !== TDDP_V1 && version !== TDDP_V2) {
    throw new KasaError(ErrorCode.BAD_INPUT, `TDDP version must be 1 or 2, not ${String(version)}.`);
  }
  const timeoutMs = checkNumber(options.timeoutMs, { ...RANGES.timeoutMs, name: 'The TDDP timeout' }, DEFAULT_TDDP_TIMEOUT_MS);
  const port = checkNumber(options.port, { ...RANGES.port, name: 'The TDDP port' }, DEFAULT_TDDP_PORT);
  return {
    host: options.host.trim(),
    port,
    replyPort: checkNumber(options.replyPort, { ...RANGES.localPort, name: 'The TDDP reply port' }, DEFAULT_REPLY_PORT),
    username: options.username ?? TDDP_DEFAULT_LOGIN.username,
    password: options.password ?? TDDP_DEFAULT_LOGIN.password,
    type: checkByte('type', options.type ?? TddpType.SPECIAL_COMMAND),
    subtype: checkByte('subtype', options.subtype),
    timeoutMs,
    version,
    ...(options.id === undefined ? {} : { id: checkId(options.id) }),
    ...(options.data === undefined ? {} : { data: options.data }),
    ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
    ...(options.replyAddress === undefined ? {} : { replyAddress: options.replyAddress }),
  };
}

function checkByte(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new KasaError(ErrorCode.BAD_INPUT, `TDDP ${name} must be a whole number from 0 to 255 (0x00 to 0xff), not ${String(value)}.`);
  }
  return value;
}

function checkId(id: number): number {
  if (!Number.isInteger(id) || id < 0 || id > 0xffff) {
    throw new KasaError(ErrorCode.BAD_INPUT, `TDDP id must be a whole number from 0 to 65535, not ${String(id)}.`);
  }
  return id;
}
