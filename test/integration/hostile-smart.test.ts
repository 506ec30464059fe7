// SMART devices (Tapo) that misbehave on purpose, in a real Node-RED runtime over real KLAP v2
// sessions: replies that are not JSON or not objects, error codes of the wrong type, results of
// the wrong shape, nesting without end, child lists that never end or are huge, nicknames that
// are not base64 or hide control characters, and raw commands no device could be sent. Each
// message must end once, as an output or one Catch-able error with a stable code, never INTERNAL,
// and nothing may escape into the process.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { ErrorCode } from '../../src/util/errors';
import { SmartSimulatedDevice } from '../../src/simulator/smart/server';
import { flowWith, load, unloadChecked } from '../support/node-red';
import { deeplyNested } from '../support/rogue-device';
import { RogueSmartDevice, asks } from '../support/rogue-smart';

type Msg = Record<string, unknown> & { error?: { code?: string; message?: string } };

const LIMIT = { timeout: 20_000 };
const escaped: unknown[] = [];
const onEscape = (err: unknown): void => {
  escaped.push(err);
};

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
// eslint-disable-next-line no-control-regex -- the point is that none is shown
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** The config node for a device over KLAP; the family is found out on first use. */
const klapDevice = (port: number) => ({ host: '127.0.0.1', transport: 'klap', klapPort: port, timeout: 2000 });

/** Every status text the node under test shows from now on. */
function statusTexts(node: unknown): string[] {
  const texts: string[] = [];
  (node as NodeJS.EventEmitter).on('call:status', (call: { args: [{ text?: string }] }) => texts.push(call.args[0]?.text ?? ''));
  return texts;
}

