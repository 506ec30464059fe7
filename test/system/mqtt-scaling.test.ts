// Past one Node-RED (docs/scaling.md, examples/08-mqtt-scale-out.json) for real: a Mosquitto broker
// (Debian's `mosquitto`, which scripts/ensure-test-tools.sh installs) on 127.0.0.1 and an ephemeral
// port, and two Node-RED runtimes, each a process of its own with its own simulated plug and the
// example's flow. A flow on the first switches the second's plug through the broker, and one
// subscriber receives the readings, states and events of both. Nothing listens beyond loopback.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { SimulatedDevice } from '../../src/simulator/server';
import type { RelayEvent } from '../../src/simulator/device-state';
import { NodeRedHandle, PROJECT_ROOT, demoRuntime } from '../support/demo-runtime';
import { freeTcpPort } from '../support/ports';
import { within } from '../support/wait';

const MOSQUITTO = '/usr/sbin/mosquitto';
const PREFIX = 'kasa-flows';
const STEP_MS = 20_000;

interface FlowNode {
  id: string;
  type: string;
  z?: string;
  [key: string]: unknown;
}

const example = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'examples', '08-mqtt-scale-out.json'), 'utf8')) as FlowNode[];

/**
 * The example as a site runs it: its device node on this site's simulated plug, its broker node on
 * the test's broker, readings every second (the example says 10 s) so the test is short.
 */
function siteFlow(plug: SimulatedDevice, brokerPort: number, extra: FlowNode[] = []): FlowNode[] {
  const flow = structuredClone(example).map((node) => {
    if (node.type === 'tplink-device') return { ...node, host: '127.0.0.1', port: plug.port };
    if (node.type === 'mqtt-broker') return { ...node, broker: '127.0.0.1', port: String(brokerPort) };
    if (node.type === 'plug-energy') return { ...node, interval: 1 };
    if (node.type === 'plug-control') return { ...node, pollInterval: 1 };
    return node;
  });
  return [...flow, ...extra];
}

