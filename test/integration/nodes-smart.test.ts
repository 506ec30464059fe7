// Every node against the simulator's SMART devices (Tapo P110, P110M, P300, Kasa KP125M) over KLAP v2:
// the same message contracts as for the Kasa family.
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { ErrorCode } from '../../src/util/errors';
import type { SmartSimulatedDevice } from '../../src/simulator/smart/server';
import { smartSims } from '../support/smart-rig';
import type { Node } from 'node-red';
import { Inbox, flowWith, helper, load, unloadChecked } from '../support/node-red';
import { freeTcpPort } from '../support/ports';
import { waitFor } from '../support/wait';

type Msg = Record<string, unknown> & { error?: { code?: string; message?: string } };

const LIMIT = { timeout: 20_000 };
const OWNER = { username: 'owner@example.com', password: 'tapo owner pw' };
const sims = smartSims();
const smart = sims.start;

/** A config node speaking KLAP to the simulator (the user picks KLAP or auto; the family is found out). */
const klapDevice = (sim: SmartSimulatedDevice, extra: Record<string, unknown> = {}) => ({
  host: '127.0.0.1',
  transport: 'klap',
  klapPort: sim.port,
  timeout: 3000,
  ...extra,
});

describe('the nodes on SMART devices over KLAP', () => {
  afterEach(() => unloadChecked());
  after(async () => {
    await sims.stopAll();
  });

  it('plug-control switches and toggles a P110 and reads it back; msg.device says "smart"', LIMIT, async () => {
    const sim = await smart({ model: 'p110', nickname: 'Desk lamp' });
    const { node, out } = await load(flowWith({ type: 'plug-control', name: 'tapo' }, klapDevice(sim)));
    for (const [payload, expected] of [[true, true], [false, false], ['toggle', true], ['toggle', false], ['on', true]] as const) {
      node.receive({ payload });
      const msg = (await out.next()) as Msg;
      assert.equal(msg['payload'], expected, String(payload));
      assert.equal(sim.device.relay.isOn, expected, 'the device itself');
      const device = msg['device'] as Record<string, unknown>;
      assert.deepEqual([device['family'], device['alias'], device['model']], ['smart', 'Desk lamp', 'P110']);
    }
  });

  it('info gives the device info with the nickname decoded; SMART presets answer; the others say NOT_SUPPORTED', LIMIT, async () => {
    const sim = await smart({ model: 'p110', nickname: 'Küche' });
    const { node, out, caught } = await load(flowWith({ type: 'plug-control', name: 'tapo', allowRaw: true }, klapDevice(sim)));
    node.receive({ command: 'info' });
    const info = (await out.next())['payload'] as Record<string, unknown>;
    assert.equal(info['nickname'], 'Küche');
    assert.equal(info['model'], 'P110');
    node.receive({ command: 'time' });
    assert.equal(typeof ((await out.next())['payload'] as Record<string, unknown>)['timestamp'], 'number');
    node.receive({ command: 'countdown' });
    assert.ok(Array.isArray(((await out.next())['payload'] as Record<string, unknown>)['rule_list']));
    node.receive({ command: 'antitheft' });
    const refused = (await caught.next()) as Msg;
    assert.equal(refused.error?.code, ErrorCode.NOT_SUPPORTED);
    assert.match(refused.error?.message ?? '', /SMART protocol: Tapo devices have no away \(anti-theft\) mode/);
    // Raw commands are SMART JSON on a SMART device, behind the same guards.
    node.receive({ payload: { method: 'get_device_info' } });
    const raw = (await out.next())['payload'] as Record<string, unknown>;
    assert.equal(raw['error_code'], 0);
    assert.equal((raw['result'] as Record<string, unknown>)['model'], 'P110');
    for (const payload of [{ method: 'device_reset' }, { method: 'multipleRequest', params: { requests: [{ method: 'get_device_info' }, { method: 'device_reboot' }] } }]) {
      node.receive({ payload });
      assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.NOT_ALLOWED, JSON.stringify(payload));
    }
    node.receive({ command: 'reboot' });
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.NOT_ALLOWED);
    node.receive({ payload: { method: 'no_such_method' } });
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.NOT_SUPPORTED);
  });

  for (const mode of ['accept', 'refuse'] as const) {
    it(`a switch and its read-back are one round trip; a strip that ${mode}s control_child in a batch runs each command once`, LIMIT, async () => {
      const plug = await smart({ model: 'p110' });
      const control = await load(flowWith({ type: 'plug-control', name: 'tapo' }, klapDevice(plug)));
      control.node.receive({ command: 'info' });
      await control.out.next();
      plug.device.received.splice(0);
      control.node.receive({ payload: true });
      assert.equal((await control.out.next())['payload'], true);
      assert.deepEqual(plug.device.received, ['multipleRequest'], 'set_device_info and get_device_info together');
      await unloadChecked();

      const sim = await smart({ model: 'p300', controlChildInBatch: mode });
      const relay = sim.device.children.outlets[1]!.relay;
      let runs = 0;
      const setOn = relay.setOn.bind(relay);
      relay.setOn = (on: boolean) => {
        runs++;
        setOn(on);
      };
      const { node, out } = await load(flowWith({ type: 'strip-outlet', name: 'strip', outlet: '2' }, klapDevice(sim)));
      node.receive({ command: 'info' });
      await out.next();
      for (const on of [true, false, true]) {
        sim.device.received.splice(0);
        node.receive({ payload: on });
        assert.equal((await out.next())['payload'], on);
        assert.equal(relay.isOn, on);
        if (mode === 'accept') assert.deepEqual(sim.device.received, ['multipleRequest'], 'control_child and the state in one batch');
      }
      assert.equal(runs, 3, 'each command ran once on the outlet');
    });
  }

  it("a hub's children are no outlets, and a hub has no relay: both said in plain words, nothing switched", LIMIT, async () => {
    const hub = await smart({ model: 'h100' });
    const strip = await load(flowWith({ type: 'strip-outlet', name: 'hub', outlet: '1' }, klapDevice(hub)));
    strip.node.receive({ payload: true });
    const notOutlets = (await strip.caught.next()) as Msg;
    assert.equal(notOutlets.error?.code, ErrorCode.BAD_INPUT);
    assert.match(notOutlets.error?.message ?? '', /is not a power strip: its children are .*\(a motion sensor\).*\(a radiator valve\).*, not outlets/);
    await unloadChecked();
    const control = await load(flowWith({ type: 'plug-control', name: 'hub' }, klapDevice(hub)));
    hub.device.received.splice(0);
    control.node.receive({ payload: true });
    const noRelay = (await control.caught.next()) as Msg;
    assert.equal(noRelay.error?.code, ErrorCode.NOT_SUPPORTED);
    assert.match(noRelay.error?.message ?? '', /is a hub: it cannot switch on and off/);
    assert.ok(!hub.device.received.includes('set_device_info'), 'nothing was sent to switch it');
  });

  it('strip-outlet switches P300 outlets by index, several, all and alias', LIMIT, async () => {
    const sim = await smart({ model: 'p300' });
    const outlets = sim.device.children.outlets;
    const { node, out } = await load(flowWith({ type: 'strip-outlet', name: 'strip', outlet: '2' }, klapDevice(sim)));
    node.receive({ payload: true });
    let msg = (await out.next()) as Msg;
    assert.equal(msg['payload'], true);
    assert.equal((msg['outlet'] as { index: number }).index, 2);
    assert.deepEqual(outlets.map((o) => o.relay.isOn), [false, true, false]);
    node.receive({ payload: 'toggle', outlet: 'all' });
    msg = (await out.next()) as Msg;
    assert.deepEqual(msg['payload'], [true, false, true]);
    assert.deepEqual(outlets.map((o) => o.relay.isOn), [true, false, true]);
    node.receive({ payload: false, outlet: '1,3' });
    assert.deepEqual((await out.next())['payload'], [false, false]);
    node.receive({ command: 'alias', payload: 'Printer', outlet: 3 });
    assert.equal((await out.next())['payload'], 'Printer');
    node.receive({ payload: true, outlet: 'Printer' });
    msg = (await out.next()) as Msg;
    assert.equal((msg['outlet'] as { index: number; alias: string }).alias, 'Printer');
    assert.equal(outlets[2]!.relay.isOn, true);
  });

  it('plug-energy reads watts and the normalised reading of a P110M, and its daily and monthly history', LIMIT, async () => {
    const sim = await smart({ model: 'p110m' });
    sim.device.relay.setOn(true);
    const { node, out, caught } = await load(flowWith({ type: 'plug-energy', name: 'meter', output: 'power', allowDestructive: true }, klapDevice(sim)));
    node.receive({});
    const reading = (await out.next()) as Msg;
    assert.equal(typeof reading['payload'], 'number');
    assert.ok((reading['payload'] as number) > 0, 'the P110M draws power while on');
    const energy = reading['energy'] as Record<string, number>;
    assert.deepEqual(Object.keys(energy).sort(), ['current', 'power', 'total', 'voltage']);
    assert.ok(energy['voltage']! > 100, 'get_emeter_data gives the voltage in V');
    const now = new Date();
    node.receive({ command: 'daystat' });
    const days = (await out.next())['payload'] as Array<{ year: number; month: number; day: number; energy: number }>;
    assert.ok(days.length > 0);
    for (const day of days) assert.deepEqual([day.year, day.month], [now.getFullYear(), now.getMonth() + 1]);
    node.receive({ command: 'monthstat', year: now.getFullYear() });
    const months = (await out.next())['payload'] as Array<{ month: number; day?: number }>;
    assert.ok(months.length > 0 && months.every((m) => m.day === undefined));
    node.receive({ command: 'erase' });
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.NOT_SUPPORTED);
  });

  it('plug-energy on a plug without a meter (P300) is one clear NO_ENERGY_METER', LIMIT, async () => {
    const sim = await smart({ model: 'p300' });
    const { node, caught } = await load(flowWith({ type: 'plug-energy', name: 'meter' }, klapDevice(sim)));
    node.receive({});
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.NO_ENERGY_METER);
  });

  it('watching reports a P110 switched in the app', LIMIT, async () => {
    const sim = await smart({ model: 'p110' });
    const { out } = await load(flowWith({ type: 'plug-control', name: 'watch', pollInterval: 0.2 }, klapDevice(sim)));
    const online = (await out.next()) as Msg;
    assert.deepEqual([online['event'], online['payload']], ['online', false]);
    sim.device.relay.setOn(true);
    const change = (await out.next()) as Msg;
    assert.deepEqual([change['event'], change['payload']], ['change', true]);
  });

  it('keeps working when the device drops the session (403) every few requests', LIMIT, async () => {
    const sim = await smart({ model: 'kp125m', invalidateAfter: 3 });
    const { node, out } = await load(flowWith({ type: 'plug-control', name: 'kasa' }, klapDevice(sim)));
    for (let i = 0; i < 6; i++) {
      node.receive({ payload: i % 2 === 0 });
      assert.equal((await out.next())['payload'], i % 2 === 0);
    }
    assert.ok(sim.klap.stats.forbidden >= 2, `403s answered: ${sim.klap.stats.forbidden}`);
  });

  it('a device bound to another account: AUTH, saying which account to enter', LIMIT, async () => {
    const sim = await smart({ model: 'p110', ...OWNER });
    const wrong = await load(flowWith({ type: 'plug-control', name: 'tapo' }, klapDevice(sim)), { dev: { username: 'someone@example.com', password: 'nope' } });
    wrong.node.receive({ payload: true });
    const msg = (await wrong.caught.next()) as Msg;
    assert.equal(msg.error?.code, ErrorCode.AUTH);
    assert.match(msg.error?.message ?? '', /bound to another account, or the e-mail or password is mistyped/);
    assert.match(msg.error?.message ?? '', /In Node-RED: the Account and Password of the device node\.$/, 'where the account goes, in Node-RED terms');
    assert.doesNotMatch(msg.error?.message ?? '', /-u <e-mail>/);
    assert.equal(sim.device.relay.isOn, false);
    await unloadChecked();
    const right = await load(flowWith({ type: 'plug-control', name: 'tapo' }, klapDevice(sim)), { dev: OWNER });
    right.node.receive({ payload: true });
    assert.equal((await right.out.next())['payload'], true);
  });

  it('a slow device answers within the timeout; one slower than it is a TIMEOUT', LIMIT, async () => {
    const sim = await smart({ model: 'p110', replyDelayMs: 150 });
    const patient = await load(flowWith({ type: 'plug-control', name: 'tapo' }, klapDevice(sim, { timeout: 3000 })));
    patient.node.receive({ payload: true });
    assert.equal((await patient.out.next())['payload'], true);
    await unloadChecked();
    const hasty = await load(flowWith({ type: 'plug-control', name: 'tapo' }, klapDevice(sim, { timeout: 100 })));
    hasty.node.receive({ command: 'info' });
    assert.equal(((await hasty.caught.next(5000)) as Msg).error?.code, ErrorCode.TIMEOUT);
  });

  it("auto: port 9999 closed, it finds KLAP on the HTTP port and that the device speaks SMART", LIMIT, async () => {
    const sim = await smart({ model: 'p110m' });
    const { node, out } = await load(flowWith({ type: 'plug-control', name: 'auto' }, klapDevice(sim, { transport: 'auto', port: await freeTcpPort() })));
    node.receive({ payload: true });
    const msg = (await out.next()) as Msg;
    assert.equal(msg['payload'], true);
    assert.equal((msg['device'] as { family: string }).family, 'smart');
    assert.equal(sim.device.relay.isOn, true);
    const handshakes = sim.klap.stats.handshake2;
    node.receive({ payload: false });
    assert.equal((await out.next())['payload'], false);
    assert.equal(sim.klap.stats.handshake2, handshakes, 'the family and the session are remembered');
  });

  it('a watching plug-control and a plug-energy on one P110M cost one batched request per poll', LIMIT, async () => {
    const sim = await smart({ model: 'p110m' });
    const flow = flowWith({ type: 'plug-control', name: 'watch', pollInterval: 0.2 }, klapDevice(sim));
    flow.push({ id: 'e', z: 'f1', x: 100, y: 400, type: 'plug-energy', device: 'dev', interval: 0.2, wires: [['e-out']] });
    flow.push({ id: 'e-out', z: 'f1', x: 300, y: 400, type: 'helper', wires: [] });
    const { out } = await load(flow);
    assert.equal((await out.next())['event'], 'online');
    const energy = new Inbox(helper.getNode('e-out') as Node);
    await energy.next();
    await energy.next();
    sim.device.received.length = 0;
    const readings: unknown[] = [];
    for (let i = 0; i < 5; i++) readings.push((await energy.next(3000))['payload']);
    assert.ok(readings.every((watts) => typeof watts === 'number'));
    // Five polls: five requests (give or take the one in flight), each one batch of state and meter.
    assert.ok(sim.device.received.length <= 6, sim.device.received.join(','));
    assert.ok(sim.device.received.every((method) => method === 'multipleRequest'), sim.device.received.join(','));
  });

  it('a plug-energy alone on a P110 reads its meter alone at each poll, no device info', LIMIT, async () => {
    const sim = await smart({ model: 'p110' });
    const { out } = await load(flowWith({ type: 'plug-energy', name: 'meter', interval: 0.1 }, klapDevice(sim)));
    assert.equal(typeof (await out.next())['payload'], 'number');
    await waitFor(() => sim.device.received.length >= 8, 'eight requests');
    assert.deepEqual(sim.device.received.slice(-4), ['get_energy_usage', 'get_energy_usage', 'get_energy_usage', 'get_energy_usage'], sim.device.received.join(','));
  });

  it('plug-energy reads a P304M per outlet, sums several, and statistics per outlet', LIMIT, async () => {
    // As the real P304M: each outlet's get_energy_usage has no current_power; its power is in get_current_power.
    const sim = await smart({ model: 'p304m' });
    for (const outlet of sim.device.children.outlets) outlet.relay.setOn(true);
    const { node, out } = await load(flowWith({ type: 'plug-energy', name: 'meter', outlet: '2' }, klapDevice(sim)));
    node.receive({});
    const second = (await out.next()) as Msg;
    assert.equal(second['payload'], 30, 'outlet 2 draws 2 x 15 W in the simulator');
    assert.equal((second['outlet'] as { index: number }).index, 2);
    node.receive({ outlet: 'all' });
    const all = (await out.next()) as Msg;
    assert.equal(all['payload'], 15 + 30 + 45 + 60);
    assert.equal((all['outlets'] as unknown[]).length, 4);
    node.receive({ command: 'monthstat', outlet: '1,2' });
    const months = (await out.next())['payload'] as Array<{ energy: number }>;
    assert.ok(months.length > 0);
    await unloadChecked();
    const whole = await load(flowWith({ type: 'plug-energy', name: 'meter' }, klapDevice(sim)));
    whole.node.receive({});
    const refused = (await whole.caught.next()) as Msg;
    assert.equal(refused.error?.code, ErrorCode.NO_ENERGY_METER, 'the strip meters its outlets, not itself');
  });

  it('a polling plug-energy on P304M outlets reads them through the hub', LIMIT, async () => {
    // As the real P304M: each outlet's get_energy_usage has no current_power; its power is in get_current_power.
    const sim = await smart({ model: 'p304m' });
    sim.device.children.outlets[0]!.relay.setOn(true);
    const { out } = await load(flowWith({ type: 'plug-energy', name: 'meter', outlet: '1,3', interval: 0.2, split: true }, klapDevice(sim)));
    const [first, third] = [(await out.next()) as Msg, (await out.next()) as Msg];
    assert.deepEqual([first['payload'], third['payload']], [15, 0]);
    assert.deepEqual([(first['outlet'] as { index: number }).index, (third['outlet'] as { index: number }).index], [1, 3]);
  });
});

