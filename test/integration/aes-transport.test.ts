import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, KasaError } from '../../src/util/errors';
import { SmartClient } from '../../src/family/smart/client';
import { parseComponents } from '../../src/family/smart/components';
import { normaliseChildList, normaliseSmartDeviceInfo } from '../../src/family/smart/device-info';
import { SmartMeter } from '../../src/family/smart/meter';
import { connectDevice } from '../../src/family/connect';
import { AesServer } from '../../src/simulator/aes-server';
import { SmartSimulatedDevice, SmartSimulatedDeviceOptions } from '../../src/simulator/smart/server';
import { AesTransport, AesTransportOptions } from '../../src/transport/aes';

const LIMIT = { timeout: 30_000 };
const OWNER = { username: 'owner@example.com', password: 'tapo owner pw' };

interface Rig {
  sim: SmartSimulatedDevice;
  aes: AesServer;
  transport: AesTransport;
  client: SmartClient;
}

/** A simulated SMART device speaking AES on 127.0.0.1 and a SmartClient over a real AesTransport to it; both closed afterwards. */
async function withAes(
  sim: Omit<SmartSimulatedDeviceOptions, 'transport'>,
  body: (rig: Rig) => Promise<void>,
  transportOptions: Omit<AesTransportOptions, 'host' | 'port'> = {},
  timeoutMs = 5000,
): Promise<void> {
  const device = new SmartSimulatedDevice({ host: '127.0.0.1', ...sim, transport: 'aes' });
  const port = await device.start();
  const transport = new AesTransport({ host: '127.0.0.1', port, ...transportOptions });
  const client = new SmartClient({ transport, timeoutMs });
  try {
    await body({ sim: device, aes: device.aes, transport, client });
  } finally {
    await client.close();
    await device.stop();
  }
}

function isCode(code: ErrorCode, pattern?: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof KasaError, String(err));
    assert.equal(err.code, code, err.message);
    if (pattern !== undefined) assert.match(err.message, pattern);
    return true;
  };
}

