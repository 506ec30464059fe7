import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as net from 'node:net';
import { once } from 'node:events';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseSimArgs } from '../../bin/tplink-sim';
import { UsageError } from '../../src/cli/io';
import { ErrorCode, KasaError } from '../../src/errors';
import { SmartClient } from '../../src/family/smart/client';
import { normaliseChildList, normaliseSmartDeviceInfo } from '../../src/family/smart/device-info';
import { AesTransport } from '../../src/transport/aes';
import { KlapTransport } from '../../src/transport/klap';
import { discoverDevices } from '../../src/discovery';

const LIMIT = { timeout: 20_000 };
const CLI = path.join(__dirname, '..', '..', 'bin', 'tplink-sim.js');

/** Starts tplink-sim, resolves with the ports of its listening lines (one per device) and a stop function. */
async function startSim(args: string[], lines: number, until?: RegExp): Promise<{ ports: number[]; output: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited;
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

  void it('reads SMART options and refuses what SMART models cannot do', () => {
    const options = parseSimArgs(['--model', 'p110m', '--fault', 'delay:200', '--drop-session-after', '3', '--session-timeout', '600']);
    assert.deepEqual(options?.models, ['p110m']);
    assert.deepEqual(options?.smart, { transport: 'klap', sessionTimeoutSeconds: 600, invalidateAfter: 3 });
    assert.deepEqual(parseSimArgs(['--model', 'p110', '--transport', 'aes', '--login-version', '2'])?.smart, { transport: 'aes', loginVersion: 2 });
    assert.deepEqual(options?.fault, { kind: 'delay', ms: 200 });
    for (const args of [
      ['--model', 'p110', '--fault', 'reset'],
      ['--model', 'p300', '--klap-version', '1'],
      ['--model', 'p999'],
      ['--model', 'p110', '--transport', 'tpap'],
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
