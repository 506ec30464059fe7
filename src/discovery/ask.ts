import * as dgram from 'node:dgram';
import { isIP } from 'node:net';
import { TdpAnswer, encodeTdpQuery, freshTdpKey, parseTdpAnswer } from './tdp';

/**
 * One key for every single-device question of this process: its private half is dropped at once
 * (nothing here reads `encrypt_info`), so sharing it gives nothing away and saves an RSA-2048
 * key generation per device.
 */
let sharedKey: Promise<string> | undefined;

/**
 * Asks one device over TP-Link's discovery protocol (unicast to host:port) what it is and how to
 * talk to it: its answer, or null when none comes within the time (discovery blocked, an older
 * device, nothing there). A connected socket, so a closed port answers at once where the network
 * says so (ICMP). Only answers from that address and port count. Never throws.
 */
export async function askTdp(host: string, port: number, timeoutMs: number): Promise<TdpAnswer | null> {
  let query: Buffer;
  try {
    sharedKey ??= freshTdpKey().catch((err: unknown) => {
      sharedKey = undefined;
      throw err;
    });
    query = encodeTdpQuery(await sharedKey);
  } catch {
    return null;
  }
  return await new Promise<TdpAnswer | null>((resolve) => {
    const socket = dgram.createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    let settled = false;
    const finish = (answer: TdpAnswer | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        socket.close(() => resolve(answer));
      } catch {
        resolve(answer);
      }
    };
    const timer = setTimeout(() => finish(null), Math.max(1, timeoutMs));
    socket.on('error', () => finish(null));
    socket.on('message', (datagram) => {
      const answer = parseTdpAnswer(datagram);
      if (answer !== null) finish(answer);
    });
    socket.connect(port, host, () => {
      socket.send(query, (err) => {
        if (err) finish(null);
      });
    });
  });
}
