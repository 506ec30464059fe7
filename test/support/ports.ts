import * as dgram from 'node:dgram';
import * as net from 'node:net';

/** A UDP port free right now, found by binding port 0 where the TDDP reply socket binds. */
export async function freeUdpPort(): Promise<number> {
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '0.0.0.0', resolve));
  const { port } = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A TCP port on 127.0.0.1 with nothing listening right now: connections to it are refused. */
export async function freeTcpPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
