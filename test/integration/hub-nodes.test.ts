// The config node's hub in a Node-RED runtime: nodes watching one device share one poll, and a
// node's own command reaches the other nodes of that device at once.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Node } from 'node-red';
import { SimulatedDevice } from '../../src/simulator';
import { Inbox, flowWith, helper, load, unloadChecked } from '../support/node-red';
import { within } from '../support/wait';

describe('one hub per device node', () => {
  let strip: SimulatedDevice;
  let sysinfoRequests: number[] = [];
  const onRequest = (request: Record<string, unknown>) => {
    if ((request['system'] as Record<string, unknown> | undefined)?.['get_sysinfo'] !== undefined) sysinfoRequests.push(Date.now());
  };

  before(async () => {
    strip = new SimulatedDevice({ model: 'hs300', alias: 'Bench strip' });
    await strip.start();
    strip.on('request', onRequest);
  });
  after(() => strip.stop());
  afterEach(async () => {
    strip.state.setRelay(false);
    await unloadChecked();
  });

  /** The flow of flowWith plus more nodes of the same device, each wired to a helper of its own. */
  function withSiblings(first: Record<string, unknown>, siblings: Array<Record<string, unknown>>): Record<string, unknown>[] {
    const flow = flowWith(first, { host: '127.0.0.1', port: strip.port });
    siblings.forEach((sibling, i) => {
      flow.push({ id: `s${i}`, z: 'f1', x: 100, y: 400 + 40 * i, device: 'dev', wires: [[`s${i}-out`]], ...sibling });
      flow.push({ id: `s${i}-out`, z: 'f1', x: 300, y: 400 + 40 * i, type: 'helper', wires: [] });
    });
    return flow;
  }
  const outletWatcher = (outlet: number, pollInterval: number) => ({ type: 'strip-outlet', name: `outlet ${outlet}`, outlet: String(outlet), pollInterval });

  it('six nodes watching one strip cost one sysinfo request per interval, not six', async () => {
    const { out } = await load(withSiblings(outletWatcher(1, 0.1), [2, 3, 4, 5, 6].map((n) => outletWatcher(n, 0.1))));
    await out.next(); // online
    sysinfoRequests = [];
    // With a poll per node, 15 requests would come within about 0.25 s; one poll for all needs 1.4 s at least.
    const started = Date.now();
    await within(
      (async () => {
        while (sysinfoRequests.length < 15) await new Promise((resolve) => setTimeout(resolve, 10));
      })(),
      10_000,
      '15 polls',
    );
    assert.ok(Date.now() - started >= 1300, `15 polls took ${Date.now() - started} ms: more than one poller runs`);
    const hub = (helper.getNode('dev') as unknown as { hub: { size: number; intervalMs: number } }).hub;
    assert.deepEqual({ size: hub.size, intervalMs: hub.intervalMs }, { size: 6, intervalMs: 100 });
  });

  it("a node's own command updates the node watching the same outlet at once, without waiting for a poll", async () => {
    // n1 only switches; s0 watches outlet 2 with a poll an hour apart, so only the command can tell it.
    const { node, out } = await load(withSiblings({ type: 'strip-outlet', name: 'switch', outlet: '2' }, [outletWatcher(2, 3600)]));
    const watcher = new Inbox(helper.getNode('s0-out') as Node);
    assert.equal((await watcher.next())['event'], 'online');
    node.receive({ payload: true });
    assert.equal((await out.next())['payload'], true);
    const news = await watcher.next(2000);
    assert.equal(news['event'], 'change');
    assert.equal(news['payload'], true);
    assert.equal((news['outlet'] as { index: number }).index, 2);
    assert.ok(await out.quietFor(100), 'the node that switched reports no change of its own');
  });

  it('a watching plug-control and two plug-energy nodes on one plug cost one request per poll, state and meter together', async () => {
    const plug = new SimulatedDevice({ model: 'hs110', udp: false, alias: 'Heater' });
    await plug.start();
    const requests: Array<Record<string, unknown>> = [];
    plug.on('request', (request: Record<string, unknown>) => requests.push(request));
    try {
      const flow = flowWith({ type: 'plug-control', name: 'watch', pollInterval: 0.2 }, { host: '127.0.0.1', port: plug.port });
      for (const [i, output] of ['power', 'reading'].entries()) {
        flow.push({ id: `e${i}`, z: 'f1', x: 100, y: 400 + 40 * i, type: 'plug-energy', device: 'dev', interval: 0.2, output, wires: [[`e${i}-out`]] });
        flow.push({ id: `e${i}-out`, z: 'f1', x: 300, y: 400 + 40 * i, type: 'helper', wires: [] });
      }
      const { out } = await load(flow);
      assert.equal((await out.next())['event'], 'online');
      const first = new Inbox(helper.getNode('e0-out') as Node);
      const second = new Inbox(helper.getNode('e1-out') as Node);
      await first.next();
      await second.next();
      requests.length = 0;
      const readings = [];
      for (let i = 0; i < 8; i++) readings.push(await first.next(3000), await second.next(3000));
      assert.equal(typeof readings[0]!['payload'], 'number', 'watts');
      assert.equal(typeof (readings[1]!['payload'] as { voltage: number }).voltage, 'number', 'the whole reading');
      // 8 polls gave both nodes a reading each: 8 requests (give or take the one in flight), not 24.
      assert.ok(requests.length <= 10, `${requests.length} requests for 8 polls`);
      for (const request of requests) {
        assert.deepEqual(Object.keys(request).sort(), ['emeter', 'system'], `one request for state and meter: ${JSON.stringify(request)}`);
      }
      const hub = (helper.getNode('dev') as unknown as { hub: { size: number } }).hub;
      assert.equal(hub.size, 3);
    } finally {
      await unloadChecked();
      await plug.stop();
    }
  });
});

