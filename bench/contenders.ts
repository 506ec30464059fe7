/**
 * The clients compared, each asking for {"system":{"get_sysinfo":{}}} once per request:
 * this project's KasaClient (XOR over TCP, persistent or one connection per request, and KLAP)
 * (and, for a Tapo P110 speaking SMART over KLAP, {"method":"get_device_info"} through SmartClient
 * and through the Device API's getSysinfo)
 * and tplink-smarthome-api's Device.sendCommand with its default send options (TCP) and with its
 * shared socket. That library's SendOptions document useSharedSocket as "UDP only", and its TCP
 * connection drops the option (a new socket per request whatever it says), so the shared socket
 * is { transport: 'udp', useSharedSocket: true }; the TCP run with the option set shows it is ignored.
 */
import { Client as PeerClient, SendOptions } from 'tplink-smarthome-api';
import { KasaClient } from '../src/family/iot/client';
import { connectDevice } from '../src/family/connect';
import { SmartClient } from '../src/family/smart/client';
import { KlapTransport } from '../src/transport/klap';
import { BareXorClient } from './bare-clients';
import { DeviceHost, HOST, HostStats } from './device-host';
import { Contender, OpenContender, fromDevices } from './request-bench';

const SYSINFO_REQUEST = { system: { get_sysinfo: {} } };

/** deviceId in a full reply {"system":{"get_sysinfo":{...}}}. */
function deviceIdInReply(reply: unknown): unknown {
  return field(field(field(reply, 'system'), 'get_sysinfo'), 'deviceId');
}

