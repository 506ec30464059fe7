import assert from 'node:assert/strict';
import * as net from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseAction, parseOutletSelectors } from '../../src/device/actions';
import { UsageError } from '../../src/cli/io';
import { KasaClient } from '../../src/family/iot/client';
import { parseSmartplugArgs } from '../../src/cli/smartplug';
import { normaliseRealtime, normaliseStats } from '../../src/family/iot/energy';
import { ErrorCode, KasaError } from '../../src/util/errors';
import { FrameReader } from '../../src/transport/frame-reader';
import { MAX_JSON_DEPTH, textNestsDeeperThan, valueNestsDeeperThan } from '../../src/util/json-depth';
import { checkReply } from '../../src/family/iot/reply';
import { decodeReplyText, parseReplyText } from '../../src/util/json';
import { normaliseSysinfo } from '../../src/family/iot/sysinfo';
import { deriveTddpKey, parseTddpPacket } from '../../src/tddp';
import { decrypt, encodeTcpFrame } from '../../src/transport/xor-cipher';
import { parseSimArgs } from '../../bin/tplink-sim';
import { runTddpClient } from '../../bin/tddp-client';

/** The property of every parser here: it returns, or throws a KasaError; nothing else escapes. */
/** Runs `run`; anything it throws must be a KasaError, and never INTERNAL (a fault of the package). */
function onlyKasaErrors(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch (err) {
    if (err instanceof KasaError && err.code !== ErrorCode.INTERNAL) return true;
    throw err;
  }
}

const RUNS = { numRuns: 500 };

describe('fuzzing the frame reader', () => {
  it('reassembles any frames cut at any points', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), (texts, cuts) => {
        const stream = Buffer.concat(texts.map((t) => encodeTcpFrame(t)));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const reader = new FrameReader();
        const frames: Buffer[] = [];
        let from = 0;
        for (const to of [...points, stream.length]) {
          frames.push(...reader.push(stream.subarray(from, to)));
          from = to;
        }
        assert.deepEqual(frames.map((f) => decrypt(f).toString('utf8')), texts);
        assert.equal(reader.pendingBytes, 0);
      }),
      RUNS,
    );
  });

  it('takes arbitrary bytes without anything but TOO_LARGE escaping, and never buffers past the cap', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 30 }), (chunks) => {
        const reader = new FrameReader(4096);
        for (const chunk of chunks) {
          try {
            reader.push(Buffer.from(chunk));
          } catch (err) {
            assert.ok(err instanceof KasaError && err.code === ErrorCode.TOO_LARGE);
          }
          assert.ok(reader.pendingBytes <= 4096 + 4 + 300);
        }
      }),
      RUNS,
    );
  });

  it('refuses any announced length above the cap at once, whatever follows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1025, max: 0xffffffff }), fc.uint8Array({ maxLength: 64 }), (length, rest) => {
        const header = Buffer.alloc(4);
        header.writeUInt32BE(length);
        assert.throws(() => new FrameReader(1024).push(Buffer.concat([header, rest])), { code: ErrorCode.TOO_LARGE });
      }),
      RUNS,
    );
  });
});

describe('fuzzing reply parsing and normalisation', () => {
  it('decodes and checks any bytes and any text with KasaErrors only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => onlyKasaErrors(() => checkReply(parseReplyText(decodeReplyText(decrypt(bytes), 'd'), 'd'), 'd'))),
      RUNS,
    );
    fc.assert(fc.property(fc.json(), (text) => onlyKasaErrors(() => checkReply(parseReplyText(text, 'd'), 'd'))), RUNS);
  });

  it('normalises any JSON value as sysinfo, meter reading or statistics, with KasaErrors only', () => {
    const shaped = fc.record(
      {
        alias: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        relay_state: fc.oneof(fc.integer(), fc.string()),
        feature: fc.oneof(fc.string(), fc.constant('TIM:ENE')),
        children: fc.oneof(fc.array(fc.jsonValue()), fc.jsonValue()),
        deviceId: fc.oneof(fc.stringMatching(/^[0-9A-F]{0,42}$/), fc.integer()),
        power_mw: fc.oneof(fc.integer(), fc.string(), fc.double()),
        voltage: fc.oneof(fc.double(), fc.constant(null)),
        day_list: fc.oneof(fc.array(fc.jsonValue()), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), shaped), (value) => {
        onlyKasaErrors(() => normaliseSysinfo(value));
        onlyKasaErrors(() => {
          const r = normaliseRealtime(value);
          for (const n of Object.values(r)) assert.equal(typeof n, 'number');
        });
        onlyKasaErrors(() => normaliseStats(value).forEach((s) => assert.ok(Number.isFinite(s.energy))));
        return true;
      }),
      RUNS,
    );
  });

  it('reads any message as an action, or explains why not', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (payload, command) => onlyKasaErrors(() => parseAction({ payload, command }))),
      RUNS,
    );
    fc.assert(fc.property(fc.anything(), (value) => onlyKasaErrors(() => assert.ok(Array.isArray(parseOutletSelectors(value))))), RUNS);
  });
});

