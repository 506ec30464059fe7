import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as net from 'node:net';
import { once } from 'node:events';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseSimArgs } from '../../bin/tplink-sim';
import { UsageError } from '../../src/cli/io';
import { ErrorCode, KasaError } from '../../src/util/errors';
import { SmartClient } from '../../src/family/smart/client';
import { normaliseChildList, normaliseSmartDeviceInfo } from '../../src/family/smart/device-info';
import { AesTransport } from '../../src/transport/aes';
import { KlapTransport } from '../../src/transport/klap';
import { discoverDevices } from '../../src/discovery';

const LIMIT = { timeout: 20_000 };
const CLI = path.join(__dirname, '..', '..', 'bin', 'tplink-sim.js');

/** Starts tplink-sim, resolves with the ports of its listening lines (one per device) and a stop function. */
interface RunningSim {
  ports: number[];
  output: () => string;
  /** Writes a line to its standard input. */
  send: (line: string) => void;
  /** Resolves with the match once the output matches, or rejects after 5 s. */
  next: (pattern: RegExp) => Promise<RegExpMatchArray>;
  stop: () => Promise<number | null>;
}

async function startSim(args: string[], lines: number, until?: RegExp): Promise<RunningSim> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening lines: ${stdout} ${stderr}`)), 8000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.split('\n').filter((line) => / listening on /.test(line)).length >= lines && (until === undefined || until.test(stdout))) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`tplink-sim exited: ${stderr}`));
    });
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  const ports = [...stdout.matchAll(/listening on 127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
  return {
    ports,
    output: () => stdout + stderr,
    send: (line) => child.stdin.write(`${line}\n`),
    next: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          const match = pattern.exec(stdout + stderr);
          if (match !== null) {
            clearTimeout(timer);
            child.stdout.off('data', check);
            child.stderr.off('data', check);
            resolve(match);
          }
          return match !== null;
        };
        const timer = setTimeout(() => {
          child.stdout.off('data', check);
          child.stderr.off('data', check);
          reject(new Error(`no ${String(pattern)} in: ${stdout}${stderr}`));
        }, 5000);
        if (!check()) {
          child.stdout.on('data', check);
          child.stderr.on('data', check);
        }
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return await exited;
    },
  };
}

void describe('tplink-sim with SMART models', () => {
  void it('serves a P110 and a P300 over KLAP v2 that a SmartClient reads, and exits 0 on SIGINT', LIMIT, async () => {
    const sim = await startSim(['--model', 'p110,p300', '--count', '2', '--port', '0', '--alias', 'Tapo'], 2);
    const clients: SmartClient[] = [];
    try {
      assert.match(sim.output(), /^p110 "Tapo 1" listening on 127\.0\.0\.1:\d+ \(SMART over KLAP v2, unbound: Tapo default credentials\)\n/);
      const [plug, strip] = sim.ports.map((port) => {
        const client = new SmartClient({ transport: new KlapTransport({ host: '127.0.0.1', port, family: 'smart' }), timeoutMs: 3000 });
        clients.push(client);
        return client;
      });
      await plug!.call('set_device_info', { device_on: true });
      const info = normaliseSmartDeviceInfo(await plug!.call('get_device_info'));
      assert.deepEqual([info.model, info.alias, info.on], ['P110', 'Tapo 1', true]);
      const outlets = normaliseChildList(await strip!.paged('get_child_device_list', 'child_device_list'));
      assert.equal(outlets.length, 3);
      assert.equal(normaliseSmartDeviceInfo(await strip!.call('get_device_info')).model, 'P300');
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      assert.equal(await sim.stop(), 0);
    }
  });

  void it('serves a P110 over AES with --transport aes that a SmartClient over AesTransport switches', LIMIT, async () => {
    const sim = await startSim(['--model', 'p110', '--transport', 'aes', '--port', '0', '-u', 'me@example.com', '-P', 's3cret'], 1);
    const client = new SmartClient({ transport: new AesTransport({ host: '127.0.0.1', port: sim.ports[0]!, username: 'me@example.com', password: 's3cret' }), timeoutMs: 5000 });
    try {
      assert.match(sim.output(), /^p110 "[^"]+" listening on 127\.0\.0\.1:\d+ \(SMART over AES, login version 1, bound to me@example\.com\)\n/);
      await client.call('set_device_info', { device_on: true });
      assert.equal(normaliseSmartDeviceInfo(await client.call('get_device_info')).on, true);
    } finally {
      await client.close();
      assert.equal(await sim.stop(), 0);
    }
  });

  void it('binds a SMART model to an account with -u/-P: a wrong password is refused', LIMIT, async () => {
    const sim = await startSim(['--model', 'kp125m', '--port', '0', '-u', 'me@example.com', '-P', 's3cret'], 1);
    const wrong = new SmartClient({ transport: new KlapTransport({ host: '127.0.0.1', port: sim.ports[0]!, family: 'smart', username: 'me@example.com', password: 'nope' }) });
    const right = new SmartClient({ transport: new KlapTransport({ host: '127.0.0.1', port: sim.ports[0]!, family: 'smart', username: 'me@example.com', password: 's3cret' }) });
    try {
      assert.match(sim.output(), /bound to me@example\.com/);
      await assert.rejects(wrong.call('get_device_info'), (err: unknown) => err instanceof KasaError && err.code === ErrorCode.AUTH);
      assert.equal(normaliseSmartDeviceInfo(await right.call('get_device_info')).model, 'KP125M');
    } finally {
      await wrong.close();
      await right.close();
      assert.equal(await sim.stop(), 0);
    }
  });

  void it('answers TP-Link discovery on --tdp-port, for SMART models and Kasa models with --klap', LIMIT, async () => {
    const sim = await startSim(['--model', 'p110,hs110', '--count', '2', '--port', '0', '--klap', '0', '--tdp-port', '0'], 2, /(TDP discovery on 127\.0\.0\.1:\d+[^]*){2}/);
    try {
      const tdpPorts = [...sim.output().matchAll(/TDP discovery on 127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
      const klapPort = Number(/KLAP v2 on 127\.0\.0\.1:(\d+)/.exec(sim.output())?.[1]);
      assert.equal(tdpPorts.length, 2, sim.output());
      const devices = await discoverDevices({ broadcast: null, hosts: tdpPorts.map((port) => `127.0.0.1:${port}`), timeoutMs: 5000 });
      assert.deepEqual(
        devices.map((d) => [d.family, d.encryption, d.httpPort]).sort(),
        [
          ['iot', 'klap', klapPort],
          ['smart', 'klap', sim.ports[0]],
        ],
      );
    } finally {
      assert.equal(await sim.stop(), 0);
    }
    assert.equal(parseSimArgs(['--model', 'p110', '--tdp-port', '20010'])?.tdpPort, 20010);
    assert.equal(parseSimArgs(['--model', 'p110'])?.tdpPort, undefined);
    assert.throws(() => parseSimArgs(['--model', 'p110', '--tdp-port', '70000']), UsageError);
  });

  void it('serves the SMART dimmers and the white bulb (s500d, ks225, l510): brightness set and read back', LIMIT, async () => {
    const sim = await startSim(['--model', 's500d,ks225,l510', '--count', '3', '--port', '0', '--tdp-port', '0'], 3);
    const clients = sim.ports.map((port) => new SmartClient({ transport: new KlapTransport({ host: '127.0.0.1', port, family: 'smart' }), timeoutMs: 3000 }));
    try {
      assert.match(sim.output(), /^s500d "[^"]+" listening on [^\n]*\n[^]*^ks225 [^]*^l510 /m);
      for (const [index, client] of clients.entries()) {
        await client.call('set_device_info', { device_on: true, brightness: 20 + index });
        const info = normaliseSmartDeviceInfo(await client.call('get_device_info'));
        assert.deepEqual([info.model, info.on, info.brightness], [['S500D', 'KS225', 'L510'][index], true, 20 + index]);
      }
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      assert.equal(await sim.stop(), 0);
    }
  });

  void it('serves an H100 whose children fire on commands typed on standard input; --child-batches refuse', LIMIT, async () => {
    const sim = await startSim(['--model', 'h100', '--port', '0', '--tdp-port', '0', '--child-batches', 'refuse'], 1, /hub commands on standard input/);
    const client = new SmartClient({ transport: new KlapTransport({ host: '127.0.0.1', port: sim.ports[0]!, family: 'smart' }), timeoutMs: 3000 });
    try {
      const children = (await client.paged('get_child_device_list', 'child_device_list')) as Array<Record<string, unknown>>;
      assert.equal(children.length, 7);
      const motion = children.find((child) => child['model'] === 'T100')!['device_id'] as string;
      sim.send('fire motion');
      const fired = await sim.next(/T100 "[^"]+": motion \(trigger log id (\d+), motion\)/);
      assert.equal((await client.controlChild(motion, 'get_device_info'))['detected'], true);
      const logs = await client.controlChild(motion, 'get_trigger_logs', { start_id: 0, page_size: 5 });
      assert.equal((logs['logs'] as Array<{ id: number }>)[0]!.id, Number(fired[1]));
      sim.send('fire rotate 90 s200b');
      await sim.next(/S200B "[^"]+": rotation 90° \(trigger log id \d+, rotation\)/);
      sim.send('fire open t100');
      await sim.next(/T100 \(motion\) cannot fire "open"/);
      sim.send('list');
      await sim.next(/motion T100 \w+ online detected=true/);
      const batch = await client.callMany(
        children.slice(0, 2).map((child) => ({ method: 'control_child', params: { device_id: child['device_id'], requestData: { method: 'get_device_info' } } })),
      );
      assert.deepEqual(batch.map((outcome) => outcome.error?.errCode), [-1002, -1002]);
    } finally {
      await client.close();
      assert.equal(await sim.stop(), 0);
    }
  });

  void it('fires demo events on a hub with --fire-every, and refuses it for other models', LIMIT, async () => {
    const sim = await startSim(['--model', 'kh100', '--port', '0', '--tdp-port', '0', '--fire-every', '100'], 1);
    try {
      await sim.next(/T100 "[^"]+": motion \(trigger log id \d+, motion\)\n[^]*T110 "[^"]+": open [^]*T315 "[^"]+": temperature 23\.5/);
    } finally {
      assert.equal(await sim.stop(), 0);
    }
    assert.equal(parseSimArgs(['--model', 'h100', '--fire-every', '500'])?.fireEveryMs, 500);
    for (const args of [
      ['--model', 'p110', '--fire-every', '500'],
      ['--model', 'h100', '--fire-every', '10'],
      ['--model', 'h100', '--child-batches', 'maybe'],
      ['--model', 'hs110', '--child-batches', 'refuse'],
    ]) {
      assert.throws(() => parseSimArgs(args), UsageError, args.join(' '));
    }
  });

  void it('reads SMART options and refuses what SMART models cannot do', () => {
    const options = parseSimArgs(['--model', 'p110m', '--fault', 'delay:200', '--drop-session-after', '3', '--session-timeout', '600']);
    assert.deepEqual(options?.models, ['p110m']);
    assert.deepEqual(options?.smart, { transport: 'klap', sessionTimeoutSeconds: 600, invalidateAfter: 3 });
    assert.deepEqual(parseSimArgs(['--model', 'p110', '--transport', 'aes', '--login-version', '2'])?.smart, { transport: 'aes', loginVersion: 2 });
    assert.deepEqual(parseSimArgs(['--model', 'p110', '--transport', 'tpap'])?.smart, { transport: 'tpap' });
    assert.deepEqual(options?.fault, { kind: 'delay', ms: 200 });
    for (const args of [
      ['--model', 'p110', '--fault', 'reset'],
      ['--model', 'p300', '--klap-version', '1'],
      ['--model', 'p999'],
      ['--model', 'p110', '--transport', 'tls'],
      ['--model', 'hs110', '--transport', 'tpap'],
      ['--model', 'hs110', '--transport', 'aes'],
      ['--model', 'p110', '--login-version', '2'],
      ['--model', 'p110', '--transport', 'aes', '--login-version', '3'],
    ]) {
      assert.throws(() => parseSimArgs(args), UsageError, args.join(' '));
    }
    // The Kasa models keep working as before.
    assert.deepEqual(parseSimArgs(['--model', 'hs110'])?.models, ['hs110']);
    assert.equal(parseSimArgs(['--model', 'hs110'])?.smart, undefined);
  });

  void it('explains a busy port in words, for SMART models as for Kasa ones (no raw EADDRINUSE)', LIMIT, async () => {
    const busy = net.createServer();
    busy.listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const port = (busy.address() as net.AddressInfo).port;
    try {
      for (const model of ['p110', 'hs110']) {
        const run = spawnSync(process.execPath, [CLI, '--model', model, '--port', String(port)], { encoding: 'utf8', timeout: 10_000 });
        assert.equal(run.status, 1, `${model}: ${run.stderr}`);
        assert.match(run.stderr, new RegExp(`^tplink-sim: The simulator cannot listen \\((HTTP|TCP)\\) on 127\\.0\\.0\\.1:${port}: the port is already in use\\.\\n$`), model);
      }
    } finally {
      busy.close();
    }
  });
});