/** deviceId in what tplink-smarthome-api's sendCommand returns for a single command: the get_sysinfo object. */
function deviceIdInSysinfo(sysinfo: unknown): unknown {
  return field(sysinfo, 'deviceId');
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

/** Counts of the first `count` XOR devices. */
function xorDevices(count: number): Contender['seenByDevices'] {
  return (stats: HostStats) => {
    const devices = stats.xor.slice(0, count);
    return {
      requests: devices.reduce((sum, device) => sum + device.requests, 0),
      connections: devices.reduce((sum, device) => sum + device.connectionsOpened, 0),
    };
  };
}

function ours(name: string, host: DeviceHost, devices: number, persistent: boolean): Contender {
  return {
    name,
    checkReply: fromDevices(name, host.deviceIds.slice(0, devices), deviceIdInReply),
    seenByDevices: xorDevices(devices),
    open: () => {
      const clients = host.xorPorts.slice(0, devices).map((port) => new KasaClient({ host: HOST, port, persistent }));
      return Promise.resolve(openClients(clients));
    },
  };
}

function openClients(clients: readonly KasaClient[]): OpenContender {
  return {
    lanes: clients.map((client) => () => client.send(SYSINFO_REQUEST)),
    close: async () => {
      await Promise.all(clients.map((client) => client.close()));
    },
  };
}

/**
 * The floor: one persistent TCP socket (no delay) doing only what any client must, the framing:
 * write the encrypted frame, cut the reply out of the stream, decrypt it, JSON.parse it. No queue,
 * no timeout, no checks of the reply, no reconnection: what our client adds on top is its cost.
 */
function bareSocket(name: string, host: DeviceHost): Contender {
  return {
    name,
    checkReply: fromDevices(name, host.deviceIds.slice(0, 1), deviceIdInReply),
    seenByDevices: xorDevices(1),
    open: async () => {
      const client = await BareXorClient.open(HOST, host.xorPorts[0]!);
      return {
        lanes: [() => client.request(SYSINFO_REQUEST)],
        close: () => {
          client.close();
          return Promise.resolve();
        },
      };
    },
  };
}

/** The peer's send options in each setting compared; `{}` is its default (TCP, a socket per request). */
const PEER_SETTINGS = {
  default: {},
  tcpSharedSocket: { useSharedSocket: true },
  // sharedSocketTimeout 0: the socket never closes on its own, so the pauses while the other
  // contenders take their turns do not make it open a new one (the peer's best for this run).
  sharedSocket: { transport: 'udp', useSharedSocket: true, sharedSocketTimeout: 0 },
} as const satisfies Record<string, SendOptions>;

function peer(name: string, host: DeviceHost, devices: number, sendOptions: SendOptions): Contender {
  const udp = sendOptions.transport === 'udp';
  const ports = (udp ? host.udpPorts : host.xorPorts).slice(0, devices);
  return {
    name,
    checkReply: fromDevices(name, host.deviceIds.slice(0, devices), deviceIdInSysinfo),
    seenByDevices: xorDevices(devices),
    open: async () => {
      // One Client per device, as each of our devices gets its own KasaClient. getDevice() asks for
      // sysinfo once to learn the device type; the timed requests are sendCommand() calls only.
      const clients = ports.map(() => new PeerClient({ defaultSendOptions: sendOptions }));
      const plugs = await Promise.all(
        ports.map((port, index) => {
          if (port === undefined) throw new Error(`${name}: the device host was started without UDP`);
          return clients[index]!.getDevice({ host: HOST, port });
        }),
      );
      return {
        lanes: plugs.map((plug) => () => plug.sendCommand(SYSINFO_REQUEST)),
        close: () => {
          for (const plug of plugs) plug.closeConnection();
          return Promise.resolve();
        },
        // The Client numbers every TCP and UDP socket it creates (maxSocketId).
        socketsOpened: () => clients.reduce((sum, client) => sum + client.maxSocketId, 0),
      };
    },
  };
}

function klap(name: string, host: DeviceHost): Contender {
  return {
    name,
    checkReply: fromDevices(name, host.deviceIds.slice(0, 1), deviceIdInReply),
    seenByDevices: (stats) => ({ requests: stats.klap.requests, connections: stats.klap.connections }),
    open: () => {
      const transport = new KlapTransport({ host: HOST, port: host.klapPort });
      return Promise.resolve(openClients([new KasaClient({ host: HOST, port: host.klapPort, transport })]));
    },
  };
}

/** A SMART contender's requests and connections: the P110's KLAP server counts them. */
const smartDevice: Contender['seenByDevices'] = (stats) => ({ requests: stats.smart.requests, connections: stats.smart.connections });

/** get_device_info through SmartClient over one KLAP v2 session: one round trip per request. */
function smartClient(name: string, host: DeviceHost): Contender {
  return {
    name,
    checkReply: fromDevices(name, [host.smartDeviceId], (result) => field(result, 'device_id')),
    seenByDevices: smartDevice,
    open: () => {
      const client = new SmartClient({ transport: new KlapTransport({ host: HOST, port: host.smartPort, family: 'smart' }) });
      return Promise.resolve({ lanes: [() => client.call('get_device_info')], close: () => client.close() });
    },
  };
}

/**
 * The same through the Device API (connectDevice, as the nodes use it): getSysinfo reads
 * get_device_info and normalises it. Its first use finds the family out and asks component_nego
 * once; that happens in open(), so every timed request is one round trip.
 */
function smartDeviceApi(name: string, host: DeviceHost): Contender {
  return {
    name,
    checkReply: fromDevices(name, [host.smartDeviceId], (read) => field(field(read, 'raw'), 'device_id')),
    seenByDevices: smartDevice,
    open: async () => {
      const device = await connectDevice({ transport: 'klap', host: HOST, port: 9999, klapPort: host.smartPort });
      await device.getSysinfo();
      return { lanes: [() => device.getSysinfo()], close: () => device.close() };
    },
  };
}

export const CONTENDER_NAMES = {
  bare: 'bare persistent socket, framing only (the floor)',
  persistent: 'ours, XOR/TCP, persistent',
  perRequest: 'ours, XOR/TCP, connection per request',
  peer: 'tplink-smarthome-api, TCP (default)',
  peerTcpShared: 'tplink-smarthome-api, TCP, useSharedSocket',
  peerShared: 'tplink-smarthome-api, UDP, shared socket',
  klap: 'ours, KLAP/HTTP',
  smartClient: 'ours, SMART/KLAP, SmartClient get_device_info',
  smartDevice: 'ours, SMART/KLAP, Device getSysinfo',
  oursConcurrent: 'ours, 4 devices, persistent',
  peerConcurrent: 'tplink-smarthome-api, 4 devices, TCP (default)',
  peerSharedConcurrent: 'tplink-smarthome-api, 4 devices, UDP, shared socket',
} as const;

/** Devices the host must run for these contenders. */
export const DEVICES_NEEDED = 4;

export function contenders(host: DeviceHost): Contender[] {
  return [
    bareSocket(CONTENDER_NAMES.bare, host),
    ours(CONTENDER_NAMES.persistent, host, 1, true),
    ours(CONTENDER_NAMES.perRequest, host, 1, false),
    peer(CONTENDER_NAMES.peer, host, 1, PEER_SETTINGS.default),
    peer(CONTENDER_NAMES.peerTcpShared, host, 1, PEER_SETTINGS.tcpSharedSocket),
    peer(CONTENDER_NAMES.peerShared, host, 1, PEER_SETTINGS.sharedSocket),
    klap(CONTENDER_NAMES.klap, host),
    smartClient(CONTENDER_NAMES.smartClient, host),
    smartDeviceApi(CONTENDER_NAMES.smartDevice, host),
    ours(CONTENDER_NAMES.oursConcurrent, host, DEVICES_NEEDED, true),
    peer(CONTENDER_NAMES.peerConcurrent, host, DEVICES_NEEDED, PEER_SETTINGS.default),
    peer(CONTENDER_NAMES.peerSharedConcurrent, host, DEVICES_NEEDED, PEER_SETTINGS.sharedSocket),
  ];
}
