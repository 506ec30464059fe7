/**
 * Node types that exist only for the fleet benchmark, loaded into its Node-RED runtime:
 * `fleet-counter` counts the readings it receives (through the probe), and `fleet-peer-energy`
 * does what plug-energy does in the benchmark's flow (poll the power every interval, show it in
 * the status, send it on) with tplink-smarthome-api in place of this package's client. It uses the
 * same Poller, so both contenders poll on the same schedule and differ only in the device client.
 * `fleet-peer-tapo-energy` and `fleet-peer-tapo-watch` do the same for Tapo plugs with
 * tp-link-tapo-connect (its KLAP login by address, one session per node, as its API gives).
 * `fleet-bare-energy` and `fleet-bare-tapo-energy` read the meter with the bare clients (see
 * bare-clients): the least CPU per poll any client could spend on the device, beside the floor.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { AnyDevice, Client, RealtimeNormalized } from 'tplink-smarthome-api';
import { loginDeviceByIp } from 'tp-link-tapo-connect';
import { TAPO_DEFAULT_PASSWORD, TAPO_DEFAULT_USERNAME } from '../src/transport/klap/credentials';
import { Poller } from '../src/device/poller';
import { recordArrival } from './fleet-probe';
import { BareKlapClient, BareXorClient, KASA_REALTIME, TAPO_ENERGY_USAGE } from './bare-clients';

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

  // The floor: the same Poller, status and message, and no device asked at all.
  RED.nodes.registerType('fleet-floor-energy', function FloorEnergyNode(this: Node, def: PeerPollDef): void {
    RED.nodes.createNode(this, def);
    const reading = { power: 42.5, voltage: 230.1, current: 0.19, total: 12.3 };
    const poller = new Poller(Number(def.interval) * 1000, () => Promise.resolve({ ...reading }), {
      onResult: (realtime) => {
        this.status({ fill: 'green', shape: 'dot', text: `${realtime.power.toFixed(1)} W` });
        this.send({ payload: realtime.power, energy: realtime, topic: 'floor', device: { host: '127.0.0.1', alias: 'floor', model: 'none', deviceId: '', mac: '' } } as NodeMessage);
      },
      onOutage: () => undefined,
    });
    poller.start();
    this.on('close', (_removed: boolean, done: () => void) => {
      void poller.stop().finally(done);
    });
  });

  // The bare clients: what any client must do to read the meter (see bare-clients), with the same Poller, status and message.
  RED.nodes.registerType('fleet-bare-energy', function BareEnergyNode(this: Node, def: PeerPollDef): void {
    RED.nodes.createNode(this, def);
    pollBare(this, def, () => BareXorClient.open(def.host, Number(def.port)), async (client) => {
      const reply = (await client.request(KASA_REALTIME)) as { emeter: { get_realtime: { power_mw: number; voltage_mv: number; current_ma: number; total_wh: number } } };
      const raw = reply.emeter.get_realtime;
      return { power: raw.power_mw / 1000, voltage: raw.voltage_mv / 1000, current: raw.current_ma / 1000, total: raw.total_wh / 1000 };
    });
  });

  RED.nodes.registerType('fleet-bare-tapo-energy', function BareTapoEnergyNode(this: Node, def: PeerPollDef): void {
    RED.nodes.createNode(this, def);
    pollBare(this, def, () => BareKlapClient.open(def.host, Number(def.port)), async (client) => {
      const reply = (await client.request(TAPO_ENERGY_USAGE)) as { result: TapoEnergyUsage };
      const usage = reply.result;
      return { power: (usage.current_power ?? 0) / 1000, today: usage.today_energy, month: usage.month_energy };
    });
  });

  RED.nodes.registerType('fleet-peer-tapo-energy', function PeerTapoEnergyNode(this: Node, def: PeerPollDef): void {
    RED.nodes.createNode(this, def);
    pollTapo<TapoEnergyUsage>(this, def, (device) => device.getEnergyUsage() as Promise<TapoEnergyUsage>, (usage) => {
      const watts = (usage.current_power ?? 0) / 1000;
      this.status({ fill: 'green', shape: 'dot', text: `${watts.toFixed(1)} W` });
      this.send({ payload: watts, energy: { power: watts, today: usage.today_energy, month: usage.month_energy }, topic: `${def.host}:${def.port}` } as NodeMessage);
    });
  });

  RED.nodes.registerType('fleet-peer-tapo-watch', function PeerTapoWatchNode(this: Node, def: PeerPollDef): void {
    RED.nodes.createNode(this, def);
    let last: boolean | undefined;
    pollTapo<boolean>(this, def, async (device) => (await device.getDeviceInfo()).device_on === true, (on) => {
      if (on === last) return;
      last = on;
      this.status({ fill: on ? 'green' : 'grey', shape: 'dot', text: on ? 'on' : 'off' });
      this.send({ payload: on, event: 'change' });
    });
  });
};

/** Polls with a bare client, opened on the first poll: the reading's watts in the status and a message, as the others. */
function pollBare<C extends { close(): void }>(node: Node, def: PeerPollDef, open: () => Promise<C>, read: (client: C) => Promise<{ power: number }>): void {
  let client: Promise<C> | null = null;
  const poller = new Poller(Number(def.interval) * 1000, async () => await read(await (client ??= open())), {
    onResult: (reading) => {
      node.status({ fill: 'green', shape: 'dot', text: `${reading.power.toFixed(1)} W` });
      node.send({ payload: reading.power, energy: reading, topic: `${def.host}:${def.port}` } as NodeMessage);
    },
    onOutage: (err) => node.error(err instanceof Error ? err : new Error(String(err))),
  });
  poller.start();
  node.on('close', (_removed: boolean, done: () => void) => {
    void poller
      .stop()
      .then(() => client?.then((opened) => opened.close()))
      .finally(done);
  });
}

type TapoDevice = Awaited<ReturnType<typeof loginDeviceByIp>>;
/** The fields of get_energy_usage read here (mW and Wh, as the device sends them). */
interface TapoEnergyUsage {
  current_power?: number;
  today_energy?: number;
  month_energy?: number;
}

/**
 * Polls a Tapo plug through tp-link-tapo-connect with the same Poller: logs in (KLAP, by
 * "address:port") on the first poll and again after any failure, so one lost session does not
 * stop the node; the unbound simulated plugs take the Tapo default account.
 */
function pollTapo<T>(node: Node, def: PeerPollDef, read: (device: TapoDevice) => Promise<T>, onResult: (value: T) => void): void {
  let device: TapoDevice | null = null;
  const task = async (): Promise<T> => {
    try {
      device ??= await loginDeviceByIp(TAPO_DEFAULT_USERNAME, TAPO_DEFAULT_PASSWORD, `${def.host}:${Number(def.port)}`);
      return await read(device);
    } catch (err) {
      device = null;
      throw err;
    }
  };
  const poller = new Poller<T>(Number(def.interval) * 1000, task, {
    onResult,
    onOutage: (err) => node.error(err instanceof Error ? err : new Error(String(err))),
  });
  poller.start();
  node.on('close', (_removed: boolean, done: () => void) => {
    void poller.stop().finally(done);
  });
}

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
