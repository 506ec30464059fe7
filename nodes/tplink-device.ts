import type { NodeAPI, NodeDef } from 'node-red';
import { RANGES } from '../src/bounds';
import { DEFAULT_PORT, DEFAULT_TIMEOUT_MS } from '../src/client';
import { KLAP_DEFAULT_PORT } from '../src/transport/klap';
import { DEFAULT_REPLY_PORT, DEFAULT_TDDP_PORT, tddpLoginOf } from '../src/tddp';
import { isTransportChoice } from '../src/transport/factory';
import type { Device, DeviceReading } from '../src/device';
import { connectDevice } from '../src/family/connect';
import { PollingHub } from '../src/hub';
import { ExchangeTrace, formatExchangeTrace } from '../src/trace';
import { registerDiscoveryEndpoint } from './lib/admin-discovery';
import { registerOutletsEndpoint } from './lib/admin-outlets';
import { DeviceConfigNode, DeviceCredentials, DeviceWatcher } from './lib/device-config';
import { NodeSettings } from './lib/settings';

interface DeviceNodeDef extends NodeDef {
  host: string;
  port: string | number;
  timeout: string | number;
  transport: string;
  klapPort?: string | number;
  tddpPort: string | number;
  tddpReplyPort: string | number;
  /**
   * Set by the editor from this version on: the TDDP login has fields of its own. A node saved
   * before has none, and its account fields were the TDDP login too: they still are, until TDDP
   * fields are filled in.
   */
  tddpLoginApart?: boolean;
  /** Not in the editor: the TDP port `auto` asks (flows and tests may set it; default 20002). */
  tdpPort?: number;
}

/**
 * Whether any log handler in the settings takes trace messages: only then is each exchange turned
 * into a trace line, so a fleet polled every second pays nothing for it otherwise.
 */
function traceEnabled(RED: NodeAPI): boolean {
  const logging = (RED.settings as unknown as { logging?: Record<string, { level?: string } | undefined> }).logging ?? {};
  return Object.values(logging).some((handler) => handler?.level === 'trace');
}

export = function register(RED: NodeAPI): void {
  function TplinkDeviceNode(this: DeviceConfigNode, def: DeviceNodeDef): void {
    RED.nodes.createNode(this, def);
    const settings = new NodeSettings(this);
    this.host = settings.host(def.host);
    this.port = settings.number(def.port, RANGES.port, DEFAULT_PORT);
    this.timeoutMs = settings.number(def.timeout, RANGES.timeoutMs, DEFAULT_TIMEOUT_MS);
    this.transport = isTransportChoice(def.transport) ? def.transport : 'auto';
    this.klapPort = settings.number(def.klapPort, { ...RANGES.port, name: 'KLAP port' }, KLAP_DEFAULT_PORT);
    this.tddpPort = settings.number(def.tddpPort, { ...RANGES.port, name: 'TDDP port' }, DEFAULT_TDDP_PORT);
    this.tddpReplyPort = settings.number(def.tddpReplyPort, { ...RANGES.localPort, name: 'TDDP reply port' }, DEFAULT_REPLY_PORT);
    this.checkSettings = () => settings.check();
    this.tddpLogin = () => {
      const credentials = this.credentials ?? {};
      const own = Boolean(credentials.tddpUsername) || Boolean(credentials.tddpPassword);
      if (!own && def.tddpLoginApart !== true) return tddpLoginOf(credentials.username, credentials.password);
      return tddpLoginOf(credentials.tddpUsername, credentials.tddpPassword);
    };

    let device: Device | null = null;
    this.getDevice = () => {
      // Throws BAD_INPUT for an unusable setting or address; the calling node turns that into done(err).
      settings.check();
      device ??= connectDevice({
        transport: this.transport,
        host: this.host,
        port: this.port,
        klapPort: this.klapPort,
        timeoutMs: this.timeoutMs,
        ...(Number.isInteger(def.tdpPort) && Number(def.tdpPort) > 0 && Number(def.tdpPort) <= 65535 ? { tdpPort: Number(def.tdpPort) } : {}),
        ...(traceEnabled(RED) ? { onExchange: (trace: ExchangeTrace) => this.trace(formatExchangeTrace(trace)) } : {}),
        ...(this.credentials?.username ? { username: this.credentials.username } : {}),
        ...(this.credentials?.password ? { password: this.credentials.password } : {}),
      });
      return device;
    };

    this.hub = new PollingHub<DeviceReading, DeviceWatcher>((watchers) =>
      this.getDevice().poll(watchers.flatMap((watcher) => (watcher.meters === undefined ? [] : [watcher.meters.bind(watcher)]))),
    );

    this.on('close', (_removed: boolean, done: () => void) => {
      const closing = device;
      device = null;
      const hubStopped = this.hub.stop();
      if (closing === null) return void hubStopped.then(done, done);
      Promise.all([hubStopped, closing.close()]).then(() => done(), done);
    });
  }

  RED.nodes.registerType<DeviceConfigNode, DeviceNodeDef, object, DeviceCredentials>('tplink-device', TplinkDeviceNode, {
    credentials: {
      username: { type: 'text' },
      password: { type: 'password' },
      tddpUsername: { type: 'text' },
      tddpPassword: { type: 'password' },
    },
    // settings.js `tplinkDeviceSearchHosts: "host:port, ..."`: the device dialog's search asks these
    // hosts until someone types others (Docker, VLANs; the demo lists its simulated devices).
    settings: { tplinkDeviceSearchHosts: { value: '', exportable: true } },
  });

  // The device dialog's search button finds plugs by broadcast or a list of hosts.
  registerDiscoveryEndpoint(RED);
  // The strip-outlet dialog lists a strip's outlets so a person picks one by name.
  registerOutletsEndpoint(RED);
};
