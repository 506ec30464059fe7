// The nodes against the simulator's SMART devices speaking TPAP (2025 firmware): with the device
// node's transport set to 'tpap', and with the default 'auto' finding the plug through TP-Link's
// discovery on loopback. The same message contracts as over KLAP and AES.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { ErrorCode } from '../../src/util/errors';
import { SmartSimulatedDevice, SmartSimulatedDeviceOptions } from '../../src/simulator/smart/server';
import { flowWith, helper, load, unloadChecked } from '../support/node-red';
import { freeTcpPort } from '../support/ports';

type Msg = Record<string, unknown> & { error?: { code?: string; message?: string } };

const LIMIT = { timeout: 30_000 };
const OWNER = { username: 'owner@example.com', password: 'tapo owner pw' };
const started: SmartSimulatedDevice[] = [];

async function tpapSim(options: Omit<SmartSimulatedDeviceOptions, 'host' | 'transport'>): Promise<SmartSimulatedDevice> {
  const sim = new SmartSimulatedDevice({ host: '127.0.0.1', tdpPort: null, ...options, transport: 'tpap' });
  await sim.start();
  started.push(sim);
  return sim;
}

const TLS_DIR = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'tpap-tls');
const tlsOf = (name: 'a' | 'b') => ({ key: fs.readFileSync(path.join(TLS_DIR, `device-${name}.key`), 'utf8'), cert: fs.readFileSync(path.join(TLS_DIR, `device-${name}.crt`), 'utf8') });

/** What the device node logged at `level` (60 trace, 30 warn). */
const logged = (level: number): string[] =>
  (helper as unknown as { log(): { args: Array<[{ level: number; type?: string; msg: unknown }]> } })
    .log()
    .args.map(([entry]) => entry)
    .filter((entry) => entry?.level === level && entry.type === 'tplink-device')
    .map((entry) => String(entry.msg));

const tpapDevice = (sim: SmartSimulatedDevice) => ({ host: '127.0.0.1', transport: 'tpap', klapPort: sim.port, timeout: 5000 });