describe('hostile SMART devices in Node-RED', () => {
  let p110: RogueSmartDevice;
  let p300: RogueSmartDevice;

  before(async () => {
    process.on('unhandledRejection', onEscape);
    process.on('uncaughtException', onEscape);
    p110 = new RogueSmartDevice('p110');
    p300 = new RogueSmartDevice('p300');
    await p110.start();
    await p300.start();
  });
  after(async () => {
    process.off('unhandledRejection', onEscape);
    process.off('uncaughtException', onEscape);
    await p110.stop();
    await p300.stop();
  });
  afterEach(async () => {
    p110.answer = () => undefined;
    p300.answer = () => undefined;
    await unloadChecked();
    assert.deepEqual(escaped.splice(0), [], 'nothing escaped into the process');
  });

  /** Hostile answers to get_device_info, and the code each must end as. */
  const replies: Array<[string, string, ErrorCode]> = [
    ['not JSON', '{"error_code":0,"result":{"model":"P110"', ErrorCode.PROTOCOL],
    ['an array', '[{"error_code":0}]', ErrorCode.PROTOCOL],
    ['a string', '"error_code"', ErrorCode.PROTOCOL],
    ['null', 'null', ErrorCode.PROTOCOL],
    ['a number', '0', ErrorCode.PROTOCOL],
    ['without error_code', '{"result":{"model":"P110"}}', ErrorCode.PROTOCOL],
    ['error_code a word', '{"error_code":"zero","result":{}}', ErrorCode.PROTOCOL],
    ['error_code an object', '{"error_code":{"toString":{}},"result":{}}', ErrorCode.PROTOCOL],
    ['error_code a fraction', '{"error_code":0.5,"result":{}}', ErrorCode.PROTOCOL],
    ['error_code "-1"', '{"error_code":"-1"}', ErrorCode.DEVICE_ERROR],
    ['result an array', '{"error_code":0,"result":[1,2]}', ErrorCode.PROTOCOL],
    ['result a string', '{"error_code":0,"result":"ok"}', ErrorCode.PROTOCOL],
    ['result nested thousands deep', `{"error_code":0,"result":{"nickname":${deeplyNested(5000)}}}`, ErrorCode.PROTOCOL],
  ];

  it('replies that are not SMART replies end as coded errors, one per message, never INTERNAL', LIMIT, async () => {
    const { node, out, caught } = await load(flowWith({ type: 'plug-control', name: 'tapo' }, klapDevice(p110.port)));
    node.receive({ command: 'info' }); // an honest first answer: the device is known to be SMART
    assert.equal(((await out.next())['payload'] as Record<string, unknown>)['model'], 'P110');
    for (const [what, text, code] of replies) {
      p110.answer = (request) => (request['method'] === 'get_device_info' ? text : undefined);
      node.receive({ command: 'info' });
      const msg = (await caught.next()) as Msg;
      assert.equal(msg.error?.code, code, `${what}: ${msg.error?.message}`);
      assert.doesNotMatch(msg.error?.message ?? '', CONTROL, what);
    }
    assert.ok(await out.quietFor(100), 'no output for any of them');
    p110.answer = () => undefined;
    node.receive({ payload: true });
    assert.equal((await out.next())['payload'], true, 'an honest answer works again after all of them');
  });

  it('a first answer that is no SMART reply either is PROTOCOL, and the next message tries again', LIMIT, async () => {
    const { node, out, caught } = await load(flowWith({ type: 'plug-control', name: 'tapo' }, klapDevice(p110.port)));
    for (const text of ['[]', '{"error_code":"none"}', `{"error_code":0,"x":${deeplyNested(3000)}}`, 'plain text']) {
      p110.answer = () => text;
      node.receive({ payload: true });
      assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.PROTOCOL, text.slice(0, 30));
    }
    p110.answer = () => undefined;
    node.receive({ payload: true });
    assert.equal((await out.next())['payload'], true);
  });

  it('a command whose answer is not a SMART reply is not sent again', LIMIT, async () => {
    const { node, out, caught } = await load(flowWith({ type: 'plug-control', name: 'tapo' }, klapDevice(p110.port)));
    node.receive({ command: 'info' });
    await out.next();
    let sets = 0;
    p110.answer = (request) => {
      if (request['method'] !== 'set_device_info') return undefined;
      sets++;
      p110.device.handle(JSON.stringify(request)); // it ran, but the answer is garbage
      return '{"error_code":0,"result":"done"}';
    };
    node.receive({ payload: true });
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.PROTOCOL);
    assert.equal(sets, 1, 'set_device_info reached the device once');
    assert.equal(p110.device.relay.isOn, true);
  });

  it('a child list that never ends is PROTOCOL after a bounded number of pages', LIMIT, async () => {
    const honest = JSON.parse(p300.device.handle('{"method":"get_child_device_list"}')) as { result: { child_device_list: unknown[] } };
    const page = honest.result.child_device_list.slice(0, 1);
    let pages = 0;
    p300.answer = (request) => {
      if (request['method'] !== 'get_child_device_list') return undefined;
      pages++;
      const start = ((request['params'] as Record<string, unknown> | undefined)?.['start_index'] as number | undefined) ?? 0;
      return JSON.stringify({ error_code: 0, result: { child_device_list: page, start_index: start, sum: 1e9 } });
    };
    const { node, out, caught } = await load(flowWith({ type: 'strip-outlet', name: 'strip', outlet: '1' }, klapDevice(p300.port)));
    node.receive({ payload: true });
    const msg = (await caught.next()) as Msg;
    assert.equal(msg.error?.code, ErrorCode.PROTOCOL);
    assert.match(msg.error?.message ?? '', /announced 1000000000 entries/);
    assert.ok(pages <= 50, `${pages} pages asked`);
    // A device that ignores start_index hands out the first page again: not taken for more outlets.
    p300.answer = (request) =>
      request['method'] === 'get_child_device_list' ? JSON.stringify({ error_code: 0, result: { child_device_list: page, start_index: 0, sum: 3 } }) : undefined;
    node.receive({ payload: true });
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.PROTOCOL);
    assert.ok(await out.quietFor(50));
  });

  it('a giant child list is TOO_LARGE; a large one works and the status stays short', LIMIT, async () => {
    const child = (i: number, nickname: string) => ({
      device_id: `${'AB'.repeat(20)}${String(i).padStart(4, '0')}`,
      position: i + 1,
      slot_number: 3,
      category: 'plug.powerstrip.sub-plug',
      device_on: i % 2 === 0,
      nickname,
    });
    let count = 20_000;
    p300.answer = (request) => {
      if (request['method'] === 'get_child_device_list') {
        const list = Array.from({ length: count }, (_, i) => child(i, base64(`Outlet ${i} ${'x'.repeat(40)}`)));
        return JSON.stringify({ error_code: 0, result: { child_device_list: list, start_index: 0, sum: count } });
      }
      if (asks(request, 'set_device_info')) return '{"error_code":0,"result":{"responseData":{"error_code":0}}}';
      return undefined;
    };
    const { node, out, caught } = await load(flowWith({ type: 'strip-outlet', name: 'strip', outlet: '2' }, klapDevice(p300.port)));
    const statuses = statusTexts(node);
    node.receive({ payload: true });
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.TOO_LARGE);
    count = 2000;
    node.receive({ payload: 'on', outlet: 2000 });
    const msg = (await out.next(8000)) as Msg;
    assert.equal((msg['outlet'] as { index: number }).index, 2000);
    node.receive({ payload: 'on', outlet: 2001 });
    const refused = (await caught.next()) as Msg;
    assert.equal(refused.error?.code, ErrorCode.BAD_INPUT);
    assert.match(refused.error?.message ?? '', /and \d+ more/);
    assert.ok((refused.error?.message ?? '').length < 1000, `the error names a few outlets (${refused.error?.message?.length})`);
    for (const text of statuses) assert.ok(text.length < 80, `status "${text}"`);
  });

  it('nicknames that are not base64 or hide control and bidi characters are shown cleanly', LIMIT, async () => {
    const evil = [`Lamp\u202e\u0007\r\n${'z'.repeat(200)}`, '%%% not base64 \u0000\u001b[31m', base64(`Desk\u202e\u0007\u001b[2J${'y'.repeat(100)}`), base64('\u0000\u0000')];
    let nickname = evil[0]!;
    p110.answer = (request) => {
      if (request['method'] !== 'get_device_info') return undefined;
      const honest = JSON.parse(p110.device.handle(JSON.stringify(request))) as { result: Record<string, unknown> };
      return JSON.stringify({ error_code: 0, result: { ...honest.result, nickname, ssid: nickname } });
    };
    const { node, out } = await load(flowWith({ type: 'plug-control', name: '' }, klapDevice(p110.port)));
    const statuses = statusTexts(node);
    for (const text of evil) {
      nickname = text;
      node.receive({ payload: 'toggle' });
      const msg = (await out.next()) as Msg;
      assert.equal(typeof (msg['device'] as Record<string, unknown>)['alias'], 'string');
    }
    assert.ok(statuses.length >= evil.length, `${statuses.length} statuses`);
    for (const text of statuses) {
      assert.doesNotMatch(text, CONTROL, JSON.stringify(text));
      assert.ok(text.length < 80, `status cut (${text.length})`);
    }
  });

  it('a batch answered with nonsense, and outlet answers that are not replies, are coded errors', LIMIT, async () => {
    const sim = new SmartSimulatedDevice({ model: 'p110m' });
    await sim.start();
    try {
      const meter = await load(flowWith({ type: 'plug-energy', name: 'meter' }, klapDevice(sim.port)));
      meter.node.receive({});
      assert.equal(typeof (await meter.out.next())['payload'], 'number');
      await unloadChecked();
    } finally {
      await sim.stop();
    }
    const { node, out, caught } = await load(flowWith({ type: 'strip-outlet', name: 'strip', outlet: '1' }, klapDevice(p300.port)));
    for (const responseData of ['"yes"', '[0]', '{"result":{}}', `{"error_code":0,"result":${deeplyNested(4000)}}`, '{"error_code":"soon"}']) {
      p300.answer = (request) => (asks(request, 'set_device_info') ? `{"error_code":0,"result":{"responseData":${responseData}}}` : undefined);
      node.receive({ payload: true });
      assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.PROTOCOL, responseData.slice(0, 30));
    }
    p300.answer = (request) => (asks(request, 'set_device_info') ? '{"error_code":0,"result":"done"}' : undefined);
    node.receive({ payload: true });
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.PROTOCOL);
    assert.ok(await out.quietFor(50));
  });

  it('raw commands that are circular, too deep, not JSON or too long a batch never reach the device', LIMIT, async () => {
    const { node, out, caught } = await load(flowWith({ type: 'plug-control', name: 'tapo', allowRaw: true }, klapDevice(p110.port)));
    node.receive({ payload: { method: 'get_device_info' } });
    assert.equal(((await out.next())['payload'] as Record<string, unknown>)['error_code'], 0);
    const circular: Record<string, unknown> = { method: 'set_device_info', params: {} };
    (circular['params'] as Record<string, unknown>)['self'] = circular;
    let deep: unknown = {};
    for (let i = 0; i < 100; i++) deep = { a: deep };
    const longBatch = { method: 'multipleRequest', params: { requests: Array.from({ length: 500 }, () => ({ method: 'get_device_info' })) } };
    const cases: Array<[string, unknown, ErrorCode]> = [
      ['circular', circular, ErrorCode.BAD_INPUT],
      ['deep', { method: 'get_device_info', params: deep }, ErrorCode.BAD_INPUT],
      ['a BigInt', { method: 'set_device_info', params: { device_on: 1n } }, ErrorCode.BAD_INPUT],
      ['no method', { params: {} }, ErrorCode.BAD_INPUT],
      ['a method that is no name', { method: 'get device info' }, ErrorCode.BAD_INPUT],
      // The guard reads method names before the envelope checks them: a name that speaks of rebooting is refused as one.
      ['a method no name that says reboot', { method: 'get device info; reboot' }, ErrorCode.NOT_ALLOWED],
      ['params an array', { method: 'get_device_info', params: [1] }, ErrorCode.BAD_INPUT],
      ['a batch too long to check', longBatch, ErrorCode.NOT_ALLOWED],
      ['a batch nested in a batch in a control_child', { method: 'multipleRequest', params: { requests: [{ method: 'control_child', params: { requestData: { method: 'multipleRequest', params: { requests: [{ method: 'device_reset' }] } } } }] } }, ErrorCode.NOT_ALLOWED],
    ];
    // A batch of batches sharing one inner batch: small in memory, 100^5 requests to walk. Found in
    // this suite: the guard walked every path and held the event loop for minutes.
    let shared: Record<string, unknown> = { method: 'get_device_info' };
    for (let i = 0; i < 5; i++) shared = { method: 'multipleRequest', params: { requests: Array(100).fill(shared) } };
    cases.push(['a batch of shared batches, 100^5 requests', shared, ErrorCode.NOT_ALLOWED]);
    const before = p110.requests;
    for (const [what, payload, code] of cases) {
      node.receive({ payload });
      const msg = (await caught.next()) as Msg;
      assert.equal(msg.error?.code, code, `${what}: ${msg.error?.message}`);
    }
    assert.equal(p110.requests, before, 'none of them was sent');
    assert.ok(await out.quietFor(50));
  });

  it('with destructive commands allowed, a batch of shared batches is BAD_INPUT before it is written out', LIMIT, async () => {
    // Found in this suite: JSON.stringify wrote all 100^5 requests and held the event loop for minutes.
    const { node, out, caught } = await load(flowWith({ type: 'plug-control', name: 'tapo', allowRaw: true, allowDestructive: true }, klapDevice(p110.port)));
    node.receive({ payload: { method: 'get_device_info' } });
    await out.next();
    let shared: Record<string, unknown> = { method: 'get_device_info' };
    for (let i = 0; i < 5; i++) shared = { method: 'multipleRequest', params: { requests: Array(100).fill(shared) } };
    const before = p110.requests;
    node.receive({ payload: shared });
    const msg = (await caught.next()) as Msg;
    assert.equal(msg.error?.code, ErrorCode.BAD_INPUT);
    assert.match(msg.error?.message ?? '', /holds more than 100,000 values/);
    assert.equal(p110.requests, before, 'nothing was sent');
  });
});
