/**
 * The switch row: the simulated Tapo P110 (SMART over KLAP v2) switched on, off, on, ... request
 * after request, by three clients taking turns:
 * - ours, the Device API as plug-control uses it: connectDevice over KLAP, then setPower, which the
 *   SMART power capability sends as set_device_info with the get_device_info read-back in one
 *   multipleRequest, every reply checked;
 * - a bare KLAP client, the floor of a switch over KLAP: our KlapTransport carrying
 *   {"method":"set_device_info","params":{"device_on":...}} alone, its reply parsed and nothing more;
 * - the same bare client sending what ours sends, the switch and get_device_info in one
 *   multipleRequest, unchecked: the floor of a switch with its read-back, so the gap between ours
 *   and the bare switch splits into what the read-back costs and what our checks cost;
 * - tp-link-tapo-connect's turnOn / turnOff over its own KLAP session (it reads nothing back).
 * They share the P110 and one plan of what comes next, started from the relay's state, so every
 * request of every contender changes the relay: the device counts the changes, and each check
 * request is followed by a look at the relay itself.
 */
import { loginDeviceByIp } from 'tp-link-tapo-connect';
import { connectDevice } from '../src/family/connect';
import { KlapTransport } from '../src/transport/klap';
import { TAPO_DEFAULT_PASSWORD, TAPO_DEFAULT_USERNAME } from '../src/transport/klap/credentials';
import { DeviceHost, HOST, HostStats } from './device-host';
import { Contender, DeviceCounts } from './request-bench';

/** What a switching lane resolves with: the state it asked for, and the client's own answer. */
interface Switched {
  asked: boolean;
  reply: unknown;
}

/** The state the next request asks for, whoever sends it: the opposite of the last one asked. */
class Alternation {
  constructor(private next: boolean) {}

  take(): boolean {
    const on = this.next;
    this.next = !on;
    return on;
  }
}

const onOff = (on: unknown): string => (on === true ? 'on' : on === false ? 'off' : String(on));

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

/** The P110's requests and connections, and its relay's changes. */
function p110(stats: HostStats): DeviceCounts {
  return { requests: stats.smart.requests, connections: stats.smart.connections, switches: stats.smartRelay.changes };
}

/**
 * The check of a switching contender: after each check request the relay is in the state asked
 * for, and `replyProblem` (where the client gives an answer worth checking) finds nothing wrong with it.
 */
function switchedTo(name: string, replyProblem: (reply: unknown, asked: boolean) => string | undefined): Contender['checkReply'] {
  return async (outcome, _lane, devices) => {
    const { asked, reply } = outcome as Switched;
    const problem = replyProblem(reply, asked);
    if (problem !== undefined) throw new Error(`${name}: asked to switch ${onOff(asked)}, ${problem}`);
    const { on } = (await devices()).smartRelay;
    if (on !== asked) throw new Error(`${name}: asked to switch ${onOff(asked)}, the simulated P110 is ${onOff(on)}`);
  };
}

/** setPower through the Device API; component_nego is asked in open(), so every timed switch is one round trip. */
function ours(name: string, host: DeviceHost, plan: Alternation): Contender {
  return {
    name,
    checkReply: switchedTo(name, (state, asked) => {
      if (field(state, 'on') !== asked) return `its read-back says ${onOff(field(state, 'on'))}`;
      const id = field(field(state, 'info'), 'deviceId');
      return id === host.smartDeviceId ? undefined : `its read-back is of device ${String(id)}, not ${host.smartDeviceId}`;
    }),
    seenByDevices: p110,
    open: async () => {
      const device = await connectDevice({ transport: 'klap', host: HOST, port: 9999, klapPort: host.smartPort });
      await device.getSysinfo();
      return {
        lanes: [
          async (): Promise<Switched> => {
            const asked = plan.take();
            return { asked, reply: await device.setPower(asked) };
          },
        ],
        close: () => device.close(),
      };
    },
  };
}

