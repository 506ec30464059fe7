import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { once } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ErrorCode, KasaError } from '../../src/util/errors';
import { TddpResponder, TddpResponderOptions } from '../../src/simulator/tddp-responder';
import {
  TddpHeader,
  TddpType,
  acquireReplySocket,
  buildTddpPacket,
  checkTddpReply,
  deriveTddpKey,
  openReplySocketCount,
  queryTddp,
} from '../../src/tddp';
import { freeUdpPort } from '../support/ports';

const LOOPBACK = '127.0.0.1';

async function startResponder(options: TddpResponderOptions): Promise<TddpResponder> {
  const responder = new TddpResponder(options);
  await responder.start();
  return responder;
}

/**
 * Waits (bounded) until exactly `udp` UDP sockets and no timer are alive. A closed socket leaves
 * the resource list a few loop turns after its close callback, and no event marks that moment.
 */
async function expectOnlyOpen(udp: number): Promise<void> {
  const count = (): { udp: number; timers: number } => {
    const resources = process.getActiveResourcesInfo();
    return {
      udp: resources.filter((name) => name === 'UDPWrap').length,
      timers: resources.filter((name) => name === 'Timeout').length,
    };
  };
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    const now = count();
    if (now.udp === udp && now.timers === 0) return;
    await nextTurn();
  }
  assert.deepEqual(count(), { udp, timers: 0 }, 'sockets or timers were left behind');
}

