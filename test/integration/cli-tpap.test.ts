// tplink-smartplug --transport tpap against the simulator's SMART devices speaking TPAP (2025
// firmware): the real tool in a process of its own, on 127.0.0.1; and tplink-sim --transport tpap.
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SmartSimulatedDevice } from '../../src/simulator/smart/server';
import { SMARTPLUG, runTool } from '../support/cli';
import { within } from '../support/wait';

const BIN = path.join(__dirname, '..', '..', 'bin');
const LIMIT = { timeout: 60_000 };
const OWNER = { username: 'owner@example.com', password: 'tapo owner pw' };

const run = (args: string[]) => runTool(SMARTPLUG, args);

describe('tplink-smartplug on SMART devices over TPAP', () => {
  let bound: SmartSimulatedDevice;
  let unbound: SmartSimulatedDevice;
  const tpap = (sim: SmartSimulatedDevice, ...args: string[]) => ['-t', '127.0.0.1', '--transport', 'tpap', '-p', String(sim.port), ...args];
  const account = ['-u', OWNER.username, '-P', OWNER.password];

  before(async () => {
    bound = new SmartSimulatedDevice({ model: 'p110', nickname: 'Küche', transport: 'tpap', tdpPort: null, ...OWNER });
    unbound = new SmartSimulatedDevice({ model: 'p110', transport: 'tpap', tdpPort: null });
    for (const sim of [bound, unbound]) await sim.start();
  });
  after(async () => {
    for (const sim of [bound, unbound]) await sim.stop();
  });

  it('-c on and off switch a P110 over TPAP, shown as the SMART JSON inside', LIMIT, async () => {
    bound.device.relay.setOn(false);
    const on = await run(tpap(bound, ...account, '-c', 'on'));
    assert.equal(on.code, 0, on.stderr);
    assert.equal(on.stderr, '');
    assert.equal(bound.device.relay.isOn, true);
    // The switch and its read-back in one batch, as the SMART JSON inside the TPAP session.
    assert.match(on.stdout, /^Sent: +\{"method":"multipleRequest","params":\{"requests":\[\{"method":"set_device_info","params":\{"device_on":true\}\},\{"method":"get_device_info"\}\]\}/m);
    const off = await run(tpap(bound, ...account, '-c', 'off', '-q'));
    assert.equal(off.code, 0, off.stderr);
    assert.equal(bound.device.relay.isOn, false);
    assert.ok(bound.tpap.stats.logins >= 2, 'each run logged in over TPAP');
  });

  it('-c info and -c energy; an unbound device logs in with its default passcode, no account given', LIMIT, async () => {
    const info = await run(tpap(bound, ...account, '-c', 'info', '-q'));
    assert.equal(info.code, 0, info.stderr);
    const decoded = JSON.parse(info.stdout) as Record<string, unknown>;
    assert.deepEqual([decoded['nickname'], decoded['model'], decoded['device_id']], ['Küche', 'P110', bound.device.deviceId]);
    unbound.device.relay.setOn(true);
    const energy = await run(tpap(unbound, '-c', 'energy', '-q'));
    assert.equal(energy.code, 0, energy.stderr);
    const reading = JSON.parse(energy.stdout) as Record<string, number>;
    assert.equal(reading['power'], unbound.device.spec.loadMilliwatts / 1000);
    assert.equal(unbound.tpap.stats.logins, 1);
  });

  it('a wrong password: refused in one line, the password never shown; the right one works', LIMIT, async () => {
    bound.device.relay.setOn(false);
    const wrong = await run(tpap(bound, '-u', OWNER.username, '-P', 'not the password', '-c', 'on'));
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stdout, '');
    assert.match(wrong.stderr, /^tplink-smartplug: .*did not accept the TP-Link account.*\[AUTH\]\n$/);
    assert.doesNotMatch(wrong.stderr, /not the password/);
    assert.equal(bound.device.relay.isOn, false, 'nothing was switched');
    const right = await run(tpap(bound, ...account, '-c', 'on', '-q'));
    assert.equal(right.code, 0, right.stderr);
    assert.equal(bound.device.relay.isOn, true);
  });

  it('tplink-sim --model p110 --transport tpap serves a TPAP P110 the tool switches', LIMIT, async () => {
    let sim: ChildProcess | undefined;
    try {
      sim = spawn(process.execPath, [path.join(BIN, 'tplink-sim.js'), '--model', 'p110', '--transport', 'tpap', '-p', '0', '--tdp-port', '0', ...account]);
      let text = '';
      sim.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      const port = await within(
        (async () => {
          for (;;) {
            const found = /listening on 127\.0\.0\.1:(\d+) \(SMART over TPAP, bound to owner@example\.com\)/.exec(text);
            if (found) return Number(found[1]);
            await once(sim!.stdout!, 'data');
          }
        })(),
        10_000,
        'tplink-sim starting',
      );
      const on = await run(['-t', '127.0.0.1', '--transport', 'tpap', '-p', String(port), ...account, '-c', 'on', '-q']);
      assert.equal(on.code, 0, on.stderr);
      const info = await run(['-t', '127.0.0.1', '--transport', 'tpap', '-p', String(port), ...account, '-c', 'info', '-q']);
      assert.equal((JSON.parse(info.stdout) as Record<string, unknown>)['device_on'], true, 'the simulator kept the state');
    } finally {
      if (sim !== undefined && sim.exitCode === null) {
        sim.kill('SIGTERM');
        await once(sim, 'exit');
      }
    }
  });
});
