import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KasaClient } from '../../src/family/iot/client';
import { PRESETS, emeter, forOutlets, system } from '../../src/family/iot/commands';
import { IotDevice } from '../../src/family/iot/device';
import { ErrorCode, KasaError } from '../../src/util/errors';
import { Fault, SimulatedDevice } from '../../src/simulator';
import { openResources, resourcesBackTo } from '../support/wait';

const isCode = (code: string) => (err: unknown) => err instanceof KasaError && err.code === code;

describe('KasaClient against the project simulator', () => {
  let plug: SimulatedDevice;
  let client: KasaClient;

  before(async () => {
    plug = new SimulatedDevice({ model: 'hs110', alias: 'Kettle' });
    await plug.start();
    client = new KasaClient({ host: '127.0.0.1', port: plug.port, timeoutMs: 800 });
  });
  after(async () => {
    await client.close();
    await plug.stop();
  });

  it('reads sysinfo and switches the relay over one persistent connection', async () => {
    const opened = plug.stats.connectionsOpened;
    const device = new IotDevice(client);
    const { info } = await device.getSysinfo();
    assert.equal(info.alias, 'Kettle');
    assert.equal((await device.setPower(true)).on, true);
    assert.equal(plug.state.getRelay(), true);
    assert.equal((await device.setPower('toggle')).on, false);
    assert.equal(plug.state.getRelay(), false);
    assert.equal(plug.stats.connectionsOpened - opened <= 1, true, 'one connection for all requests');
  });

  it('answers every preset that is not destructive', async () => {
    for (const [name, preset] of Object.entries(PRESETS)) {
      if (preset.destructive) continue;
      const reply = await client.send(preset.request());
      assert.ok(Object.keys(reply).length > 0, name);
    }
  });

  it('keeps 100 concurrent requests in order', async () => {
    const seen: string[] = [];
    const onRequest = (request: Record<string, unknown>) => {
      const alias = ((request['system'] as Record<string, Record<string, string>>)?.['set_dev_alias'])?.['alias'];
      if (alias !== undefined) seen.push(alias);
    };
    plug.on('request', onRequest);
    const sends = Array.from({ length: 100 }, (_, i) => client.send(system.setAlias(`n${i}`)));
    assert.equal(client.pending, 100, 'all were queued at once');
    const results = await Promise.all(sends);
    plug.off('request', onRequest);
    assert.equal(results.length, 100);
    assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => `n${i}`));
    assert.equal(client.pending, 0);
  });

  const faults: Array<[Fault, string]> = [
    [{ kind: 'silence' }, ErrorCode.TIMEOUT],
    [{ kind: 'delay', ms: 2000 }, ErrorCode.TIMEOUT],
    [{ kind: 'reset' }, ErrorCode.RESET],
    [{ kind: 'truncate' }, ErrorCode.RESET],
    [{ kind: 'lying-length' }, ErrorCode.TOO_LARGE],
    [{ kind: 'garbage' }, ErrorCode.PROTOCOL],
    [{ kind: 'non-json' }, ErrorCode.PROTOCOL],
    [{ kind: 'err-code', code: -3, msg: 'invalid argument' }, ErrorCode.DEVICE_ERROR],
  ];
  for (const [fault, code] of faults) {
    it(`maps the "${fault.kind}" fault to ${code}, and the next request succeeds`, async () => {
      plug.injectFault(fault, { times: 1 });
      await assert.rejects(client.send(system.getSysinfo()), isCode(code));
      const reply = await client.send(system.getSysinfo());
      assert.ok(reply['system']);
    });
  }

  it('reconnects by itself when the device closes after each reply', async () => {
    plug.injectFault({ kind: 'close-after-reply' }, { times: 3 });
    const before = plug.stats.connectionsOpened;
    for (let i = 0; i < 4; i++) await client.send(system.getSysinfo());
    assert.ok(plug.stats.connectionsOpened - before >= 3, 'a new connection after each close');
  });

  it('refuses a reply larger than the configured maximum before reading it all', async () => {
    const small = new KasaClient({ host: '127.0.0.1', port: plug.port, maxReplyBytes: 100 });
    try {
      await assert.rejects(small.send(system.getSysinfo()), isCode(ErrorCode.TOO_LARGE));
    } finally {
      await small.close();
    }
  });

  it('reports a device err_code with module and method', async () => {
    await assert.rejects(client.send({ system: { no_such_method: {} } }), (err: unknown) =>
      err instanceof KasaError && err.code === ErrorCode.NOT_SUPPORTED && err.method === 'no_such_method',
    );
  });

  it('works over UDP as well', async () => {
    const udp = new KasaClient({ host: '127.0.0.1', port: plug.udpPort!, transport: 'udp', timeoutMs: 800 });
    try {
      await client.send(system.setAlias('Kettle'));
      const { info } = await new IotDevice(udp).getSysinfo();
      assert.equal(info.alias, 'Kettle');
      plug.injectFault({ kind: 'silence' }, { times: 1 });
      await assert.rejects(udp.send(system.getSysinfo()), isCode(ErrorCode.TIMEOUT));
      await udp.send(system.getSysinfo());
      // A late reply to a request that timed out must not pass for the answer to the next one.
      // Both replies come 300 ms late: the first one's arrives while the second request waits.
      plug.injectFault({ kind: 'delay', ms: 300 }, { times: 2 });
      await assert.rejects(udp.send(system.setRelayState(true), 150), isCode(ErrorCode.TIMEOUT));
      const realtime = await udp.send(emeter.getRealtime(), 2000);
      assert.ok(realtime['emeter'], `the answer to get_realtime, not ${JSON.stringify(realtime)}`);
    } finally {
      await udp.close();
    }
  });
});

