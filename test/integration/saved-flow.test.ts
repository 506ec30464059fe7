/**
 * A flow saved by the editor of version 0.1.0 (test/fixtures/flows/saved-0.1.0.json, every node
 * type with the properties and defaults its dialog declared then; credentials beside it as the
 * runtime keeps them) loads into today's runtime and every node in it works end to end. The
 * fixture is never edited: a later version that renames a field fails here until it migrates
 * the old name.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../../src/util/errors';
import { SimulatedDevice } from '../../src/simulator';
import { DeviceState } from '../../src/simulator/device-state';
import { KlapServer } from '../../src/simulator/klap-server';
import { TddpResponder } from '../../src/simulator/tddp-responder';
import { helper, Inbox, loadTracked, TrackedNode, unloadChecked } from '../support/node-red';
import { freeTcpPort, freeUdpPort } from '../support/ports';
import { within } from '../support/wait';

type FlowNode = Record<string, unknown> & { id: string; type: string; name?: string };
type Msg = Record<string, unknown> & { error?: { code?: string; message?: string } };

const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'flows');
const VERSION = '0.1.0';
const readJson = <T>(name: string): T => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as T;
const PACKAGE_TYPES = new Set(['plug-control', 'strip-outlet', 'plug-energy', 'tddp-query']);

const saved = readJson<FlowNode[]>(`saved-${VERSION}.json`);
const savedCredentials = readJson<Record<string, Record<string, string>>>(`saved-${VERSION}.credentials.json`);

/** The saved node with this name (names, not ids, so the test reads as the flow does). */
function named(name: string): FlowNode {
  const found = saved.find((n) => n.name === name);
  assert.ok(found, `the fixture has a node named ${JSON.stringify(name)}`);
  return found;
}

/**
 * The saved flow pointed at the simulators: only the address and port fields of each device node
 * change, and only fields the saved node has (so a renamed field is not quietly added back here).
 * Each node under test is wired to a helper of its own; a Catch node and a Complete node see them all.
 */
function pointedAt(addresses: Record<string, Record<string, number>>): { flow: FlowNode[]; ids: string[] } {
  const flow: FlowNode[] = structuredClone(saved).map((node: FlowNode) => {
    if (node.type !== 'tplink-device') return node;
    const ports = addresses[node.name ?? ''];
    assert.ok(ports, `addresses for the device node ${JSON.stringify(node.name)}`);
    for (const field of ['host', ...Object.keys(ports)]) assert.ok(field in node, `the saved device node ${JSON.stringify(node.name)} has ${field}`);
    return { ...node, host: '127.0.0.1', ...ports };
  });
  const tab = saved.find((n) => n.type === 'tab')!.id;
  const ids = flow.filter((n) => PACKAGE_TYPES.has(n.type)).map((n) => n.id);
  for (const node of flow) if (ids.includes(node.id)) node['wires'] = [[`out-${node.id}`]];
  const harness: FlowNode[] = [
    ...ids.map((id, i) => ({ id: `out-${id}`, type: 'helper', z: tab, x: 700, y: 80 + i * 60, wires: [] })),
    { id: 'catch', type: 'catch', z: tab, x: 100, y: 700, scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: tab, x: 300, y: 700, wires: [] },
    { id: 'complete', type: 'complete', z: tab, x: 100, y: 760, scope: ids, uncaught: false, wires: [['completed']] },
    { id: 'completed', type: 'helper', z: tab, x: 300, y: 760, wires: [] },
  ];
  return { flow: [...flow, ...harness], ids };
}

