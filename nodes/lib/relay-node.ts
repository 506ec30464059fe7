import type { Node, NodeAPI, NodeDef, NodeStatus } from 'node-red';
import { RANGES } from '../../src/util/bounds';
import { checkPermission, parseAction, parseOutletSelectors, runAction } from '../../src/device/actions';
import { Device, Target, resolveOutlets, stateReading } from '../../src/device/device';
import { ErrorCode, KasaError } from '../../src/util/errors';
import { DeviceInfo, OutletInfo, currentOutlets } from '../../src/device/state';
import type { DeviceConfigNode } from './device-config';
import type { DeviceSubscriber, PartState } from '../../src/device/device-hub';
import { handleInput } from './input';
import { NodeSettings } from './settings';
import { statusText } from './i18n';
import { offlineStatus, powerStatus } from './status';

export interface RelayNodeDef extends NodeDef {
  device: string;
  /** Default action when a message names none: '', 'on', 'off', 'toggle', a preset name. */
  action?: string;
  topic?: string;
  allowRaw?: boolean;
  allowDestructive?: boolean;
  /** Seconds between polls that watch for changes made elsewhere; 0 or empty: no watching. */
  pollInterval?: string | number;
  /** strip-outlet only: the outlets, e.g. "1", "Lamp", "1,3", "all". */
  outlet?: string;
}

/** Finds the config node, or explains on every message that there is none. */
export function deviceNodeOf(RED: NodeAPI, node: Node, id: string): DeviceConfigNode | null {
  const deviceNode = RED.nodes.getNode(id) as DeviceConfigNode | null;
  if (deviceNode !== null) return deviceNode;
  node.status({ fill: 'red', shape: 'ring', text: statusText('noDevice') });
  node.on('input', (_msg: unknown, _send: unknown, done: (err: Error) => void) => {
    done(new KasaError(ErrorCode.BAD_INPUT, 'No TP-Link device is set: open this node and choose or add a device.'));
  });
  return null;
}

/** A poll interval setting in ms; 0 (no polling) when empty or 0, checked against its range otherwise. */
export function pollIntervalMs(settings: NodeSettings, value: string | number | undefined): number {
  if (value === undefined || value === '' || Number(value) === 0) return 0;
  const seconds = settings.number(value, RANGES.pollSeconds, 0);
  return Math.round(seconds * 1000);
}

/**
 * Registers a node with its device node: it shows the link's state (connecting, offline, account
 * refused) as the device node tells it, and its own status (`show`) while online. Returns the
 * node's own status setter and the deregistration.
 */
export function registerWithDevice(node: Node, deviceNode: DeviceConfigNode): { show(status: NodeStatus): void; leave(): void } {
  let own: NodeStatus | undefined;
  let online = false;
  const leave = deviceNode.register(node, (news) => {
    online = news.state === 'online';
    node.status(online ? (own ?? news.status) : news.status);
  });
  return {
    show(status: NodeStatus): void {
      own = status;
      node.status(status);
    },
    leave,
  };
}

/**
 * The behaviour plug-control and strip-outlet share: actions from messages, the permission guard,
 * output shaped as the package's message contracts say, status, and optional watching for changes
 * made elsewhere (as events of the device's hub).
 */
export function setupRelayNode(RED: NodeAPI, node: Node, def: RelayNodeDef, mode: 'plug' | 'outlets'): void {
  const deviceNode = deviceNodeOf(RED, node, def.device);
  if (deviceNode === null) return;
  const settings = new NodeSettings(node);
  const permissions = { allowRaw: def.allowRaw === true, allowDestructive: def.allowDestructive === true };
  const topic = typeof def.topic === 'string' && def.topic !== '' ? def.topic : undefined;
  const configuredOutlets = parseOutletSelectors(def.outlet ?? '');
  const status = registerWithDevice(node, deviceNode);

  /** What a message works on: the device (plug-control), or the outlets it or the node names. */
  const targetOf = async (device: Device, requested: unknown): Promise<Target> => {
    if (mode === 'plug') return device;
    const selectors = requested === undefined ? configuredOutlets : parseOutletSelectors(requested);
    if (selectors.length === 0) {
      throw new KasaError(ErrorCode.BAD_INPUT, 'No outlet chosen: set one in the node or send msg.outlet (index, id, name or "all").');
    }
    return device.children(await device.resolveOutlets(selectors));
  };

  const watcher = createWatcher(node, deviceNode, pollIntervalMs(settings, def.pollInterval), mode, configuredOutlets, topic, status.show);

  handleInput(node, async (msg, send) => {
    settings.check();
    const action = parseAction(msg, def.action);
    checkPermission(action, permissions);
    const { device, result } = await deviceNode.use(async (device) => ({ device, result: await runAction(await targetOf(device, msg['outlet']), action) }));
    // What the command did is news to the other nodes of the device: they hear it now, not at their
    // next poll; this node reports it itself. (A command that read no sysinfo leaves both alone.)
    if (result.info !== undefined) deviceNode.hub.publish(stateReading(result.info), watcher ?? undefined);
    msg.payload = result.payload;
    msg['device'] = device.identity();
    if (mode === 'plug' && result.info?.brightness !== undefined) msg['brightness'] = result.info.brightness;
    if (mode === 'outlets') msg['outlet'] = describeOutlets(result.outlets);
    if (topic !== undefined) msg.topic = topic;
    if (device.info !== undefined) status.show(statusOf(device.info, mode === 'plug' ? [] : result.outlets));
    send(msg);
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    const stopped = watcher === null ? Promise.resolve() : deviceNode.hub.unsubscribe(watcher);
    stopped.then(done, done).finally(status.leave);
  });
}

