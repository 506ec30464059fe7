import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { PRESETS } from '../../src/family/iot/commands';
import { ErrorCode } from '../../src/util/errors';
import { Fault, SimulatedDevice } from '../../src/simulator';
import { flowWith, helper, load, unloadChecked } from '../support/node-red';
import { startPeer } from '../support/peer';
import { openResources, resourcesBackTo } from '../support/wait';

type Msg = Record<string, unknown> & { error?: { code?: string; message?: string } };

const plugNode = (extra: Record<string, unknown> = {}) => ({ type: 'plug-control', name: 'lamp', ...extra });
const outletNode = (extra: Record<string, unknown> = {}) => ({ type: 'strip-outlet', name: 'outlet', ...extra });

describe('plug-control in a Node-RED runtime', () => {
  let sim: SimulatedDevice;
  const device = () => ({ host: '127.0.0.1', port: sim.port });

  before(async () => {
    sim = new SimulatedDevice({ model: 'hs110', alias: 'Desk lamp' });
    await sim.start();
  });
  after(() => sim.stop());
  afterEach(async () => {
    sim.clearFaults();
    await unloadChecked();
  });

  it('switches with every payload form and reports the state read back', async () => {
    const { node, out } = await load(flowWith(plugNode(), device()));
    const cases: Array<[unknown, boolean]> = [[true, true], [false, false], ['on', true], ['OFF', false], [1, true], [0, false], ['toggle', true], ['toggle', false]];
    for (const [payload, expected] of cases) {
      node.receive({ payload, topic: 'kitchen' });
      const msg = (await out.next()) as Msg;
      assert.equal(msg['payload'], expected, `payload ${JSON.stringify(payload)}`);
      assert.equal(sim.state.getRelay(), expected);
      assert.equal(msg['topic'], 'kitchen', 'topic passes through');
      assert.deepEqual(Object.keys(msg['device'] as object).sort(), ['alias', 'deviceId', 'family', 'host', 'mac', 'model']);
      assert.equal((msg['device'] as { alias: string }).alias, 'Desk lamp');
    }
  });

  it('answers every preset that is not destructive, info with the sysinfo as sent', async () => {
    const { node, out, caught } = await load(flowWith(plugNode({ topic: 'fixed' }), device()));
    for (const [name, preset] of Object.entries(PRESETS)) {
      if (preset.destructive) continue;
      node.receive({ command: name });
      const msg = (await out.next()) as Msg;
      assert.equal(msg['topic'], 'fixed');
      if (name === 'on' || name === 'off') assert.equal(msg['payload'], name === 'on');
      else assert.equal(typeof msg['payload'], 'object', name);
      if (name === 'info') assert.equal((msg['payload'] as Record<string, unknown>)['alias'], 'Desk lamp');
      if (name === 'energy') assert.equal(typeof (msg['payload'] as Record<string, unknown>)['power'], 'number');
    }
    node.receive({ command: 'alias', payload: 'Reading lamp' });
    assert.equal((await out.next())['payload'], 'Reading lamp');
    assert.equal(sim.state.deviceAlias, 'Reading lamp');
    sim.state.handle({ system: { set_dev_alias: { alias: 'Desk lamp' } } });
    assert.equal(caught.size, 0);
  });

  it('uses the default action when a message names none (a bare inject)', async () => {
    sim.state.setRelay(false);
    const { node, out } = await load(flowWith(plugNode({ action: 'toggle' }), device()));
    node.receive({ payload: Date.now() });
    assert.equal((await out.next())['payload'], true);
    node.receive({ payload: '' });
    assert.equal((await out.next())['payload'], false);
  });

  it('refuses raw and destructive commands unless the node allows them', async () => {
    const { node, out, caught } = await load(flowWith(plugNode(), device()));
    node.receive({ payload: { system: { get_sysinfo: {} } } });
    const raw = (await caught.next()) as Msg;
    assert.equal(raw.error?.code, ErrorCode.NOT_ALLOWED);
    assert.match(raw.error?.message ?? '', /Allow raw JSON/);
    for (const command of ['reset', 'reboot', 'energy_reset', 'runtime_reset']) {
      node.receive({ command });
      const msg = (await caught.next()) as Msg;
      assert.equal(msg.error?.code, ErrorCode.NOT_ALLOWED, command);
    }
    assert.ok(await out.quietFor(100), 'nothing was sent to the device or the output');
    await unloadChecked();

    const allowed = await load(flowWith(plugNode({ allowRaw: true, allowDestructive: true }), device()));
    allowed.node.receive({ payload: { system: { get_sysinfo: {} } } });
    const reply = (await allowed.out.next())['payload'] as Record<string, Record<string, Record<string, unknown>>>;
    assert.equal(reply['system']!['get_sysinfo']!['alias'], 'Desk lamp');
    allowed.node.receive({ command: 'reboot' });
    assert.equal(((await allowed.out.next())['payload'] as Record<string, unknown>)['err_code'], 0);
    allowed.node.receive({ payload: { system: { set_mac_addr: { mac: '00:00:00:00:00:00' } } } });
    await allowed.out.next();
  });

  it('explains a message it cannot understand', async () => {
    const { node, caught } = await load(flowWith(plugNode(), device()));
    node.receive({ payload: 'dim to 50%' });
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.BAD_INPUT);
    node.receive({ command: 'explode' });
    assert.match(((await caught.next()) as Msg).error?.message ?? '', /Unknown command "explode"/);
  });

  const faults: Array<[Fault, string]> = [
    [{ kind: 'silence' }, ErrorCode.TIMEOUT],
    [{ kind: 'delay', ms: 1500 }, ErrorCode.TIMEOUT],
    [{ kind: 'reset' }, ErrorCode.RESET],
    [{ kind: 'truncate' }, ErrorCode.RESET],
    [{ kind: 'lying-length' }, ErrorCode.TOO_LARGE],
    [{ kind: 'garbage' }, ErrorCode.PROTOCOL],
    [{ kind: 'non-json' }, ErrorCode.PROTOCOL],
    [{ kind: 'err-code' }, ErrorCode.DEVICE_ERROR],
  ];
  it('brings every simulator fault to a Catch node with its code, then works again', async () => {
    const { node, out, caught } = await load(flowWith(plugNode(), device()));
    for (const [fault, code] of faults) {
      sim.injectFault(fault, { times: 1 });
      node.receive({ payload: true, seq: fault.kind });
      const msg = (await caught.next()) as Msg;
      assert.equal(msg.error?.code, code, fault.kind);
      assert.equal(msg['seq'], fault.kind, 'the Catch node gets the message that failed');
      node.receive({ payload: true });
      assert.equal((await out.next())['payload'], true, `works after ${fault.kind}`);
    }
  });

  it('answers 100 messages sent at once, all in order', async () => {
    const { node, out, caught } = await load(flowWith(plugNode(), device()));
    for (let i = 0; i < 100; i++) node.receive({ payload: i % 2 === 0, seq: i });
    for (let i = 0; i < 100; i++) {
      const msg = await out.next();
      assert.equal(msg['seq'], i);
      assert.equal(msg['payload'], i % 2 === 0);
    }
    assert.equal(caught.size, 0);
  });

  it('watches: reports a change made elsewhere once, an outage once, and the recovery', async () => {
    sim.state.setRelay(false);
    const { out, caught } = await load(flowWith(plugNode({ pollInterval: 0.1 }), device()));
    const first = await out.next();
    assert.equal(first['event'], 'online');
    assert.equal(first['payload'], false);
    sim.state.setRelay(true); // someone pressed the button
    const change = await out.next();
    assert.equal(change['event'], 'change');
    assert.equal(change['payload'], true);
    assert.ok(await out.quietFor(350), 'no message per poll while nothing changes');

    sim.injectFault({ kind: 'silence' });
    const offline = await out.next();
    assert.equal(offline['event'], 'offline');
    assert.equal((offline['error'] as { code: string }).code, ErrorCode.TIMEOUT);
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.TIMEOUT);
    assert.ok(await caught.quietFor(2000), 'one error per outage, not one per poll');
    sim.clearFaults();
    const back = await out.next(4000);
    assert.equal(back['event'], 'online');
    assert.equal(back['payload'], true);
  });

  it('does not report its own switching as a change made elsewhere', async () => {
    sim.state.setRelay(false);
    const { node, out } = await load(flowWith(plugNode({ pollInterval: 0.1 }), device()));
    assert.equal((await out.next())['event'], 'online');
    node.receive({ payload: true });
    const own = await out.next();
    assert.equal(own['event'], undefined);
    assert.equal(own['payload'], true);
    assert.ok(await out.quietFor(350), 'no "change" echo of our own command');
  });

  it('leaves no socket or timer behind after close and redeploy', async () => {
    await unloadChecked();
    const baseline = openResources();
    for (let round = 0; round < 3; round++) {
      const { node, out } = await load(flowWith(plugNode({ pollInterval: 0.1 }), device()));
      await out.next(); // online
      node.receive({ payload: 'toggle' });
      await out.next();
      await unloadChecked();
    }
    await resourcesBackTo(baseline);
  });
});

