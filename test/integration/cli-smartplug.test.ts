import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SimulatedDevice } from '../../src/simulator';
import { within } from '../support/wait';

const BIN = path.join(__dirname, '..', '..', 'bin');
/** Preloaded with -r: reports DNS lookups on stderr and lets none but localhost through. */
const DNS_PROBE = path.join(__dirname, '..', 'support', 'dns-probe.js');
const run = (tool: string, args: string[], env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []) =>
  within(
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [...nodeArgs, path.join(BIN, `${tool}.js`), ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    }),
    15_000,
    `${tool} ${args.join(' ')}`,
  );

describe('tplink-smartplug as a person runs it', () => {
  let plug: SimulatedDevice;
  let strip: SimulatedDevice;
  before(async () => {
    plug = new SimulatedDevice({ model: 'hs110', alias: 'Kettle' });
    strip = new SimulatedDevice({ model: 'hs300' });
    await plug.start();
    await strip.start();
  });
  after(async () => {
    await plug.stop();
    await strip.stop();
  });

  it('prints Sent and Received lines as the seed client does', async () => {
    const { code, stdout, stderr } = await run('tplink-smartplug', ['-t', '127.0.0.1', '-p', String(plug.port), '-c', 'info']);
    assert.equal(code, 0, stderr);
    const [sent, received] = stdout.trim().split('\n');
    assert.equal(sent, 'Sent:      {"system":{"get_sysinfo":{}}}');
    assert.match(received!, /^Received: {2}\{"system":\{"get_sysinfo":\{.*"alias":"Kettle"/);
  });

  it('prints only the reply with -q, whatever its size', async () => {
    for (let i = 0; i < 30; i++) {
      plug.state.handle({ schedule: { add_rule: { name: `rule number ${i} with a long enough name`, enable: 1, wday: [1, 1, 1, 1, 1, 1, 1], stime_opt: 0, smin: i, sact: 1, repeat: 1 } } });
    }
    const { code, stdout } = await run('tplink-smartplug', ['-t', '127.0.0.1', '-p', String(plug.port), '-c', 'schedule', '-q']);
    assert.equal(code, 0);
    assert.ok(stdout.length > 2048, `a reply of ${stdout.length} bytes, more than the 2048 the seed read`);
    const reply = JSON.parse(stdout) as { schedule: { get_rules: { rule_list: unknown[] } } };
    assert.equal(reply.schedule.get_rules.rule_list.length, 30);
  });

  it('switches one outlet of a strip by its 2-digit suffix, over UDP too', async () => {
    strip.state.setRelay(false);
    assert.equal((await run('tplink-smartplug', ['-t', '127.0.0.1', '-p', String(strip.port), '-c', 'on', '-o', '04', '-q'])).code, 0);
    assert.equal(strip.state.getRelay(4), true);
    assert.equal(strip.state.getRelay(3), false);
    assert.equal((await run('tplink-smartplug', ['-t', '127.0.0.1', '-p', String(plug.udpPort), '-c', 'off', '--udp', '-q'])).code, 0);
    assert.equal(plug.state.getRelay(), false);
  });

  it('addresses an outlet by alias, 2-digit suffix or full child id, and says which it addressed', async () => {
    strip.state.setRelay(false);
    const third = strip.state.childId(2);
    strip.state.handle({ context: { child_ids: [third] }, system: { set_dev_alias: { alias: 'Desk lamp' } } });
    const relays = () => [0, 1, 2, 3, 4, 5].map((i) => strip.state.getRelay(i));

    const byAlias = await run('tplink-smartplug', ['-t', '127.0.0.1', '-p', String(strip.port), '-c', 'on', '-o', 'Desk lamp']);
    assert.equal(byAlias.code, 0, byAlias.stderr);
    const [outlet, sent] = byAlias.stdout.trim().split('\n');
    assert.equal(outlet, `Outlet:    02 "Desk lamp" (child id ${third})`);
    assert.equal(sent, `Sent:      {"context":{"child_ids":["${third}"]},"system":{"set_relay_state":{"state":1}}}`);
    assert.deepEqual(relays(), [false, false, true, false, false, false]);

    const bySuffix = await run('tplink-smartplug', ['-t', '127.0.0.1', '-p', String(strip.port), '-c', 'off', '-o', '02', '-q']);
    assert.equal(bySuffix.code, 0, bySuffix.stderr);
    assert.deepEqual(JSON.parse(bySuffix.stdout), { system: { set_relay_state: { err_code: 0 } } }, '-q prints the reply and nothing else');
    assert.equal(bySuffix.stderr, '');
    assert.deepEqual(relays(), [false, false, false, false, false, false]);

    const byIdAndAlias = await run('tplink-smartplug', ['-t', '127.0.0.1', '-p', String(strip.port), '-c', 'on', '-o', third.toLowerCase(), '-o', 'plug 6']);
    assert.equal(byIdAndAlias.code, 0, byIdAndAlias.stderr);
    assert.match(byIdAndAlias.stdout, /^Outlet: {4}02 "Desk lamp" .*\nOutlet: {4}05 "Plug 6" /);
    assert.deepEqual(relays(), [false, false, true, false, false, true]);

    const all = await run('tplink-smartplug', ['-t', '127.0.0.1', '-p', String(strip.port), '-c', 'off', '-o', 'all', '-q']);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(relays(), [false, false, false, false, false, false]);
  });

  it('refuses a bare one-digit -o as ambiguous, naming the outlets this strip has for it, and switches nothing', async () => {
    strip.state.setRelay(false);
    const bare = await run('tplink-smartplug', ['-t', '127.0.0.1', '-p', String(strip.port), '-c', 'on', '-o', '2']);
    assert.equal(bare.code, 1);
    assert.match(
      bare.stderr,
      /^tplink-smartplug: -o 2 is ambiguous: write -o 01 for outlet 2 \("Plug 2"\) or -o 02 for outlet 3 \("[^"]+"\); 2-digit suffixes count from 00\. Nothing was switched\. \[BAD_INPUT\]\n$/,
    );
    assert.equal(strip.state.getRelay(1) || strip.state.getRelay(2), false);
    // A six-outlet strip: "6" can only be the sixth outlet (05); "7" is neither outlet 7 nor child 07.
    const six = await run('tplink-smartplug', ['-t', '127.0.0.1', '-p', String(strip.port), '-c', 'on', '-o', '6']);
    assert.match(six.stderr, /-o 6 is ambiguous: write -o 05 for outlet 6 \("Plug 6"\); /);
    assert.doesNotMatch(six.stderr, /-o 06/);
    const seven = await run('tplink-smartplug', ['-t', '127.0.0.1', '-p', String(strip.port), '-c', 'on', '-o', '7']);
    assert.equal(seven.code, 1);
    assert.match(seven.stderr, /^tplink-smartplug: -o 7 names no outlet of 127\.0\.0\.1:\d+, whether counted from 1 or from 00: it has 00 "Plug 1", .*05 "Plug 6"\. Write the 2-digit suffix, counted from 00\. \[BAD_INPUT\]\n$/);
    assert.doesNotMatch(seven.stderr, /-o 0[67]|outlet [78]/);
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => strip.state.getRelay(i)), [false, false, false, false, false, false], 'nothing switched');

    const unknown = await run('tplink-smartplug', ['-t', '127.0.0.1', '-p', String(strip.port), '-c', 'on', '-o', 'Garage']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr.trim(), /^tplink-smartplug: No outlet "Garage" on 127\.0\.0\.1:\d+; it has 00 "Plug 1", 01 "Plug 2", .*, or all\. \[BAD_INPUT\]$/);
    const pastTheEnd = await run('tplink-smartplug', ['-t', '127.0.0.1', '-p', String(strip.port), '-c', 'on', '-o', '06']);
    assert.equal(pastTheEnd.code, 1, 'an HS300 has 00 to 05: "06" is no outlet, not the sixth by index');
    assert.match(pastTheEnd.stderr, /No outlet "06" on /);
    assert.equal(strip.state.getRelay(5), false);
    const notAStrip = await run('tplink-smartplug', ['-t', '127.0.0.1', '-p', String(plug.port), '-c', 'on', '-o', '00']);
    assert.equal(notAStrip.code, 1);
    assert.match(notAStrip.stderr, /is not a power strip/);
  });

  it('sends a destructive preset or -j command only with --force', async () => {
    for (const args of [['-c', 'reset'], ['-c', 'reboot'], ['-c', 'energy_reset'], ['-c', 'runtime_reset'], ['-j', '{"system":{"get_sysinfo":{},"reboot":{"delay":1}}}']]) {
      const opened = plug.stats.connectionsOpened;
      const refused = await run('tplink-smartplug', ['-t', '127.0.0.1', '-p', String(plug.port), ...args]);
      assert.equal(refused.code, 2, args.join(' '));
      assert.match(refused.stderr, /^tplink-smartplug: (-c \w+|the -j command) is destructive \([a-z_.]+\); add --force if you mean it \(see --help\)\n$/);
      assert.equal(plug.stats.connectionsOpened, opened, `${args.join(' ')}: nothing was sent`);
    }
    const forced = await run('tplink-smartplug', ['-t', '127.0.0.1', '-p', String(plug.port), '-c', 'runtime_reset', '--force', '-q']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(JSON.parse(forced.stdout), { schedule: { erase_runtime_stat: { err_code: 0 } } });
  });

  it('refuses a target that is no host name or address as a usage error, without looking it up', async () => {
    const control = await run('tplink-smartplug', ['-t', 'localhost', '-p', String(plug.port), '-c', 'info', '--timeout', '2'], {}, ['-r', DNS_PROBE]);
    assert.match(control.stderr, /dns-probe: lookup localhost/, 'the probe sees the lookups the tool makes');
    for (const host of ['bad host!', 'plug_1.lan', '192.168.1.300', '-x']) {
      const bad = await run('tplink-smartplug', [`--target=${host}`, '-c', 'info'], {}, ['-r', DNS_PROBE]);
      assert.equal(bad.code, 2, host);
      assert.equal(bad.stderr, `tplink-smartplug: -t ${JSON.stringify(host)} is not a valid host name or IP address (see --help)\n`);
    }
  });

  it('exits 1 with a one-line reason when the device fails, 2 for a bad command line', async () => {
    plug.injectFault({ kind: 'err-code', code: -3, msg: 'invalid argument' }, { times: 1 });
    const refused = await run('tplink-smartplug', ['-t', '127.0.0.1', '-p', String(plug.port), '-c', 'on']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr.trim(), /^tplink-smartplug: .*err_code -3 "invalid argument"\. \[DEVICE_ERROR\]$/);
    const timeout = await run('tplink-smartplug', ['-t', '127.0.0.1', '-p', String(plug.port), '-c', 'on', '--timeout', '0.3'], {});
    assert.equal(timeout.code, 0, 'the fault was used up: the next request works');
    for (const args of [[], ['-t', 'x'], ['-t', 'x', '-c', 'nope'], ['-t', 'x', '-j', '{'], ['-t', 'x', '-c', 'on', '-p', '99999'], ['-t', 'x', '-c', 'on', '--transport', 'carrier-pigeon'], ['-t', '-x', '-c', 'on']]) {
      const bad = await run('tplink-smartplug', args);
      assert.equal(bad.code, 2, args.join(' '));
      assert.equal(bad.stderr.trim().split('\n').length, 1);
    }
  });

  it('speaks KLAP to a simulated newer-firmware plug, password from the environment', async () => {
    const sim = spawn(process.execPath, [path.join(BIN, 'tplink-sim.js'), '--model', 'hs110v2', '--port', '0', '--no-udp', '--klap', '0', '-u', 'me@example.com', '-P', 's3cret']);
    try {
      const klapPort = await within(
        new Promise<number>((resolve) => {
          let text = '';
          sim.stdout.on('data', (chunk: Buffer) => {
            text += chunk.toString();
            const match = /KLAP v2 on 127\.0\.0\.1:(\d+)/.exec(text);
            if (match) resolve(Number(match[1]));
          });
        }),
        10_000,
        'the simulator to start',
      );
      // -p is the port of the transport chosen: KLAP's here.
      const ok = await run('tplink-smartplug', ['-t', '127.0.0.1', '--transport', 'klap', '-p', String(klapPort), '-u', 'me@example.com', '-c', 'on', '-q'], { TPLINK_PASSWORD: 's3cret' });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal((JSON.parse(ok.stdout) as { system: { set_relay_state: { err_code: number } } }).system.set_relay_state.err_code, 0);
      const disagree = await run('tplink-smartplug', ['-t', '127.0.0.1', '--transport', 'klap', '-p', String(klapPort), '--klap-port', '80', '-u', 'me@example.com', '-c', 'info'], { TPLINK_PASSWORD: 's3cret' });
      assert.equal(disagree.code, 2);
      assert.match(disagree.stderr, /-p \d+ and --klap-port 80 disagree/);
      for (const transport of ['klap', 'auto']) {
        const noPassword = await run('tplink-smartplug', ['-t', '127.0.0.1', '--transport', transport, '--klap-port', String(klapPort), '-u', 'me@example.com', '-c', 'info'], { TPLINK_PASSWORD: '' });
        assert.equal(noPassword.code, 2, transport);
        assert.equal(noPassword.stderr, 'tplink-smartplug: -u was given but no password: add -P <password> or set TPLINK_PASSWORD (see --help)\n');
      }
      const wrong = await run('tplink-smartplug', ['-t', '127.0.0.1', '--transport', 'klap', '--klap-port', String(klapPort), '-u', 'me@example.com', '-P', 'guess', '-c', 'info']);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /did not accept the TP-Link account given.*\[AUTH\]/);
      assert.doesNotMatch(wrong.stderr, /guess/);
    } finally {
      sim.kill('SIGINT');
      await within(new Promise((resolve) => sim.once('exit', resolve)), 5000, 'the simulator to stop');
    }
  });

  it('explains KLAP or AES sent to the older protocol\'s port instead of a bare RESET', async () => {
    for (const transport of ['klap', 'aes']) {
      const wrongPort = await run('tplink-smartplug', ['-t', '127.0.0.1', '--transport', transport, '-p', String(plug.port), '-c', 'info'], { TPLINK_PASSWORD: '' });
      assert.equal(wrongPort.code, 1, transport);
      assert.match(
        wrongPort.stderr,
        new RegExp(`--transport ${transport} speaks HTTP, and port ${plug.port} closed the connection without an HTTP answer: is it the device's HTTP port .* Port 9999 is the older Kasa protocol's: there use --transport tcp or auto\\. \\[RESET\\]\\n$`),
      );
    }
  });
});