/** Mosquitto on 127.0.0.1 only, with a config file of its own; resolves once it listens. */
async function startBroker(dir: string, port: number): Promise<ChildProcess> {
  const config = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(config, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type error', 'log_type warning', 'log_type notice', 'log_type information', ''].join('\n'));
  const broker = spawn(MOSQUITTO, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await within(
    new Promise<void>((resolve, reject) => {
      broker.stderr!.on('data', (chunk: Buffer) => {
        log += chunk.toString('utf8');
        if (/ running/.test(log)) resolve();
      });
      broker.once('exit', (code) => reject(new Error(`mosquitto exited (${code}): ${log}`)));
    }),
    STEP_MS,
    'mosquitto to start',
  );
  return broker;
}

describe('two Node-RED runtimes joined by an MQTT broker (docs/scaling.md)', () => {
  let dir: string;
  let broker: ChildProcess | undefined;
  let subscriber: mqtt.MqttClient | undefined;
  const runtimes: NodeRedHandle[] = [];
  const plugs: SimulatedDevice[] = [];
  /** Every message the subscriber got: [topic, payload as text]. */
  const received: Array<[string, string]> = [];
  const waiters: Array<() => void> = [];

  /** Resolves once the subscriber has a message matching `test` (bounded). */
  function receivedMatching(test: (topic: string, payload: string) => boolean, what: string): Promise<[string, string]> {
    return within(
      new Promise((resolve) => {
        const check = (): boolean => {
          const found = received.find(([topic, payload]) => test(topic, payload));
          if (found) resolve(found);
          return found !== undefined;
        };
        const wait = (): void => {
          if (!check()) waiters.push(wait);
        };
        wait();
      }),
      STEP_MS,
      what,
    );
  }

  before(async () => {
    assert.ok(fs.existsSync(MOSQUITTO), `no ${MOSQUITTO}: run sh scripts/ensure-mosquitto.sh`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kasa-mqtt-'));
    const brokerPort = await freeTcpPort();
    broker = await startBroker(dir, brokerPort);
    subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { reconnectPeriod: 0, connectTimeout: 5000 });
    subscriber.on('message', (topic, payload) => {
      received.push([topic, payload.toString('utf8')]);
      for (const wake of waiters.splice(0)) wake();
    });
    await subscriber.subscribeAsync([`${PREFIX}/+/power`, `${PREFIX}/+/state`, `${PREFIX}/+/event`, `${PREFIX}/+/set`]);

    for (const alias of ['Site A plug', 'Site B plug']) {
      const plug = new SimulatedDevice({ model: 'hs110', host: '127.0.0.1', port: 0, udp: false, alias });
      await plug.start();
      plug.state.setRelay(false);
      plugs.push(plug);
    }
    const [, plugB] = plugs as [SimulatedDevice, SimulatedDevice];
    // On site A only: a flow that switches site B's plug, knowing nothing of it but its topic.
    const remote: FlowNode[] = [
      { id: 'remote-tab', type: 'tab', label: 'switch the other site' },
      {
        id: 'remote-inject', type: 'inject', z: 'remote-tab', name: 'B on', x: 150, y: 80,
        props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }], payload: 'on', payloadType: 'str', topic: `${PREFIX}/${plugB.state.deviceId}/set`,
        repeat: '', once: false, wires: [['remote-out']],
      },
      { id: 'remote-out', type: 'mqtt out', z: 'remote-tab', name: 'to the broker', topic: '', qos: '1', retain: 'false', broker: example.find((n) => n.type === 'mqtt-broker')!.id, x: 350, y: 80, wires: [] },
    ];
    runtimes.push(
      ...(await Promise.all(
        plugs.map((plug, index) =>
          demoRuntime.startNodeRed({ userDir: path.join(dir, `site-${index}`), flows: siteFlow(plug, brokerPort, index === 0 ? remote : []), port: 0 }),
        ),
      )),
    );
  }, { timeout: 90_000 });

  after(async () => {
    await Promise.all(runtimes.map((runtime) => runtime.stop()));
    await subscriber?.endAsync();
    if (broker && broker.exitCode === null && broker.signalCode === null) {
      broker.kill('SIGTERM');
      await within(once(broker, 'exit'), 10_000, 'mosquitto to stop');
    }
    await Promise.all(plugs.map((plug) => plug.stop()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, { timeout: 30_000 });

  it('one subscriber gets the power, state and events of both sites, on each plug\'s own topics', { timeout: 60_000 }, async () => {
    for (const plug of plugs) {
      const id = plug.state.deviceId;
      const [, power] = await receivedMatching((topic) => topic === `${PREFIX}/${id}/power`, `the power of ${id}`);
      assert.ok(Number.isFinite(Number(power)), `a number of watts: ${power}`);
      // Read when the broker connected, or reported by the first poll: whichever came after the connection.
      await receivedMatching((topic, payload) => topic === `${PREFIX}/${id}/state` && payload === 'off', `the state of ${id}`);
    }
    // Switched by hand (the button, the app): the site's watching node reports it as an event.
    const [plugA] = plugs as [SimulatedDevice];
    plugA.state.setRelay(true);
    const [, event] = await receivedMatching(
      (topic, payload) => topic === `${PREFIX}/${plugA.state.deviceId}/event` && (JSON.parse(payload) as { event: string }).event === 'change',
      'the change event of site A',
    );
    assert.equal((JSON.parse(event) as { on: boolean }).on, true);
    await receivedMatching((topic, payload) => topic === `${PREFIX}/${plugA.state.deviceId}/state` && payload === 'on', "site A's state on");
    assert.deepEqual(
      [...new Set(received.filter(([topic]) => !topic.endsWith('/set')).map(([topic]) => topic.split('/')[1]))].sort(),
      plugs.map((plug) => plug.state.deviceId).sort(),
      'the two devices, no other',
    );
    plugA.state.setRelay(false);
    await receivedMatching((topic, payload) => topic === `${PREFIX}/${plugA.state.deviceId}/state` && payload === 'off' && received.filter(([t]) => t === topic).length >= 3, "site A's state off again");
  });

  it('a flow on site A switches site B\'s plug through the broker; B publishes its new state', { timeout: 60_000 }, async () => {
    const [plugA, plugB] = plugs as [SimulatedDevice, SimulatedDevice];
    const switched = once(plugB, 'relay', { signal: AbortSignal.timeout(STEP_MS) }) as Promise<[RelayEvent]>;
    // What the inject button in site A's editor does.
    const pressed = await fetch(`${runtimes[0]!.url}inject/remote-inject`, { method: 'POST' });
    assert.equal(pressed.status, 200);
    // The command went through the broker, on the plug's own topic.
    await receivedMatching((topic, payload) => topic === `${PREFIX}/${plugB.state.deviceId}/set` && payload === 'on', "the command on B's topic");
    const [event] = await switched;
    assert.equal(event.on, true, "site B's plug switched on");
    assert.equal(plugB.state.getRelay(), true);
    assert.equal(plugA.state.getRelay(), false, "site A's own plug was not touched");
    await receivedMatching((topic, payload) => topic === `${PREFIX}/${plugB.state.deviceId}/state` && payload === 'on', "site B's state on");
  });
});
