import type { Node, NodeAPI, NodeDef } from 'node-red';
import { RANGES } from '../../src/bounds';
import { checkPermission, parseAction, parseOutletSelectors, runAction } from '../../src/actions';
import { Device, Target, resolveOutlets, stateReading } from '../../src/device';
import { ErrorCode, KasaError } from '../../src/errors';
import { DeviceInfo, OutletInfo, currentOutlets } from '../../src/sysinfo';
import type { DeviceConfigNode, DeviceWatcher } from './device-config';
import { handleInput } from './input';
import { NodeSettings } from './settings';
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
  node.status({ fill: 'red', shape: 'ring', text: 'no device' });
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
 * The behaviour plug-control and strip-outlet share: actions from messages, the permission guard,
 * output shaped as docs/development.md says (The message contracts the nodes keep), status, and optional watching for changes made elsewhere.
 */
export function setupRelayNode(RED: NodeAPI, node: Node, def: RelayNodeDef, mode: 'plug' | 'outlets'): void {
  const deviceNode = deviceNodeOf(RED, node, def.device);
  if (deviceNode === null) return;
  const settings = new NodeSettings(node);
  const permissions = { allowRaw: def.allowRaw === true, allowDestructive: def.allowDestructive === true };
  const topic = typeof def.topic === 'string' && def.topic !== '' ? def.topic : undefined;
  const configuredOutlets = parseOutletSelectors(def.outlet ?? '');

  /** What a message works on: the device (plug-control), or the outlets it or the node names. */
  const targetOf = async (device: Device, requested: unknown): Promise<Target> => {
    if (mode === 'plug') return device;
    const selectors = requested === undefined ? configuredOutlets : parseOutletSelectors(requested);
    if (selectors.length === 0) {
      throw new KasaError(ErrorCode.BAD_INPUT, 'No outlet chosen: set one in the node or send msg.outlet (index, id, name or "all").');
    }
    return device.children(await device.resolveOutlets(selectors));
  };

  const watcher = createWatcher(node, deviceNode, pollIntervalMs(settings, def.pollInterval), mode, configuredOutlets, topic);

  handleInput(node, async (msg, send) => {
    settings.check();
    const action = parseAction(msg, def.action);
    checkPermission(action, permissions);
    const device = deviceNode.getDevice();
    const result = await runAction(await targetOf(device, msg['outlet']), action);
    if (result.info !== undefined) {
      // What the command did is this node's new baseline, and news to the other nodes of the device:
      // they hear it now, not at their next poll. (A command that read no sysinfo leaves both alone.)
      watcher?.remember(result.info);
      deviceNode.hub.publish(stateReading(result.info), watcher?.watcher);
    }
    msg.payload = result.payload;
    msg['device'] = device.identity();
    if (mode === 'plug' && result.info?.brightness !== undefined) msg['brightness'] = result.info.brightness;
    if (mode === 'outlets') msg['outlet'] = describeOutlets(result.outlets);
    if (topic !== undefined) msg.topic = topic;
    if (device.info !== undefined) node.status(statusOf(device.info, mode === 'plug' ? [] : result.outlets));
    send(msg);
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    (watcher?.stop() ?? Promise.resolve()).then(done, done);
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
 * Polls sysinfo and reports what changed elsewhere (the button, the app, a schedule): one message
 * per change, one when the device goes offline (and one error for Catch nodes), one when it is back.
 */
function createWatcher(
  node: Node,
  deviceNode: DeviceConfigNode,
  intervalMs: number,
  mode: 'plug' | 'outlets',
  configuredOutlets: ReturnType<typeof parseOutletSelectors>,
  topic: string | undefined,
) {
  if (intervalMs === 0) return null;
  /** Last known state per watched thing: '' is the plug, otherwise an outlet id. */
  let known = new Map<string, string>();
  const withTopic = topic === undefined ? {} : { topic };

  /** What is watched: the plug itself, or the strip's outlets set in the node (all when none). */
  const watched = (info: DeviceInfo): Array<{ key: string; on: boolean; brightness?: number; outlet?: OutletInfo }> => {
    if (mode === 'plug') return [{ key: '', on: info.on, ...(info.brightness === undefined ? {} : { brightness: info.brightness }) }];
    const ids = configuredOutlets.length === 0 ? null : new Set(configuredOutlets.flatMap((s) => safeResolve(info, s).map((o) => o.id)));
    return (info.outlets ?? []).filter((o) => ids === null || ids.has(o.id)).map((outlet) => ({ key: outlet.id, on: outlet.on, outlet }));
  };
  // A dimmer's state is its relay and its brightness: either changing at the wall is news.
  const stateOf = (item: ReturnType<typeof watched>[number]) => `${item.on}/${item.brightness ?? ''}`;
  const statesOf = (items: ReturnType<typeof watched>) => new Map(items.map((item) => [item.key, stateOf(item)]));

  const report = (event: string, info: DeviceInfo, onlyChanged: boolean): void => {
    const device = deviceNode.getDevice().identity();
    const items = watched(info);
    for (const item of items) {
      if (onlyChanged && known.get(item.key) === stateOf(item)) continue;
      const { on, brightness, outlet } = item;
      const where = outlet === undefined ? {} : { outlet: { index: outlet.index, id: outlet.id, alias: outlet.alias } };
      node.send({ payload: on, event, device, ...(brightness === undefined ? {} : { brightness }), ...where, ...withTopic });
    }
    known = statesOf(items);
    const outlets = items.flatMap((item) => (item.outlet === undefined ? [] : [item.outlet]));
    node.status(statusOf(info, outlets));
  };

  let online = false;
  // The device's hub polls once for every node that watches it; this node asks at its own interval.
  const watcher: DeviceWatcher = {
    intervalMs,
    onReading: ({ info }) => {
      // The first answer, and the first after an outage, report the whole state as "online".
      if (!online) {
        online = true;
        report('online', info, false);
      } else {
        report('change', info, true);
      }
    },
    onOutage: (err) => {
      online = false;
      node.status(offlineStatus(err));
      const error = err instanceof Error ? err : new Error(String(err));
      node.send({ payload: null, event: 'offline', error: { message: error.message, code: (error as KasaError).code }, ...withTopic });
      node.error(error, { payload: null, event: 'offline', ...withTopic });
    },
  };
  const unwatch = deviceNode.hub.watch(watcher);
  return {
    watcher,
    /** After the node itself switched something, that is the new baseline, not a change to report. */
    remember(info: DeviceInfo): void {
      if (online) known = statesOf(watched(info));
    },
    stop: unwatch,
  };
}

/** An outlet renamed away is simply no longer watched. */
function safeResolve(info: DeviceInfo, selector: string | number): OutletInfo[] {
  try {
    return resolveOutlets(info, selector, '');
  } catch {
    return [];
  }
}
