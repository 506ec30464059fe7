// Hostile replies and odd messages in a real Node-RED runtime: nothing may escape into the
// process (an unhandled rejection ends Node-RED), and every message ends in exactly one output or
// one Catch-able error with a code.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { ErrorCode } from '../../src/util/errors';
import { SimulatedDevice } from '../../src/simulator';
import { flowWith, helper, load, unloadChecked } from '../support/node-red';
import { RogueDevice, deeplyNested, sysinfoReply } from '../support/rogue-device';

type Msg = Record<string, unknown> & { error?: { code?: string; message?: string } };

/** Everything that escaped to the process while a test ran. */
const escaped: unknown[] = [];
const onEscape = (err: unknown): void => {
  escaped.push(err);
};

/** The same flow as flowWith, with the node under test wired to two outputs: Node-RED copies the message for the second. */
function twoWires(node: Record<string, unknown>, device: Record<string, unknown>): Record<string, unknown>[] {
  const flow = flowWith(node, device);
  const underTest = flow.find((n) => n['id'] === 'n1')!;
  underTest['wires'] = [['out', 'out2']];
  flow.push({ id: 'out2', z: 'f1', x: 300, y: 150, type: 'helper', wires: [] });
  return flow;
}

/** An object whose one property reads once, then throws: a message holding it cannot be copied. */
function readableOnce(): Record<string, unknown> {
  let reads = 0;
  const value = {};
  Object.defineProperty(value, 'trap', {
    enumerable: true,
    get() {
      if (++reads > 1) throw new Error('read more than once');
      return 1;
    },
  });
  return value;
}

const control = (extra: Record<string, unknown> = {}) => ({ type: 'plug-control', name: 'rogue', ...extra });