async function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<KasaError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof KasaError, `expected a KasaError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    return err;
  }
  assert.fail('expected a rejection');
}

void describe('queryTddp against the TDDP responder', () => {
  let replyPort: number;
  /** A port where nobody listens, for a responder whose replies must go astray. */
  let deadPort: number;

  before(async () => {
    replyPort = await freeUdpPort();
    deadPort = await freeUdpPort();
  });

  after(() => {
    assert.equal(openReplySocketCount(), 0, 'every reply socket is closed after the tests');
  });

  void it('gets "ABCD0110" from an HS110 answering to the reply port, sending the seed request', async () => {
    const hs110 = await startResponder({ profile: 'hs110', replyTo: 'reply-port', replyPort });
    try {
      const reply = await queryTddp({ host: LOOPBACK, port: hs110.port, replyPort, subtype: 0x0a, id: 1 });
      assert.equal(reply.request.toString('hex'), '020301000000000000010a00b1522a579fd64dfd3756ec03f8747b1e');
      assert.equal(reply.raw.toString('hex'), '020302000000000800010a00f29663dfabc6b8c1dc3ade3bce86495ee4d21dea3ec1838c');
      assert.deepEqual(reply.header, { version: 2, type: 3, code: 2, status: 0, length: 8, id: 1, subtype: 0x0a, digestOk: true });
      assert.equal(reply.data.toString(), 'ABCD0110');
      assert.equal(reply.digestConvention, 'plaintext');
      assert.equal(reply.credentialsSuspect, false);
      assert.doesNotThrow(() => checkTddpReply(reply, `${LOOPBACK}:${hs110.port}`));
    } finally {
      await hs110.stop();
    }
  });

  void it('gets replies sent to the source port (the reply port configured on the device is unused)', async () => {
    const hs110 = await startResponder({ profile: 'hs110', replyTo: 'source-port', replyPort: deadPort });
    try {
      const id = await queryTddp({ host: LOOPBACK, port: hs110.port, replyPort, subtype: 0x12 });
      assert.equal(id.data.toString(), '8006E4F7A1B2C3D4E5F60718293A4B5C6D7E8F90');
      const hw = await queryTddp({ host: LOOPBACK, port: hs110.port, replyPort, subtype: 0x14 });
      assert.equal(hw.data.toString(), '60FF6B258734EA6880E186F8C96DDC61');
      assert.notEqual(id.header.id, hw.header.id, 'each request gets its own id');
    } finally {
      await hs110.stop();
    }
  });

  void it('times out when the device answers to a port nobody listens on, naming host:port', async () => {
    const hs110 = await startResponder({ profile: 'hs110', replyTo: 'reply-port', replyPort: deadPort });
    try {
      const started = Date.now();
      await rejectsWith(
        queryTddp({ host: LOOPBACK, port: hs110.port, replyPort, subtype: 0x0a, timeoutMs: 300 }),
        ErrorCode.TIMEOUT,
        new RegExp(`127\\.0\\.0\\.1:${hs110.port} did not answer the TDDP request \\(type 3, subtype 0x0a\\) within 0\\.3 s`),
      );
      assert.ok(Date.now() - started >= 290, 'the timeout is honoured');
      assert.equal(hs110.requestCount, 1, 'the request did reach the device');
    } finally {
      await hs110.stop();
    }
  });

  void it('reads router answers and resolves a host name', async () => {
    const router = await startResponder({ profile: 'router', replyPort });
    try {
      const physical = await queryTddp({ host: 'localhost', port: router.port, replyPort, subtype: 0x0e });
      assert.equal(physical.data.toString(), 'wan_ph_link 1 0');
      const logical = await queryTddp({ host: LOOPBACK, port: router.port, replyPort, subtype: 0x0f });
      assert.equal(logical.data.toString(), 'wan_logic_link 1 0');
    } finally {
      await router.stop();
    }
  });

  void it('flags a wrong password as credentialsSuspect, which checkTddpReply reports as AUTH', async () => {
    const hs110 = await startResponder({ profile: 'hs110', replyPort, password: 'secret' });
    try {
      const reply = await queryTddp({ host: LOOPBACK, port: hs110.port, replyPort, subtype: 0x0a, password: 'admin' });
      assert.equal(reply.header.status, 0);
      assert.equal(reply.header.digestOk, false);
      assert.equal(reply.credentialsSuspect, true);
      assert.throws(() => checkTddpReply(reply, `${LOOPBACK}:${hs110.port}`), {
        code: ErrorCode.AUTH,
        message: `The reply from ${LOOPBACK}:${hs110.port} could not be decrypted with these credentials: check username and password.`,
      });
      const right = await queryTddp({ host: LOOPBACK, port: hs110.port, replyPort, subtype: 0x0a, password: 'secret' });
      assert.equal(right.data.toString(), 'ABCD0110');
      assert.equal(right.credentialsSuspect, false);
    } finally {
      await hs110.stop();
    }
  });

  void it('detects the wrong-credentials fault, reports a bad digest without blaming credentials', async () => {
    const hs110 = await startResponder({ profile: 'hs110', replyPort });
    try {
      hs110.injectFault('wrong-credentials');
      const garbled = await queryTddp({ host: LOOPBACK, port: hs110.port, replyPort, subtype: 0x0a });
      assert.equal(garbled.credentialsSuspect, true);
      hs110.clearFaults();
      hs110.injectFault({ kind: 'bad-digest' });
      const badDigest = await queryTddp({ host: LOOPBACK, port: hs110.port, replyPort, subtype: 0x0a });
      assert.equal(badDigest.header.digestOk, false);
      assert.equal(badDigest.data.toString(), 'ABCD0110');
      assert.equal(badDigest.credentialsSuspect, false);
    } finally {
      await hs110.stop();
    }
  });

  void it('surfaces a non-zero status raw: injected and for an unknown subtype', async () => {
    const hs110 = await startResponder({ profile: 'hs110', replyPort });
    try {
      const unknown = await queryTddp({ host: LOOPBACK, port: hs110.port, replyPort, subtype: 0x77 });
      assert.equal(unknown.header.status, 0x02);
      assert.equal(unknown.header.subtype, 0x77);
      assert.throws(() => hs110.injectFault({ kind: 'error-status', status: 0x100 }), { code: ErrorCode.BAD_INPUT });
      hs110.injectFault({ kind: 'error-status', status: 0x09 });
      const failed = await queryTddp({ host: LOOPBACK, port: hs110.port, replyPort, subtype: 0x0a });
      assert.equal(failed.header.status, 0x09);
      assert.equal(failed.data.length, 0);
      assert.throws(() => checkTddpReply(failed, 'dev'), { code: ErrorCode.DEVICE_ERROR, message: /dev answered TDDP status 0x09/ });
    } finally {
      await hs110.stop();
    }
  });

  void it('times out on a silent device and leaves no timer or socket behind', async () => {
    const hs110 = await startResponder({ profile: 'hs110', replyPort });
    hs110.injectFault('silence');
    try {
      await rejectsWith(
        queryTddp({ host: LOOPBACK, port: hs110.port, replyPort, subtype: 0x0a, timeoutMs: 200 }),
        ErrorCode.TIMEOUT,
        new RegExp(`127\\.0\\.0\\.1:${hs110.port}.*UDP port ${replyPort}`),
      );
      await expectOnlyOpen(1); // the responder's socket
      assert.equal(hs110.requestCount, 1);
    } finally {
      await hs110.stop();
    }
  });

  void it('answers 20 parallel queries across 4 devices, each with its own reply', async () => {
    const devices = await Promise.all(
      [0, 1, 2, 3].map((n) =>
        startResponder({
          profile: 'hs110',
          replyTo: n % 2 === 0 ? 'reply-port' : 'source-port',
          replyPort,
          password: `password-${n}`,
          deviceId: `${n}`.repeat(40),
        }),
      ),
    );
    try {
      const queries = Array.from({ length: 20 }, (_, q) => {
        const n = q % 4;
        const device = devices[n]!;
        const echo = q % 2 === 0;
        return queryTddp({
          host: LOOPBACK,
          port: device.port,
          replyPort,
          password: `password-${n}`,
          ...(echo ? { type: TddpType.ENC_COMMAND, subtype: 1, data: `query ${q} for device ${n}` } : { subtype: 0x12 }),
        }).then((reply) => ({ reply, expected: echo ? `query ${q} for device ${n}` : `${n}`.repeat(40) }));
      });
      const answers = await Promise.all(queries);
      for (const { reply, expected } of answers) {
        assert.equal(reply.data.toString(), expected);
        assert.equal(reply.credentialsSuspect, false);
        assert.equal(reply.header.digestOk, true);
      }
      assert.equal(new Set(answers.map((a) => a.reply.header.id)).size, 20, 'no two pending requests shared an id');
      assert.deepEqual(
        devices.map((d) => d.requestCount),
        [5, 5, 5, 5],
      );
      await expectOnlyOpen(4); // the responders' sockets
    } finally {
      await Promise.all(devices.map((d) => d.stop()));
    }
  });

  void it('refuses two pending requests with the same id to one device', async () => {
    const hs110 = await startResponder({ profile: 'hs110', replyPort });
    hs110.injectFault('silence');
    try {
      const first = queryTddp({ host: LOOPBACK, port: hs110.port, replyPort, subtype: 0x0a, id: 500, timeoutMs: 300 });
      const firstOutcome = rejectsWith(first, ErrorCode.TIMEOUT, /did not answer/);
      await once(hs110, 'request');
      await rejectsWith(
        queryTddp({ host: LOOPBACK, port: hs110.port, replyPort, subtype: 0x0a, id: 500 }),
        ErrorCode.BAD_INPUT,
        /id 500 to 127\.0\.0\.1 is still waiting/,
      );
      await firstOutcome;
    } finally {
      await hs110.stop();
    }
  });

  void it('ignores stray datagrams and matches the reply by device address and id', async () => {
    const silent = await startResponder({ profile: 'hs110', replyPort });
    silent.injectFault('silence');
    const stranger = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => stranger.bind(0, LOOPBACK, resolve));
    try {
      const pending = queryTddp({ host: LOOPBACK, port: silent.port, replyPort, subtype: 0x12, timeoutMs: 3000 });
      const [header] = (await once(silent, 'request')) as [TddpHeader];
      const key = deriveTddpKey('admin', 'admin');
      const reply = (id: number, code: number, data: string): Buffer =>
        buildTddpPacket({ type: 3, code, id, subtype: 0x12, data, key });
      const send = (packet: Buffer): Promise<void> =>
        new Promise((resolve, reject) => stranger.send(packet, replyPort, LOOPBACK, (err) => (err ? reject(err) : resolve())));
      await send(Buffer.from('{"system":{"get_sysinfo":{}}}'));
      await send(Buffer.from('0203', 'hex'));
      await send(reply((header.id + 1) % 0x10000, 2, 'not yours'));
      await send(reply(header.id, 1, 'a request, not a reply'));
      await send(reply(header.id, 2, 'the real answer'));
      const answer = await pending;
      assert.equal(answer.data.toString(), 'the real answer');
      assert.equal(answer.header.id, header.id);
    } finally {
      await new Promise<void>((resolve) => stranger.close(() => resolve()));
      await silent.stop();
    }
  });

  void it('rejects an unreadable reply carrying the awaited id with PROTOCOL', async () => {
    const silent = await startResponder({ profile: 'hs110', replyPort });
    silent.injectFault('silence');
    const stranger = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => stranger.bind(0, LOOPBACK, resolve));
    try {
      const pending = queryTddp({ host: LOOPBACK, port: silent.port, replyPort, subtype: 0x12, timeoutMs: 3000 });
      const [header] = (await once(silent, 'request')) as [TddpHeader];
      const broken = Buffer.alloc(28 + 5);
      broken.set([2, 3, 2, 0, 0, 0, 0, 5, header.id >> 8, header.id & 0xff, 0x12, 0]);
      stranger.send(broken, replyPort, LOOPBACK);
      await rejectsWith(pending, ErrorCode.PROTOCOL, /127\.0\.0\.1:\d+: Unreadable TDDP packet: .*5 bytes, not a whole number/);
    } finally {
      await new Promise<void>((resolve) => stranger.close(() => resolve()));
      await silent.stop();
    }
  });

  void it('speaks v1: plain data, no digest', async () => {
    const hs110 = await startResponder({ profile: 'hs110', replyPort });
    try {
      const reply = await queryTddp({ host: LOOPBACK, port: hs110.port, replyPort, subtype: 0x0a, version: 1 });
      assert.equal(reply.header.version, 1);
      assert.equal(reply.header.digestOk, null);
      assert.equal(reply.data.toString(), 'ABCD0110');
      assert.equal(reply.raw.subarray(12).toString(), 'ABCD0110');
    } finally {
      await hs110.stop();
    }
  });

  void it('works over IPv6 loopback with its own reply socket family', async (t) => {
    const hs110 = new TddpResponder({ host: '::1', profile: 'hs110', replyTo: 'source-port' });
    try {
      await hs110.start();
    } catch {
      t.skip('this machine has no IPv6 loopback');
      return;
    }
    try {
      const reply = await queryTddp({ host: '::1', port: hs110.port, replyPort, subtype: 0x14 });
      assert.equal(reply.data.toString(), '60FF6B258734EA6880E186F8C96DDC61');
      assert.equal(openReplySocketCount(), 0);
    } finally {
      await hs110.stop();
    }
  });

  void it('stores set-config data and returns it to get-config', async () => {
    const router = await startResponder({ profile: 'router', replyPort });
    try {
      const set = await queryTddp({ host: LOOPBACK, port: router.port, replyPort, type: TddpType.SET_CONFIG, subtype: 0, data: 'lan_ip 10.1.2.3' });
      assert.equal(set.header.status, 0);
      const get = await queryTddp({ host: LOOPBACK, port: router.port, replyPort, type: TddpType.GET_CONFIG, subtype: 0 });
      assert.equal(get.data.toString(), 'lan_ip 10.1.2.3');
      assert.equal(get.header.type, TddpType.GET_CONFIG);
    } finally {
      await router.stop();
    }
  });

  void it('keeps a held reply socket across queries and frees the port on the last release', async () => {
    const hs110 = await startResponder({ profile: 'hs110', replyPort });
    const held = await acquireReplySocket(replyPort);
    const second = await acquireReplySocket(replyPort);
    try {
      assert.equal(held.port, replyPort);
      assert.equal(openReplySocketCount(), 1, 'two holders share one socket');
      for (let i = 0; i < 2; i++) {
        const reply = await queryTddp({ host: LOOPBACK, port: hs110.port, replyPort, subtype: 0x0a });
        assert.equal(reply.data.toString(), 'ABCD0110');
        assert.equal(openReplySocketCount(), 1, 'the query did not close the held socket');
      }
      await second.release();
      await second.release();
      assert.equal(openReplySocketCount(), 1, 'a double release counts once');
    } finally {
      await held.release();
      await hs110.stop();
    }
    assert.equal(openReplySocketCount(), 0);
    const rebind = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      rebind.once('error', reject);
      rebind.bind(replyPort, '0.0.0.0', resolve);
    });
    await new Promise<void>((resolve) => rebind.close(() => resolve()));
  });

  void it('explains a reply port held by another program', async () => {
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => squatter.bind(replyPort, '0.0.0.0', resolve));
    try {
      await rejectsWith(
        queryTddp({ host: LOOPBACK, port: 9, replyPort, subtype: 0x0a, timeoutMs: 200 }),
        ErrorCode.NETWORK,
        new RegExp(`UDP port ${replyPort} is already in use by another program`),
      );
      assert.equal(openReplySocketCount(), 0, 'a failed bind leaves nothing registered');
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  void it('refuses unusable options with BAD_INPUT before any traffic', async () => {
    await rejectsWith(queryTddp({ host: '', subtype: 1 }), ErrorCode.BAD_INPUT, /needs the device address/);
    await rejectsWith(queryTddp({ host: LOOPBACK, subtype: 0x100 }), ErrorCode.BAD_INPUT, /subtype must be a whole number from 0 to 255/);
    await rejectsWith(queryTddp({ host: LOOPBACK, subtype: 1, port: 0 }), ErrorCode.BAD_INPUT, /port must be/);
    await rejectsWith(queryTddp({ host: LOOPBACK, subtype: 1, timeoutMs: -1 }), ErrorCode.BAD_INPUT, /timeout/);
    await rejectsWith(queryTddp({ host: LOOPBACK, subtype: 1, replyPort: 70000 }), ErrorCode.BAD_INPUT, /reply port/);
    assert.equal(openReplySocketCount(), 0);
  });
});