describe('KasaClient on a strip', () => {
  it('switches one outlet by child context and reads per-outlet meters', async () => {
    const strip = new SimulatedDevice({ model: 'hs300', alias: 'Desk' });
    await strip.start();
    const client = new KasaClient({ host: '127.0.0.1', port: strip.port });
    try {
      strip.state.setRelay(false);
      const device = new IotDevice(client);
      const [lamp] = await device.resolveOutlets(3);
      const result = await device.children([lamp!]).setPower(true);
      assert.equal(result.on, true);
      assert.deepEqual(result.outlets.map((o) => o.index), [3]);
      assert.equal(strip.state.getRelay(2), true);
      assert.equal(strip.state.getRelay(1), false);
      strip.state.setReading({ power: 42.5, voltage: 230 }, 2);
      const { reading } = await device.children([lamp!]).realtime();
      assert.equal(reading.power, 42.5);
      assert.equal(reading.voltage, 230);
      await assert.rejects(client.send(forOutlets(system.setRelayState(true), ['02'])), isCode(ErrorCode.DEVICE_ERROR));
    } finally {
      await client.close();
      await strip.stop();
    }
  });
});

describe('KasaClient lifecycle', () => {
  it('fails queued requests with CLOSED and leaves no socket or timer behind', async () => {
    const baseline = openResources();
    const plug = new SimulatedDevice({ model: 'hs100' });
    await plug.start();
    const client = new KasaClient({ host: '127.0.0.1', port: plug.port, timeoutMs: 2000 });
    plug.injectFault({ kind: 'silence' }, { times: 1 });
    const first = client.send(system.getSysinfo());
    const second = client.send(system.getSysinfo());
    await new Promise((resolve) => plug.once('request', resolve));
    await client.close();
    await assert.rejects(first, isCode(ErrorCode.CLOSED));
    await assert.rejects(second, isCode(ErrorCode.CLOSED));
    await plug.stop();
    await resourcesBackTo(baseline);
  });

  it('reports a refused connection with a hint about newer firmware', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const client = new KasaClient({ host: '127.0.0.1', port });
    await assert.rejects(client.send(system.getSysinfo()), (err: unknown) => isCode(ErrorCode.REFUSED)(err) && /Third-Party Compatibility/.test((err as Error).message));
    await client.close();
  });

  it('refuses bad options with BAD_INPUT', () => {
    assert.throws(() => new KasaClient({ host: ' ' }), isCode(ErrorCode.BAD_INPUT));
    assert.throws(() => new KasaClient({ host: 'x', port: 70000 }), isCode(ErrorCode.BAD_INPUT));
    assert.throws(() => new KasaClient({ host: 'x', timeoutMs: 0 }), isCode(ErrorCode.BAD_INPUT));
  });
});