describe('hostile replies and messages in Node-RED', () => {
  let rogueReply: (request: Record<string, unknown>) => string = () => sysinfoReply({});
  let rogue: RogueDevice;
  let plug: SimulatedDevice;
  const rogueDevice = () => ({ host: '127.0.0.1', port: rogue.port });
  const plugDevice = () => ({ host: '127.0.0.1', port: plug.port });

  before(async () => {
    process.on('unhandledRejection', onEscape);
    process.on('uncaughtException', onEscape);
    rogue = new RogueDevice((request) => rogueReply(request));
    await rogue.start();
    plug = new SimulatedDevice({ model: 'hs300', alias: 'strip' });
    await plug.start();
  });
  after(async () => {
    process.off('unhandledRejection', onEscape);
    process.off('uncaughtException', onEscape);
    await rogue.stop();
    await plug.stop();
  });
  afterEach(async () => {
    rogueReply = () => sysinfoReply({});
    await unloadChecked();
    // Emptied each time, so one test's escape does not fail all the tests after it.
    assert.deepEqual(escaped.splice(0), [], 'nothing escaped into the process');
  });

  it('a reply nested thousands deep is PROTOCOL, even for a node wired to two outputs', async () => {
    rogueReply = () => `{"system":{"get_sysinfo":{"err_code":0,"alias":${deeplyNested(4000)}}}}`;
    const { node, out, caught } = await load(twoWires(control(), rogueDevice()));
    node.receive({ command: 'info' });
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.PROTOCOL);
    assert.ok(await out.quietFor(100));
  });

  it('a message nested thousands deep ends as one BAD_INPUT error, with Catch and Complete nodes copying it', async () => {
    let deep: unknown = 'end';
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const { node, out, caught } = await load(twoWires(control(), rogueDevice()));
    node.receive({ payload: deep });
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.BAD_INPUT);
    const before = rogue.requests;
    node.receive({ command: 'info', extra: deep });
    // The command itself is fine, but the message could not be passed on: refused before it runs.
    const second = (await caught.next()) as Msg;
    assert.equal(second.error?.code, ErrorCode.BAD_INPUT);
    assert.match(second.error?.message ?? '', /nested more than 256 levels deep/);
    assert.equal(rogue.requests, before, 'the device was not asked');
    assert.ok(await out.quietFor(100));
  });

  it('a message too deep for Catch to copy reaches Catch with every property that can be copied: topic, ids, _msgid', async () => {
    let deep: unknown = 'end';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const { node, caught } = await load(flowWith(control(), rogueDevice()));
    const ids = { order: 'A-17', attempt: 2 };
    const received = { payload: deep, topic: 'kitchen/kettle', ids, requestId: 4711, note: readableOnce(), _msgid: 'm-100000' };
    node.receive(received);
    const msg = (await caught.next()) as Msg;
    assert.equal(msg.error?.code, ErrorCode.BAD_INPUT);
    assert.equal(msg['topic'], 'kitchen/kettle');
    assert.equal(msg['_msgid'], 'm-100000');
    assert.deepEqual(msg['ids'], ids);
    assert.equal(msg['requestId'], 4711);
    // What cannot be copied is left out rather than taking the rest with it.
    assert.equal('payload' in msg, false, 'the payload nested 100,000 deep');
    assert.equal('note' in msg, false, 'the property that throws when read again');
  });

  // The depth bound keeps deep messages away from Node-RED's copies; these reach the copies
  // themselves, with a message that can be read once but not copied (a getter that throws from its
  // second read on), so the guards around send() and done() are what holds.
  it('a message Node-RED cannot copy for a second wire ends as one BAD_INPUT error, never INTERNAL', async () => {
    const { node, out, caught } = await load(twoWires(control(), rogueDevice()));
    node.receive({ command: 'info', extra: readableOnce() });
    const msg = (await caught.next()) as Msg;
    assert.equal(msg.error?.code, ErrorCode.BAD_INPUT);
    assert.match(msg.error?.message ?? '', /could not copy this message for the next nodes/);
    // Node-RED may have passed the original to the first wire before the copy for the second failed.
    assert.ok(out.seen.length <= 1, `${out.seen.length} outputs`);
  });

  it('a message the Complete node cannot copy ends as one BAD_INPUT error, nothing escapes', async () => {
    const { node, out, caught } = await load(flowWith(control(), rogueDevice()));
    node.receive({ command: 'info', extra: readableOnce() });
    await out.next(); // one wire: Node-RED passes the message on without a copy
    const msg = (await caught.next()) as Msg;
    assert.equal(msg.error?.code, ErrorCode.BAD_INPUT);
    assert.match(msg.error?.message ?? '', /could not copy this message for Complete nodes/);
  });

  it('a deep msg.outlet on strip-outlet is BAD_INPUT', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const { node, caught } = await load(flowWith({ type: 'strip-outlet', name: 'o', outlet: '1' }, plugDevice()));
    node.receive({ payload: true, outlet: deep });
    const msg = (await caught.next()) as Msg;
    assert.equal(msg.error?.code, ErrorCode.BAD_INPUT);
  });

  it('a raw command that cannot be serialised is BAD_INPUT, never INTERNAL', async () => {
    const { node, caught } = await load(flowWith(control({ allowRaw: true }), rogueDevice()));
    const before = rogue.requests;
    node.receive({ payload: { system: { set_dev_alias: { alias: 10n } } } });
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.BAD_INPUT);
    assert.equal(rogue.requests, before, 'nothing was sent');
  });

  it('a msg.year or msg.month that no number can be read from is BAD_INPUT, never INTERNAL', async () => {
    const { node, out, caught } = await load(flowWith({ type: 'plug-energy', name: 'meter', command: 'daystat' }, plugDevice()));
    // Number() throws for these (a Symbol, an object without a prototype) instead of giving NaN.
    for (const odd of [{ year: Symbol('2024') }, { month: Symbol('1') }, { year: Object.create(null) as unknown }]) {
      node.receive({ ...odd });
      const msg = (await caught.next()) as Msg;
      assert.equal(msg.error?.code, ErrorCode.BAD_INPUT, JSON.stringify(Object.keys(odd)));
    }
    assert.ok(await out.quietFor(100));
  });

  it('an impossible reading is PROTOCOL in plug-energy, not a payload for a gauge', async () => {
    rogueReply = (request) =>
      'emeter' in request ? JSON.stringify({ emeter: { get_realtime: { err_code: 0, power_mw: 1e308, voltage_mv: 230000, current_ma: 1, total_wh: 1 } } }) : sysinfoReply({});
    const { node, out, caught } = await load(flowWith({ type: 'plug-energy', name: 'meter' }, rogueDevice()));
    node.receive({ payload: 'read' });
    assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.PROTOCOL);
    assert.ok(await out.quietFor(100));
  });

  it('a daystat answer with one impossible entry keeps the good ones and names the dropped one in msg.dropped', async () => {
    const days = [
      { year: 2026, month: 11, day: 1, energy_wh: 1500 },
      { year: 2026, month: 11, day: 2, energy_wh: 1e308 },
      { year: 2026, month: 11, day: 3, energy_wh: 500 },
    ];
    rogueReply = (request) =>
      'emeter' in request ? JSON.stringify({ emeter: { get_daystat: { err_code: 0, day_list: days } } }) : sysinfoReply({});
    const { node, out, caught } = await load(flowWith({ type: 'plug-energy', name: 'meter', command: 'daystat' }, rogueDevice()));
    node.receive({ year: 2026, month: 11, dropped: 'stale, from upstream' });
    const msg = (await out.next()) as Msg;
    assert.deepEqual(msg['payload'], [
      { year: 2026, month: 11, day: 1, energy: 1.5 },
      { year: 2026, month: 11, day: 3, energy: 0.5 },
    ]);
    const dropped = msg['dropped'] as Array<{ index: number; reason: string }>;
    assert.deepEqual(dropped.map((d) => d.index), [1]);
    assert.match(dropped[0]!.reason, /impossible energy statistic/);
    // A clean answer carries no msg.dropped, not even one the message came in with.
    days.splice(1, 1);
    node.receive({ year: 2026, month: 11, dropped: 'stale, from upstream' });
    const clean = (await out.next()) as Msg;
    assert.equal((clean['payload'] as unknown[]).length, 2);
    assert.equal('dropped' in clean, false);
    assert.ok(await caught.quietFor(100));
  });

  it('an err_code sent as "0" is success; one sent as an object is DEVICE_ERROR', async () => {
    rogueReply = (request) => {
      const system = request['system'] as Record<string, unknown> | undefined;
      const sysinfo = JSON.parse(sysinfoReply({ relay_state: 1 }))['system']['get_sysinfo'];
      if (system !== undefined && 'set_relay_state' in system) {
        return JSON.stringify({ system: { set_relay_state: { err_code: '0' }, get_sysinfo: sysinfo } });
      }
      // The first command reads the sysinfo alone, to learn what kind of device this is.
      if (system !== undefined && 'get_sysinfo' in system) return JSON.stringify({ system: { get_sysinfo: sysinfo } });
      return JSON.stringify({ cnCloud: { get_info: { err_code: { toString: {} } } } });
    };
    const { node, out, caught } = await load(flowWith(control(), rogueDevice()));
    node.receive({ payload: true });
    assert.equal((await out.next())['payload'], true);
    node.receive({ command: 'cloudinfo' });
    const msg = (await caught.next()) as Msg;
    assert.equal(msg.error?.code, ErrorCode.DEVICE_ERROR);
    assert.match(msg.error?.message ?? '', /err_code \{"toString":\{\}\}/);
  });

  it('shows an alias with control and bidi characters cleanly in the status', async () => {
    const statuses: string[] = [];
    const { node, out } = await load(flowWith({ type: 'strip-outlet', name: 'o', outlet: '2' }, plugDevice()));
    (node as unknown as NodeJS.EventEmitter).on('call:status', (call: { args: [{ text?: string }] }) => statuses.push(call.args[0]?.text ?? ''));
    plug.state.handle({ context: { child_ids: [plug.state.childId(1)] }, system: { set_dev_alias: { alias: `Lamp\u202e\u0007${'z'.repeat(50)}` } } });
    node.receive({ payload: true });
    const msg = await out.next();
    assert.equal((msg['outlet'] as { alias: string }).alias.startsWith('Lamp\u202e'), true, 'the data is as the device sent it');
    const shown = statuses.at(-1) ?? '';
    assert.match(shown, /^Lampz+\.\.\.: on$/);
    assert.ok(shown.length < 50, `status cut (${shown.length})`);
  });

  it('a timeout beyond what a timer holds fails every message with BAD_INPUT and says so', async () => {
    const { node, caught } = await load(flowWith(control(), { ...rogueDevice(), timeout: 99_999_999_999 }));
    const before = rogue.requests;
    node.receive({ payload: true });
    const msg = (await caught.next()) as Msg;
    assert.equal(msg.error?.code, ErrorCode.BAD_INPUT);
    assert.match(msg.error?.message ?? '', /Timeout must be a whole number from 100 to 600000 ms/);
    assert.equal(rogue.requests, before);
  });

  it('a 30-day poll interval is refused at deploy instead of polling hundreds of times a second', async () => {
    const before = rogue.requests;
    const { node, out, caught } = await load(flowWith(control({ pollInterval: 30 * 86_400 }), rogueDevice()));
    node.receive({ payload: true });
    const msg = (await caught.next()) as Msg;
    assert.equal(msg.error?.code, ErrorCode.BAD_INPUT);
    assert.match(msg.error?.message ?? '', /Poll interval must be a number from 0.1 to 86400 s/);
    assert.ok(await out.quietFor(150), 'no polling output');
    assert.equal(rogue.requests, before, 'no poll reached the device');
    const logged = (helper as unknown as { log(): { args: unknown[][] } }).log().args;
    assert.ok(logged.some((args) => JSON.stringify(args).includes('Poll interval must be')), 'logged at deploy');
  });
});
