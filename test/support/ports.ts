import * as dgram from 'node:dgram';

/** A UDP port free right now, found by binding port 0 where the TDDP reply socket binds. */
export async function freeUdpPort(): Promise<number> {
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '0.0.0.0', resolve));
  const { port } = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
