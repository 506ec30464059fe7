import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, KasaError } from '../../../../src/util/errors';
import { SmartClient } from '../../../../src/family/smart/client';
import type { Transport } from '../../../../src/transport/transport';

interface Sent {
  method: string;
  params?: Record<string, unknown>;
  repeatable: boolean;
  terminal_uuid: string;
}

/** A transport that answers with `device` and records what it was sent. */
class FakeTransport implements Transport {
  readonly kind = 'klap';
  readonly address = 'fake:80';
  readonly sent: Sent[] = [];
  newSessions = 0;
  constructor(private readonly device: (request: { method: string; params?: Record<string, unknown> }) => unknown) {}
  exchange(json: string, _timeoutMs: number, repeatable = false): Promise<string> {
    const request = JSON.parse(json) as Sent;
    this.sent.push({ ...request, repeatable });
    const reply = this.device(request);
    return Promise.resolve(typeof reply === 'string' ? reply : JSON.stringify(reply));
  }
  newSession(): void {
    this.newSessions++;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

type Handler = (params: Record<string, unknown> | undefined) => { error_code: number; result?: Record<string, unknown> };

/** A device that runs single methods from `table` and batches of them (or refuses batches with `refuse`). */
function device(table: Record<string, Handler>, options: { refuse?: number; stopAtError?: boolean; drop?: string[] } = {}) {
  const run = (method: string, params?: Record<string, unknown>) => (table[method] ?? (() => ({ error_code: -1002 })))(params);
  return (request: { method: string; params?: Record<string, unknown> }) => {
    if (request.method !== 'multipleRequest') return run(request.method, request.params);
    if (options.refuse !== undefined) return { error_code: options.refuse };
    const responses = [];
    for (const entry of request.params!['requests'] as Array<{ method: string; params?: Record<string, unknown> }>) {
      const answer = run(entry.method, entry.params);
      if (!(options.drop ?? []).includes(entry.method)) responses.push({ method: entry.method, ...answer });
      if (answer.error_code !== 0 && options.stopAtError === true) break;
    }
    return { error_code: 0, result: { responses } };
  };
}

const echo: Handler = (params) => ({ error_code: 0, result: { echo: params ?? null } });
const methods = (n: number) => Array.from({ length: n }, (_unused, i) => ({ method: `get_thing_${i}` }));
const table = (n: number) => Object.fromEntries(methods(n).map(({ method }) => [method, echo]));

function isCode(code: ErrorCode, pattern?: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof KasaError, String(err));
    assert.equal(err.code, code, err.message);
    if (pattern !== undefined) assert.match(err.message, pattern);
    return true;
  };
}

