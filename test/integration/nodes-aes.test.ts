// The nodes against the simulator's SMART devices speaking AES (older Tapo firmware), with the
// device node's transport set to 'aes': the same message contracts as over KLAP.
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { ErrorCode } from '../../src/util/errors';
import { SmartSimulatedDevice, SmartSimulatedDeviceOptions } from '../../src/simulator/smart/server';
import { flowWith, load, unloadChecked } from '../support/node-red';

type Msg = Record<string, unknown> & { error?: { code?: string; message?: string } };

const LIMIT = { timeout: 30_000 };
const OWNER = { username: 'owner@example.com', password: 'tapo owner pw' };
const started: SmartSimulatedDevice[] = [];

async function aesSim(options: Omit<SmartSimulatedDeviceOptions, 'host' | 'transport'>): Promise<SmartSimulatedDevice> {
  const sim = new SmartSimulatedDevice({ host: '127.0.0.1', ...options, transport: 'aes' });
  await sim.start();
  started.push(sim);
  return sim;
}

const aesDevice = (sim: SmartSimulatedDevice) => ({ host: '127.0.0.1', transport: 'aes', klapPort: sim.port, timeout: 5000 });

void describe('the nodes on SMART devices over AES', () => {
  afterEach(() => unloadChecked());
  after(async () => {
    for (const sim of started.splice(0)) await sim.stop();
  });

  void it('plug-control switches and toggles a P110 and reads it back; msg.device says "smart"', LIMIT, async () => {
    const sim = await aesSim({ model: 'p110', nickname: 'Desk lamp' });
    const { node, out } = await load(flowWith({ type: 'plug-control', name: 'tapo' }, aesDevice(sim)));
    for (const [payload, expected] of [[true, true], [false, false], ['toggle', true], ['off', false]] as const) {
      node.receive({ payload });
      const msg = (await out.next()) as Msg;
      assert.equal(msg['payload'], expected, String(payload));
      assert.equal(sim.device.relay.isOn, expected, 'the device itself');
      const device = msg['device'] as Record<string, unknown>;
      assert.deepEqual([device['family'], device['alias'], device['model']], ['smart', 'Desk lamp', 'P110']);
    }
    assert.equal(sim.aes.stats.logins, 1, 'one session for every message');
  });

  void it('strip-outlet switches P300 outlets by index and all', LIMIT, async () => {
    const sim = await aesSim({ model: 'p300' });
    const outlets = sim.device.children.outlets;
    const { node, out } = await load(flowWith({ type: 'strip-outlet', name: 'strip', outlet: '2' }, aesDevice(sim)));
    node.receive({ payload: true });
    const msg = (await out.next()) as Msg;
    assert.equal(msg['payload'], true);
    assert.equal((msg['outlet'] as { index: number }).index, 2);
    assert.deepEqual(outlets.map((o) => o.relay.isOn), [false, true, false]);
    node.receive({ payload: 'toggle', outlet: 'all' });
    assert.deepEqual((await out.next())['payload'], [true, false, true]);
    assert.deepEqual(outlets.map((o) => o.relay.isOn), [true, false, true]);
  });

  void it('plug-energy reads watts and the normalised reading of a P110M', LIMIT, async () => {
    const sim = await aesSim({ model: 'p110m' });
    sim.device.relay.setOn(true);
    const { node, out } = await load(flowWith({ type: 'plug-energy', name: 'meter', output: 'power' }, aesDevice(sim)));
    node.receive({});
    const reading = (await out.next()) as Msg;
    assert.equal(reading['payload'], 61.25);
    const energy = reading['energy'] as Record<string, number>;
    assert.deepEqual(Object.keys(energy).sort(), ['current', 'power', 'total', 'voltage']);
    assert.equal(energy['voltage'], 230.4);
  });

  void it('a device bound to another account: AUTH in plain words; the right account switches it', LIMIT, async () => {
    const sim = await aesSim({ model: 'p110', ...OWNER });
    const wrong = await load(flowWith({ type: 'plug-control', name: 'tapo' }, aesDevice(sim)), { dev: { username: 'someone@example.com', password: 'nope-4711' } });
    wrong.node.receive({ payload: true });
    const msg = (await wrong.caught.next(10_000)) as Msg;
    assert.equal(msg.error?.code, ErrorCode.AUTH);
    assert.match(msg.error?.message ?? '', /bound to another account, or the e-mail or password is mistyped/);
    assert.ok(!(msg.error?.message ?? '').includes('nope-4711'));
    assert.equal(sim.device.relay.isOn, false);
    await unloadChecked();
    const right = await load(flowWith({ type: 'plug-control', name: 'tapo' }, aesDevice(sim)), { dev: OWNER });
    right.node.receive({ payload: true });
    assert.equal((await right.out.next())['payload'], true);
    assert.equal(sim.device.relay.isOn, true);
  });

  void it('keeps working when the device ends the session every few requests', LIMIT, async () => {
    const sim = await aesSim({ model: 'p110', invalidateAfter: 3 });
    const { node, out } = await load(flowWith({ type: 'plug-control', name: 'tapo' }, aesDevice(sim)));
    for (let i = 0; i < 6; i++) {
      node.receive({ payload: i % 2 === 0 });
      assert.equal((await out.next())['payload'], i % 2 === 0);
    }
    assert.ok(sim.aes.stats.sessionErrors >= 2, `session errors answered: ${sim.aes.stats.sessionErrors}`);
    assert.ok(sim.aes.stats.logins >= 3, `logins: ${sim.aes.stats.logins}`);
  });
});
