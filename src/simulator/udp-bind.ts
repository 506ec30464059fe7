import * as dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { ErrorCode, KasaError } from '../util/errors';

/**
 * A UDP socket bound to address:port on its own (`exclusive`: two simulators never share a port),
 * rejecting when the port is taken; afterwards socket errors are ignored, as a device ignores them.
 */
export function bindUdpSocket(address: string, port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket(isIPv6(address) ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind({ address, port, exclusive: true }, () => {
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}

/**
 * Why a simulator cannot listen, in words: the same for every model and protocol (TCP, UDP, HTTP for
 * KLAP and AES, TDP), never a bare EADDRINUSE.
 */
export function listenError(err: NodeJS.ErrnoException, address: string, what: string): KasaError {
  const reason =
    err.code === 'EADDRINUSE'
      ? 'the port is already in use'
      : err.code === 'EADDRNOTAVAIL'
        ? 'that address is not one of this machine'
        : err.code === 'EACCES'
          ? 'permission denied (ports below 1024 need privileges)'
          : err.message;
  return new KasaError(ErrorCode.BAD_INPUT, `The simulator cannot listen (${what}) on ${address}: ${reason}.`, { cause: err });
}