function statusOf(info: DeviceInfo, outlets: readonly OutletInfo[]) {
  if (outlets.length === 0) return powerStatus(info.on, '', info.brightness);
  const current = currentOutlets(info, outlets);
  return powerStatus(current.map((o) => o.on), current.length === 1 ? current[0]!.alias : '');
}

type OutletOut = { index: number; id: string; alias: string };

function describeOutlets(outlets: readonly OutletInfo[]): OutletOut | OutletOut[] {
  const list = outlets.map(({ index, id, alias }) => ({ index, id, alias }));
  return list.length === 1 ? list[0]! : list;
}

/**
 * Subscribes to the device's hub and turns its events into messages: one per change made elsewhere
 * (the button, the app, a schedule), one when the device goes offline (and one error for Catch
 * nodes), and the whole state when it is back. The hub compares; this only reports.
 */
function createWatcher(
  node: Node,
  deviceNode: DeviceConfigNode,
  intervalMs: number,
  mode: 'plug' | 'outlets',
  configuredOutlets: ReturnType<typeof parseOutletSelectors>,
  topic: string | undefined,
  show: (status: NodeStatus) => void,
): DeviceSubscriber | null {
  if (intervalMs === 0) return null;
  const withTopic = topic === undefined ? {} : { topic };

  /** What is watched: the plug itself, or the strip's outlets set in the node (all when none). */
  const follows = (info: DeviceInfo): ReadonlySet<string> => {
    if (mode === 'plug') return new Set(['']);
    const outlets = configuredOutlets.length === 0 ? (info.outlets ?? []) : configuredOutlets.flatMap((s) => safeResolve(info, s));
    return new Set(outlets.map((o) => o.id));
  };

  const report = (event: 'online' | 'change', info: DeviceInfo, parts: readonly PartState[]): void => {
    const device = deviceNode.connected?.identity();
    for (const { on, brightness, outlet } of parts) {
      const where = outlet === undefined ? {} : { outlet: { index: outlet.index, id: outlet.id, alias: outlet.alias } };
      node.send({ payload: on, event, device, ...(brightness === undefined ? {} : { brightness }), ...where, ...withTopic });
    }
    const watched = follows(info);
    show(statusOf(info, mode === 'plug' ? [] : (info.outlets ?? []).filter((o) => watched.has(o.id))));
  };

  const watcher: DeviceSubscriber = {
    intervalMs,
    follows,
    onEvent: (event) => {
      switch (event.type) {
        case 'online':
          return report('online', event.reading.info, event.parts);
        case 'change':
          return report('change', event.reading.info, [event.part]);
        case 'offline': {
          node.status(offlineStatus(event.error));
          const error = event.error instanceof Error ? event.error : new Error(String(event.error));
          node.send({ payload: null, event: 'offline', error: { message: error.message, code: (error as KasaError).code }, ...withTopic });
          node.error(error, { payload: null, event: 'offline', ...withTopic });
          return;
        }
        case 'reading':
          return;
      }
    },
  };
  deviceNode.hub.subscribe(watcher);
  return watcher;
}

/** An outlet renamed away is simply no longer watched. */
function safeResolve(info: DeviceInfo, selector: string | number): OutletInfo[] {
  try {
    return resolveOutlets(info, selector, '');
  } catch {
    return [];
  }
}
