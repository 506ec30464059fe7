import type { Node, NodeAPI, NodeMessage, NodeStatus } from 'node-red';
import { checkPermission, runAction } from '../../src/device/actions';
import { Device, stateReading } from '../../src/device/device';
import type { DeviceSubscriber } from '../../src/device/device-hub';
import { lightOutput, lightStatusText } from '../../src/device/light';
import { parseLightInput } from '../../src/device/light-input';
import type { DeviceInfo } from '../../src/device/state';
import type { DeviceConfigNode } from './device-config';
import { handleInput } from './input';
import { RelayNodeDef, deviceNodeOf, pollIntervalMs, registerWithDevice, reportOffline } from './relay-node';
import { NodeSettings } from './settings';

export type LightNodeDef = Omit<RelayNodeDef, 'outlet' | 'allowRaw'>;

/** "on 40% #ff8800", "on 40% 2700 K", "off". */
function statusOf(info: DeviceInfo): NodeStatus {
  return info.on ? { fill: 'green', shape: 'dot', text: lightStatusText(info) } : { fill: 'grey', shape: 'ring', text: 'off' };
}

/** msg.payload (on/off read back), msg.light, msg.device: what every light message carries. */
function lightFields(info: DeviceInfo, device: Device): Record<string, unknown> {
  return { payload: info.on, light: lightOutput(info), device: device.identity() };
}

/**
 * light-control: a light's on/off, brightness, colour or white, effect and fade from a message,
 * all in one request where the family can; the state read back in every output; optional watching
 * through the device's hub. The core parses and checks; this turns results and events into messages.
 */
export function setupLightNode(RED: NodeAPI, node: Node, def: LightNodeDef): void {
  const deviceNode = deviceNodeOf(RED, node, def.device);
  if (deviceNode === null) return;
  const settings = new NodeSettings(node);
  const permissions = { allowRaw: false, allowDestructive: def.allowDestructive === true };
  const topic = typeof def.topic === 'string' && def.topic !== '' ? def.topic : undefined;
  const status = registerWithDevice(node, deviceNode);
  const watcher = createLightWatcher(node, deviceNode, pollIntervalMs(settings, def.pollInterval), topic, status.show);

  handleInput(node, async (msg, send) => {
    settings.check();
    const request = parseLightInput(msg, def.action);
    if (request.kind === 'action') checkPermission(request.action, permissions);
    const out = await deviceNode.use(async (device): Promise<{ device: Device; info?: DeviceInfo; payload?: unknown }> => {
      switch (request.kind) {
        case 'set':
          return { device, info: (await device.setLight(request.change)).info };
        case 'state':
          return { device, info: (await device.getSysinfo()).info };
        case 'effects':
          return { device, payload: await device.lightEffects() };
        case 'action': {
          const result = await runAction(device, request.action);
          return { device, payload: result.payload, ...(result.info === undefined ? {} : { info: result.info }) };
        }
      }
    });
    // The state read back is news to the device's other nodes; this node reports it itself.
    if (out.info !== undefined) deviceNode.hub.publish(stateReading(out.info), watcher ?? undefined);
    const info = out.info ?? out.device.info;
    if (info !== undefined) {
      Object.assign(msg, lightFields(info, out.device));
      status.show(statusOf(info));
    } else {
      msg['device'] = out.device.identity();
    }
    // Effects, info and presets answer with what was asked for; msg.light still says the state.
    if (request.kind === 'effects' || request.kind === 'action') msg.payload = out.payload;
    if (topic !== undefined) msg.topic = topic;
    send(msg);
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    const stopped = watcher === null ? Promise.resolve() : deviceNode.hub.unsubscribe(watcher);
    stopped.then(done, done).finally(status.leave);
  });
}

/** Turns the hub's events into messages: the state online, each change made elsewhere, and going offline once. */
function createLightWatcher(
  node: Node,
  deviceNode: DeviceConfigNode,
  intervalMs: number,
  topic: string | undefined,
  show: (status: NodeStatus) => void,
): DeviceSubscriber | null {
  if (intervalMs === 0) return null;
  const withTopic = topic === undefined ? {} : { topic };
  const report = (event: 'online' | 'change', info: DeviceInfo): void => {
    const device = deviceNode.connected;
    if (device === null) return;
    node.send({ ...lightFields(info, device), event, ...withTopic } as NodeMessage);
    show(statusOf(info));
  };
  const watcher: DeviceSubscriber = {
    intervalMs,
    onEvent: (event) => {
      switch (event.type) {
        case 'online':
        case 'change':
          return report(event.type, event.reading.info);
        case 'offline':
          return reportOffline(node, event.error, withTopic);
        case 'reading':
          return;
      }
    },
  };
  deviceNode.hub.subscribe(watcher);
  return watcher;
}
