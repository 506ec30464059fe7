import * as dgram from 'node:dgram';
import { isIP } from 'node:net';
import { ErrorCode, KasaError, fromSocketError } from '../util/errors';
import { formatAddress } from '../transport/transport';
import { pendingReplies } from './pending';

export const DEFAULT_REPLY_PORT = 61000;
export type ReplySocketFamily = 4 | 6;

/**
 * A share of the process's socket on a reply port. Requests are sent from it, so a device that
 * answers to the reply port and one that answers to the source port both reach it.
 */
export interface ReplySocket {
  /** The port actually bound (differs from the one asked for only when that was 0). */
  readonly port: number;
  readonly family: ReplySocketFamily;
  /** Sends a datagram; rejects with a KasaError. */
  send(packet: Uint8Array, port: number, address: string): Promise<void>;
  /** Gives the share back; the last one closes the socket. Calling it twice is harmless. */
  release(): Promise<void>;
}

interface SharedSocket {
  users: number;
  /** The local address it is bound to. */
  address: string;
  ready: Promise<dgram.Socket>;
}

/** Only one socket per host can own a port: one per (family, port) in this process, reference counted. */
const sockets = new Map<string, SharedSocket>();
/** Sockets being closed, so a new acquire of the same port binds only once the old one is gone. */
const closing = new Map<string, Promise<void>>();

/**
 * Takes a share of the reply socket for `replyPort` (0 = any free port, shared as well), binding it
 * on first use to `address` (default every interface: replies come from devices on the network;
 * 127.0.0.1 keeps it to this machine). A Node-RED node can hold a share for its lifetime and
 * release it on close. Rejects with KasaError(NETWORK) when another program holds the port, and
 * BAD_INPUT when this process holds it on another address.
 */
export async function acquireReplySocket(
  replyPort: number = DEFAULT_REPLY_PORT,
  family: ReplySocketFamily = 4,
  address: string = family === 6 ? '::' : '0.0.0.0',
): Promise<ReplySocket> {
  if (!Number.isInteger(replyPort) || replyPort < 0 || replyPort > 0xffff) {
    throw new KasaError(ErrorCode.BAD_INPUT, `The TDDP reply port must be a whole number from 0 to 65535, not ${String(replyPort)}.`);
  }
  if (isIP(address) !== family) {
    throw new KasaError(ErrorCode.BAD_INPUT, `The TDDP reply address ${JSON.stringify(address)} is not an IPv${family} address, as the device's is.`);
  }
  const key = `${family}:${replyPort}`;
  let shared = sockets.get(key);
  if (shared === undefined) {
    shared = { users: 0, address, ready: bindSocket(replyPort, family, key, address) };
    sockets.set(key, shared);
  } else if (shared.address !== address) {
    // One socket per port: a second one on another address of the same port would not bind.
    throw new KasaError(ErrorCode.BAD_INPUT, `UDP port ${replyPort} already receives TDDP replies on ${shared.address} here, so it cannot listen on ${address} as well.`);
  }
  shared.users++;
  let socket: dgram.Socket;
  try {
    socket = await shared.ready;
  } catch (err) {
    shared.users--;
    if (sockets.get(key) === shared) sockets.delete(key);
    throw err;
  }
  return makeShare(socket, shared, key, family);
}

/** How many reply sockets are open in this process (for diagnostics and tests). */
export function openReplySocketCount(): number {
  return sockets.size;
}

function makeShare(socket: dgram.Socket, shared: SharedSocket, key: string, family: ReplySocketFamily): ReplySocket {
  let released = false;
  const port = socket.address().port;
  return {
    port,
    family,
    send(packet, toPort, toAddress) {
      if (released) {
        return Promise.reject(new KasaError(ErrorCode.CLOSED, 'This share of the TDDP reply socket was already released.'));
      }
      return new Promise<void>((resolve, reject) => {
        socket.send(packet, toPort, toAddress, (err) => {
          if (err) reject(fromSocketError(err, formatAddress(toAddress, toPort)));
          else resolve();
        });
      });
    },
    async release() {
      if (released) return;
      released = true;
      shared.users--;
      if (shared.users > 0) return;
      if (sockets.get(key) === shared) sockets.delete(key);
      const closed = new Promise<void>((resolve) => socket.close(() => resolve()));
      closing.set(key, closed);
      await closed;
      if (closing.get(key) === closed) closing.delete(key);
    },
  };
}

async function bindSocket(port: number, family: ReplySocketFamily, key: string, address: string): Promise<dgram.Socket> {
  await closing.get(key);
  const socket = dgram.createSocket(family === 6 ? { type: 'udp6', ipv6Only: true } : { type: 'udp4' });
  await new Promise<void>((resolve, reject) => {
    const onBindError = (err: NodeJS.ErrnoException): void => {
      socket.close();
      reject(bindError(err, port));
    };
    socket.once('error', onBindError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onBindError);
      resolve();
    });
  });
  socket.on('message', (datagram, from) => {
    pendingReplies.dispatch(datagram, from.address);
  });
  // Receive errors on an unconnected UDP socket carry nothing to act on; the waiting requests
  // time out with a clear message. The listener keeps them from crashing the process.
  socket.on('error', () => undefined);
  return socket;
}

/** The system refused the reply socket: NETWORK, with what to do about it. */
function bindError(err: NodeJS.ErrnoException, port: number): KasaError {
  if (err.code === 'EADDRINUSE') {
    return new KasaError(
      ErrorCode.NETWORK,
      `UDP port ${port} is already in use by another program (another TDDP client, or a second Node-RED?), so TDDP replies cannot be received there. Stop that program or choose another reply port.`,
      { cause: err },
    );
  }
  if (err.code === 'EACCES') {
    return new KasaError(
      ErrorCode.NETWORK,
      `This program may not listen on UDP port ${port} (ports below 1024 need special rights). Choose another reply port.`,
      { cause: err },
    );
  }
  return new KasaError(ErrorCode.NETWORK, `Cannot listen on UDP port ${port} for TDDP replies (${err.code ?? 'no code'}): ${err.message}`, { cause: err });
}
