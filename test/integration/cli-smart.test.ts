// tplink-smartplug against the simulator's SMART devices (Tapo P110 and P300) over KLAP v2, run as
// a person runs it: the real tool in a process of its own, the devices on 127.0.0.1.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SmartSimulatedDevice } from '../../src/simulator/smart/server';
import { freeTcpPort } from '../support/ports';
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

/** The lines of a run, each split into its label and its text. */
function lines(stdout: string): Array<[string, string]> {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => {
      const match = /^(\w+): +(.*)$/.exec(line);
      assert.ok(match, `a labelled line: ${line}`);
      return [match[1]!, match[2]!];
    });
}

describe('tplink-smartplug on SMART devices over KLAP', () => {
  let plug: SmartSimulatedDevice;
  let strip: SmartSimulatedDevice;
  let bound: SmartSimulatedDevice;
  const klap = (sim: SmartSimulatedDevice, ...args: string[]) => ['-t', '127.0.0.1', '--transport', 'klap', '-p', String(sim.port), ...args];
  const outletsOn = () => strip.device.children.outlets.map((outlet) => outlet.relay.isOn);

  before(async () => {
    plug = new SmartSimulatedDevice({ model: 'p110', nickname: 'Küche' });
    strip = new SmartSimulatedDevice({ model: 'p300' });
    bound = new SmartSimulatedDevice({ model: 'p110', ...OWNER });
    for (const sim of [plug, strip, bound]) await sim.start();
  });
  after(async () => {
    for (const sim of [plug, strip, bound]) await sim.stop();
  });

  it('-c on and off switch a P110: the real SMART JSON as Sent/Received, then the state read back', LIMIT, async () => {
    plug.device.relay.setOn(false);
    const on = await run(klap(plug, '-c', 'on'));
    assert.equal(on.code, 0, on.stderr);
    assert.equal(on.stderr, '');
    assert.equal(plug.device.relay.isOn, true);
    const shown = lines(on.stdout);
    // The switch and its read-back go in one batch: one round trip.
    assert.deepEqual(
      shown.map(([label]) => label),
      ['Sent', 'Received', 'Result'],
    );
    const sent = JSON.parse(shown[0]![1]) as { method: string; params: { requests: Array<{ method: string; params?: unknown }> } };
    assert.equal(sent.method, 'multipleRequest');
    assert.deepEqual(sent.params.requests, [{ method: 'set_device_info', params: { device_on: true } }, { method: 'get_device_info' }]);
    assert.equal(typeof (sent as unknown as Record<string, unknown>)['request_time_milis'], 'number', 'the envelope as it went out');
    assert.equal(typeof (sent as unknown as Record<string, unknown>)['terminal_uuid'], 'string');
    const received = JSON.parse(shown[1]![1]) as { result: { responses: Array<{ method: string; error_code: number }> } };
    assert.deepEqual(received.result.responses.map((r) => [r.method, r.error_code]), [['set_device_info', 0], ['get_device_info', 0]]);
    assert.match(shown[1]![1], /"nickname":"S8O8Y2hl"/, 'the reply as received: the nickname still base64');
    assert.deepEqual(shown[2], ['Result', 'true']);

    const off = await run(klap(plug, '-c', 'off', '-q'));
    assert.equal(off.code, 0, off.stderr);
    assert.equal(off.stdout, 'false\n', '-q: only the result');
    assert.equal(plug.device.relay.isOn, false);
  });

  it('-c info gives the device info with the nickname decoded; -c energy the normalised reading', LIMIT, async () => {
    const info = await run(klap(plug, '-c', 'info', '-q'));
    assert.equal(info.code, 0, info.stderr);
    const decoded = JSON.parse(info.stdout) as Record<string, unknown>;
    assert.deepEqual([decoded['nickname'], decoded['model'], decoded['device_id']], ['Küche', 'P110', plug.device.deviceId]);

    plug.device.relay.setOn(true);
    const energy = await run(klap(plug, '-c', 'energy'));
    assert.equal(energy.code, 0, energy.stderr);
    const result = lines(energy.stdout).at(-1)!;
    assert.equal(result[0], 'Result');
    const reading = JSON.parse(result[1]) as Record<string, number>;
    assert.equal(reading['power'], 42.5, 'W, from the mW the device sent');
    for (const key of ['total', 'today', 'month']) assert.equal(typeof reading[key], 'number', key);
    assert.ok(
      lines(energy.stdout).some(([label, text]) => label === 'Sent' && /get_energy_usage|get_current_power/.test(text)),
      'the meter requests are among the exchanges shown',
    );
  });

  it('other presets where the device has them; NOT_SUPPORTED in one line and exit 1 where not', LIMIT, async () => {
    const time = await run(klap(plug, '-c', 'time', '-q'));
    assert.equal(time.code, 0, time.stderr);
    assert.equal(typeof (JSON.parse(time.stdout) as Record<string, unknown>)['timestamp'], 'number');
    const countdown = await run(klap(plug, '-c', 'countdown', '-q'));
    assert.equal(countdown.code, 0, countdown.stderr);
    assert.ok(Array.isArray((JSON.parse(countdown.stdout) as Record<string, unknown>)['rule_list']));

    const away = await run(klap(plug, '-c', 'antitheft'));
    assert.equal(away.code, 1);
    assert.equal(away.stdout, '', 'nothing was exchanged for it');
    assert.match(away.stderr, /^tplink-smartplug: 127\.0\.0\.1:\d+ \(P110\) speaks the SMART protocol: Tapo devices have no away \(anti-theft\) mode\. \[NOT_SUPPORTED\]\n$/);
    const erase = await run(klap(plug, '-c', 'energy_reset', '--force'));
    assert.equal(erase.code, 1);
    assert.match(erase.stderr, /^tplink-smartplug: .*no way to erase their energy statistics\. \[NOT_SUPPORTED\]\n$/);
  });

  it('-j sends SMART JSON to a SMART device, behind the destructive guard; the wrong dialect is refused', LIMIT, async () => {
    const read = await run(klap(plug, '-j', '{"method":"get_device_info"}', '-q'));
    assert.equal(read.code, 0, read.stderr);
    const reply = JSON.parse(read.stdout) as { error_code: number; result: Record<string, unknown> };
    assert.equal(reply.error_code, 0);
    assert.equal(reply.result['model'], 'P110');

    plug.device.relay.setOn(false);
    const set = await run(klap(plug, '-j', '{"method":"set_device_info","params":{"device_on":true}}'));
    assert.equal(set.code, 0, set.stderr);
    assert.equal(plug.device.relay.isOn, true);
    const shown = lines(set.stdout);
    assert.deepEqual(shown.map(([label]) => label), ['Sent', 'Received', 'Result'], 'one exchange: the request itself');
    assert.match(shown[0]![1], /^\{"method":"set_device_info","params":\{"device_on":true\},"request_time_milis":\d+,"terminal_uuid":"[^"]+"\}$/);

    for (const json of ['{"method":"device_reboot"}', '{"method":"multipleRequest","params":{"requests":[{"method":"get_device_info"},{"method":"device_reset"}]}}']) {
      const before = plug.device.received.length;
      const refused = await run(klap(plug, '-j', json));
      assert.equal(refused.code, 2, json);
      assert.match(refused.stderr, /^tplink-smartplug: the -j command is destructive \((device_reboot|device_reset)\); add --force if you mean it \(see --help\)\n$/);
      assert.equal(plug.device.received.length, before, `${json}: nothing was sent`);
    }
    const forced = await run(klap(plug, '-j', '{"method":"device_reboot"}', '--force', '-q'));
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(JSON.parse(forced.stdout), { error_code: 0 });

    const kasaJson = await run(klap(plug, '-j', '{"system":{"get_sysinfo":{}}}'));
    assert.equal(kasaJson.code, 1);
    assert.match(kasaJson.stderr, /^tplink-smartplug: 127\.0\.0\.1:\d+ \(P110\) speaks the SMART \(Tapo\) protocol: -j takes \{"method".*\[BAD_INPUT\]\n$/);
    const overTcp = await run(['-t', '127.0.0.1', '-p', String(plug.port), '-j', '{"method":"get_device_info"}']);
    assert.equal(overTcp.code, 2);
    assert.match(overTcp.stderr, /SMART JSON, which Tapo devices take over KLAP, AES or TPAP: add --transport klap, aes, tpap or auto/);
    const unknown = await run(klap(plug, '-j', '{"method":"get_no_such_thing"}'));
    assert.equal(unknown.code, 1);
    assert.equal(lines(unknown.stdout).map(([label]) => label).join(), 'Sent,Received', 'the refusal as the device sent it');
    assert.equal(unknown.stderr.trim().split('\n').length, 1);
  });

  it('-o switches outlets of a P300 by suffix, alias or all, and names them', LIMIT, async () => {
    for (const outlet of strip.device.children.outlets) outlet.relay.setOn(false);
    const one = await run(klap(strip, '-c', 'on', '-o', '01'));
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual(outletsOn(), [false, true, false]);
    const shown = lines(one.stdout);
    assert.deepEqual(shown[0], ['Outlet', `01 "Plug 2" (child id ${strip.device.children.outlets[1]!.id})`]);
    // The outlet's command goes through control_child, in one batch with the state's read-back.
    type Sent = { method: string; params: Record<string, unknown> };
    const sent = shown.filter(([label]) => label === 'Sent').map(([, text]) => JSON.parse(text) as Sent);
    const inBatches = sent.flatMap((request) => (request.method === 'multipleRequest' ? (request.params['requests'] as Sent[]) : [request]));
    assert.deepEqual(sent.map((request) => request.method), ['multipleRequest'], 'one round trip');
    assert.deepEqual(
      inBatches.filter((request) => request.method === 'control_child').map((request) => request.params),
      [{ device_id: strip.device.children.outlets[1]!.id, requestData: { method: 'set_device_info', params: { device_on: true } } }],
    );
    assert.deepEqual(shown.at(-1), ['Result', 'true']);

    const byAlias = await run(klap(strip, '-c', 'on', '-o', 'Plug 3', '-q'));
    assert.equal(byAlias.code, 0, byAlias.stderr);
    assert.equal(byAlias.stdout, 'true\n');
    assert.deepEqual(outletsOn(), [false, true, true]);

    const info = await run(klap(strip, '-c', 'info', '-o', '02', '-q'));
    assert.equal(info.code, 0, info.stderr);
    assert.equal((JSON.parse(info.stdout) as Record<string, unknown>)['nickname'], 'Plug 3');

    const all = await run(klap(strip, '-c', 'off', '-o', 'all', '-q'));
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(JSON.parse(all.stdout), [false, false, false]);
    assert.deepEqual(outletsOn(), [false, false, false]);

    const missing = await run(klap(strip, '-c', 'on', '-o', '05'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^tplink-smartplug: No outlet "05" on 127\.0\.0\.1:\d+; it has 00 "Plug 1", 01 "Plug 2", 02 "Plug 3", or all\. \[BAD_INPUT\]\n$/);
    const noMeter = await run(klap(strip, '-c', 'energy'));
    assert.equal(noMeter.code, 1);
    assert.match(noMeter.stderr, /^tplink-smartplug: 127\.0\.0\.1:\d+ \(P300\) has no energy meter\. \[NO_ENERGY_METER\]\n$/);
  });

  it('--transport auto finds the SMART device on the KLAP port when port 9999 is closed', LIMIT, async () => {
    const closed = await freeTcpPort();
    const info = await run(['-t', '127.0.0.1', '--transport', 'auto', '-p', String(closed), '--klap-port', String(strip.port), '-c', 'info', '-q']);
    assert.equal(info.code, 0, info.stderr);
    assert.equal((JSON.parse(info.stdout) as Record<string, unknown>)['model'], 'P300');
  });

  it('a device bound to another account: one line saying so, the password never shown', LIMIT, async () => {
    const wrong = await run(klap(bound, '-u', OWNER.username, '-P', 'not the password', '-c', 'on'));
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stdout, '');
    assert.match(
      wrong.stderr,
      /^tplink-smartplug: 127\.0\.0\.1:\d+: it did not accept the TP-Link account given: it is bound to another account, or the e-mail or password is mistyped\. Enter the e-mail and password you sign in to the Kasa or Tapo app with\. On this command line: -u <e-mail> and -P <password> \(or TPLINK_PASSWORD\)\. \[AUTH\]\n$/,
    );
    assert.doesNotMatch(wrong.stderr, /not the password/);
    const none = await run(klap(bound, '-c', 'on'));
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^tplink-smartplug: .*it is bound to a TP-Link account: give that account .* On this command line: -u <e-mail> and -P <password> \(or TPLINK_PASSWORD\)\. \[AUTH\]\n$/);
    assert.doesNotMatch(none.stderr, /device node/, 'the command line has no device node');
    assert.equal(bound.device.relay.isOn, false, 'nothing was switched');

    const right = await run(klap(bound, '-u', OWNER.username, '-P', OWNER.password, '-c', 'on', '-q'));
    assert.equal(right.code, 0, right.stderr);
    assert.equal(bound.device.relay.isOn, true);
  });

  it('--children lists a hub\'s children and their readings, one line each (-q: their JSON); a plug has none, said in words', LIMIT, async () => {
    const hub = new SmartSimulatedDevice({ model: 'h100' });
    await hub.start();
    try {
      hub.device.hub!.fire('contact', { type: 'open' });
      const listed = await run(klap(hub, '--children'));
      assert.equal(listed.code, 0, listed.stderr);
      const rows = listed.stdout.trimEnd().split('\n');
      assert.equal(rows.length, 7);
      assert.match(rows[1]!, /^2 T110 door or window sensor "Front door" \(id \w+01\): online=true lowBattery=false open=true signal=-\d+$/);
      assert.match(rows[6]!, /^7 KE100 radiator valve "Radiator" .*targetTemperature=21 minTemperature=5 maxTemperature=30 frostProtection=false/);
      const quiet = await run(klap(hub, '--children', '-q'));
      const climate = quiet.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { model: string; kind: string; readings: { temperature: number; humidity: number } })[3]!;
      assert.deepEqual([climate.model, climate.kind, climate.readings.temperature, climate.readings.humidity], ['T315', 'climate-sensor', 21.5, 48]);
      const none = await run(klap(plug, '--children'));
      assert.equal(none.code, 1);
      assert.match(none.stderr, /carries no sensors, switches or valves: is it a hub \(H100, KH100\)\? \[BAD_INPUT\]/);
      const mixed = await run(klap(hub, '--children', '-c', 'on'));
      assert.equal(mixed.code, 2);
      assert.match(mixed.stderr, /--children lists the children: it takes no -c, -j or -o/);
    } finally {
      await hub.stop();
    }
  });
});