describe(`a flow saved with version ${VERSION}, loaded by this one`, () => {
  const lampSim = new SimulatedDevice({ model: 'hs110', alias: 'Desk lamp' });
  const heaterSim = new SimulatedDevice({ model: 'hs110', alias: 'Heater' });
  const legacySim = new SimulatedDevice({ model: 'hs110', alias: 'Old plug' });
  const stripSim = new SimulatedDevice({ model: 'hs300', alias: 'Strip' });
  const klapState = new DeviceState({ model: 'hs110v2', alias: 'New plug' });
  const account = savedCredentials[named('New plug (KLAP)').id]!;
  // Bound to the owner's account: a handshake with any other credentials fails.
  const klap = new KlapServer({ version: 2, bound: true, username: account['username']!, password: account['password']!, handle: (json) => JSON.stringify(klapState.handle(JSON.parse(json))) });
  let lampTddp: TddpResponder;
  let legacyTddp: TddpResponder;
  let defaultTddp: TddpResponder;
  const outputs = new Map<string, Inbox>();
  let nodes: Map<string, TrackedNode>;
  let caught: Inbox;

  const nodeNamed = (name: string): TrackedNode => nodes.get(named(name).id)!;
  const outputOf = (name: string): Inbox => outputs.get(named(name).id)!;

  before(async () => {
    await Promise.all([lampSim.start(), heaterSim.start(), legacySim.start(), stripSim.start(), klap.start()]);
    const [lampReplyPort, legacyReplyPort, defaultReplyPort, closedPort] = [await freeUdpPort(), await freeUdpPort(), await freeUdpPort(), await freeTcpPort()];
    // Each responder knows one login: the lamp's own TDDP login, the old node's account pair, and
    // the factory login (what a node saved with tddpLoginApart and an account but no TDDP login uses).
    const lampLogin = savedCredentials[named('Desk lamp (TCP)').id]!;
    const legacyLogin = savedCredentials[named('Old plug (legacy)').id]!;
    lampTddp = new TddpResponder({ profile: 'hs110', replyTo: 'reply-port', replyPort: lampReplyPort, username: lampLogin['tddpUsername']!, password: lampLogin['tddpPassword']! });
    legacyTddp = new TddpResponder({ profile: 'hs110', replyTo: 'reply-port', replyPort: legacyReplyPort, username: legacyLogin['username']!, password: legacyLogin['password']! });
    defaultTddp = new TddpResponder({ profile: 'hs110', replyTo: 'reply-port', replyPort: defaultReplyPort });
    await Promise.all([lampTddp.start(), legacyTddp.start(), defaultTddp.start()]);

    lampSim.state.setRelay(false);
    lampSim.state.setReading({ power: 42.5 });
    // A meter reads 0 W while its relay is off.
    stripSim.state.setRelay(true, 0);
    stripSim.state.setRelay(true, 2);
    stripSim.state.setReading({ power: 10 }, 0);
    stripSim.state.setReading({ power: 30 }, 2);
    const { flow, ids } = pointedAt({
      'Desk lamp (TCP)': { port: lampSim.port, klapPort: closedPort, tddpPort: lampTddp.port, tddpReplyPort: lampReplyPort },
      'Heater (UDP)': { port: heaterSim.udpPort!, klapPort: closedPort },
      'New plug (KLAP)': { port: closedPort, klapPort: klap.port, tddpPort: defaultTddp.port, tddpReplyPort: defaultReplyPort },
      // Auto: port 9999's stand-in answers, so the KLAP port is never needed.
      'Strip (auto)': { port: stripSim.port, klapPort: closedPort },
      'Old plug (legacy)': { port: legacySim.port, klapPort: closedPort, tddpPort: legacyTddp.port, tddpReplyPort: legacyReplyPort },
    });
    const loaded = await loadTracked(flow, savedCredentials, ids);
    // Right after the load, as load() does, before the first polls' replies can be back.
    for (const id of ids) outputs.set(id, new Inbox(helper.getNode(`out-${id}`)));
    nodes = loaded.nodes;
    caught = loaded.caught;
  });

  after(async () => {
    try {
      await unloadChecked();
    } finally {
      await Promise.all([lampSim.stop(), heaterSim.stop(), legacySim.stop(), stripSim.stop(), klap.stop(), lampTddp.stop(), legacyTddp.stop(), defaultTddp.stop()]);
    }
  });

  it('starts every node of the saved flow', () => {
    for (const node of saved.filter((n) => n.type !== 'tab')) assert.ok(helper.getNode(node.id), `${node.type} ${JSON.stringify(node.name)} is running`);
  });

  it('plug-control (TCP): watches at 1 s, its default action toggles, raw JSON stays refused, a change at the plug is reported', async () => {
    const lamp = outputOf('lamp');
    const online = (await lamp.next()) as Msg;
    assert.equal(online['event'], 'online');
    assert.equal(online['payload'], false);
    assert.equal(online['topic'], 'lamp');

    nodeNamed('lamp').receive({ payload: Date.now() });
    const toggled = (await lamp.next()) as Msg;
    assert.equal(toggled['payload'], true, 'the default action "toggle" switched it on');
    assert.equal(toggled['topic'], 'lamp');
    assert.equal((toggled['device'] as { alias?: string }).alias, 'Desk lamp');
    assert.equal(lampSim.state.getRelay(), true);

    nodeNamed('lamp').receive({ payload: { system: { get_sysinfo: {} } } });
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.NOT_ALLOWED, 'allowRaw false is kept');

    lampSim.state.setRelay(false);
    const change = (await lamp.next(5000)) as Msg;
    assert.equal(change['event'], 'change');
    assert.equal(change['payload'], false);
  });

  it('plug-control (UDP): its default action "on" and the raw JSON it allows go over UDP', async () => {
    const seen: string[] = [];
    heaterSim.on('request', (_request: unknown, info: { transport: string }) => seen.push(info.transport));
    nodeNamed('heater').receive({ payload: Date.now() });
    assert.equal((await outputOf('heater').next())['payload'], true);
    assert.equal(heaterSim.state.getRelay(), true);
    nodeNamed('heater').receive({ payload: { system: { get_sysinfo: {} } } });
    const reply = (await outputOf('heater').next())['payload'] as { system: { get_sysinfo: { alias: string } } };
    assert.equal(reply.system.get_sysinfo.alias, 'Heater');
    assert.ok(seen.length >= 2 && seen.every((t) => t === 'udp'), `requests went over ${seen.join(', ')}`);
  });

  it('plug-control (KLAP): reaches the KLAP device with the saved account', async () => {
    nodeNamed('new plug').receive({ payload: Date.now() });
    const info = (await outputOf('new plug').next())['payload'] as Record<string, unknown>;
    assert.equal(info['alias'], 'New plug', 'the default action "info" gives the sysinfo');
    const stats = klap.stats;
    assert.ok(stats.handshake2 >= 1 && stats.requests >= 1, 'a KLAP session was opened with the account and used');
  });

  it('plug-energy (strip, every 2 s, deadband, split, whole reading): polls one message per outlet, and answers an input the same way', async () => {
    const power = outputOf('strip power');
    const check = async (): Promise<void> => {
      const messages = [(await power.next(5000)) as Msg, (await power.next()) as Msg];
      assert.deepEqual(messages.map((m) => (m['outlet'] as { index: number }).index), [1, 3]);
      assert.deepEqual(messages.map((m) => (m['payload'] as { power: number }).power), [10, 30], 'output "reading": the whole reading');
      for (const m of messages) assert.equal(typeof (m['energy'] as { total?: unknown }).total, 'number');
    };
    await check();
    nodeNamed('strip power').receive({});
    await check();

    // Deadband 0.5 W: a poll after the sum moved 0.25 W sends nothing, one after it moved 5 W does.
    const polled = (): Promise<void> => {
      // A poll reads outlet 1, then outlet 3: the second meter request ends it.
      let meterRequests = 0;
      return new Promise((resolve) => {
        const onRequest = (request: Record<string, unknown>): void => {
          if (!('emeter' in request) || ++meterRequests < 2) return;
          stripSim.off('request', onRequest);
          resolve();
        };
        stripSim.on('request', onRequest);
      });
    };
    stripSim.state.setReading({ power: 10.25 }, 0);
    await within(polled(), 5000, 'a poll of the strip');
    assert.ok(await power.quietFor(300), 'a move inside the deadband is not sent');
    stripSim.state.setReading({ power: 15 }, 0);
    const moved = [(await power.next(5000)) as Msg, (await power.next()) as Msg];
    assert.deepEqual(moved.map((m) => (m['payload'] as { power: number }).power), [15, 30]);
  });

  it('strip-outlet (auto): switches outlets 1 and 3 and leaves 2 alone', async () => {
    for (const outlet of [0, 1, 2]) stripSim.state.setRelay(false, outlet);
    nodeNamed('outlets 1 and 3').receive({ payload: Date.now() });
    const on = (await outputOf('outlets 1 and 3').next()) as Msg;
    assert.deepEqual(on['payload'], [true, true]);
    assert.deepEqual((on['outlet'] as Array<{ index: number }>).map((o) => o.index), [1, 3]);
    assert.deepEqual([0, 1, 2].map((i) => stripSim.state.getRelay(i)), [true, false, true]);
    nodeNamed('outlets 1 and 3').receive({ payload: false });
    assert.deepEqual((await outputOf('outlets 1 and 3').next())['payload'], [false, false]);
    assert.deepEqual([0, 1, 2].map((i) => stripSim.state.getRelay(i)), [false, false, false]);
  });

  it('plug-energy (plug, on input): the watts in msg.payload with the saved topic', async () => {
    lampSim.state.setRelay(true); // (the lamp's watcher reports this change; that test is done)
    nodeNamed('lamp power').receive({ payload: Date.now() });
    const msg = (await outputOf('lamp power').next()) as Msg;
    assert.equal(msg['payload'], 42.5);
    assert.equal(msg['topic'], 'lamp watts');
  });

  it("tddp-query: answers from the TDDP responder with the device's own TDDP login", async () => {
    nodeNamed('model code').receive({ payload: Date.now() });
    const msg = (await outputOf('model code').next()) as Msg;
    assert.equal(msg['payload'], 'ABCD0110');
    assert.equal((msg['tddp'] as { digestOk: boolean }).digestOk, true);
  });

  it('tddp-query on the device node saved without tddpLoginApart: its account pair is the TDDP login', async () => {
    nodeNamed('old plug id').receive({ payload: Date.now() });
    const msg = (await outputOf('old plug id').next()) as Msg;
    assert.match(String(msg['payload']), /^[0-9A-F]{40}$/);
  });

  it('tddp-query on a device node saved with tddpLoginApart and an account only: the factory login, not the account', async () => {
    nodeNamed('new plug model').receive({ payload: Date.now() });
    assert.equal((await outputOf('new plug model').next())['payload'], 'ABCD0110');
  });

  it('raised no error but the refused raw command', async () => {
    assert.ok(await caught.quietFor(100));
    assert.deepEqual(caught.seen.map((m) => (m as Msg).error?.code), [ErrorCode.NOT_ALLOWED]);
  });
});
