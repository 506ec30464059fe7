import type { NodeAPI, NodeDef } from 'node-red';
import type { Request, Response } from 'express';
import { AutoTransport } from '../src/auto-transport';
import { ClientOptions, DEFAULT_PORT, DEFAULT_TIMEOUT_MS, KasaClient } from '../src/client';
import { KLAP_DEFAULT_PORT, KlapTransport } from '../src/klap';
import { SmartDevice } from '../src/device';
import { KasaError } from '../src/errors';
import { registerDiscoveryEndpoint } from './lib/admin-discovery';
import { ADMIN_PREFIX, DeviceConfigNode, DeviceCredentials, TransportChoice } from './lib/device-config';

interface DeviceNodeDef extends NodeDef {
  host: string;
  port: string | number;
  timeout: string | number;
  transport: string;
  klapPort?: string | number;
  tddpPort: string | number;
  tddpReplyPort: string | number;
}

const TRANSPORTS: readonly TransportChoice[] = ['auto', 'tcp', 'udp', 'klap'];

/** The config node's transport setting as the client takes it; KLAP with the node's credentials. */
function makeTransport(node: DeviceConfigNode): ClientOptions['transport'] {
  if (node.transport === 'tcp' || node.transport === 'udp') return node.transport;
  if (node.host === '') return 'tcp'; // the client explains the missing address
  const credentials = {
    ...(node.credentials?.username ? { username: node.credentials.username } : {}),
    ...(node.credentials?.password ? { password: node.credentials.password } : {}),
  };
  if (node.transport === 'klap') return new KlapTransport({ host: node.host, port: node.klapPort, ...credentials });
  return new AutoTransport({ host: node.host, port: node.port, klapPort: node.klapPort, ...credentials });
}

function toInt(value: string | number | undefined, fallback: number): number {
  const n = typeof value === 'number' ? value : Number.parseInt(String(value ?? ''), 10);
  return Number.isFinite(n) ? n : fallback;
}

export = function register(RED: NodeAPI): void {
  function TplinkDeviceNode(this: DeviceConfigNode, def: DeviceNodeDef): void {
    RED.nodes.createNode(this, def);
    this.host = String(def.host ?? '').trim();
    this.port = toInt(def.port, DEFAULT_PORT);
    this.timeoutMs = toInt(def.timeout, DEFAULT_TIMEOUT_MS);
    this.transport = TRANSPORTS.includes(def.transport as TransportChoice) ? (def.transport as TransportChoice) : 'auto';
    this.klapPort = toInt(def.klapPort, KLAP_DEFAULT_PORT);
    this.tddpPort = toInt(def.tddpPort, 1040);
    this.tddpReplyPort = toInt(def.tddpReplyPort, 61000);

    let device: SmartDevice | null = null;
    this.getDevice = () => {
      // Throws BAD_INPUT for an unusable address; the calling node turns that into done(err).
      device ??= new SmartDevice(
        new KasaClient({ host: this.host, port: this.port, timeoutMs: this.timeoutMs, transport: makeTransport(this) }),
      );
      return device;
    };

    this.on('close', (_removed: boolean, done: () => void) => {
      const closing = device;
      device = null;
      if (closing === null) return done();
      closing.client.close().then(done, done);
    });
  }

  RED.nodes.registerType<DeviceConfigNode, DeviceNodeDef, object, DeviceCredentials>('tplink-device', TplinkDeviceNode, {
    credentials: { username: { type: 'text' }, password: { type: 'password' } },
  });

  // The device dialog's search button finds plugs by broadcast or a list of hosts.
  registerDiscoveryEndpoint(RED);

  // The strip-outlet dialog lists a strip's outlets so a person picks one by name.
  RED.httpAdmin.get(`${ADMIN_PREFIX}/outlets`, RED.auth.needsPermission('tplink-device.read'), (req: Request, res: Response) => {
    void listOutlets(RED, req, res);
  });
};

async function listOutlets(RED: NodeAPI, req: Request, res: Response): Promise<void> {
  const deployed = typeof req.query['device'] === 'string' ? (RED.nodes.getNode(req.query['device']) as DeviceConfigNode | null) : null;
  let temporary: KasaClient | null = null;
  try {
    let device: SmartDevice;
    if (deployed !== null) {
      device = deployed.getDevice();
    } else {
      // A device not deployed yet: ask it with the address typed in the dialog, then let go.
      temporary = new KasaClient({
        host: String(req.query['host'] ?? ''),
        port: toInt(req.query['port'] as string | undefined, DEFAULT_PORT),
        timeoutMs: toInt(req.query['timeout'] as string | undefined, DEFAULT_TIMEOUT_MS),
        transport: req.query['transport'] === 'udp' ? 'udp' : 'tcp',
        persistent: false,
      });
      device = new SmartDevice(temporary);
    }
    const { info } = await device.getSysinfo();
    res.json({
      alias: info.alias,
      model: info.model,
      outlets: (info.outlets ?? []).map(({ index, id, alias, on }) => ({ index, id, alias, on })),
    });
  } catch (err) {
    const error = err instanceof KasaError ? err : new Error(String(err));
    res.status(502).json({ error: error.message, code: (error as KasaError).code ?? 'INTERNAL' });
  } finally {
    await temporary?.close();
  }
}