describe('plug-control recovers after the device was away', () => {
  it('fails while the plug is unplugged and works again when it is back, no redeploy', async () => {
    const first = new SimulatedDevice({ model: 'hs100' });
    await first.start();
    const port = first.port;
    try {
      const { node, out, caught } = await load(flowWith(plugNode(), { host: '127.0.0.1', port }));
      node.receive({ payload: true });
      assert.equal((await out.next())['payload'], true);
      await first.stop();
      node.receive({ payload: false });
      // REFUSED once the client has seen the device close its connection; RESET ("may or may not
      // have run") when the command was written before that news arrived. Both are true answers.
      assert.ok(
        ([ErrorCode.REFUSED, ErrorCode.RESET] as ErrorCode[]).includes(((await caught.next()) as Msg).error?.code as ErrorCode),
        'the unplugged plug fails the command with REFUSED or RESET',
      );
      const second = new SimulatedDevice({ model: 'hs100', port });
      await second.start();
      try {
        node.receive({ payload: false });
        assert.equal((await out.next())['payload'], false);
      } finally {
        await second.stop();
      }
    } finally {
      await unloadChecked();
      await first.stop();
    }
  });

  it('says so when no device is configured', async () => {
    const flow = flowWith(plugNode(), { host: '127.0.0.1', port: 9 });
    (flow[2] as Record<string, unknown>)['device'] = '';
    const { node, caught } = await load(flow);
    node.receive({ payload: true });
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.BAD_INPUT);
    await unloadChecked();
  });
});

