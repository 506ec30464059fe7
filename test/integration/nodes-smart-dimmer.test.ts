// Dimming SMART devices through plug-control, as on Kasa dimmers: a Tapo S500D dimmer switch, a Kasa
// KS225 (SMART.KASASWITCH) and a Tapo L510 bulb, simulated over KLAP v2.
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { ErrorCode } from '../../src/util/errors';
import type { SmartSimulatedDevice } from '../../src/simulator/smart/server';
import { smartSims } from '../support/smart-rig';
import { flowWith, load, unloadChecked } from '../support/node-red';

type Msg = Record<string, unknown> & { error?: { code?: string; message?: string } };

const LIMIT = { timeout: 20_000 };
const sims = smartSims();
const smart = sims.start;

const klapDevice = (sim: SmartSimulatedDevice) => ({ host: '127.0.0.1', transport: 'klap', klapPort: sim.port, timeout: 3000 });

/** Every status text the node shows from now on. */
function statusTexts(node: unknown): string[] {
  const texts: string[] = [];
  (node as NodeJS.EventEmitter).on('call:status', (call: { args: [{ text?: string }] }) => texts.push(call.args[0]?.text ?? ''));
  return texts;
}

describe('plug-control dims SMART dimmers and bulbs', () => {
  afterEach(() => unloadChecked());
  after(async () => {
    await sims.stopAll();
  });

  for (const model of ['s500d', 'ks225', 'l510'] as const) {
    it(`${model}: msg.brightness sets the level, read back in msg.brightness and the status; "brightness" reads it`, LIMIT, async () => {
      const sim = await smart({ model });
      const { node, out } = await load(flowWith({ type: 'plug-control', name: 'dimmer' }, klapDevice(sim)));
      const statuses = statusTexts(node);
      node.receive({ brightness: 35, payload: 'on' });
      const dimmed = (await out.next()) as Msg;
      assert.equal(dimmed['payload'], 35, 'msg.payload is the level read back');
      assert.equal(dimmed['brightness'], 35);
      assert.equal(sim.device.light!.brightness, 35, 'the simulated device itself');
      assert.equal(sim.device.relay.isOn, true, 'an on payload beside the level switches on');
      assert.ok(statuses.includes('on 35%'), statuses.join(' | '));
      node.receive({ command: 'brightness' });
      assert.equal((await out.next())['payload'], 35);
      node.receive({ payload: false });
      const off = (await out.next()) as Msg;
      assert.equal(off['payload'], false);
      assert.equal(off['brightness'], 35, 'the level it comes back on with');
    });
  }

  it('a level out of range is BAD_INPUT and a fade NOT_SUPPORTED, both before anything is sent', LIMIT, async () => {
    const sim = await smart({ model: 's500d' });
    const { node, out, caught } = await load(flowWith({ type: 'plug-control', name: 'dimmer' }, klapDevice(sim)));
    node.receive({ command: 'info' });
    await out.next();
    const before = sim.device.received.length;
    node.receive({ brightness: 101 });
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.BAD_INPUT);
    node.receive({ brightness: 50, transition: 2000 });
    const fade = (await caught.next()) as Msg;
    assert.equal(fade.error?.code, ErrorCode.NOT_SUPPORTED);
    assert.match(fade.error?.message ?? '', /fade/);
    assert.equal(sim.device.received.length, before, 'nothing reached the device');
    assert.notEqual(sim.device.light!.brightness, 50);
  });

  it('a watching node reports a level changed in the app as a change, once', LIMIT, async () => {
    const sim = await smart({ model: 'l510' });
    const { out } = await load(flowWith({ type: 'plug-control', name: 'bulb', pollInterval: 0.2 }, klapDevice(sim)));
    const online = (await out.next()) as Msg;
    assert.equal(online['event'], 'online');
    // The app sets the level: the device's own handler, as a request from elsewhere would.
    sim.device.handle(JSON.stringify({ method: 'set_device_info', params: { brightness: 12 } }));
    const change = (await out.next()) as Msg;
    assert.deepEqual([change['event'], change['brightness']], ['change', 12]);
    assert.ok(await out.quietFor(600), 'one message per change, not one per poll');
  });

  it('a plug without the brightness component says it cannot dim, in plain words', LIMIT, async () => {
    const sim = await smart({ model: 'p110' });
    const { node, caught } = await load(flowWith({ type: 'plug-control', name: 'plug' }, klapDevice(sim)));
    node.receive({ brightness: 40 });
    const refused = (await caught.next()) as Msg;
    assert.equal(refused.error?.code, ErrorCode.NOT_SUPPORTED);
    assert.match(refused.error?.message ?? '', /is a plug: it cannot dim its light/);
  });
});
