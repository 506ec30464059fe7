/**
 * The clients compared, each asking for {"system":{"get_sysinfo":{}}} once per request:
 * this project's KasaClient (XOR over TCP, persistent or one connection per request, and KLAP)
 * and tplink-smarthome-api's Device.sendCommand over its default TCP transport.
 */
import { Client as PeerClient } from 'tplink-smarthome-api';
import { KasaClient } from '../src/client';
import { KlapTransport } from '../src/klap';
import { DeviceHost, HOST, HostStats } from './device-host';
import { Contender, OpenContender } from './request-bench';

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
    expectedDeviceIds: host.deviceIds.slice(0, devices),
    deviceIdOf: deviceIdInReply,
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

function peer(name: string, host: DeviceHost, devices: number): Contender {
  return {
    name,
    expectedDeviceIds: host.deviceIds.slice(0, devices),
    deviceIdOf: deviceIdInSysinfo,
    seenByDevices: xorDevices(devices),
    open: async () => {
      // One Client per device, as each of our devices gets its own KasaClient. getDevice() asks for
      // sysinfo once to learn the device type; the timed requests are sendCommand() calls only.
      const plugs = await Promise.all(host.xorPorts.slice(0, devices).map((port) => new PeerClient().getDevice({ host: HOST, port })));
      return {
        lanes: plugs.map((plug) => () => plug.sendCommand(SYSINFO_REQUEST)),
        close: () => {
          for (const plug of plugs) plug.closeConnection();
          return Promise.resolve();
        },
      };
    },
  };
}

function klap(name: string, host: DeviceHost): Contender {
  return {
    name,
    expectedDeviceIds: host.deviceIds.slice(0, 1),
    deviceIdOf: deviceIdInReply,
    seenByDevices: (stats) => ({ requests: stats.klap.requests, connections: stats.klap.connections }),
    open: () => {
      const transport = new KlapTransport({ host: HOST, port: host.klapPort });
      return Promise.resolve(openClients([new KasaClient({ host: HOST, port: host.klapPort, transport })]));
    },
  };
}

export const CONTENDER_NAMES = {
  persistent: 'ours, XOR/TCP, persistent',
  perRequest: 'ours, XOR/TCP, connection per request',
  peer: 'tplink-smarthome-api, TCP',
  klap: 'ours, KLAP/HTTP',
  oursConcurrent: 'ours, 4 devices, persistent',
  peerConcurrent: 'tplink-smarthome-api, 4 devices',
} as const;

/** Devices the host must run for these contenders. */
export const DEVICES_NEEDED = 4;

export function contenders(host: DeviceHost): Contender[] {
  return [
    ours(CONTENDER_NAMES.persistent, host, 1, true),
    ours(CONTENDER_NAMES.perRequest, host, 1, false),
    peer(CONTENDER_NAMES.peer, host, 1),
    klap(CONTENDER_NAMES.klap, host),
    ours(CONTENDER_NAMES.oursConcurrent, host, DEVICES_NEEDED, true),
    peer(CONTENDER_NAMES.peerConcurrent, host, DEVICES_NEEDED),
  ];
}
