// The hub-sensor node against the simulated H100 in a real Node-RED runtime: events from the
// children's trigger logs once and in order, bursts between polls, no replay on redeploy,
// children going offline and back, the valve, and one poll per hub however many nodes watch.
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import type { Node } from 'node-red';
import { ErrorCode } from '../../src/util/errors';
import type { DeviceHub } from '../../src/device/device-hub';
import { SmartSimulatedDevice, SmartSimulatedDeviceOptions } from '../../src/simulator/smart/server';
import type { HubChildKind } from '../../src/simulator/smart/hub-kinds';
import { Inbox, TrackedNode, helper, loadTracked, unloadChecked } from '../support/node-red';

/** The package's kind of each simulated child kind. */
const CHILD_KINDS: Record<HubChildKind, string> = {
  motion: 'motion-sensor',
  contact: 'contact-sensor',
  leak: 'leak-sensor',
  climate: 'climate-sensor',
  button: 'button',
  switch: 'switch',
  trv: 'valve',
};

type Msg = Record<string, unknown> & { event?: string; payload?: unknown; error?: { code?: string; message?: string } };

const LIMIT = { timeout: 30_000 };
const started: SmartSimulatedDevice[] = [];

async function hubSim(options: Partial<SmartSimulatedDeviceOptions> = {}): Promise<SmartSimulatedDevice> {
  const sim = new SmartSimulatedDevice({ host: '127.0.0.1', tdpPort: null, model: 'h100', ...options });
  await sim.start();
  started.push(sim);
  return sim;
}

