import type { NodeAPI, NodeDef } from 'node-red';
import { RANGES } from '../src/util/bounds';
import { DEFAULT_PORT, DEFAULT_TIMEOUT_MS } from '../src/family/iot/client';
import { KLAP_DEFAULT_PORT } from '../src/transport/klap';
import { DEFAULT_REPLY_PORT, DEFAULT_TDDP_PORT, tddpLoginOf } from '../src/tddp';
import { isTransportChoice } from '../src/transport/factory';
import type { Device } from '../src/device/device';
import { DeviceHub } from '../src/device/device-hub';
import { LinkState, linkStateAfter } from '../src/device/link';
import { ErrorCode, KasaError } from '../src/util/errors';
import { connectDevice } from '../src/family/connect';
import { ExchangeTrace, formatExchangeTrace } from '../src/util/trace';
import { registerDiscoveryEndpoint } from './lib/admin-discovery';
import { registerOutletsEndpoint } from './lib/admin-outlets';
import { DeviceConfigNode, DeviceCredentials, LinkNews } from './lib/device-config';
import { useRuntimeI18n } from './lib/i18n';
import { linkStatus } from './lib/status';
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

/** A listener's own mistake must not stop the others. */
function safely(call: () => void): void {
  try {
    call();
  } catch {
    // the node owns its errors
  }
}

export = function register(RED: NodeAPI): void {
  useRuntimeI18n(RED);
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

    const connect = (): Promise<Device> =>
      connectDevice({
        transport: this.transport,
        host: this.host,
        port: this.port,
        klapPort: this.klapPort,
        timeoutMs: this.timeoutMs,
        ...(Number.isInteger(def.tdpPort) && Number(def.tdpPort) > 0 && Number(def.tdpPort) <= 65535 ? { tdpPort: Number(def.tdpPort) } : {}),
        ...(traceEnabled(RED) ? { onExchange: (trace: ExchangeTrace) => this.trace(formatExchangeTrace(trace)) } : {}),
        // TPAP: a device whose TLS certificate changed (logged, and shown in the debug sidebar).
        onWarning: (message: string) => this.warn(message),
        ...(this.credentials?.username ? { username: this.credentials.username } : {}),
        ...(this.credentials?.password ? { password: this.credentials.password } : {}),
      });

    // The one device of this node: connected when first needed (its family found), again after a failed try.
    let opening: Promise<Device> | null = null;
    let connected: Device | null = null;
    let closed = false;
    Object.defineProperty(this, 'connected', { get: () => connected });
    this.device = async () => {
      // Fails BAD_INPUT for an unusable setting or address; the calling node turns that into done(err).
      settings.check();
      if (closed) throw new KasaError(ErrorCode.CLOSED, 'The flow was stopped.');
      opening ??= connect().then(
        (device) => {
          if (closed) void device.close();
          return (connected = device);
        },
        (err: unknown) => {
          opening = null;
          throw err;
        },
      );
      return await opening;
    };

    // How the link stands, told to every node of the device when it changes.
    const listeners = new Map<object, (news: LinkNews) => void>();
    let link: LinkNews = { state: 'connecting', status: linkStatus('connecting') };
    const tell = (state: LinkState | undefined, err?: unknown): void => {
      if (state === undefined || state === link.state) return;
      link = { state, status: linkStatus(state, err) };
      for (const listener of listeners.values()) safely(() => listener(link));
    };
    this.use = async <T>(work: (device: Device) => Promise<T>): Promise<T> => {
      try {
        // Once connected, the device as it is: a poll every second needs no second await.
        const result = await work(connected !== null && !closed ? connected : await this.device());
        tell('online');
        return result;
      } catch (err) {
        tell(linkStateAfter(err), err);
        throw err;
      }
    };
    this.register = (_node, onLink) => {
      const key = {};
      listeners.set(key, onLink);
      safely(() => onLink(link));
      // The first node opens the connection: every node shows at once whether the device answers.
      if (listeners.size === 1 && !closed) {
        this.use(async () => undefined).catch(() => undefined); // the outcome is told to every node by use()
      }
      return () => {
        listeners.delete(key);
        if (listeners.size === 0) void closeDevice();
      };
    };

    // A poll's outcome tells the link as a command's does.
    this.hub = new DeviceHub((request) => this.use((device) => device.poll(request)));

    /** Closes the connection (the last node left, or the flow stops); the next use opens a new one. */
    const closeDevice = async (): Promise<void> => {
      const closing = opening;
      opening = null;
      connected = null;
      link = { state: 'connecting', status: link.status };
      const device = await closing?.catch(() => null);
      // Closing cannot fail in a way a flow could act on; a rejection here would be an unhandled one.
      await device?.close().catch(() => undefined);
    };

    this.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      listeners.clear();
      Promise.all([this.hub.stop(), closeDevice()]).then(() => done(), done);
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
