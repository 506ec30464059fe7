import { Device } from 'tplink-smarthome-simulator';

/**
 * Starts the independent simulator from npm. It binds UDP on an ephemeral port and then TCP on the
 * same number, which another socket may hold already: try again, a bounded number of times.
 */
export async function startPeer(options: ConstructorParameters<typeof Device>[0]): Promise<Device> {
  for (let attempt = 1; ; attempt++) {
    const peer = new Device({ address: '127.0.0.1', port: 0, ...options });
    try {
      await peer.start();
      return peer;
    } catch (err) {
      await peer.stop().catch(() => undefined);
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw err;
    }
  }
}