describe('strip-outlet in a Node-RED runtime', () => {
  let strip: SimulatedDevice;
  const device = () => ({ host: '127.0.0.1', port: strip.port });

  before(async () => {
    strip = new SimulatedDevice({ model: 'hs300', alias: 'Desk strip' });
    await strip.start();
    strip.state.setRelay(false);
    strip.state.handle({ context: { child_ids: [strip.state.childId(2)] }, system: { set_dev_alias: { alias: 'Printer' } } });
  });
  after(() => strip.stop());
  afterEach(async () => {
    strip.state.setRelay(false);
    await unloadChecked();
  });

  it('switches the outlet set in the node and says which in msg.outlet', async () => {
    const { node, out } = await load(flowWith(outletNode({ outlet: '2' }), device()));
    node.receive({ payload: 'on' });
    const msg = await out.next();
    assert.equal(msg['payload'], true);
    assert.deepEqual(msg['outlet'], { index: 2, id: strip.state.childId(1), alias: (msg['outlet'] as { alias: string }).alias });
    assert.equal(strip.state.getRelay(1), true);
    assert.equal(strip.state.getRelay(0), false);
  });

  it('chooses outlets by msg.outlet: index, full id, 2-digit suffix, alias, several, all', async () => {
    const { node, out } = await load(flowWith(outletNode({ outlet: '1' }), device()));
    const cases: Array<[unknown, number[]]> = [
      [4, [4]],
      [strip.state.childId(4), [5]],
      ['05', [6]],
      ['Printer', [3]],
      ['printer', [3]],
      ['1,3', [1, 3]],
      [[2, 'Printer'], [2, 3]],
      ['all', [1, 2, 3, 4, 5, 6]],
    ];
    for (const [outlet, indexes] of cases) {
      strip.state.setRelay(false);
      node.receive({ payload: true, outlet });
      const msg = await out.next();
      const described = ([] as Array<{ index: number }>).concat(msg['outlet'] as { index: number });
      assert.deepEqual(described.map((o) => o.index), indexes, JSON.stringify(outlet));
      assert.deepEqual(msg['payload'], indexes.length === 1 ? true : indexes.map(() => true));
      for (let i = 0; i < 6; i++) assert.equal(strip.state.getRelay(i), indexes.includes(i + 1), `outlet ${i + 1} after ${JSON.stringify(outlet)}`);
    }
  });

  it('toggles each outlet from its own state, and reads its sysinfo entry', async () => {
    strip.state.setRelay(true, 0);
    const { node, out } = await load(flowWith(outletNode({ outlet: '1,2' }), device()));
    node.receive({ payload: 'toggle' });
    assert.deepEqual((await out.next())['payload'], [false, true]);
    node.receive({ command: 'info', outlet: 3 });
    const info = (await out.next())['payload'] as Record<string, unknown>;
    assert.equal(info['alias'], 'Printer');
    assert.equal(info['state'], 0);
  });

  it('finds an outlet renamed elsewhere since the last read', async () => {
    const { node, out } = await load(flowWith(outletNode({ outlet: '1' }), device()));
    node.receive({ payload: true });
    await out.next();
    strip.state.handle({ context: { child_ids: [strip.state.childId(5)] }, system: { set_dev_alias: { alias: 'Heater' } } });
    node.receive({ payload: true, outlet: 'Heater' });
    assert.equal(((await out.next())['outlet'] as { index: number }).index, 6);
  });

  it('names the outlets there are when one does not exist', async () => {
    const { node, caught } = await load(flowWith(outletNode({ outlet: '1' }), device()));
    node.receive({ payload: true, outlet: 'Toaster' });
    const msg = (await caught.next()) as Msg;
    assert.equal(msg.error?.code, ErrorCode.BAD_INPUT);
    assert.match(msg.error?.message ?? '', /3 "Printer"/);
  });

  it('watches its outlets: one message per outlet that changed elsewhere', async () => {
    const { out } = await load(flowWith(outletNode({ outlet: '2,3', pollInterval: 0.1 }), device()));
    const online = [await out.next(), await out.next()];
    assert.deepEqual(online.map((m) => (m['outlet'] as { index: number }).index), [2, 3]);
    strip.state.setRelay(true, 2);
    strip.state.setRelay(true, 5); // not watched
    const change = await out.next();
    assert.equal(change['event'], 'change');
    assert.equal((change['outlet'] as { index: number }).index, 3);
    assert.equal(change['payload'], true);
    assert.ok(await out.quietFor(350));
  });

  it('lists the strip outlets for the edit dialog, behind the admin permission', async () => {
    await helper.startServer();
    try {
      await load(flowWith(outletNode({ outlet: '1' }), device()));
      const deployed = await helper.request().get('/kasa-flows/outlets?device=dev');
      assert.equal(deployed.status, 200);
      const body = deployed.body as { model: string; outlets: Array<{ index: number; alias: string }> };
      assert.equal(body.outlets.length, 6);
      assert.equal(body.outlets[2]!.alias, 'Printer');
      const undeployed = await helper.request().get(`/kasa-flows/outlets?host=127.0.0.1&port=${strip.port}`);
      assert.equal((undeployed.body as { outlets: unknown[] }).outlets.length, 6);
      // The dialog shows an edited address not deployed yet: that one is asked, not the deployed node.
      const edited = await helper.request().get('/kasa-flows/outlets?device=dev&host=127.0.0.1&port=1&timeout=500');
      assert.equal(edited.status, 502);
      const nothing = await helper.request().get('/kasa-flows/outlets?host=127.0.0.1&port=1&timeout=500');
      assert.equal(nothing.status, 502);
      assert.equal((nothing.body as { code: string }).code, ErrorCode.REFUSED);
    } finally {
      await unloadChecked();
      await helper.stopServer();
    }
  });
});

describe('plug-control and strip-outlet against tplink-smarthome-simulator', () => {
  it('switches an hs110 and an hs300 outlet', async () => {
    const plug = await startPeer({ model: 'hs110', data: { alias: 'peer plug' } });
    const strip = await startPeer({ model: 'hs300', data: { alias: 'peer strip' } });
    try {
      const control = await load(flowWith(plugNode(), { host: '127.0.0.1', port: plug.port }));
      control.node.receive({ payload: true });
      const on = await control.out.next();
      assert.equal(on['payload'], true);
      assert.equal((on['device'] as { alias: string }).alias, 'peer plug');
      control.node.receive({ payload: 'toggle' });
      assert.equal((await control.out.next())['payload'], false);
      await unloadChecked();

      const outlet = await load(flowWith(outletNode({ outlet: '2' }), { host: '127.0.0.1', port: strip.port }));
      outlet.node.receive({ payload: true });
      const msg = await outlet.out.next();
      assert.equal(msg['payload'], true);
      assert.equal((msg['outlet'] as { index: number }).index, 2);
      outlet.node.receive({ payload: false });
      assert.equal((await outlet.out.next())['payload'], false);
    } finally {
      await unloadChecked();
      await plug.stop();
      await strip.stop();
    }
  });
});
