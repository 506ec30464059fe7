/**
 * Node types that exist only for the fleet benchmark, loaded into its Node-RED runtime:
 * `fleet-counter` counts the readings it receives (through the probe), and `fleet-peer-energy`
 * does what plug-energy does in the benchmark's flow (poll the power every interval, show it in
 * the status, send it on) with tplink-smarthome-api in place of this package's client. It uses the
 * same Poller, so both contenders poll on the same schedule and differ only in the device client.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { AnyDevice, Client, RealtimeNormalized } from 'tplink-smarthome-api';
import { Poller } from '../src/device/poller';
import { recordArrival } from './fleet-probe';

interface PeerPollDef extends NodeDef {
  host: string;
  port: number;
  /** Seconds between readings. */
  interval: number;
}

export = function register(RED: NodeAPI): void {
  RED.nodes.registerType('fleet-counter', function FleetCounterNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    this.on('input', (msg: NodeMessage, _send: unknown, done: () => void) => {
      recordArrival(msg);
      done();
    });
  });

  // One Client for every device, as an application using the library would have.
  let client: Client | null = null;

  RED.nodes.registerType('fleet-peer-energy', function PeerEnergyNode(this: Node, def: PeerPollDef): void {
    RED.nodes.createNode(this, def);
    client ??= new Client();
    let poller: Poller<RealtimeNormalized> | null = null;
    let device: AnyDevice | null = null;
    let closed = false;

    const ready = client.getDevice({ host: def.host, port: Number(def.port) }).then(
      (found) => {
        device = found;
        if (closed) return;
        // getRealtime() resolves with emeter.realtime, the normalised reading, though typed unknown.
        const readPower = (): Promise<RealtimeNormalized> => found.emeter.getRealtime() as Promise<RealtimeNormalized>;
        const measured = new Poller<RealtimeNormalized>(Number(def.interval) * 1000, readPower, {
          onResult: (realtime) => {
            this.status({ fill: 'green', shape: 'dot', text: `${(realtime.power ?? 0).toFixed(1)} W` });
            this.send(readingMessage(found, realtime));
          },
          onOutage: (err) => this.error(err instanceof Error ? err : new Error(String(err))),
        });
        poller = measured;
        measured.start();
      },
      (err: unknown) => this.error(err instanceof Error ? err : new Error(String(err))),
    );

    this.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      void ready
        .then(() => poller?.stop())
        .finally(() => {
          device?.closeConnection();
          done();
        });
    });
  });

  RED.nodes.registerType('fleet-peer-watch', function PeerWatchNode(this: Node, def: PeerPollDef): void {
    RED.nodes.createNode(this, def);
    client ??= new Client();
    watchRelay(this, client, def);
  });
};

/**
 * One getDevice per node, as the energy node does; then a Poller reading the sysinfo, sending the
 * relay state when it differs from the last one read (never, in the benchmark: nothing switches).
 */
function watchRelay(node: Node, client: Client, def: PeerPollDef): void {
  let poller: Poller<boolean> | null = null;
  let device: AnyDevice | null = null;
  let closed = false;
  let last: boolean | undefined;
  const ready = client.getDevice({ host: def.host, port: Number(def.port) }).then(
    (found) => {
      device = found;
      if (closed) return;
      const readRelay = async (): Promise<boolean> => ((await found.getSysInfo()) as { relay_state?: number }).relay_state === 1;
      const watching = new Poller<boolean>(Number(def.interval) * 1000, readRelay, {
        onResult: (on) => {
          if (on === last) return;
          last = on;
          node.status({ fill: on ? 'green' : 'grey', shape: 'dot', text: on ? 'on' : 'off' });
          node.send({ payload: on, event: 'change' });
        },
        onOutage: (err) => node.error(err instanceof Error ? err : new Error(String(err))),
      });
      poller = watching;
      watching.start();
    },
    (err: unknown) => node.error(err instanceof Error ? err : new Error(String(err))),
  );
  node.on('close', (_removed: boolean, done: () => void) => {
    closed = true;
    void ready
      .then(() => poller?.stop())
      .finally(() => {
        device?.closeConnection();
        done();
      });
  });
}

/** The same shape plug-energy sends with output 'power': the watts, the reading, topic and device. */
function readingMessage(device: AnyDevice, realtime: RealtimeNormalized): NodeMessage {
  return {
    payload: realtime.power,
    energy: { power: realtime.power, voltage: realtime.voltage, current: realtime.current, total: realtime.total },
    topic: device.alias,
    device: { host: device.host, alias: device.alias, model: device.model, deviceId: device.deviceId, mac: device.mac },
  } as NodeMessage;
}