void describe('SmartClient.call', () => {
  void it('sends the envelope with one terminal_uuid, reads the result, marks reads repeatable', async () => {
    const transport = new FakeTransport(device({ get_device_info: echo, set_device_info: () => ({ error_code: 0 }) }));
    const client = new SmartClient({ transport });
    assert.deepEqual(await client.call('get_device_info'), { echo: null });
    assert.deepEqual(await client.call('set_device_info', { device_on: true }), {});
    assert.equal(transport.sent.length, 2);
    assert.equal(transport.sent[0]!.terminal_uuid, client.terminalUuid);
    assert.equal(transport.sent[1]!.terminal_uuid, client.terminalUuid);
    assert.equal('params' in transport.sent[0]!, false);
    assert.deepEqual([transport.sent[0]!.repeatable, transport.sent[1]!.repeatable], [true, false]);
  });

  void it('stamps request_time_milis when the request goes out, not when it was queued; a read sent again gets a new stamp', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000 });
    let release: () => void = () => undefined;
    let arrived: () => void = () => undefined;
    const slowArrived = new Promise<void>((resolve) => (arrived = resolve));
    const stamps: Array<{ method: string; time: number }> = [];
    let failNext = true;
    const transport: Transport = {
      kind: 'klap',
      address: 'fake:80',
      async exchange(json) {
        const request = JSON.parse(json) as { method: string; request_time_milis: number };
        stamps.push({ method: request.method, time: request.request_time_milis });
        if (request.method === 'get_slow') {
          const released = new Promise<void>((resolve) => (release = resolve));
          arrived();
          await released;
        }
        if (request.method === 'get_queued' && failNext) {
          failNext = false;
          t.mock.timers.tick(7);
          return '{"error_code":9999}'; // a session error: the read goes again
        }
        return '{"error_code":0,"result":{}}';
      },
      newSession: () => undefined,
      close: () => Promise.resolve(),
    };
    const client = new SmartClient({ transport });
    const slow = client.call('get_slow');
    const queued = client.call('get_queued');
    await slowArrived;
    t.mock.timers.tick(5_000);
    release();
    await Promise.all([slow, queued]);
    assert.deepEqual(stamps, [
      { method: 'get_slow', time: 1_000 },
      { method: 'get_queued', time: 6_000 },
      { method: 'get_queued', time: 6_007 },
    ]);
  });

  void it('throws the mapped error for a non-zero error_code', async () => {
    const client = new SmartClient({ transport: new FakeTransport(device({})) });
    await assert.rejects(client.call('get_nothing'), isCode(ErrorCode.NOT_SUPPORTED, /get_nothing/));
  });

  void it('after a session error starts a new session and retries a read once', async () => {
    let calls = 0;
    const transport = new FakeTransport(device({ get_device_info: () => (++calls === 1 ? { error_code: 9999 } : { error_code: 0, result: { ok: 1 } }) }));
    const client = new SmartClient({ transport });
    assert.deepEqual(await client.call('get_device_info'), { ok: 1 });
    assert.equal(transport.newSessions, 1);
    assert.equal(transport.sent.length, 2);
  });

  void it('retries a read only once when the session error persists', async () => {
    const transport = new FakeTransport(device({ get_device_info: () => ({ error_code: -40401 }) }));
    await assert.rejects(new SmartClient({ transport }).call('get_device_info'), isCode(ErrorCode.DEVICE_ERROR, /ended the session/));
    assert.equal(transport.sent.length, 2);
    assert.equal(transport.newSessions, 2);
  });

  void it('never sends a write again after a session error, but starts a new session', async () => {
    const transport = new FakeTransport(device({ set_device_info: () => ({ error_code: 9999 }) }));
    await assert.rejects(new SmartClient({ transport }).call('set_device_info', { device_on: true }), isCode(ErrorCode.DEVICE_ERROR, /9999/));
    assert.equal(transport.sent.length, 1);
    assert.equal(transport.newSessions, 1);
  });

  void it('gives PROTOCOL for a reply that is not SMART', async () => {
    const client = new SmartClient({ transport: new FakeTransport(() => '{"system":{}}') });
    await assert.rejects(client.call('get_device_info'), isCode(ErrorCode.PROTOCOL, /error_code/));
  });
});