void describe('the nodes on SMART devices over TPAP', () => {
  afterEach(() => unloadChecked());
  after(async () => {
    helper.settings({});
    for (const sim of started.splice(0)) await sim.stop();
  });

  void it("transport 'tpap': plug-control switches and toggles a P110 and reads it back, one login for all", LIMIT, async () => {
    const sim = await tpapSim({ model: 'p110', nickname: 'Desk lamp', ...OWNER });
    const { node, out } = await load(flowWith({ type: 'plug-control', name: 'tapo' }, tpapDevice(sim)), { dev: OWNER });
    for (const [payload, expected] of [[true, true], [false, false], ['toggle', true], ['off', false]] as const) {
      node.receive({ payload });
      const msg = (await out.next()) as Msg;
      assert.equal(msg['payload'], expected, String(payload));
      assert.equal(sim.device.relay.isOn, expected, 'the device itself');
      const device = msg['device'] as Record<string, unknown>;
      assert.deepEqual([device['family'], device['alias'], device['model']], ['smart', 'Desk lamp', 'P110']);
    }
    assert.equal(sim.tpap.stats.logins, 1, 'one session for every message');
  });

  void it("transport 'tpap': plug-energy reads the P110's watts and its normalised reading", LIMIT, async () => {
    const sim = await tpapSim({ model: 'p110', ...OWNER });
    sim.device.relay.setOn(true);
    const { node, out } = await load(flowWith({ type: 'plug-energy', name: 'meter', output: 'power' }, tpapDevice(sim)), { dev: OWNER });
    node.receive({});
    const reading = (await out.next()) as Msg;
    assert.equal(reading['payload'], sim.device.spec.loadMilliwatts / 1000);
    const energy = reading['energy'] as Record<string, number>;
    assert.equal(energy['power'], sim.device.spec.loadMilliwatts / 1000);
    assert.ok(Object.keys(energy).includes('total'), JSON.stringify(energy));
  });

  void it("the default 'auto', the plug found by discovery on loopback: switching and metering", LIMIT, async () => {
    const sim = await tpapSim({ model: 'p110', nickname: 'Found', tdpPort: 0, ...OWNER });
    // No transport in the device node: the default, 'auto'; its ports point nowhere, only TDP says where the plug is.
    const deviceNode = { host: '127.0.0.1', port: await freeTcpPort(), klapPort: await freeTcpPort(), tdpPort: sim.tdpPort!, timeout: 5000 };
    const control = flowWith({ type: 'plug-control', name: 'tapo' }, deviceNode);
    delete control.find((n) => n['id'] === 'dev')!['transport'];
    const switched = await load(control, { dev: OWNER });
    switched.node.receive({ payload: true });
    const msg = (await switched.out.next()) as Msg;
    assert.equal(msg['payload'], true);
    assert.equal(sim.device.relay.isOn, true, 'the device itself');
    assert.deepEqual([(msg['device'] as Record<string, unknown>)['family'], (msg['device'] as Record<string, unknown>)['alias']], ['smart', 'Found']);
    await unloadChecked();
    const meter = flowWith({ type: 'plug-energy', name: 'meter', output: 'power' }, deviceNode);
    delete meter.find((n) => n['id'] === 'dev')!['transport'];
    const metered = await load(meter, { dev: OWNER });
    metered.node.receive({});
    assert.equal((await metered.out.next())['payload'], sim.device.spec.loadMilliwatts / 1000);
    assert.ok(sim.tpap.stats.discovers >= 2 && sim.tdp!.answered >= 2, 'each flow asked discovery, then TPAP');
  });

  void it('a wrong password: AUTH in plain words, and no second login on the next message (devices lock out)', LIMIT, async () => {
    const sim = await tpapSim({ model: 'p110', ...OWNER });
    const wrong = await load(flowWith({ type: 'plug-control', name: 'tapo' }, tpapDevice(sim)), { dev: { username: OWNER.username, password: 'nope-4711' } });
    for (let i = 0; i < 2; i++) {
      wrong.node.receive({ payload: true });
      const msg = (await wrong.caught.next(10_000)) as Msg;
      assert.equal(msg.error?.code, ErrorCode.AUTH);
      assert.match(msg.error?.message ?? '', /did not accept the TP-Link account given/);
      assert.match(msg.error?.message ?? '', /no other login is tried/);
      assert.ok(!(msg.error?.message ?? '').includes('nope-4711'), 'never the password');
    }
    assert.equal(sim.tpap.stats.loginsRefused, 1, 'one failed login for two messages');
    assert.equal(sim.device.relay.isOn, false);
    await unloadChecked();
    const right = await load(flowWith({ type: 'plug-control', name: 'tapo' }, tpapDevice(sim)), { dev: OWNER });
    right.node.receive({ payload: true });
    assert.equal((await right.out.next())['payload'], true);
    assert.equal(sim.device.relay.isOn, true);
  });

  void it('keeps working when the device ends the session mid-flow (every few requests, and on a reboot)', LIMIT, async () => {
    const sim = await tpapSim({ model: 'p110', invalidateAfter: 3, ...OWNER });
    const { node, out } = await load(flowWith({ type: 'plug-control', name: 'tapo' }, tpapDevice(sim)), { dev: OWNER });
    for (let i = 0; i < 6; i++) {
      if (i === 4) sim.tpap.dropSessions(); // a reboot between two messages
      node.receive({ payload: i % 2 === 0 });
      assert.equal((await out.next())['payload'], i % 2 === 0);
      assert.equal(sim.device.relay.isOn, i % 2 === 0);
    }
    assert.ok(sim.tpap.stats.sessionErrors >= 2, `session errors answered: ${sim.tpap.stats.sessionErrors}`);
    assert.ok(sim.tpap.stats.logins >= 3, `logins: ${sim.tpap.stats.logins}`);
  });

  void it('at trace level the device node logs each TPAP login step by its shapes, never the account', LIMIT, async () => {
    helper.settings({ logging: { console: { level: 'trace' } } });
    try {
      const sim = await tpapSim({ model: 'p110', ...OWNER });
      const { node, out } = await load(flowWith({ type: 'plug-control', name: 'tapo' }, tpapDevice(sim)), { dev: OWNER });
      node.receive({ payload: true });
      await out.next();
      const lines = logged(60);
      for (const step of ['discover', 'pake_register', 'pake_share']) {
        assert.ok(lines.some((l) => l.includes(`"sub_method":"${step}"`)), `${step} in\n${lines.join('\n')}`);
      }
      assert.ok(lines.some((l) => l.includes('"dev_share":"<65 bytes>"') && l.includes('"iterations":5000')), lines.join('\n'));
      assert.ok(lines.some((l) => l.includes('"device_on":true')), 'the SMART request itself, decrypted');
      for (const secret of [OWNER.username, OWNER.password]) assert.ok(!lines.some((l) => l.includes(secret)), secret);
    } finally {
      helper.settings({});
    }
  });

  void it('over HTTPS: a device whose certificate changed is still reached, and the device node warns of it', LIMIT, async () => {
    const first = await tpapSim({ model: 'p110', tls: tlsOf('a'), ...OWNER });
    const ports = { port: first.port, tlsPort: first.tpap.tlsPort! };
    const { node, out } = await load(flowWith({ type: 'plug-control', name: 'tapo' }, tpapDevice(first)), { dev: OWNER });
    node.receive({ payload: true });
    assert.equal((await out.next())['payload'], true);
    assert.equal(first.device.relay.isOn, true);
    assert.deepEqual(logged(30).filter((l) => l.includes('certificate')), []);
    // Another device (or the same one after a reset) on the same address, with another certificate.
    await first.stop();
    const second = await tpapSim({ model: 'p110', tls: tlsOf('b'), nickname: 'Second', ...ports, ...OWNER });
    // A read first: the connection to the first device may still look open here, and only a read is
    // sent again on a fresh one (a command could have run before a connection broke).
    node.receive({ command: 'info' });
    assert.equal(((await out.next())['payload'] as Record<string, unknown>)['device_id'], second.device.deviceId, 'reached, not refused');
    node.receive({ payload: true });
    assert.equal((await out.next())['payload'], true);
    assert.equal(second.device.relay.isOn, true);
    const warnings = logged(30).filter((l) => l.includes('different TLS certificate'));
    assert.equal(warnings.length, 1, logged(30).join('\n'));
    assert.match(warnings[0]!, new RegExp(`127\\.0\\.0\\.1:${ports.tlsPort} shows a different TLS certificate than before`));
  });
});