const setDeviceOn = (on: boolean): object => ({ method: 'set_device_info', params: { device_on: on } });

/**
 * A floor: one KLAP session carrying `request(on)` as it is, the reply only parsed. The client checks
 * nothing; `replyProblem` is the benchmark's check of the replies to the check requests.
 */
function bareKlap(
  name: string,
  host: DeviceHost,
  plan: Alternation,
  request: (on: boolean) => object,
  replyProblem: (reply: unknown, asked: boolean) => string | undefined,
): Contender {
  return {
    name,
    checkReply: switchedTo(name, replyProblem),
    seenByDevices: p110,
    open: () => {
      const transport = new KlapTransport({ host: HOST, port: host.smartPort, family: 'smart' });
      return Promise.resolve({
        lanes: [
          async (): Promise<Switched> => {
            const asked = plan.take();
            return { asked, reply: JSON.parse(await transport.exchange(JSON.stringify(request(asked)), 5000)) as unknown };
          },
        ],
        close: () => transport.close(),
      });
    },
  };
}

const answered = (reply: unknown): string | undefined => (field(reply, 'error_code') === 0 ? undefined : `the P110 answered ${JSON.stringify(reply)}`);

/** The switch and its read-back in one batch, as ours sends them: both answered, the read-back in the state asked for. */
function batchAnswered(reply: unknown, asked: boolean): string | undefined {
  const responses = field(field(reply, 'result'), 'responses');
  const [set, read] = Array.isArray(responses) ? (responses as unknown[]) : [];
  if (field(reply, 'error_code') !== 0 || field(set, 'error_code') !== 0 || field(read, 'error_code') !== 0) return `the P110 answered ${JSON.stringify(reply)}`;
  const on = field(field(read, 'result'), 'device_on');
  return on === asked ? undefined : `its read-back says ${onOff(on)}`;
}

/** tp-link-tapo-connect: KLAP login by "address:port" (the unbound P110 takes the Tapo default account), then turnOn / turnOff. */
function peer(name: string, host: DeviceHost, plan: Alternation): Contender {
  return {
    name,
    // turnOn and turnOff resolve with nothing (they throw on an error code): the relay is what shows.
    checkReply: switchedTo(name, () => undefined),
    seenByDevices: p110,
    open: async () => {
      const device = await loginDeviceByIp(TAPO_DEFAULT_USERNAME, TAPO_DEFAULT_PASSWORD, `${HOST}:${host.smartPort}`);
      return {
        lanes: [
          async (): Promise<Switched> => {
            const asked = plan.take();
            return { asked, reply: await (asked ? device.turnOn() : device.turnOff()) };
          },
        ],
        // It keeps no connection of its own to close (HTTP requests on Node's global agent).
        close: () => Promise.resolve(),
      };
    },
  };
}

export const SWITCH_CONTENDER_NAMES = {
  ours: 'ours, Device API setPower (switch + read-back in one batch)',
  bare: 'bare KLAP client, set_device_info only (the floor)',
  bareBatch: 'bare KLAP client, set + get_device_info in one batch, unchecked',
  peer: 'tp-link-tapo-connect, turnOn/turnOff',
} as const;

/** The switching contenders, alternating from the relay's state `relayOn` when they start. */
export function switchContenders(host: DeviceHost, relayOn: boolean): Contender[] {
  const plan = new Alternation(!relayOn);
  return [
    ours(SWITCH_CONTENDER_NAMES.ours, host, plan),
    bareKlap(SWITCH_CONTENDER_NAMES.bare, host, plan, setDeviceOn, answered),
    bareKlap(
      SWITCH_CONTENDER_NAMES.bareBatch,
      host,
      plan,
      (on) => ({ method: 'multipleRequest', params: { requests: [setDeviceOn(on), { method: 'get_device_info' }] } }),
      batchAnswered,
    ),
    peer(SWITCH_CONTENDER_NAMES.peer, host, plan),
  ];
}
