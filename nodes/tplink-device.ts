import type { NodeAPI, NodeDef } from 'node-red';
import type { Request, Response } from 'express';
import { DEFAULT_PORT, DEFAULT_TIMEOUT_MS, KasaClient } from '../src/client';
import { KLAP_DEFAULT_PORT } from '../src/klap';
import { isTransportChoice, transportFor } from '../src/transport-choice';
import { SmartDevice } from '../src/device';
import { KasaError } from '../src/errors';
import { registerDiscoveryEndpoint } from './lib/admin-discovery';
import { ADMIN_PREFIX, DeviceConfigNode, DeviceCredentials } from './lib/device-config';

interface DeviceNodeDef extends NodeDef {
  host: string;
  port: string | number;
  timeout: string | number;
  transport: string;
  klapPort?: string | number;
  tddpPort: string | number;
  tddpReplyPort: string | number;
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
    this.transport = isTransportChoice(def.transport) ? def.transport : 'auto';
    this.klapPort = toInt(def.klapPort, KLAP_DEFAULT_PORT);
    this.tddpPort = toInt(def.tddpPort, 1040);
    this.tddpReplyPort = toInt(def.tddpReplyPort, 61000);

    let device: SmartDevice | null = null;
    this.getDevice = () => {
      // Throws BAD_INPUT for an unusable address; the calling node turns that into done(err).
      device ??= new SmartDevice(
        new KasaClient({
          host: this.host,
          port: this.port,
          timeoutMs: this.timeoutMs,
          transport: transportFor({
            transport: this.transport,
            host: this.host,
            port: this.port,
            klapPort: this.klapPort,
            ...(this.credentials?.username ? { username: this.credentials.username } : {}),
            ...(this.credentials?.password ? { password: this.credentials.password } : {}),
          }),
        }),
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
    // settings.js `tplinkDeviceSearchHosts: "host:port, ..."`: the device dialog's search asks these
    // hosts until someone types others (Docker, VLANs; the demo lists its simulated devices).
    settings: { tplinkDeviceSearchHosts: { value: '', exportable: true } },
  });

  // The device dialog's search button finds plugs by broadcast or a list of hosts.
  registerDiscoveryEndpoint(RED);

  // The strip-outlet dialog lists a strip's outlets so a person picks one by name.
  RED.httpAdmin.get(`${ADMIN_PREFIX}/outlets`, RED.auth.needsPermission('tplink-device.read'), (req: Request, res: Response) => {
    void listOutlets(RED, req, res);
  });
};

async function listOutlets(RED: NodeAPI, req: Request, res: Response): Promise<void> {
  const host = String(req.query['host'] ?? '').trim();
  const port = toInt(req.query['port'] as string | undefined, DEFAULT_PORT);
  const byId = typeof req.query['device'] === 'string' ? (RED.nodes.getNode(req.query['device']) as DeviceConfigNode | null) : null;
  // The deployed node only while the dialog still shows its address: an edited one is asked directly.
  const deployed = byId !== null && (host === '' || (byId.host === host && byId.port === port)) ? byId : null;
  let temporary: KasaClient | null = null;
  try {
    let device: SmartDevice;
    if (deployed !== null) {
      device = deployed.getDevice();
    } else {
      // A device not deployed yet: ask it with the address typed in the dialog, then let go.
      temporary = new KasaClient({
        host,
        port,
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
