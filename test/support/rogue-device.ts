import * as net from 'node:net';
import { FrameReader } from '../../src/transport/frame-reader';
import { decrypt, encodeTcpFrame } from '../../src/transport/xor-cipher';

/**
 * A TCP peer on 127.0.0.1 that speaks the Smart Home framing but answers whatever the test says:
 * replies no honest plug would send (nested thousands deep, absurd readings, odd err_codes).
 * `answer` gets each request object and returns the reply text; `requests` counts them.
 */
export class RogueDevice {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  requests = 0;

  constructor(private readonly answer: (request: Record<string, unknown>) => string) {
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      const reader = new FrameReader();
      socket.on('data', (segment) => {
        for (const frame of reader.push(segment)) {
          this.requests++;
          const request = JSON.parse(decrypt(frame).toString('utf8')) as Record<string, unknown>;
          socket.write(encodeTcpFrame(this.answer(request)));
        }
      });
    });
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** JSON text of `levels` nested arrays around a value: `[[[...1...]]]`. */
export function deeplyNested(levels: number, inner = '1'): string {
  return `${'['.repeat(levels)}${inner}${']'.repeat(levels)}`;
}

/** A sysinfo reply of a plug whose fields the test sets. */
export function sysinfoReply(fields: Record<string, unknown>): string {
  return JSON.stringify({
    system: {
      get_sysinfo: {
        err_code: 0,
        alias: 'rogue',
        model: 'HS110(EU)',
        deviceId: 'AB'.repeat(20),
        mac: '50:C7:BF:00:00:01',
        type: 'IOT.SMARTPLUGSWITCH',
        feature: 'TIM:ENE',
        relay_state: 0,
        ...fields,
      },
    },
  });
}
