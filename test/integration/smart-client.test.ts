import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, KasaError } from '../../src/util/errors';
import { SmartClient } from '../../src/family/smart/client';
import { smartCommands } from '../../src/family/smart/commands';
import { parseComponents } from '../../src/family/smart/components';
import { normaliseChildList, normaliseChildren, normaliseSmartDeviceInfo } from '../../src/family/smart/device-info';
import { SmartMeter } from '../../src/family/smart/meter';
import { SmartSimulatedDevice, SmartSimulatedDeviceOptions } from '../../src/simulator/smart/server';
import { KlapTransport, KlapTransportOptions } from '../../src/transport/klap';

const LIMIT = { timeout: 20_000 };
const OWNER = { username: 'owner@example.com', password: 'tapo owner pw' };

interface Rig {
  sim: SmartSimulatedDevice;
  transport: KlapTransport;
  client: SmartClient;
}

/** A simulated SMART device on 127.0.0.1 and a SmartClient over a real KlapTransport to it; both closed afterwards. */
async function withSmart(
  sim: SmartSimulatedDeviceOptions,
  body: (rig: Rig) => Promise<void>,
  transportOptions: Omit<KlapTransportOptions, 'host' | 'port'> = {},
  timeoutMs = 3000,
): Promise<void> {
  const device = new SmartSimulatedDevice({ host: '127.0.0.1', ...sim });
  const port = await device.start();
  const transport = new KlapTransport({ host: '127.0.0.1', port, family: 'smart', ...transportOptions });
  const client = new SmartClient({ transport, timeoutMs });
  try {
    await body({ sim: device, transport, client });
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

void describe('SmartClient over KLAP v2 against the simulated SMART devices', () => {
  void it('switches a P110 with set_device_info and reads the state back', LIMIT, () =>
    withSmart({ model: 'p110', nickname: 'Desk lamp' }, async ({ sim, transport, client }) => {
      const components = parseComponents(await client.call('component_nego'));
      const before = normaliseSmartDeviceInfo(await client.call('get_device_info'), { hasEnergyMeter: components.has('energy_monitoring') });
      assert.equal(transport.authenticatedAs, 'tapo-default');
      assert.equal(transport.version, 2);
      assert.deepEqual([before.alias, before.model, before.type, before.on, before.hasEnergyMeter], ['Desk lamp', 'P110', 'SMART.TAPOPLUG', false, true]);
      assert.equal(before.deviceId, sim.device.deviceId);
      assert.equal(before.ssid, 'Simulated Wi-Fi');
      assert.match(before.mac, /^02(:[0-9A-F]{2}){5}$/);

      const { method, params } = smartCommands.setDeviceOn(true);
      assert.deepEqual(await client.call(method, params), {});
      assert.equal(sim.device.relay.isOn, true);
      assert.equal(normaliseSmartDeviceInfo(await client.call('get_device_info')).on, true);

      const rename = smartCommands.setNickname('Schreibtisch ☀');
      await client.call(rename.method, rename.params);
      assert.equal(normaliseSmartDeviceInfo(await client.call('get_device_info')).alias, 'Schreibtisch ☀');
      await assert.rejects(client.call('set_device_info', { device_on: 'yes' }), isCode(ErrorCode.NOT_SUPPORTED, /-1008/));
      await assert.rejects(client.call('get_no_such_thing'), isCode(ErrorCode.NOT_SUPPORTED, /get_no_such_thing \(SMART error -1002/));
    }),
  );

  void it('batches reads in one multipleRequest, and falls back to single requests when the device refuses', LIMIT, () =>
    withSmart({ model: 'p110' }, async ({ sim, client }) => {
      const reads = [{ method: 'component_nego' }, { method: 'get_device_info' }, { method: 'get_energy_usage' }, { method: 'get_emeter_data' }];
      const first = await client.callMany(reads);
      assert.deepEqual(sim.device.received, ['multipleRequest']);
      assert.deepEqual(first.map((o) => o.error?.code ?? 'ok'), ['ok', 'ok', 'ok', ErrorCode.NOT_SUPPORTED]);

      sim.device.refuseBatches = -1003;
      sim.device.received.length = 0;
      const second = await client.callMany(reads.slice(0, 3));
      assert.deepEqual(second.map((o) => o.error?.code ?? 'ok'), ['ok', 'ok', 'ok']);
      assert.deepEqual(sim.device.received, ['multipleRequest', 'component_nego', 'get_device_info', 'get_energy_usage']);
      assert.equal(client.batchesRefused, true);
    }),
  );

  void it('re-asks singly what a batch that stopped at a failure left out', LIMIT, () =>
    withSmart({ model: 'p110' }, async ({ sim, client }) => {
      sim.device.batchStopsAtError = true;
      const outcomes = await client.callMany([{ method: 'get_emeter_data' }, { method: 'get_device_info' }, { method: 'get_current_power' }]);
      assert.deepEqual(outcomes.map((o) => o.error?.code ?? 'ok'), [ErrorCode.NOT_SUPPORTED, 'ok', 'ok']);
      assert.deepEqual(sim.device.received, ['multipleRequest', 'get_device_info', 'get_current_power']);
    }),
  );

  void it('reads a P300 strip: paged child list, outlets switched through control_child', LIMIT, () =>
    withSmart({ model: 'p300', childPageSize: 2 }, async ({ sim, client }) => {
      const outlets = normaliseChildList(await client.paged('get_child_device_list', 'child_device_list'));
      assert.deepEqual(outlets.map((o) => [o.index, o.alias, o.on]), [
        [1, 'Plug 1', false],
        [2, 'Plug 2', false],
        [3, 'Plug 3', false],
      ]);
      assert.deepEqual(outlets.map((o) => o.id), sim.device.children.outlets.map((o) => o.id));
      assert.deepEqual(sim.device.received, ['get_child_device_list', 'get_child_device_list']);

      assert.deepEqual(await client.controlChild(outlets[1]!.id, 'set_device_info', { device_on: true }), {});
      assert.deepEqual(sim.device.children.outlets.map((o) => o.relay.isOn), [false, true, false]);
      const child = await client.controlChild(outlets[1]!.id, 'get_device_info');
      assert.equal(child['device_on'], true);
      const parent = normaliseSmartDeviceInfo(await client.call('get_device_info'), {
        children: normaliseChildren(await client.paged('get_child_device_list', 'child_device_list')),
      });
      assert.equal(parent.on, true);
      assert.equal(parent.outlets?.[1]?.on, true);
      await assert.rejects(client.controlChild(outlets[0]!.id, 'get_energy_usage'), isCode(ErrorCode.NOT_SUPPORTED, /get_energy_usage on outlet/));
      await assert.rejects(client.controlChild('NOPE', 'get_device_info'), isCode(ErrorCode.NOT_SUPPORTED, /-1008/));
      await assert.rejects(new SmartMeter(client, parseComponents(await client.call('component_nego'))).read(), isCode(ErrorCode.NO_ENERGY_METER));
    }),
  );

  void it('meters energy with the method each model has: emeter data, energy usage, current power', LIMIT, async () => {
    await withSmart({ model: 'p110m' }, async ({ client }) => {
      await client.call('set_device_info', { device_on: true });
      const meter = new SmartMeter(client, parseComponents(await client.call('component_nego')));
      const reading = await meter.read();
      assert.equal(reading.power, 61.25);
      assert.equal(reading.voltage, 230.4);
      assert.ok(reading.current > 0.26 && reading.current < 0.27, String(reading.current));
      assert.ok(reading.today !== undefined && reading.today >= 0.25);
    });
    await withSmart({ model: 'p110' }, async ({ sim, client }) => {
      await client.call('set_device_info', { device_on: true });
      const meter = new SmartMeter(client, parseComponents(await client.call('component_nego')));
      assert.equal((await meter.read()).power, 42.5);
      assert.equal((await meter.read()).voltage, 0);
      // get_emeter_data was refused once and is not asked again.
      assert.equal(sim.device.received.filter((m) => m === 'multipleRequest').length, 1);
      assert.equal(sim.device.received.at(-1), 'get_energy_usage');
    });
    await withSmart({ model: 'kp125m' }, async ({ sim, client }) => {
      const meter = new SmartMeter(client, parseComponents(await client.call('component_nego')));
      assert.equal((await meter.read()).power, 0);
      assert.equal(sim.device.received.at(-1), 'get_energy_usage');
      const now = new Date();
      const days = await meter.stats({ year: now.getUTCFullYear(), month: now.getUTCMonth() + 1 });
      const lengthOfMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0)).getUTCDate();
      assert.equal(days.length, lengthOfMonth);
      assert.deepEqual(days.find((d) => d.day === now.getUTCDate()), { year: now.getUTCFullYear(), month: now.getUTCMonth() + 1, day: now.getUTCDate(), energy: 0.25 });
      const months = await meter.stats({ year: now.getUTCFullYear() });
      assert.equal(months.length, 12);
      assert.equal(months[now.getUTCMonth()]!.energy, 5.4);
    });
  });

  void it('recovers from a 403 in mid-session with a new handshake', LIMIT, () =>
    withSmart({ model: 'p110', invalidateAfter: 2 }, async ({ sim, client }) => {
      for (let i = 0; i < 3; i++) await client.call('get_device_info');
      assert.equal(sim.klap.stats.forbidden, 1);
      assert.equal(sim.klap.stats.handshake2, 2);
    }),
  );

  void it('after SMART session error 9999 opens a new session: a read is retried, a write is not', LIMIT, () =>
    withSmart({ model: 'p110' }, async ({ sim, client }) => {
      await client.call('get_device_info');
      sim.device.failSessionNext(1);
      assert.equal(normaliseSmartDeviceInfo(await client.call('get_device_info')).model, 'P110');
      assert.equal(sim.klap.stats.handshake2, 2);

      sim.device.failSessionNext(1);
      await assert.rejects(client.call('set_device_info', { device_on: true }), isCode(ErrorCode.DEVICE_ERROR, /ended the session while answering set_device_info/));
      assert.equal(sim.device.relay.isOn, false);
      // Sent once: the session error came back once, and nothing was sent again.
      assert.equal(sim.device.received.filter((m) => m === 'set_device_info').length, 1);
      // The next request opens the new session.
      await client.call('set_device_info', { device_on: true });
      assert.equal(sim.device.relay.isOn, true);
      assert.equal(sim.klap.stats.handshake2, 3);
    }),
  );

  void it('refuses a wrong TP-Link account with a clear error, and takes the right one', LIMIT, async () => {
    await withSmart(
      { model: 'p110', ...OWNER },
      async ({ client, sim }) => {
        await assert.rejects(client.call('get_device_info'), isCode(ErrorCode.AUTH, /did not accept the TP-Link account given/));
        assert.equal(sim.klap.stats.handshake2, 0);
      },
      { username: OWNER.username, password: 'wrong' },
    );
    await withSmart({ model: 'p110', ...OWNER }, async ({ client }) => {
      await assert.rejects(client.call('get_device_info'), isCode(ErrorCode.AUTH, /is bound to a TP-Link account: enter that account/));
    });
    await withSmart(
      { model: 'p110', ...OWNER },
      async ({ client, transport }) => {
        await client.call('get_device_info');
        assert.equal(transport.authenticatedAs, 'user');
      },
      OWNER,
    );
  });

  void it('waits for a slow device within the timeout and gives TIMEOUT beyond it', LIMIT, async () => {
    await withSmart({ model: 'p110', replyDelayMs: 150 }, async ({ client }) => {
      assert.equal(normaliseSmartDeviceInfo(await client.call('get_device_info')).model, 'P110');
    });
    await withSmart(
      { model: 'p110', replyDelayMs: 5000 },
      async ({ client }) => {
        await assert.rejects(client.call('get_device_info'), isCode(ErrorCode.TIMEOUT));
      },
      {},
      300,
    );
  });

  void it('runs a countdown rule when it falls due (the simulation clock is moved, no waiting)', LIMIT, async () => {
    let clock = Date.UTC(2026, 11, 1, 12);
    await withSmart({ model: 'p110', now: () => clock }, async ({ sim, client }) => {
      await assert.rejects(client.call('get_countdown_rules'), isCode(ErrorCode.NOT_SUPPORTED, /-1008/));
      const add = smartCommands.addCountdown(60, true);
      assert.deepEqual(await client.call(add.method, add.params), { id: 'C1' });
      const rules = smartCommands.getCountdownRules();
      const listed = await client.call(rules.method, rules.params);
      assert.deepEqual((listed['rule_list'] as Array<Record<string, unknown>>)[0]!['remain'], 60);
      clock += 61_000;
      assert.equal(normaliseSmartDeviceInfo(await client.call('get_device_info')).on, true);
      assert.equal(sim.device.relay.isOn, true);
    });
  });
});
