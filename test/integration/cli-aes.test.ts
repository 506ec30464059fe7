// tplink-smartplug --transport aes against the simulator's SMART devices speaking AES
// (securePassthrough, older Tapo firmware): the real tool in a process of its own, on 127.0.0.1.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SmartSimulatedDevice } from '../../src/simulator/smart/server';
import { within } from '../support/wait';

const TOOL = path.join(__dirname, '..', '..', 'bin', 'tplink-smartplug.js');
const LIMIT = { timeout: 60_000 };
const OWNER = { username: 'owner@example.com', password: 'tapo owner pw' };

const run = (args: string[]) =>
  within(
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [TOOL, ...args], { env: { ...process.env, TPLINK_PASSWORD: '' } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    }),
    15_000,
    `tplink-smartplug ${args.join(' ')}`,
  );

describe('tplink-smartplug on SMART devices over AES', () => {
  let plug: SmartSimulatedDevice;
  let bound: SmartSimulatedDevice;
  const aes = (sim: SmartSimulatedDevice, ...args: string[]) => ['-t', '127.0.0.1', '--transport', 'aes', '-p', String(sim.port), ...args];

  before(async () => {
    plug = new SmartSimulatedDevice({ model: 'p110', nickname: 'Küche', transport: 'aes' });
    bound = new SmartSimulatedDevice({ model: 'p110', transport: 'aes', loginVersion: 2, ...OWNER });
    for (const sim of [plug, bound]) await sim.start();
  });
  after(async () => {
    for (const sim of [plug, bound]) await sim.stop();
  });

  it('-c on and off switch a P110 over securePassthrough, shown as the SMART JSON inside', LIMIT, async () => {
    plug.device.relay.setOn(false);
    const on = await run(aes(plug, '-c', 'on'));
    assert.equal(on.code, 0, on.stderr);
    assert.equal(on.stderr, '');
    assert.equal(plug.device.relay.isOn, true);
    // The switch and its read-back in one batch, as the SMART JSON inside securePassthrough.
    assert.match(on.stdout, /^Sent: +\{"method":"multipleRequest","params":\{"requests":\[\{"method":"set_device_info","params":\{"device_on":true\}\},\{"method":"get_device_info"\}\]\}/m);
    assert.match(on.stdout, /^Result: +/m);
    const off = await run(aes(plug, '-c', 'off', '-q'));
    assert.equal(off.code, 0, off.stderr);
    assert.equal(plug.device.relay.isOn, false);
    assert.ok(plug.aes.stats.logins >= 2, 'each run logged in over AES');
  });

  it('-c info and -c energy give what the nodes give', LIMIT, async () => {
    const info = await run(aes(plug, '-c', 'info', '-q'));
    assert.equal(info.code, 0, info.stderr);
    const decoded = JSON.parse(info.stdout) as Record<string, unknown>;
    assert.deepEqual([decoded['nickname'], decoded['model'], decoded['device_id']], ['Küche', 'P110', plug.device.deviceId]);
    plug.device.relay.setOn(true);
    const energy = await run(aes(plug, '-c', 'energy', '-q'));
    assert.equal(energy.code, 0, energy.stderr);
    const reading = JSON.parse(energy.stdout) as Record<string, number>;
    assert.equal(reading['power'], 42.5, 'W, from the mW the device sent');
    for (const key of ['total', 'today', 'month']) assert.equal(typeof reading[key], 'number', key);
  });

  it('-j takes SMART JSON; Kasa JSON is refused for what the device speaks', LIMIT, async () => {
    const read = await run(aes(plug, '-j', '{"method":"get_device_info"}', '-q'));
    assert.equal(read.code, 0, read.stderr);
    const reply = JSON.parse(read.stdout) as { error_code: number; result: Record<string, unknown> };
    assert.deepEqual([reply.error_code, reply.result['model']], [0, 'P110']);
    const set = await run(aes(plug, '-j', '{"method":"set_device_info","params":{"device_on":false}}'));
    assert.equal(set.code, 0, set.stderr);
    assert.equal(plug.device.relay.isOn, false);
    const kasaJson = await run(aes(plug, '-j', '{"system":{"get_sysinfo":{}}}'));
    assert.equal(kasaJson.code, 1);
    assert.match(kasaJson.stderr, /speaks the SMART \(Tapo\) protocol: -j takes \{"method".*\[BAD_INPUT\]\n$/);
  });

  it('a device bound to another account: refused in one line, the password never shown; the right one works', LIMIT, async () => {
    bound.device.relay.setOn(false);
    const wrong = await run(aes(bound, '-u', OWNER.username, '-P', 'not the password', '-c', 'on'));
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stdout, '');
    assert.match(wrong.stderr, /^tplink-smartplug: .*\[AUTH\]\n$/);
    assert.doesNotMatch(wrong.stderr, /not the password/);
    assert.equal(bound.device.relay.isOn, false, 'nothing was switched');
    const right = await run(aes(bound, '-u', OWNER.username, '-P', OWNER.password, '-c', 'on', '-q'));
    assert.equal(right.code, 0, right.stderr);
    assert.equal(bound.device.relay.isOn, true);
  });

  it('the AES port is -p or --klap-port; -u without a password is a usage error', LIMIT, async () => {
    const disagree = await run(['-t', '127.0.0.1', '--transport', 'aes', '-p', '81', '--klap-port', '82', '-c', 'info']);
    assert.equal(disagree.code, 2);
    assert.match(disagree.stderr, /disagree: with --transport aes both name the HTTP port/);
    const noPassword = await run(aes(plug, '-u', 'someone@example.com', '-c', 'info'));
    assert.equal(noPassword.code, 2);
    assert.match(noPassword.stderr, /-u was given but no password/);
  });
});