void describe('SmartClient.callMany', () => {
  void it('batches at most 5 per multipleRequest: 12 requests make 5 + 5 + 2', async () => {
    const transport = new FakeTransport(device(table(12)));
    const outcomes = await new SmartClient({ transport }).callMany(methods(12));
    assert.deepEqual(outcomes.map((o) => o.method), methods(12).map((m) => m.method));
    assert.ok(outcomes.every((o) => o.result !== undefined && o.error === undefined));
    assert.deepEqual(
      transport.sent.map((s) => (s.params?.['requests'] as unknown[] | undefined)?.length),
      [5, 5, 2],
    );
    assert.ok(transport.sent.every((s) => s.method === 'multipleRequest' && s.repeatable));
  });

  void it('refuses a request that is no SMART call as a rejection (never a throw), and sends nothing', async () => {
    const transport = new FakeTransport(device(table(2)));
    const client = new SmartClient({ transport });
    let pending: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      pending = client.callMany([{ method: 'get_thing_0' }, { method: 'no such name!' }]);
    });
    await assert.rejects(pending!, isCode(ErrorCode.BAD_INPUT, /method name/));
    assert.equal(transport.sent.length, 0);
  });

  void it('sends one batch for up to 5, one plain request for one, and nothing for none', async () => {
    const transport = new FakeTransport(device(table(5)));
    const client = new SmartClient({ transport });
    assert.deepEqual((await client.callMany(methods(5))).map((o) => o.method), methods(5).map((m) => m.method));
    assert.deepEqual((await client.callMany(methods(1))).map((o) => o.result), [{ echo: null }]);
    assert.deepEqual(await client.callMany([]), []);
    assert.deepEqual(
      transport.sent.map((s) => (s.method === 'multipleRequest' ? (s.params?.['requests'] as unknown[]).length : s.method)),
      [5, 'get_thing_0'],
    );
  });

  void it('honours a smaller per-client batch size', async () => {
    const transport = new FakeTransport(device(table(5)));
    await new SmartClient({ transport, batchSize: 2 }).callMany(methods(5));
    // A chunk of one goes as a plain request.
    assert.deepEqual(
      transport.sent.map((s) => (s.method === 'multipleRequest' ? (s.params?.['requests'] as unknown[]).length : s.method)),
      [2, 2, 'get_thing_4'],
    );
    assert.throws(() => new SmartClient({ transport, batchSize: 6 }), isCode(ErrorCode.BAD_INPUT));
  });

  for (const code of [-1003, -1002, 777]) {
    void it(`falls back to single requests when the device refuses a batch (${code}), and remembers`, async () => {
      const transport = new FakeTransport(device(table(3), { refuse: code }));
      const client = new SmartClient({ transport });
      const outcomes = await client.callMany(methods(3));
      assert.ok(outcomes.every((o) => o.result !== undefined));
      assert.deepEqual(transport.sent.map((s) => s.method), ['multipleRequest', 'get_thing_0', 'get_thing_1', 'get_thing_2']);
      assert.equal(client.batchesRefused, true);
      transport.sent.length = 0;
      await client.callMany(methods(2));
      assert.deepEqual(transport.sent.map((s) => s.method), ['get_thing_0', 'get_thing_1']);
    });
  }

  void it('asks again, singly, for a method missing from the responses (a batch that stopped at a failure)', async () => {
    const t = { ...table(3), get_broken: () => ({ error_code: -1 }) };
    const transport = new FakeTransport(device(t, { stopAtError: true }));
    const outcomes = await new SmartClient({ transport }).callMany([{ method: 'get_thing_0' }, { method: 'get_broken' }, { method: 'get_thing_1' }, { method: 'get_thing_2' }]);
    assert.deepEqual(transport.sent.map((s) => s.method), ['multipleRequest', 'get_thing_1', 'get_thing_2']);
    assert.deepEqual(outcomes.map((o) => [o.method, o.error?.code ?? 'ok']), [
      ['get_thing_0', 'ok'],
      ['get_broken', ErrorCode.DEVICE_ERROR],
      ['get_thing_1', 'ok'],
      ['get_thing_2', 'ok'],
    ]);
  });

  void it('asks again for an entry the device left out, and pairs a method asked twice in order', async () => {
    let n = 0;
    const t = { get_a: () => ({ error_code: 0, result: { n: ++n } }), get_b: echo };
    const transport = new FakeTransport(device(t, { drop: ['get_b'] }));
    const outcomes = await new SmartClient({ transport }).callMany([{ method: 'get_a' }, { method: 'get_b' }, { method: 'get_a' }]);
    assert.deepEqual(outcomes.map((o) => o.result), [{ n: 1 }, { echo: null }, { n: 2 }]);
    assert.deepEqual(transport.sent.map((s) => s.method), ['multipleRequest', 'get_b']);
  });

  void it('marks a batch with a write not repeatable, and refuses when the credentials fail', async () => {
    const transport = new FakeTransport(device({ get_a: echo, set_b: () => ({ error_code: 0 }) }));
    await new SmartClient({ transport }).callMany([{ method: 'get_a' }, { method: 'set_b', params: {} }]);
    assert.equal(transport.sent[0]!.repeatable, false);
    const refused = new FakeTransport(() => ({ error_code: -1501 }));
    await assert.rejects(new SmartClient({ transport: refused }).callMany(methods(2)), isCode(ErrorCode.AUTH));
  });

  void it('after a session error inside a batch asks a read again alone, but not a command', async () => {
    let reads = 0;
    const t = { get_a: () => (++reads === 1 ? { error_code: 9999 } : { error_code: 0, result: { a: 1 } }), set_b: () => ({ error_code: -40401 }) };
    const transport = new FakeTransport(device(t));
    const outcomes = await new SmartClient({ transport }).callMany([{ method: 'get_a' }, { method: 'set_b', params: { x: 1 } }]);
    assert.deepEqual(transport.sent.map((s) => s.method), ['multipleRequest', 'get_a']);
    assert.deepEqual(outcomes[0]!.result, { a: 1 });
    assert.equal(outcomes[1]!.error?.errCode, -40401);
    assert.equal(transport.newSessions, 2);
  });

  void it('gives PROTOCOL when a batch answer has no list of responses', async () => {
    const transport = new FakeTransport(() => ({ error_code: 0, result: { responses: 'x' } }));
    await assert.rejects(new SmartClient({ transport }).callMany(methods(2)), isCode(ErrorCode.PROTOCOL, /list of responses/));
  });
});

