import type { Node, NodeAPI, NodeDef, NodeStatus } from 'node-red';
import { HUB_POLL_DEFAULT_SECONDS, HUB_POLL_SECONDS, parseChildAction, resolveChild, runChildAction } from '../src/device/child-actions';
import type { ChildEvent } from '../src/device/child-events';
import type { DeviceSubscriber } from '../src/device/device-hub';
import { CHILD_KIND_LABELS } from '../src/device/kind';
import type { ChildInfo, DeviceInfo } from '../src/device/state';
import { stateReading } from '../src/device/types';
import { displayText } from '../src/util/display-text';
import type { KasaError } from '../src/util/errors';
import { registerChildrenEndpoint } from './lib/admin-children';
import { handleInput } from './lib/input';
import { deviceNodeOf, registerWithDevice } from './lib/relay-node';
import { NodeSettings } from './lib/settings';
import { offlineStatus } from './lib/status';

interface HubSensorDef extends NodeDef {
  device: string;
  /** The child's id (picked from the hub's list) or name; empty: only msg.child, nothing watched. */
  child?: string;
  /** Seconds between polls of the hub (from 1; default 2). */
  pollInterval?: string | number;
  topic?: string;
}

/**
 * One child of a hub (a sensor, button, switch or valve): a message per event the device's hub
 * finds (log entries once and in order, changes of readings), and commands to the child. The
 * hub's core decides what is new; this node only turns events into messages.
 */
export = function register(RED: NodeAPI): void {
  function HubSensorNode(this: Node, def: HubSensorDef): void {
    RED.nodes.createNode(this, def);
    setupHubSensor(RED, this, def);
  }

  RED.nodes.registerType('hub-sensor', HubSensorNode);
  // The dialog lists the hub's children so a person picks one by name.
  registerChildrenEndpoint(RED);
};

function setupHubSensor(RED: NodeAPI, node: Node, def: HubSensorDef): void {
  const deviceNode = deviceNodeOf(RED, node, def.device);
  if (deviceNode === null) return;
  const settings = new NodeSettings(node);
  const seconds = settings.number(def.pollInterval === '' ? undefined : def.pollInterval, HUB_POLL_SECONDS, HUB_POLL_DEFAULT_SECONDS);
  const configured = String(def.child ?? '').trim();
  const topic = typeof def.topic === 'string' && def.topic !== '' ? { topic: def.topic } : {};
  const status = registerWithDevice(node, deviceNode);

  /** msg.device: the child, with the hub it belongs to. */
  const identity = (child: ChildInfo) => ({
    id: child.id,
    alias: child.alias,
    model: child.model ?? '',
    kind: child.kind,
    hub: deviceNode.connected?.identity(),
  });
  const message = (child: ChildInfo, event: string, payload: unknown, extra: Record<string, unknown> = {}) => ({
    event,
    payload,
    sensor: child.readings ?? {},
    device: identity(child),
    ...extra,
    ...topic,
  });

  const watcher: DeviceSubscriber | null =
    configured === ''
      ? null
      : {
          intervalMs: Math.round(seconds * 1000),
          follows: () => NO_PARTS,
          children: (info) => new Set([resolveChild(info, configured, deviceNode.host).id]),
          onEvent: (event) => {
            switch (event.type) {
              case 'online':
                return firstReading(event.reading.info);
              case 'child':
                status.show(statusOf(event.child));
                node.send(message(event.child, event.event.name, event.event.value, logPart(event.event)));
                return;
              case 'offline': {
                node.status(offlineStatus(event.error));
                const error = event.error instanceof Error ? event.error : new Error(String(event.error));
                node.send({ event: 'offline', payload: false, error: { message: error.message, code: (error as KasaError).code }, ...topic });
                node.error(error, { payload: false, event: 'offline', ...topic });
                return;
              }
              case 'reading':
              case 'change':
                return;
            }
          },
        };

  /** The first reading (and the first after the hub was unreachable): the child's state as it is. */
  const firstReading = (info: DeviceInfo): void => {
    let child: ChildInfo;
    try {
      child = resolveChild(info, configured, deviceNode.connected?.describe() ?? deviceNode.host);
    } catch (err) {
      node.status({ fill: 'red', shape: 'ring', text: 'no such child' });
      node.error(err, { payload: null, ...topic });
      return;
    }
    status.show(statusOf(child));
    const online = child.readings?.online !== false;
    node.send(message(child, online ? 'online' : 'offline', online));
  };

  if (watcher !== null) deviceNode.hub.subscribe(watcher);

  handleInput(node, async (msg, send) => {
    settings.check();
    const action = parseChildAction(msg as Record<string, unknown>);
    const selector = (msg as Record<string, unknown>)['child'] ?? configured;
    const result = await deviceNode.use((device) => runChildAction(device, selector, action));
    // A command's result is news to the other nodes of the hub now, not at their next poll.
    if (action.kind !== 'state') deviceNode.hub.publish(stateReading(result.info), watcher ?? undefined);
    Object.assign(msg, message(result.child, 'state', result.payload));
    status.show(statusOf(result.child));
    send(msg);
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    const stopped = watcher === null ? Promise.resolve() : deviceNode.hub.unsubscribe(watcher);
    stopped.then(done, done).finally(status.leave);
  });
}

const NO_PARTS: ReadonlySet<string> = new Set();

function logPart(event: ChildEvent): Record<string, unknown> {
  if (event.log === undefined) return event.reading === undefined ? {} : { reading: event.reading };
  return { log: { id: event.log.id, event: event.log.deviceEvent, timestamp: event.log.timestamp } };
}

/** The child's state in a few words: what its kind shows best. */
function statusOf(child: ChildInfo): NodeStatus {
  const r = child.readings;
  const name = displayText(child.alias || CHILD_KIND_LABELS[child.kind], 24);
  if (r === undefined) return { fill: 'grey', shape: 'ring', text: name };
  if (!r.online) return { fill: 'red', shape: 'ring', text: `${name}: offline` };
  const words: string[] = [];
  if (r.motion !== undefined) words.push(r.motion ? 'motion' : 'no motion');
  if (r.open !== undefined) words.push(r.open ? 'open' : 'closed');
  if (r.leak !== undefined) words.push(r.leak ? 'LEAK' : 'dry');
  if (r.on !== undefined) words.push(r.on ? 'on' : 'off');
  if (r.temperature !== undefined) words.push(`${r.temperature} °C`);
  if (r.humidity !== undefined) words.push(`${r.humidity} %`);
  if (r.targetTemperature !== undefined) words.push(r.frostProtection ? 'frost protection' : `target ${r.targetTemperature} °C`);
  if (r.lowBattery) words.push('battery low');
  const alarm = r.leak === true || r.lowBattery;
  return { fill: alarm ? 'yellow' : 'green', shape: 'dot', text: `${name}: ${words.join(', ') || 'online'}` };
}