void describe('AesTransport and SmartClient against the simulated SMART devices over AES', () => {
  void it('switches a P110 with set_device_info and reads the state back, in one session', LIMIT, () =>
    withAes({ model: 'p110', nickname: 'Desk lamp' }, async ({ sim, aes, transport, client }) => {
      const before = normaliseSmartDeviceInfo(await client.call('get_device_info'));
      assert.deepEqual([before.alias, before.model, before.on], ['Desk lamp', 'P110', false]);
      assert.equal(transport.authenticatedAs, 'tapo-default');
      assert.equal(transport.passwordForm, 'password');
      await client.call('set_device_info', { device_on: true });
      assert.equal(sim.device.relay.isOn, true);
      assert.equal(normaliseSmartDeviceInfo(await client.call('get_device_info')).on, true);
      assert.deepEqual([aes.stats.handshakes, aes.stats.logins, aes.stats.requests], [1, 1, 3]);
      assert.equal(aes.stats.openConnections, 1, 'one keep-alive connection');
      await assert.rejects(client.call('get_no_such_thing'), isCode(ErrorCode.NOT_SUPPORTED, /get_no_such_thing \(SMART error -1002/));
    }),
  );

  void it('logs in with password2 on a login version 2 device, after password was refused', LIMIT, () =>
    withAes({ model: 'p110', loginVersion: 2, ...OWNER }, async ({ aes, transport, client }) => {
      await client.call('get_device_info');
      assert.equal(transport.authenticatedAs, 'user');
      assert.equal(transport.passwordForm, 'password2');
      assert.deepEqual([aes.stats.handshakes, aes.stats.loginsRefused, aes.stats.logins], [2, 1, 1], 'password first, then a new handshake for password2');
      // The form that worked is used first from then on.
      aes.dropSessions();
      await client.call('get_device_info');
      assert.equal(aes.stats.loginsRefused, 1);
    }, OWNER),
  );

  void it('switches P300 outlets through control_child and reads them back', LIMIT, () =>
    withAes({ model: 'p300' }, async ({ sim, client }) => {
      const outlets = normaliseChildList(await client.paged('get_child_device_list', 'child_device_list'));
      assert.equal(outlets.length, 3);
      await client.controlChild(outlets[2]!.id, 'set_device_info', { device_on: true });
      assert.deepEqual(sim.device.children.outlets.map((o) => o.relay.isOn), [false, false, true]);
      assert.equal((await client.controlChild(outlets[2]!.id, 'get_device_info'))['device_on'], true);
    }),
  );

  void it('meters energy on a P110M', LIMIT, () =>
    withAes({ model: 'p110m' }, async ({ client }) => {
      await client.call('set_device_info', { device_on: true });
      const reading = await new SmartMeter(client, parseComponents(await client.call('component_nego'))).read();
      assert.equal(reading.power, 61.25);
      assert.equal(reading.voltage, 230.4);
    }),
  );

  void it('refuses a wrong account in plain words, never quoting the password, and takes the right one', LIMIT, async () => {
    const wrong = 'not-the-pw-31337';
    await withAes({ model: 'p110', ...OWNER }, async ({ aes, client }) => {
      await assert.rejects(client.call('get_device_info'), (err) => {
        isCode(ErrorCode.AUTH, /did not accept the TP-Link account given: it is bound to another account/)(err);
        assert.ok(!(err as Error).message.includes(wrong));
        return true;
      });
      // Each account in both forms, each on a handshake of its own (after -1501 it starts again).
      assert.deepEqual([aes.stats.handshakes, aes.stats.loginsRefused, aes.stats.logins, aes.stats.requests], [8, 8, 0, 0]);
    }, { username: OWNER.username, password: wrong });
    await withAes({ model: 'p110', ...OWNER }, async ({ client }) => {
      await assert.rejects(client.call('get_device_info'), isCode(ErrorCode.AUTH, /is bound to a TP-Link account: enter that account/));
    });
    await withAes({ model: 'p110', ...OWNER }, async ({ aes, transport, client }) => {
      await client.call('get_device_info');
      assert.equal(transport.authenticatedAs, 'user');
      assert.equal(aes.stats.loginsRefused, 0);
    }, OWNER);
  });

  void it('opens a new session (handshake and login) when the device forgot the session: a read and a write both go through', LIMIT, () =>
    withAes({ model: 'p110', invalidateAfter: 2 }, async ({ sim, aes, transport, client }) => {
      await client.call('get_device_info');
      await client.call('get_device_info');
      // The third request meets error 9999 outside: the envelope was refused, the request did not run.
      await client.call('set_device_info', { device_on: true });
      assert.equal(sim.device.relay.isOn, true);
      assert.equal(aes.stats.sessionErrors, 1);
      assert.deepEqual([aes.stats.handshakes, aes.stats.logins, transport.sessions], [2, 2, 2]);
      assert.equal(sim.device.received.filter((m) => m === 'set_device_info').length, 1);
    }),
  );

  void it('renews the session after SMART session error 9999 inside: a read is retried, a write is not', LIMIT, () =>
    withAes({ model: 'p110' }, async ({ sim, aes, client }) => {
      await client.call('get_device_info');
      sim.device.failSessionNext(1);
      assert.equal(normaliseSmartDeviceInfo(await client.call('get_device_info')).model, 'P110');
      assert.equal(aes.stats.logins, 2);
      sim.device.failSessionNext(1);
      await assert.rejects(client.call('set_device_info', { device_on: true }), isCode(ErrorCode.DEVICE_ERROR, /ended the session/));
      assert.equal(sim.device.relay.isOn, false);
    }),
  );

  void it('honours the TIMEOUT cookie: a session past it is not used', LIMIT, () =>
    withAes({ model: 'p110', sessionTimeoutSeconds: 1 }, async ({ aes, transport, client }) => {
      await client.call('get_device_info');
      // With a 1 s TIMEOUT the session is renewed after half of it: wait for the server's own expiry instead of guessing.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await client.call('get_device_info');
      assert.equal(transport.sessions, 2);
      assert.equal(aes.stats.expired, 0, 'renewed before the device expired it');
    }),
  );

  void it('never sends a write twice when the connection breaks after sending; a read is asked again', LIMIT, () =>
    withAes({ model: 'p110' }, async ({ sim, aes, client }) => {
      await client.call('get_device_info');
      aes.dropNextReplies(1);
      await assert.rejects(client.call('set_device_info', { device_on: true }), isCode(ErrorCode.RESET, /may or may not have run; it was not sent again/));
      assert.equal(sim.device.relay.isOn, true, 'the device ran it');
      assert.equal(sim.device.received.filter((m) => m === 'set_device_info').length, 1);
      aes.dropNextReplies(1);
      assert.equal(normaliseSmartDeviceInfo(await client.call('get_device_info')).on, true);
      assert.equal(sim.device.received.filter((m) => m === 'get_device_info').length, 3);
    }),
  );

  void it('takes a session cookie named SESSIONID', LIMIT, async () => {
    const sim = new SmartSimulatedDevice({ model: 'p110', transport: 'aes' });
    const server = new AesServer({ handle: sim.device.handle, bound: false, sessionCookieName: 'SESSIONID' });
    const port = await server.start();
    const client = new SmartClient({ transport: new AesTransport({ host: '127.0.0.1', port }), timeoutMs: 5000 });
    try {
      assert.equal(normaliseSmartDeviceInfo(await client.call('get_device_info')).model, 'P110');
      assert.equal(server.stats.requests, 1);
    } finally {
      await client.close();
      await server.stop();
    }
  });

  void it('says so when the device speaks KLAP, not AES', LIMIT, async () => {
    const klap = new SmartSimulatedDevice({ model: 'p110' });
    const port = await klap.start();
    const client = new SmartClient({ transport: new AesTransport({ host: '127.0.0.1', port }), timeoutMs: 5000 });
    try {
      await assert.rejects(client.call('get_device_info'), isCode(ErrorCode.PROTOCOL, /does not take the AES handshake: it speaks KLAP/));
    } finally {
      await client.close();
      await klap.stop();
    }
  });

  void it("connectDevice with transport 'aes' gives a SMART device at once", LIMIT, async () => {
    const sim = new SmartSimulatedDevice({ model: 'p110', transport: 'aes', nickname: 'Kettle' });
    const port = await sim.start();
    const device = await connectDevice({ transport: 'aes', host: '127.0.0.1', port: 9999, klapPort: port, timeoutMs: 5000 });
    try {
      assert.equal(device.family, 'smart');
      const read = await device.getSysinfo();
      assert.equal(read.info.alias, 'Kettle');
      // Every request that reached the device was SMART: no Kasa sysinfo probe went first.
      assert.equal(sim.aes.stats.requests, sim.device.received.length);
      assert.ok(sim.device.received.length > 0);
    } finally {
      await device.close();
      await sim.stop();
    }
  });
});
