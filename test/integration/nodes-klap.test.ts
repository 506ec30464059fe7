import assert from 'node:assert/strict';
import * as net from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { ErrorCode } from '../../src/util/errors';
import { DeviceState } from '../../src/simulator/device-state';
import { KlapServer, KlapServerOptions } from '../../src/simulator/klap-server';
import { flowWith, load, unloadChecked } from '../support/node-red';

type Msg = Record<string, unknown> & { error?: { code?: string; message?: string } };
const ACCOUNT = { username: 'owner@example.com', password: 'correct horse' };

/** A plug with newer firmware: the simulator's device state behind a KLAP server. */
async function klapPlug(model: 'hs110v2' | 'hs300', options: Omit<KlapServerOptions, 'handle'>) {
  const state = new DeviceState({ model, alias: `klap ${model}` });
  const server = new KlapServer({ ...options, handle: (json) => JSON.stringify(state.handle(JSON.parse(json))) });
  await server.start();
  return { state, server };
}

/** A port where nothing listens: port 9999 closed, as on new firmware. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('every node over KLAP', () => {
  let server: KlapServer | undefined;
  afterEach(async () => {
    await unloadChecked();
    await server?.stop();
    server = undefined;
  });

  const deviceFor = (port: number, transport = 'klap') => ({ host: '127.0.0.1', port: 9999, klapPort: port, transport });

  for (const version of [1, 2] as const) {
    it(`plug-control switches a bound v${version} plug with the account credentials`, async () => {
      const plug = await klapPlug('hs110v2', { version, bound: true, ...ACCOUNT });
      server = plug.server;
      const { node, out } = await load(flowWith({ type: 'plug-control' }, deviceFor(server.port)), { dev: ACCOUNT });
      node.receive({ payload: true });
      const msg = await out.next();
      assert.equal(msg['payload'], true);
      assert.equal((msg['device'] as { alias: string }).alias, 'klap hs110v2');
      assert.equal(plug.state.getRelay(), true);
    });
  }

  it('plug-energy and strip-outlet work unchanged over KLAP', async () => {
    const strip = await klapPlug('hs300', { version: 2, bound: true, ...ACCOUNT });
    server = strip.server;
    strip.state.setRelay(true, 1);
    strip.state.setReading({ power: 33.5 }, 1);
    const energy = await load(flowWith({ type: 'plug-energy', outlet: '2' }, deviceFor(server.port)), { dev: ACCOUNT });
    energy.node.receive({});
    assert.equal((await energy.out.next())['payload'], 33.5);
    await unloadChecked();
    const outlet = await load(flowWith({ type: 'strip-outlet', outlet: '4' }, deviceFor(server.port)), { dev: ACCOUNT });
    outlet.node.receive({ payload: 'on' });
    assert.equal((await outlet.out.next())['payload'], true);
    assert.equal(strip.state.getRelay(3), true);
  });

  it('an unbound plug answers without credentials (the Kasa defaults)', async () => {
    const plug = await klapPlug('hs110v2', { version: 2, bound: false });
    server = plug.server;
    const { node, out } = await load(flowWith({ type: 'plug-control' }, deviceFor(server.port)));
    node.receive({ command: 'info' });
    assert.equal(((await out.next())['payload'] as Record<string, unknown>)['alias'], 'klap hs110v2');
  });

  it('a plug bound with blank credentials answers', async () => {
    const plug = await klapPlug('hs110v2', { version: 1, bound: true, username: '', password: '' });
    server = plug.server;
    const { node, out } = await load(flowWith({ type: 'plug-control' }, deviceFor(server.port)));
    node.receive({ payload: false });
    assert.equal((await out.next())['payload'], false);
  });

  it('explains missing and wrong credentials without showing the password', async () => {
    const plug = await klapPlug('hs110v2', { version: 2, bound: true, ...ACCOUNT });
    server = plug.server;
    const missing = await load(flowWith({ type: 'plug-control' }, deviceFor(server.port)));
    missing.node.receive({ payload: true });
    const first = (await missing.caught.next()) as Msg;
    assert.equal(first.error?.code, ErrorCode.AUTH);
    assert.match(first.error?.message ?? '', /is bound to a TP-Link account: enter that account/);
    await unloadChecked();
    const wrong = await load(flowWith({ type: 'plug-control' }, deviceFor(server.port)), { dev: { username: ACCOUNT.username, password: 'hunter2' } });
    wrong.node.receive({ payload: true });
    const second = (await wrong.caught.next()) as Msg;
    assert.equal(second.error?.code, ErrorCode.AUTH);
    assert.match(second.error?.message ?? '', /did not accept the TP-Link account given/);
    assert.doesNotMatch(JSON.stringify(second), /hunter2/);
  });

  it('survives a session invalidated mid-way (403), expiry, and one request per connection', async () => {
    const plug = await klapPlug('hs110v2', { version: 2, bound: true, ...ACCOUNT, invalidateAfter: 2, closeAfterEachRequest: true, sessionTimeoutSeconds: 2 });
    server = plug.server;
    const { node, out, caught } = await load(flowWith({ type: 'plug-control' }, deviceFor(server.port)), { dev: ACCOUNT });
    for (let i = 0; i < 6; i++) {
      node.receive({ payload: i % 2 === 0, seq: i });
      const msg = await out.next();
      assert.equal(msg['seq'], i);
      assert.equal(msg['payload'], i % 2 === 0);
    }
    assert.equal(caught.size, 0);
    assert.ok(server.stats.forbidden >= 1, 'the device invalidated a session');
    assert.ok(server.stats.handshake1 >= 3, 'and the client shook hands again');
  });

  it('auto transport: port 9999 closed, so it finds KLAP on port 80 and stays there', async () => {
    const plug = await klapPlug('hs110v2', { version: 2, bound: true, ...ACCOUNT });
    server = plug.server;
    const xorPort = await closedPort();
    const { node, out } = await load(flowWith({ type: 'plug-control' }, { host: '127.0.0.1', port: xorPort, klapPort: server.port, transport: 'auto' }), { dev: ACCOUNT });
    node.receive({ payload: true });
    assert.equal((await out.next())['payload'], true);
    const handshakes = server.stats.handshake1; // the probe's and the session's
    node.receive({ payload: false });
    assert.equal((await out.next())['payload'], false);
    assert.equal(server.stats.handshake1, handshakes, 'the second request goes straight to the KLAP session');
    // The first command reads the sysinfo on its own first, to learn which kind of device it switches.
    assert.equal(server.stats.requests, 3);
  });

  it('auto transport: nothing on either port gives REFUSED with the Third-Party Compatibility hint', async () => {
    const { node, caught } = await load(flowWith({ type: 'plug-control' }, { host: '127.0.0.1', port: await closedPort(), klapPort: await closedPort(), transport: 'auto' }));
    node.receive({ payload: true });
    const msg = (await caught.next()) as Msg;
    assert.equal(msg.error?.code, ErrorCode.REFUSED);
    assert.match(msg.error?.message ?? '', /Third-Party Compatibility/);
  });
});