describe('fuzzing the TDDP parser', () => {
  const key = deriveTddpKey('admin', 'admin');
  it('parses any datagram or throws KasaError(PROTOCOL)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        try {
          parseTddpPacket(bytes, key);
        } catch (err) {
          assert.ok(err instanceof KasaError && err.code === ErrorCode.PROTOCOL, String(err));
        }
      }),
      RUNS,
    );
  });

  it('parses any datagram with a plausible v2 header, whatever its length field says', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ minLength: 24, maxLength: 80 }), (length, rest) => {
        const packet = Buffer.concat([Buffer.from([2, 3, 2, 0]), Buffer.alloc(4), Buffer.from(rest)]);
        packet.writeUInt32BE(length, 4);
        return onlyKasaErrors(() => parseTddpPacket(packet, key));
      }),
      RUNS,
    );
  });
});

describe('fuzzing the command lines', () => {
  const words = fc.array(
    fc.oneof(
      fc.string(),
      fc.constantFrom('-t', '-p', '-c', '-j', '-o', '-q', '--timeout', '--udp', '--transport', '-u', '-P', '--model', '--count', '--fault', '--klap', '--tddp', '-h', 'on', 'hs110', '0', '-1', '99999', '{}', '127.0.0.1'),
    ),
    { maxLength: 10 },
  );
  const usageOnly = (run: () => unknown): boolean => {
    try {
      run();
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
    }
    return true;
  };

  it('tplink-smartplug and tplink-sim parse any arguments or give a usage error', () => {
    fc.assert(fc.property(words, (argv) => usageOnly(() => parseSmartplugArgs(argv))), RUNS);
    fc.assert(fc.property(words, (argv) => usageOnly(() => parseSimArgs(argv))), RUNS);
  });

  it('tddp-client refuses bad arguments with exit status 2 and one line', async () => {
    await fc.assert(
      fc.asyncProperty(words.filter((argv) => !argv.includes('-t') || !argv.includes('-c')), async (argv) => {
        const lines: string[] = [];
        const code = await runTddpClient(argv, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
        assert.ok(code === 2 || (code === 0 && argv.some((a) => a === '-h')), `exit ${code} for ${JSON.stringify(argv)}`);
      }),
      { numRuns: 200 },
    );
  });
});

/**
 * A device on 127.0.0.1 that wraps each real reply in frames nobody asked for, glued to it or not,
 * with a partial frame behind it, all cut into random segments. What no client can tell from an
 * answer is left out, since the protocol has no request id: a frame before the reply that mirrors
 * the request, or a stale copy of an answer sent apart from the reply it follows.
 */
describe('fuzzing stray, glued and partial frames around real replies', () => {
  type Extra = 'notify' | 'stale' | 'partial';
  interface Script {
    before: number;
    after: Extra[];
    cuts: number[];
  }
  const script = fc.record({
    before: fc.integer({ min: 0, max: 2 }),
    after: fc.array(fc.constantFrom<Extra>('notify', 'stale', 'partial'), { maxLength: 2 }),
    // A cut is anywhere in the bytes, or (as often) exactly between two frames.
    cuts: fc.array(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 5 }).map((n) => -n)), { maxLength: 4 }),
  });
  const answer = (token: number) => JSON.stringify({ system: { get_sysinfo: { err_code: 0, token } } });

  it('gives every request its own answer or a coded error, never another request\'s answer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(script, { minLength: 1, maxLength: 8 }), async (scripts) => {
        const queue = [...scripts];
        const server = net.createServer((socket) => {
          socket.on('error', () => undefined);
          const reader = new FrameReader();
          socket.on('data', (segment) => {
            for (const frame of reader.push(segment)) {
              const request = JSON.parse(decrypt(frame).toString('utf8')) as { system: { get_sysinfo: { token: number } } };
              const token = request.system.get_sysinfo.token;
              const plan: Script = queue.shift() ?? { before: 0, after: [], cuts: [] };
              const frames = [
                ...Array.from({ length: plan.before }, (_, i) => encodeTcpFrame(JSON.stringify({ notify: { event: { err_code: 0, i } } }))),
                encodeTcpFrame(answer(token)),
                ...plan.after.map((extra) =>
                  extra === 'notify'
                    ? encodeTcpFrame('{"notify":{"event":{"err_code":0}}}')
                    : extra === 'stale'
                      ? encodeTcpFrame(answer(token - 1))
                      : encodeTcpFrame(answer(token)).subarray(0, 3),
                ),
              ];
              const bytes = Buffer.concat(frames);
              const boundaries = frames.map((_, i) => frames.slice(0, i + 1).reduce((sum, f) => sum + f.length, 0));
              const at = (cut: number): number => (cut < 0 ? (boundaries[-cut - 1] ?? bytes.length) : Math.floor(cut * bytes.length));
              // A stale copy of an answer comes in the same segment as the reply it follows: sent
              // later, no client could tell it from the answer to the next request.
              const replyEnd = boundaries[plan.before]!;
              const lastStale = plan.after.lastIndexOf('stale');
              const staleEnd = lastStale < 0 ? replyEnd : boundaries[plan.before + 1 + lastStale]!;
              const cuts = [...new Set(plan.cuts.map(at))].filter((c) => c < replyEnd || c >= staleEnd).sort((a, b) => a - b);
              const pieces = [0, ...cuts, bytes.length].flatMap((start, i, all) => (i + 1 < all.length && all[i + 1]! > start ? [bytes.subarray(start, all[i + 1])] : []));
              const writeNext = (): void => {
                const piece = pieces.shift();
                if (piece === undefined || socket.destroyed) return;
                socket.write(piece);
                setImmediate(writeNext);
              };
              writeNext();
            }
          });
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const client = new KasaClient({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, timeoutMs: 1000 });
        try {
          for (let token = 1; token <= scripts.length; token++) {
            try {
              const reply = await client.send({ system: { get_sysinfo: { token } } });
              assert.equal((reply['system'] as { get_sysinfo: { token: number } }).get_sysinfo.token, token, 'the answer to this very request');
            } catch (err) {
              assert.ok(err instanceof KasaError && err.code !== ErrorCode.INTERNAL, String(err));
            }
          }
        } finally {
          await client.close();
          server.close();
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('fuzzing nesting depth', () => {
  const nested = fc.record({ depth: fc.integer({ min: 0, max: 3000 }), opener: fc.constantFrom('[', '{"a":') }).map(({ depth, opener }) => {
    const closer = opener === '[' ? ']' : '}';
    return `{"system":{"get_sysinfo":${opener.repeat(depth)}1${closer.repeat(depth)}}}`;
  });

  it('parses a reply nested at most 32 levels and refuses a deeper one as PROTOCOL', () => {
    fc.assert(
      fc.property(nested, (text) => {
        const depth = (text.match(/[[{]/g) ?? []).length;
        try {
          parseReplyText(text, 'd');
          assert.ok(depth <= MAX_JSON_DEPTH, `accepted at depth ${depth}`);
        } catch (err) {
          assert.ok(err instanceof KasaError && err.code === ErrorCode.PROTOCOL && depth > MAX_JSON_DEPTH, String(err));
        }
      }),
      RUNS,
    );
  });

  it('measures the depth of any JSON text as the parsed value has it', () => {
    fc.assert(
      fc.property(fc.json({ depthSize: 'large' }), fc.integer({ min: 0, max: 12 }), (text, max) => {
        assert.equal(textNestsDeeperThan(text, max), valueNestsDeeperThan(JSON.parse(text), max), text);
      }),
      RUNS,
    );
  });

  it('walks an object that many branches share once, not once per path (a 40-level diamond has 2^40 paths)', () => {
    let entered = 0;
    // Counts how often the walk lists an object's keys; past a budget, the walk is taken as runaway.
    const counted = (target: Record<string, unknown>): Record<string, unknown> =>
      new Proxy(target, {
        ownKeys(t) {
          if (++entered > 10_000) throw new Error(`walked ${entered} objects: once per path, not once per object`);
          return Reflect.ownKeys(t);
        },
      });
    let shared = counted({});
    for (let i = 0; i < 40; i++) shared = counted({ a: shared, b: shared });
    assert.equal(valueNestsDeeperThan({ payload: shared }, 256, { cycles: 'ignore' }), false);
    assert.equal(valueNestsDeeperThan({ payload: shared }, 40), true);
    assert.ok(entered <= 500, `${entered} objects walked`);
  });

  it('measures any value whose objects are shared between branches as deep as its longest path', () => {
    // A random DAG: node i refers only to nodes created before it, each possibly from several places.
    const dag = fc.array(fc.array(fc.nat(), { maxLength: 4 }), { minLength: 1, maxLength: 14 });
    fc.assert(
      fc.property(dag, fc.integer({ min: 0, max: 16 }), (edges, max) => {
        const nodes: Array<Record<string, unknown>> = [];
        const height: number[] = [];
        edges.forEach((targets, i) => {
          const node: Record<string, unknown> = {};
          let h = 1;
          targets.forEach((t, k) => {
            if (i === 0) return;
            const j = t % i;
            node[`k${k}`] = nodes[j];
            h = Math.max(h, 1 + height[j]!);
          });
          nodes.push(node);
          height.push(h);
        });
        const root = nodes.at(-1)!;
        assert.equal(valueNestsDeeperThan(root, max), height.at(-1)! > max);
        assert.equal(valueNestsDeeperThan(root, max, { cycles: 'ignore' }), height.at(-1)! > max);
      }),
      RUNS,
    );
  });

  it('reads any message nested at any depth as an action or a BAD_INPUT', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), (depth) => {
        let deep: unknown = 'on';
        for (let i = 0; i < depth; i++) deep = [deep];
        onlyKasaErrors(() => parseAction({ payload: deep }));
        onlyKasaErrors(() => parseOutletSelectors(deep));
        return true;
      }),
      { numRuns: 50 },
    );
  });
});