void describe('SmartClient.paged', () => {
  const list = Array.from({ length: 7 }, (_unused, i) => ({ device_id: `c${i}` }));
  const pager = (pageSize: number, sum = list.length): Handler => (params) => {
    const start = (params?.['start_index'] as number | undefined) ?? 0;
    return { error_code: 0, result: { child_device_list: list.slice(start, start + pageSize), start_index: start, sum } };
  };

  void it('follows start_index until sum entries are read', async () => {
    const transport = new FakeTransport(device({ get_child_device_list: pager(3) }));
    const entries = await new SmartClient({ transport }).paged('get_child_device_list', 'child_device_list');
    assert.deepEqual(entries, list);
    assert.deepEqual(transport.sent.map((s) => s.params?.['start_index']), [undefined, 3, 6]);
  });

  void it('stops at an empty page', async () => {
    const transport = new FakeTransport(device({ get_child_device_list: pager(3, 50) }));
    const entries = await new SmartClient({ transport }).paged('get_child_device_list', 'child_device_list');
    assert.equal(entries.length, 7);
    assert.equal(transport.sent.length, 4);
  });

  void it('bounds the number of pages', async () => {
    const transport = new FakeTransport(device({ get_child_device_list: pager(1, 1000) }));
    const big = Array.from({ length: 1000 }, (_unused, i) => ({ device_id: `c${i}` }));
    list.push(...big);
    try {
      await assert.rejects(
        new SmartClient({ transport, maxPages: 10 }).paged('get_child_device_list', 'child_device_list'),
        isCode(ErrorCode.PROTOCOL, /announced 1000 entries/),
      );
      assert.equal(transport.sent.length, 10);
    } finally {
      list.length = 7;
    }
  });

  void it('gives PROTOCOL when the device ignores start_index', async () => {
    const transport = new FakeTransport(
      device({ get_child_device_list: () => ({ error_code: 0, result: { child_device_list: list.slice(0, 2), start_index: 0, sum: 7 } }) }),
    );
    await assert.rejects(
      new SmartClient({ transport }).paged('get_child_device_list', 'child_device_list'),
      isCode(ErrorCode.PROTOCOL, /from entry 0 when asked from entry 2/),
    );
  });

  void it('keeps a first page longer than the sum announced', async () => {
    const transport = new FakeTransport(device({ get_child_device_list: () => ({ error_code: 0, result: { child_device_list: list, sum: -1 } }) }));
    assert.equal((await new SmartClient({ transport }).paged('get_child_device_list', 'child_device_list')).length, 7);
    assert.equal(transport.sent.length, 1);
  });

  void it('gives PROTOCOL when the list is missing', async () => {
    const transport = new FakeTransport(device({ get_child_device_list: () => ({ error_code: 0, result: {} }) }));
    await assert.rejects(new SmartClient({ transport }).paged('get_child_device_list', 'child_device_list'), isCode(ErrorCode.PROTOCOL));
  });
});

void describe('SmartClient.controlChild', () => {
  void it('wraps the request in control_child/requestData and unwraps responseData', async () => {
    const transport = new FakeTransport(
      device({
        control_child: (params) => {
          const inner = params!['requestData'] as { method: string };
          return inner.method === 'get_device_info'
            ? { error_code: 0, result: { responseData: { error_code: 0, result: { device_on: true, id: params!['device_id'] } } } }
            : { error_code: 0, result: { responseData: { error_code: -1002 } } };
        },
      }),
    );
    const client = new SmartClient({ transport });
    assert.deepEqual(await client.controlChild('CHILD1', 'get_device_info'), { device_on: true, id: 'CHILD1' });
    assert.deepEqual(transport.sent[0]!.params, { device_id: 'CHILD1', requestData: { method: 'get_device_info' } });
    assert.equal(transport.sent[0]!.repeatable, true);
    await assert.rejects(client.controlChild('CHILD1', 'set_device_info', { device_on: false }), isCode(ErrorCode.NOT_SUPPORTED, /set_device_info on outlet CHILD1/));
    assert.equal(transport.sent[1]!.repeatable, false);
  });

  void it('gives PROTOCOL when responseData is missing', async () => {
    const transport = new FakeTransport(() => ({ error_code: 0, result: {} }));
    await assert.rejects(new SmartClient({ transport }).controlChild('C', 'get_device_info'), isCode(ErrorCode.PROTOCOL));
  });
});

void describe('SmartClient queue and trace', () => {
  void it('runs requests one at a time in order and traces each exchange', async () => {
    let running = 0;
    let most = 0;
    const order: string[] = [];
    const transport: Transport = {
      kind: 'klap',
      address: 'fake:80',
      async exchange(json) {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setImmediate(resolve));
        order.push((JSON.parse(json) as { method: string }).method);
        running--;
        return '{"error_code":0,"result":{}}';
      },
      close: () => Promise.resolve(),
    };
    const traces: string[] = [];
    const client = new SmartClient({ transport, onExchange: (t) => traces.push(t.sent) });
    await Promise.all([client.call('get_a'), client.call('get_b'), client.call('get_c')]);
    assert.equal(most, 1);
    assert.deepEqual(order, ['get_a', 'get_b', 'get_c']);
    assert.equal(traces.length, 3);
    await client.close();
    await assert.rejects(client.call('get_a'), isCode(ErrorCode.CLOSED));
  });
});