/** A hub-sensor node per entry (ids s0, s1, ...), each wired to a helper (s0-out, ...), and a Catch node. */
function hubFlow(sim: SmartSimulatedDevice, sensors: Array<{ kind: HubChildKind; interval?: number; name?: string }>): Record<string, unknown>[] {
  const flow: Record<string, unknown>[] = [
    { id: 'f1', type: 'tab', label: 'hub' },
    { id: 'dev', type: 'tplink-device', name: 'hub', host: '127.0.0.1', transport: 'klap', klapPort: sim.port, timeout: 3000, tddpPort: 1040, tddpReplyPort: 61000 },
    { id: 'catch', z: 'f1', x: 100, y: 20, type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', x: 300, y: 20, type: 'helper', wires: [] },
    { id: 'complete', z: 'f1', x: 100, y: 60, type: 'complete', scope: sensors.map((_s, i) => `s${i}`), uncaught: false, wires: [['completed']] },
    { id: 'completed', z: 'f1', x: 300, y: 60, type: 'helper', wires: [] },
  ];
  sensors.forEach(({ kind, interval, name }, i) => {
    const child = sim.device.hub!.child(kind);
    flow.push({ id: `s${i}`, z: 'f1', x: 100, y: 100 + 40 * i, type: 'hub-sensor', name: name ?? kind, device: 'dev', child: child.id, pollInterval: interval ?? 1, wires: [[`s${i}-out`]] });
    flow.push({ id: `s${i}-out`, z: 'f1', x: 300, y: 100 + 40 * i, type: 'helper', wires: [] });
  });
  return flow;
}

async function loadHub(flow: Record<string, unknown>[], count: number): Promise<{ inboxes: Inbox[]; nodes: TrackedNode[]; caught: Inbox }> {
  const ids = Array.from({ length: count }, (_v, i) => `s${i}`);
  const loaded = await loadTracked(flow, {}, ids);
  return { inboxes: ids.map((id) => new Inbox(helper.getNode(`${id}-out`) as Node)), nodes: ids.map((id) => loaded.nodes.get(id)!), caught: loaded.caught };
}

/** The config node's hub: a test subscriber there sees each poll (it asks for nothing of its own). */
function deviceHub(): DeviceHub {
  return (helper.getNode('dev') as unknown as { hub: DeviceHub }).hub;
}

/** Resolves after `count` more polls of the hub (at 1 s, the nodes' interval). */
function polls(count: number): Promise<void> {
  return deviceHub().polls(count, 1000);
}

/** The next `count` messages of an inbox, as [event, payload] pairs. */
async function events(inbox: Inbox, count: number, ms = 6000): Promise<Array<[unknown, unknown]>> {
  const out: Array<[unknown, unknown]> = [];
  for (let i = 0; i < count; i++) {
    const msg = (await inbox.next(ms)) as Msg;
    out.push([msg.event, msg.payload]);
  }
  return out;
}

describe('hub-sensor on a simulated H100', () => {
  afterEach(() => unloadChecked());
  after(async () => {
    for (const sim of started.splice(0)) await sim.stop();
  });

  it('every kind of event arrives once, in order, with the readings and the child with its hub', LIMIT, async () => {
    const sim = await hubSim();
    const hub = sim.device.hub!;
    const kinds: HubChildKind[] = ['motion', 'contact', 'leak', 'climate', 'button', 'switch'];
    const { inboxes } = await loadHub(hubFlow(sim, kinds.map((kind) => ({ kind }))), kinds.length);
    const [motion, contact, leak, climate, button, switcher] = inboxes as [Inbox, Inbox, Inbox, Inbox, Inbox, Inbox];
    // The first reading: each child's state as it is.
    for (const inbox of inboxes) assert.deepEqual(await events(inbox, 1), [['online', true]]);

    hub.fire('motion', { type: 'motion' });
    hub.fire('contact', { type: 'open' });
    hub.fire('leak', { type: 'leak' });
    hub.fire('climate', { type: 'temperature', value: 23.5 });
    hub.fire('button', { type: 'singleClick' });
    hub.fire('button', { type: 'doubleClick' });
    hub.fire('button', { type: 'rotation', degrees: -45 });
    hub.fire('switch', { type: 'singleClick' });
    const opened = (await contact.next(6000)) as Msg;
    assert.deepEqual([opened.event, opened.payload], ['open', true]);
    assert.equal((opened['sensor'] as { open: boolean }).open, true);
    const device = opened['device'] as { alias: string; model: string; kind: string; hub: { model: string; family: string } };
    assert.deepEqual([device.alias, device.model, device.kind, device.hub.model, device.hub.family], ['Front door', 'T110', 'contact-sensor', 'H100', 'smart']);
    assert.equal(typeof (opened['log'] as { id: number }).id, 'number');
    assert.deepEqual(await events(motion, 1), [['motion', true]]);
    assert.deepEqual(await events(leak, 1), [['leak', true]]);
    assert.deepEqual(await events(climate, 1), [['temperature', 23.5]]);
    assert.deepEqual(await events(button, 3), [
      ['press', true],
      ['double-press', true],
      ['rotate', -45],
    ]);
    // The S210 logs its press and switches itself: both said.
    assert.deepEqual(new Set((await events(switcher, 2)).map(([event, payload]) => `${String(event)}:${String(payload)}`)), new Set(['press:true', 'change:true']));

    hub.fire('motion', { type: 'clear' });
    hub.fire('contact', { type: 'close' });
    hub.fire('contact', { type: 'keepOpen' });
    hub.fire('leak', { type: 'dry' });
    hub.fire('climate', { type: 'humidity', value: 35 });
    hub.fire('climate', { type: 'lowBattery' });
    assert.deepEqual(await events(motion, 1), [['motion', false]]);
    assert.deepEqual(await events(contact, 2), [
      ['close', false],
      ['change', 'keepOpen'],
    ]);
    assert.deepEqual(await events(leak, 1), [['dry', false]]);
    // The humidity leaves the comfort range: its log says tooDry, its reading 35 %; then the battery.
    assert.deepEqual(await events(climate, 3), [
      ['change', 'tooDry'],
      ['humidity', 35],
      ['battery-low', true],
    ]);
    // Once: nothing more comes over the next two polls.
    await polls(2);
    for (const inbox of inboxes) assert.equal(inbox.size, 0, 'no event twice');
  });

  it('a Kasa KH100 hub works alike: its button presses and its valve', LIMIT, async () => {
    const sim = await hubSim({ model: 'kh100' });
    const { inboxes, nodes } = await loadHub(hubFlow(sim, [{ kind: 'button' }, { kind: 'trv' }]), 2);
    const [button, valve] = inboxes as [Inbox, Inbox];
    assert.deepEqual(await events(button, 1), [['online', true]]);
    assert.equal(((await valve.next(6000)) as Msg)['device'] !== undefined, true);
    sim.device.hub!.fire('button', { type: 'doubleClick' });
    const pressed = (await button.next(6000)) as Msg;
    assert.deepEqual([pressed.event, (pressed['device'] as { hub: { model: string } }).hub.model], ['double-press', 'KH100']);
    nodes[1]!.receive({ targetTemperature: 18 });
    assert.deepEqual(await events(valve, 1), [['state', 18]]);
  });

  it('a burst of presses between two polls all arrive, in log order', LIMIT, async () => {
    const sim = await hubSim();
    const hub = sim.device.hub!;
    const { inboxes } = await loadHub(hubFlow(sim, [{ kind: 'button' }]), 1);
    const button = inboxes[0]!;
    await button.next(6000); // online
    // Twelve entries at once: more than two pages of the log.
    const fired = [];
    for (let i = 0; i < 12; i++) fired.push(hub.fire('button', i % 3 === 2 ? { type: 'rotation', degrees: i } : { type: i % 3 === 0 ? 'singleClick' : 'doubleClick' })!);
    const got: Msg[] = [];
    for (let i = 0; i < 12; i++) got.push((await button.next(6000)) as Msg);
    assert.deepEqual(
      got.map((msg) => (msg['log'] as { id: number }).id),
      fired.map((entry) => entry.id),
    );
    assert.deepEqual(
      got.map((msg) => msg.event),
      fired.map((entry) => ({ singleClick: 'press', doubleClick: 'double-press', rotation: 'rotate' })[entry.event]),
    );
    await polls(2);
    assert.equal(button.size, 0);
  });

  it('nothing is told again on a redeploy of the node or of the whole flow; what happened during the redeploy arrives once', LIMIT, async () => {
    const sim = await hubSim();
    const hub = sim.device.hub!;
    hub.fire('contact', { type: 'open' });
    hub.fire('contact', { type: 'close' });
    const flow = hubFlow(sim, [{ kind: 'contact' }]);
    let { inboxes } = await loadHub(flow, 1);
    assert.deepEqual(await events(inboxes[0]!, 1), [['online', true]]);
    await polls(2);
    assert.equal(inboxes[0]!.size, 0, 'entries from before the deploy are not told');
    hub.fire('contact', { type: 'open' });
    assert.deepEqual(await events(inboxes[0]!, 1), [['open', true]]);

    // Redeploy of the changed node only: the config node and its hub stay, and so does its place in the log.
    const changed = flow.map((node) => (node['id'] === 's0' ? { ...node, name: 'front door' } : node));
    hub.fire('contact', { type: 'close' });
    await helper.setFlows(changed, 'nodes');
    const renewed = new Inbox(helper.getNode('s0-out') as Node);
    const afterNodes = await events(renewed, 2);
    assert.deepEqual(new Set(afterNodes.map(([event]) => event)), new Set(['online', 'close']), JSON.stringify(afterNodes));
    await polls(2);
    assert.equal(renewed.size, 0, 'nothing from before the redeploy again');

    // A full redeploy makes a new config node: its first poll only learns where the log stands.
    await unloadChecked();
    ({ inboxes } = await loadHub(flow, 1));
    assert.deepEqual(await events(inboxes[0]!, 1), [['online', true]]);
    await polls(3);
    assert.equal(inboxes[0]!.size, 0, 'nothing replayed after a full redeploy');
    hub.fire('contact', { type: 'open' });
    assert.deepEqual(await events(inboxes[0]!, 1), [['open', true]]);
  });

  it('a child going offline and coming back: one message each', LIMIT, async () => {
    const sim = await hubSim();
    const hub = sim.device.hub!;
    const { inboxes } = await loadHub(hubFlow(sim, [{ kind: 'motion' }]), 1);
    const motion = inboxes[0]!;
    await motion.next(6000);
    hub.fire('motion', { type: 'offline' });
    const gone = (await motion.next(6000)) as Msg;
    assert.deepEqual([gone.event, gone.payload, (gone['sensor'] as { online: boolean }).online], ['offline', false, false]);
    await polls(2);
    assert.equal(motion.size, 0, 'offline once');
    hub.fire('motion', { type: 'online' });
    hub.fire('motion', { type: 'motion' });
    assert.deepEqual(await events(motion, 2), [
      ['motion', true],
      ['online', true],
    ]);
  });

  it('the hub out of reach: one offline message and one error; back, the state and then what happened meanwhile, once', LIMIT, async () => {
    const sim = await hubSim();
    const hub = sim.device.hub!;
    const { inboxes, caught } = await loadHub(hubFlow(sim, [{ kind: 'contact' }]), 1);
    const door = inboxes[0]!;
    assert.deepEqual(await events(door, 1), [['online', true]]);
    // Slower than the device node's timeout (3 s): every poll fails.
    sim.server.replyDelayMs = 5000;
    const gone = (await door.next(12_000)) as Msg;
    assert.deepEqual([gone.event, gone.payload, gone.error?.code], ['offline', false, ErrorCode.TIMEOUT]);
    assert.equal(((await caught.next(2000)) as Msg).error?.code, ErrorCode.TIMEOUT);
    hub.fire('contact', { type: 'open' });
    hub.fire('contact', { type: 'close' });
    sim.server.replyDelayMs = 0;
    assert.deepEqual(await events(door, 3, 15_000), [
      ['online', true],
      ['open', true],
      ['close', false],
    ]);
    await polls(2);
    assert.equal(door.size, 0, 'nothing twice');
    assert.equal(caught.size, 0, 'one error for the outage');
  });

  it("the valve's target temperature and frost protection are set and read back; a target out of its range is BAD_INPUT, nothing sent", LIMIT, async () => {
    const sim = await hubSim();
    const valve = sim.device.hub!.child('trv');
    const { inboxes, nodes, caught } = await loadHub(hubFlow(sim, [{ kind: 'trv' }]), 1);
    const out = inboxes[0]!;
    await out.next(6000);
    nodes[0]!.receive({ targetTemperature: 23.5 });
    const set = (await out.next(6000)) as Msg;
    assert.deepEqual([set.event, set.payload, (set['sensor'] as { targetTemperature: number }).targetTemperature], ['state', 23.5, 23.5]);
    assert.equal(valve.readings['target_temp'], 23.5);
    sim.device.received.length = 0;
    nodes[0]!.receive({ targetTemperature: 35 });
    const refused = (await caught.next(6000)) as Msg;
    assert.equal(refused.error?.code, ErrorCode.BAD_INPUT);
    assert.match(refused.error?.message ?? '', /target temperature of 5 to 30 °C, not 35/);
    assert.equal(valve.readings['target_temp'], 23.5);
    nodes[0]!.receive({ frostProtection: true });
    const frost = (await out.next(6000)) as Msg;
    assert.deepEqual([frost.payload, (frost['sensor'] as { frostProtection: boolean; heating: boolean }).frostProtection], [true, true]);
    assert.equal(valve.readings['frost_protection_on'], true);
  });

  it('a switch child switches on msg.payload, toggles, and reads its state on msg.command "state"; msg.child picks another', LIMIT, async () => {
    const sim = await hubSim({ controlChildInBatch: 'refuse' });
    const { inboxes, nodes } = await loadHub(hubFlow(sim, [{ kind: 'switch' }]), 1);
    const out = inboxes[0]!;
    await out.next(6000);
    nodes[0]!.receive({ payload: 'on' });
    assert.deepEqual(await events(out, 1), [['state', true]]);
    assert.equal(sim.device.hub!.child('switch').readings['device_on'], true);
    nodes[0]!.receive({ payload: 'toggle' });
    assert.deepEqual(await events(out, 1), [['state', false]]);
    nodes[0]!.receive({ command: 'state', child: 'Living room climate' });
    const state = (await out.next(6000)) as Msg;
    assert.deepEqual([state.event, (state['device'] as { model: string }).model, (state.payload as { humidity: number }).humidity], ['state', 'T315', 48]);
  });

  it("lists the hub's children for the edit dialog (name, model, kind), deployed or typed in; a plug has none", LIMIT, async () => {
    const sim = await hubSim();
    await helper.startServer();
    try {
      await loadHub(hubFlow(sim, [{ kind: 'contact' }]), 1);
      const deployed = await helper.request().get('/kasa-flows/children?device=dev');
      assert.equal(deployed.status, 200, JSON.stringify(deployed.body));
      const body = deployed.body as { model: string; kind: string; children: Array<{ id: string; alias: string; model: string; kind: string; label: string; online: boolean }> };
      assert.deepEqual([body.model, body.kind], ['H100', 'hub']);
      assert.deepEqual(
        body.children.map((child) => `${child.alias}/${child.model}/${child.kind}`),
        sim.device.hub!.children.map((child) => `${child.nickname}/${child.spec.model}/${CHILD_KINDS[child.kind]}`),
      );
      assert.equal(body.children[1]!.label, 'door or window sensor');
      assert.equal(body.children[1]!.id, sim.device.hub!.child('contact').id);
      const typed = await helper.request().get(`/kasa-flows/children?host=127.0.0.1&transport=klap&klapPort=${sim.port}`);
      assert.equal((typed.body as { children: unknown[] }).children.length, 7);
      const plug = await hubSim({ model: 'p110' });
      const none = await helper.request().get(`/kasa-flows/children?host=127.0.0.1&transport=klap&klapPort=${plug.port}`);
      assert.deepEqual([none.status, (none.body as { children: unknown[] }).children], [200, []]);
    } finally {
      await helper.stopServer();
    }
  });

  for (const mode of ['accept', 'refuse'] as const) {
    it(`one poll per interval whatever the number of nodes: six nodes on six children and twelve on the same six cost the same requests (control_child in batches: ${mode})`, LIMIT, async () => {
      const sim = await hubSim({ controlChildInBatch: mode });
      const kinds: HubChildKind[] = ['motion', 'contact', 'leak', 'climate', 'button', 'switch'];
      const perPoll: number[] = [];
      for (const copies of [1, 2]) {
        const sensors = kinds.flatMap((kind) => Array.from({ length: copies }, () => ({ kind })));
        const { inboxes } = await loadHub(hubFlow(sim, sensors), sensors.length);
        for (const inbox of inboxes) await inbox.next(6000);
        await polls(1);
        const counts: number[] = [];
        for (let i = 0; i < 3; i++) {
          const before = sim.device.received.length;
          await polls(1);
          counts.push(sim.device.received.length - before);
        }
        assert.equal(deviceHub().size, sensors.length);
        assert.equal(new Set(counts).size, 1, `the same every poll: ${counts.join(', ')}`);
        perPoll.push(counts[0]!);
        // Every node still hears its child.
        sim.device.hub!.fire('button', { type: 'singleClick' });
        for (const [i, inbox] of inboxes.entries()) if (sensors[i]!.kind === 'button') assert.deepEqual(await events(inbox, 1), [['press', true]]);
        await unloadChecked();
      }
      console.log(`# requests per poll, control_child in batches ${mode}: six nodes ${perPoll[0]}, twelve nodes ${perPoll[1]}`);
      assert.equal(perPoll[0], perPoll[1], 'twelve nodes cost what six cost');
      // get_device_info, three pages of the child list and six logs: two batches of five; alone where refused.
      assert.equal(perPoll[0], mode === 'accept' ? 2 : 1 + 6);
    });
  }
});
