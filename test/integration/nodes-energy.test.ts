import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { ErrorCode } from '../../src/util/errors';
import { SimulatedDevice } from '../../src/simulator';
import { flowWith, load, unloadChecked } from '../support/node-red';
import { startPeer } from '../support/peer';
import { openResources, resourcesBackTo, until } from '../support/wait';

type Msg = Record<string, unknown> & { error?: { code?: string; message?: string } };
const energyNode = (extra: Record<string, unknown> = {}) => ({ type: 'plug-energy', name: 'meter', ...extra });
const READING = { power: 1234.5, voltage: 231.25, current: 5.5, total: 42.125 };

describe('plug-energy in a Node-RED runtime', () => {
  const sims: Record<string, SimulatedDevice> = {};
  before(async () => {
    for (const model of ['hs110', 'hs110v2', 'hs300', 'hs100'] as const) {
      sims[model] = new SimulatedDevice({ model, alias: `sim ${model}` });
      await sims[model].start();
      sims[model].state.setRelay(true);
    }
    sims['hs110']!.state.setReading(READING);
    sims['hs110v2']!.state.setReading(READING);
    sims['hs300']!.state.setRelay(false);
    sims['hs300']!.state.setRelay(true, 0);
    sims['hs300']!.state.setRelay(true, 2);
    sims['hs300']!.state.setReading({ power: 10.5, voltage: 230, current: 0.05, total: 1.25 }, 0);
    sims['hs300']!.state.setReading({ power: 20.25, voltage: 232, current: 0.1, total: 2.5 }, 2);
  });
  after(async () => {
    for (const sim of Object.values(sims)) await sim.stop();
  });
  afterEach(async () => {
    await unloadChecked();
  });
  const device = (model: string) => ({ host: '127.0.0.1', port: sims[model]!.port });

  it('gives watts in msg.payload and the same normalised reading from both unit families', async () => {
    const readings = [];
    for (const model of ['hs110', 'hs110v2']) {
      const { node, out } = await load(flowWith(energyNode(), device(model)));
      node.receive({ payload: 'go' });
      const msg = await out.next();
      assert.equal(msg['payload'], READING.power, model);
      assert.equal(msg['topic'], `sim ${model}`, 'the alias names the chart series');
      readings.push(msg['energy']);
      await unloadChecked();
    }
    assert.deepEqual(readings[0], READING);
    assert.deepEqual(readings[1], READING);
  });

  it('outputs the whole reading when set to, with a topic of its own', async () => {
    const { node, out } = await load(flowWith(energyNode({ output: 'reading', topic: 'fridge' }), device('hs110v2')));
    node.receive({});
    const msg = await out.next();
    assert.deepEqual(msg['payload'], READING);
    assert.equal(msg['topic'], 'fridge');
  });

  it('reads one outlet of a strip, and the sum of several with the mean voltage', async () => {
    const { node, out } = await load(flowWith(energyNode({ outlet: '3' }), device('hs300')));
    node.receive({});
    const one = await out.next();
    assert.equal(one['payload'], 20.25);
    assert.equal((one['outlet'] as { index: number }).index, 3);
    node.receive({ outlet: '1,3' });
    const sum = await out.next();
    assert.equal(sum['payload'], 30.75);
    assert.deepEqual(sum['energy'], { power: 30.75, voltage: 231, current: 0.15, total: 3.75 });
    assert.deepEqual((sum['outlets'] as Array<{ index: number; energy: { power: number } }>).map((o) => [o.index, o.energy.power]), [[1, 10.5], [3, 20.25]]);
  });

  it('splits several outlets into one message per outlet when set to', async () => {
    const { node, out } = await load(flowWith(energyNode({ outlet: '1,3', split: true }), device('hs300')));
    node.receive({});
    const first = await out.next();
    const second = await out.next();
    assert.deepEqual([first['payload'], second['payload']], [10.5, 20.25]);
    assert.notEqual(first['topic'], second['topic'], 'one chart series per outlet');
  });

  it('gives daily and monthly statistics in kWh, this month by default', async () => {
    const now = new Date();
    sims['hs110v2']!.state.setDayEnergy(now.getFullYear(), now.getMonth() + 1, 1, 1.5);
    const { node, out } = await load(flowWith(energyNode({ command: 'daystat' }), device('hs110v2')));
    node.receive({});
    const days = (await out.next())['payload'] as Array<{ year: number; month: number; day: number; energy: number }>;
    assert.ok(days.length >= 1);
    assert.deepEqual(days.find((d) => d.day === 1), { year: now.getFullYear(), month: now.getMonth() + 1, day: 1, energy: 1.5 });
    node.receive({ command: 'monthstat', year: now.getFullYear() });
    const months = (await out.next())['payload'] as Array<{ month: number; energy: number; day?: number }>;
    assert.ok(months.every((m) => m.day === undefined && typeof m.energy === 'number'));
  });

  it('erases statistics only when allowed', async () => {
    const { node, out, caught } = await load(flowWith(energyNode(), device('hs110')));
    node.receive({ command: 'erase' });
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.NOT_ALLOWED);
    await unloadChecked();
    const allowed = await load(flowWith(energyNode({ allowDestructive: true }), device('hs110')));
    allowed.node.receive({ command: 'erase' });
    assert.equal((await allowed.out.next())['payload'], true);
    assert.ok(await out.quietFor(50));
  });

  it('says "no energy meter" once, clearly, for a plug without one', async () => {
    const { node, caught } = await load(flowWith(energyNode(), device('hs100')));
    node.receive({});
    const msg = (await caught.next()) as Msg;
    assert.equal(msg.error?.code, ErrorCode.NO_ENERGY_METER);
    assert.match(msg.error?.message ?? '', /has no energy meter/);
  });

  it('polls on an interval, never overlapping, and sends only changes beyond the deadband', async () => {
    const sim = sims['hs110']!;
    let inFlight = 0;
    let overlapped = false;
    const onRequest = () => {
      inFlight++;
      if (inFlight > 1) overlapped = true;
      setImmediate(() => inFlight--);
    };
    sim.on('request', onRequest);
    sim.state.setReading({ power: 100 });
    const { out } = await load(flowWith(energyNode({ interval: 0.1, deadband: 5 }), device('hs110')));
    assert.equal((await out.next())['payload'], 100);
    sim.state.setReading({ power: 103 }); // within the deadband
    assert.ok(await out.quietFor(300), 'a change within the deadband is not sent');
    sim.state.setReading({ power: 105 }); // exactly the deadband: not more than it
    assert.ok(await out.quietFor(300), 'a change of exactly the deadband is not sent');
    sim.state.setReading({ power: 110 });
    assert.equal((await out.next())['payload'], 110);
    sim.injectFault({ kind: 'delay', ms: 200 }, { times: 3 }); // slow replies must not pile up polls
    await out.quietFor(700);
    sim.off('request', onRequest);
    assert.equal(overlapped, false);
    sim.state.setReading(READING);
  });

  it('polls the meter alone while no node follows the plug, the state with it when one does', async () => {
    const sim = sims['hs110']!;
    const asked: string[] = [];
    const onRequest = (request: Record<string, unknown>): void => void asked.push(Object.keys(request).sort().join('+'));
    sim.on('request', onRequest);
    const requests = (count: number): Promise<void> => until(sim, 'request', () => asked.length >= count);
    try {
      const { caught } = await load(flowWith(energyNode({ interval: 0.1 }), device('hs110')));
      await requests(8);
      assert.ok(asked.slice(0, 2).some((keys) => keys.includes('system')), `the first poll reads the state too: ${asked.join(', ')}`);
      assert.deepEqual(asked.slice(-4), ['emeter', 'emeter', 'emeter', 'emeter'], asked.join(', '));
      // Unreached, a poll of the meter alone is an outage like any other.
      sim.injectFault({ kind: 'silence' });
      assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.TIMEOUT);
      sim.clearFaults();
      await unloadChecked();

      asked.length = 0;
      const flow = flowWith(energyNode({ interval: 0.1 }), device('hs110'));
      flow.push({ id: 'w', z: 'f1', x: 100, y: 400, type: 'plug-control', device: 'dev', pollInterval: 0.1, wires: [] });
      await load(flow);
      await requests(8);
      assert.ok(asked.slice(2).every((keys) => keys === 'emeter+system'), `a watching plug-control follows the state: ${asked.join(', ')}`);
    } finally {
      sim.off('request', onRequest);
      sim.clearFaults();
    }
  });

  it('reports a polling outage once and stops cleanly on close', async () => {
    await unloadChecked();
    const baseline = openResources();
    const sim = sims['hs110v2']!;
    const { out, caught } = await load(flowWith(energyNode({ interval: 0.1 }), device('hs110v2')));
    await out.next();
    sim.injectFault({ kind: 'err-code' });
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.DEVICE_ERROR);
    assert.ok(await caught.quietFor(400), 'one error per outage');
    sim.clearFaults();
    await out.next();
    await unloadChecked();
    await resourcesBackTo(baseline);
  });
});

describe('plug-energy against tplink-smarthome-simulator', () => {
  it('hs110 and hs110v2 give the same numbers for the same reading', async () => {
    const same = { voltage: 229.5, current: 0.25, power: 57.375, total: 3.5 };
    const seen = [];
    for (const model of ['hs110', 'hs110v2']) {
      const peer = await startPeer({ model });
      (peer.data as unknown as { emeter: { realtime: unknown } }).emeter.realtime = { ...same };
      try {
        const { node, out } = await load(flowWith(energyNode(), { host: '127.0.0.1', port: peer.port }));
        node.receive({});
        const msg = await out.next();
        seen.push([msg['payload'], msg['energy']]);
      } finally {
        await unloadChecked();
        await peer.stop();
      }
    }
    assert.deepEqual(seen[0], [57.375, same]);
    assert.deepEqual(seen[1], seen[0]);
  });
});
