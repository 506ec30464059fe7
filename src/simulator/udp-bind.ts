import * as dgram from 'node:dgram';
import { isIPv6 } from 'node:net';

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
