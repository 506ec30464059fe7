import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, afterEach, before, describe, it } from 'node:test';
import { ErrorCode } from '../../src/util/errors';
import type { BrightnessEvent } from '../../src/simulator/device-state';
import { SimulatedDevice } from '../../src/simulator/server';
import { flowWith, load, unloadChecked } from '../support/node-red';
import { startPeer } from '../support/peer';

type Msg = Record<string, unknown> & { error?: { code?: string; message?: string } };

const LIMIT = { timeout: 15_000 };
const control = (extra: Record<string, unknown> = {}) => ({ type: 'plug-control', name: 'light', ...extra });

describe('wall switches and dimmers through plug-control', () => {
  const sims = new Map<string, SimulatedDevice>();
  const device = (model: string) => ({ host: '127.0.0.1', port: sims.get(model)!.port });

  before(async () => {
    for (const model of ['hs200', 'hs210', 'hs220', 'hs100'] as const) {
      const sim = new SimulatedDevice({ model, udp: false, alias: `${model} light` });
      await sim.start();
      sims.set(model, sim);
    }
  });
  after(async () => {
    for (const sim of sims.values()) await sim.stop();
  });
  afterEach(() => unloadChecked());

  it('switches an HS200, HS210 and HS220 as it switches a plug', LIMIT, async () => {
    for (const model of ['hs200', 'hs210', 'hs220']) {
      const { node, out } = await load(flowWith(control(), device(model)));
      for (const payload of [true, false, 'toggle']) {
        node.receive({ payload });
        const msg = (await out.next()) as Msg;
        assert.equal(msg['payload'], sims.get(model)!.state.getRelay(), `${model} ${String(payload)}`);
      }
      await unloadChecked();
    }
  });

  it('msg.brightness dims an HS220, with msg.transition as the fade, and the output carries the level', LIMIT, async () => {
    const sim = sims.get('hs220')!;
    const { node, out } = await load(flowWith(control(), device('hs220')));
    node.receive({ brightness: 30 });
    let msg = (await out.next()) as Msg;
    assert.equal(msg['payload'], 30);
    assert.equal(msg['brightness'], 30);
    assert.equal(sim.state.getBrightness(), 30);

    const faded = once(sim, 'brightness', { signal: AbortSignal.timeout(5000) });
    node.receive({ brightness: '65', transition: 400 });
    msg = (await out.next()) as Msg;
    assert.deepEqual((await faded)[0] as BrightnessEvent, { brightness: 65, transition: 400 });
    assert.equal(msg['brightness'], 65);

    // A switch command on a dimmer says its brightness too.
    node.receive({ payload: false });
    msg = (await out.next()) as Msg;
    assert.equal(msg['payload'], false);
    assert.equal(msg['brightness'], 65);

    // Brightness with an on/off payload dims and switches.
    node.receive({ brightness: 20, payload: 'on' });
    msg = (await out.next()) as Msg;
    assert.equal(msg['brightness'], 20);
    assert.equal(sim.state.getRelay(), true);
  });

  it('msg.command "brightness" reads the level set at the wall', LIMIT, async () => {
    const sim = sims.get('hs220')!;
    sim.state.setBrightness(77);
    const { node, out } = await load(flowWith(control(), device('hs220')));
    node.receive({ command: 'brightness' });
    const msg = (await out.next()) as Msg;
    assert.equal(msg['payload'], 77);
    assert.equal(msg['brightness'], 77);
  });

  it('refuses a brightness out of range before asking, and one on a device that cannot dim', LIMIT, async () => {
    const sim = sims.get('hs220')!;
    const before = sim.state.getBrightness();
    const { node, caught } = await load(flowWith(control(), device('hs220')));
    for (const brightness of [0, 101, 12.5, 'bright', true]) {
      node.receive({ brightness });
      const msg = (await caught.next()) as Msg;
      assert.equal(msg.error?.code, ErrorCode.BAD_INPUT, JSON.stringify(brightness));
      assert.match(msg.error?.message ?? '', /msg\.brightness must be a whole number from 1 to 100/);
    }
    node.receive({ brightness: 50, transition: -1 });
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.BAD_INPUT);
    assert.equal(sim.state.getBrightness(), before, 'nothing was sent');
    await unloadChecked();

    const plug = await load(flowWith(control(), device('hs100')));
    plug.node.receive({ brightness: 50 });
    const msg = (await plug.caught.next()) as Msg;
    assert.equal(msg.error?.code, ErrorCode.NOT_SUPPORTED);
    assert.match(msg.error?.message ?? '', /is a plug: it cannot dim its light/);
    plug.node.receive({ command: 'brightness' });
    assert.equal(((await plug.caught.next()) as Msg).error?.code, ErrorCode.NOT_SUPPORTED);
  });

  it('watching reports a brightness changed at the wall', LIMIT, async () => {
    const sim = sims.get('hs220')!;
    sim.state.setBrightness(40);
    const { node, out } = await load(flowWith(control({ pollInterval: 0.2 }), device('hs220')));
    const online = (await out.next()) as Msg;
    assert.equal(online['event'], 'online');
    assert.equal(online['brightness'], 40);
    sim.state.setBrightness(90);
    const change = (await out.next()) as Msg;
    assert.equal(change['event'], 'change');
    assert.equal(change['brightness'], 90);
    assert.equal(change['payload'], sim.state.getRelay());
    void node;
  });
});

describe("plug-control on the independent simulator's HS220", () => {
  it('dims, reads and switches a dimmer it did not write', LIMIT, async () => {
    const peer = await startPeer({ model: 'hs220', data: { alias: 'peer dimmer' } });
    try {
      const { node, out, caught } = await load(flowWith(control(), { host: '127.0.0.1', port: peer.port }));
      node.receive({ brightness: 35 });
      let msg = (await out.next()) as Msg;
      assert.equal(msg['brightness'], 35);
      node.receive({ command: 'brightness' });
      assert.equal(((await out.next()) as Msg)['payload'], 35);
      node.receive({ payload: true });
      msg = (await out.next()) as Msg;
      assert.equal(msg['payload'], true);
      assert.equal(msg['brightness'], 35);
      node.receive({ brightness: 60, transition: 300 });
      assert.equal(((await out.next()) as Msg)['brightness'], 60);
      assert.equal(caught.size, 0);
      await unloadChecked();
    } finally {
      await peer.stop();
    }
  });
});
