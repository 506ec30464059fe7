import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SimulatedDevice } from '../../src/simulator';
import { connectDevice } from '../../src/family/connect';
import { SmartSimulatedDevice } from '../../src/simulator/smart/server';
import { formatExchangeTrace, redactSecrets } from '../../src/util/trace';
import { flowWith, helper, load, unloadChecked } from '../support/node-red';

describe('trace lines of exchanges', () => {
  it('keep request and reply JSON but no credential-like value', () => {
    const sent = JSON.stringify({ cnCloud: { bind: { username: 'me@example.com', password: 'hunter2' } }, netif: { set_stainfo: { ssid: 'home', password: 'wifi-pw', key_type: 3 } } });
    const line = formatExchangeTrace({ device: 'h:9999', sent, received: '{"cnCloud":{"bind":{"err_code":0}}}', ms: 12 });
    assert.match(line, /^h:9999 12 ms: sent \{"cnCloud":\{"bind":\{"username":"\*\*\*","password":"\*\*\*"\}\}/);
    assert.match(line, /"ssid":"home"/);
    assert.match(line, /"key_type":3/);
    assert.match(line, /received \{"cnCloud":\{"bind":\{"err_code":0\}\}\}$/);
    for (const secret of ['me@example.com', 'hunter2', 'wifi-pw']) assert.ok(!line.includes(secret), secret);
    assert.equal(redactSecrets('not json'), '(not JSON)');
  });

  it('say how an exchange failed, and stay a bounded single line', () => {
    const line = formatExchangeTrace({ device: 'h:1', sent: '{}', received: `{"a":"${'x'.repeat(10_000)}\n"}`, ms: 1 });
    assert.ok(line.length < 4100);
    assert.ok(!line.includes('\n'));
    assert.match(formatExchangeTrace({ device: 'h:1', sent: '{}', error: { code: 'TIMEOUT', message: 'no answer' }, ms: 5 }), /failed TIMEOUT: no answer$/);
  });
});

describe('the config node at trace level', () => {
  let plug: SimulatedDevice;
  before(async () => {
    plug = new SimulatedDevice({ model: 'hs110', alias: 'Traced' });
    await plug.start();
  });
  after(async () => {
    helper.settings({});
    await plug.stop();
  });

  const traces = (): string[] =>
    (helper as unknown as { log(): { args: Array<[{ level: number; type?: string; msg: unknown }]> } })
      .log()
      .args.map(([entry]) => entry)
      .filter((entry) => entry?.level === 60 && entry.type === 'tplink-device')
      .map((entry) => String(entry.msg));

  it('logs every exchange, raw commands without their credentials', async () => {
    helper.settings({ logging: { console: { level: 'trace' } } });
    const { node, out } = await load(flowWith({ type: 'plug-control', name: 'p', allowRaw: true, allowDestructive: true }, { host: '127.0.0.1', port: plug.port }));
    node.receive({ payload: true });
    await out.next();
    node.receive({ payload: { cnCloud: { bind: { username: 'owner@example.com', password: 's3cret-pw' } } } });
    await out.next();
    const lines = traces();
    assert.ok(lines.some((l) => l.includes('"set_relay_state":{"state":1}') && l.includes('"relay_state":1')), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('"bind":{"username":"***","password":"***"}')), lines.join('\n'));
    assert.ok(!lines.some((l) => l.includes('s3cret-pw') || l.includes('owner@example.com')));
    await unloadChecked();
  });

  it('logs nothing and builds no trace line when trace is off', async () => {
    helper.settings({ logging: { console: { level: 'info' } } });
    const { node, out } = await load(flowWith({ type: 'plug-control', name: 'p' }, { host: '127.0.0.1', port: plug.port }));
    node.receive({ payload: false });
    await out.next();
    assert.deepEqual(traces(), []);
    await unloadChecked();
  });
});

describe('traces of a device over KLAP whose family is found out', () => {
  it('show the probe and every SMART exchange, and never the account', async () => {
    const owner = { username: 'owner@example.com', password: 'tapo owner pw' };
    const sim = new SmartSimulatedDevice({ host: '127.0.0.1', model: 'p110', ...owner });
    await sim.start();
    const lines: string[] = [];
    const device = await connectDevice({ transport: 'klap', host: '127.0.0.1', port: 9999, klapPort: sim.port, timeoutMs: 3000, ...owner, onExchange: (t) => lines.push(formatExchangeTrace(t)) });
    try {
      await device.setPower(true);
      assert.match(lines[0] ?? '', /sent \{"system":\{"get_sysinfo":\{\}\}\} received \{"error_code":-1003\}/, 'the probe, once');
      assert.ok(lines.some((line) => /"method":"component_nego"/.test(line)), lines.join('\n'));
      assert.ok(lines.some((line) => /"method":"set_device_info","params":\{"device_on":true\}/.test(line)), lines.join('\n'));
      assert.equal(lines.filter((line) => line.includes('get_sysinfo')).length, 1);
      for (const line of lines) for (const secret of Object.values(owner)) assert.ok(!line.includes(secret), line);
    } finally {
      await device.close();
      await sim.stop();
    }
  });
});
