import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { discoverDevices } from '../../src/discovery';
import { ErrorCode, KasaError } from '../../src/util/errors';
import { parseComponents } from '../../src/family/smart/components';
import { normaliseSmartDeviceInfo } from '../../src/family/smart/device-info';
import { SmartSimulatedDevice } from '../../src/simulator/smart/server';
import { smartError, withSmartSim } from '../support/smart-rig';

type Json = Record<string, unknown>;

const LIMIT = { timeout: 20_000 };
const PARAMS_ERROR = -1008;
const UNKNOWN_METHOD = -1002;

const CATEGORIES = {
  T100: 'subg.trigger.motion-sensor',
  T110: 'subg.trigger.contact-sensor',
  T300: 'subg.trigger.water-leak-sensor',
  T315: 'subg.trigger.temp-hmdt-sensor',
  S200B: 'subg.trigger.button',
  S210: 'subg.plugswitch.switch',
  KE100: 'subg.trv',
};

void describe('simulated hub (H100, KH100) and its children', () => {
  void it('H100 over KLAP: no relay of its own; a paged child list with one child of each kind and their readings', LIMIT, () =>
    withSmartSim({ model: 'h100' }, async ({ sim, client }) => {
      const components = parseComponents(await client.call('component_nego'));
      assert.ok(components.has('control_child') && components.has('child_device'));
      const info = await client.call('get_device_info');
      assert.deepEqual([info['type'], info['model'], 'device_on' in info, info['in_alarm']], ['SMART.TAPOHUB', 'H100', false, false]);
      await assert.rejects(client.call('set_device_info', { device_on: true }), smartError(PARAMS_ERROR));

      sim.device.received.length = 0;
      const children = (await client.paged('get_child_device_list', 'child_device_list')) as Json[];
      assert.equal(children.length, 7);
      // Three to a page: the list took three requests.
      assert.deepEqual(sim.device.received, ['get_child_device_list', 'get_child_device_list', 'get_child_device_list']);
      assert.deepEqual(Object.fromEntries(children.map((child) => [child['model'], child['category']])), CATEGORIES);
      const byModel = Object.fromEntries(children.map((child) => [child['model'] as string, child]));
      assert.equal(byModel['T100']!['detected'], false);
      assert.equal(byModel['T110']!['open'], false);
      assert.deepEqual([byModel['T300']!['water_leak_status'], byModel['T300']!['in_alarm']], ['water_dry', false]);
      const climate = byModel['T315']!;
      for (const key of ['current_temp', 'current_humidity', 'current_temp_exception', 'current_humidity_exception']) assert.equal(typeof climate[key], 'number', key);
      assert.equal(climate['temp_unit'], 'celsius');
      const valve = byModel['KE100']!;
      assert.deepEqual([valve['min_control_temp'], valve['max_control_temp'], valve['frost_protection_on'], valve['trv_states']], [5, 30, false, ['heating']]);
      assert.equal(byModel['S210']!['device_on'], false);
      for (const child of children) {
        assert.equal(child['status'], 'online');
        assert.equal(typeof child['rssi'], 'number');
        assert.equal(child['parent_device_id'], sim.device.deviceId);
        const lowKey = child['model'] === 'S210' ? 'is_low' : 'at_low_battery';
        assert.equal(child[lowKey], false, `${String(child['model'])} ${lowKey}`);
      }
      // battery_percentage where real units report it.
      assert.deepEqual(
        children.filter((child) => 'battery_percentage' in child).map((child) => child['model']),
        ['T300', 'T315', 'S210', 'KE100'],
      );

      const componentLists = (await client.paged('get_child_device_component_list', 'child_component_list')) as Array<{ device_id: string; component_list: unknown[] }>;
      assert.deepEqual(componentLists.map((entry) => entry.device_id), children.map((child) => child['device_id']));
      for (const child of children) {
        const id = child['device_id'] as string;
        const own = parseComponents(await client.controlChild(id, 'component_nego'));
        assert.equal(own.has('trigger_log'), child['model'] !== 'KE100', String(child['model']));
        assert.equal((await client.controlChild(id, 'get_device_info'))['category'], child['category']);
      }
    }),
  );

  void it('fired events update readings and trigger logs: newest first, ids increasing, start_id and page_size paging', LIMIT, () =>
    withSmartSim({ model: 'h100' }, async ({ sim, client }) => {
      const hub = sim.device.hub!;
      const motion = hub.child('t100');
      assert.deepEqual(await client.controlChild(motion.id, 'get_trigger_logs', { start_id: 0, page_size: 5 }), { logs: [], start_id: 0, sum: 0 });
      const first = hub.fire('motion', { type: 'motion' })!;
      assert.equal((await client.controlChild(motion.id, 'get_device_info'))['detected'], true);
      hub.fire('motion', { type: 'clear' });
      hub.fire('t100', { type: 'motion' });
      const third = hub.fire(motion.id, { type: 'motion' })!;
      assert.equal(third.id, first.id + 2);
      const logs = await client.controlChild(motion.id, 'get_trigger_logs', { start_id: 0, page_size: 2 });
      const entries = logs['logs'] as Json[];
      assert.deepEqual(entries.map((entry) => entry['id']), [third.id, third.id - 1]);
      assert.deepEqual([logs['start_id'], logs['sum']], [third.id, 3]);
      for (const entry of entries) {
        assert.equal(entry['event'], 'motion');
        assert.match(entry['eventId'] as string, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        assert.equal(typeof entry['timestamp'], 'number');
      }
      const older = await client.controlChild(motion.id, 'get_trigger_logs', { start_id: first.id, page_size: 5 });
      assert.deepEqual((older['logs'] as Json[]).map((entry) => entry['id']), [first.id]);
      await assert.rejects(client.controlChild(motion.id, 'get_trigger_logs', { start_id: 0, page_size: 0 }), smartError(PARAMS_ERROR));

      const contact = hub.child('contact');
      hub.fire('t110', { type: 'open' });
      assert.equal((await client.controlChild(contact.id, 'get_device_info'))['open'], true);
      hub.fire('t110', { type: 'keepOpen' });
      hub.fire('t110', { type: 'close' });
      assert.deepEqual(
        ((await client.controlChild(contact.id, 'get_trigger_logs', { start_id: 0, page_size: 10 }))['logs'] as Json[]).map((entry) => entry['event']),
        ['close', 'keepOpen', 'open'],
      );

      hub.fire('leak', { type: 'leak' });
      let leak = await client.controlChild(hub.child('t300').id, 'get_device_info');
      assert.deepEqual([leak['water_leak_status'], leak['in_alarm'], typeof leak['trigger_timestamp']], ['water_leak', true, 'number']);
      hub.fire('leak', { type: 'dry' });
      leak = await client.controlChild(hub.child('t300').id, 'get_device_info');
      assert.deepEqual([leak['water_leak_status'], leak['in_alarm']], ['water_dry', false]);

      const button = hub.child('s200b');
      hub.fire('button', { type: 'singleClick' });
      hub.fire('button', { type: 'doubleClick' });
      hub.fire('button', { type: 'rotation', degrees: -45 });
      const pressed = (await client.controlChild(button.id, 'get_trigger_logs', { start_id: 0, page_size: 5 }))['logs'] as Json[];
      assert.deepEqual(pressed.map((entry) => [entry['event'], entry['params']]), [['rotation', { rotate_deg: -45 }], ['doubleClick', undefined], ['singleClick', undefined]]);

      // The S210 toggles itself and logs the new state.
      const wallSwitch = hub.child('switch');
      hub.fire('s210', { type: 'singleClick' });
      assert.equal((await client.controlChild(wallSwitch.id, 'get_device_info'))['device_on'], true);
      assert.deepEqual(((await client.controlChild(wallSwitch.id, 'get_trigger_logs', { start_id: 0 }))['logs'] as Json[])[0]!['params'], { on_off: true });
      await client.controlChild(wallSwitch.id, 'set_device_info', { device_on: false });
      assert.equal((await client.controlChild(wallSwitch.id, 'get_device_info'))['device_on'], false);

      const climate = hub.child('t315');
      hub.fire('climate', { type: 'temperature', value: 23.4 });
      hub.fire('climate', { type: 'humidity', value: 31 });
      const reading = await client.controlChild(climate.id, 'get_device_info');
      assert.deepEqual([reading['current_temp'], reading['current_humidity'], reading['current_humidity_exception'], reading['current_temp_exception']], [23.4, 31, -9, 0]);
      assert.equal(((await client.controlChild(climate.id, 'get_trigger_logs', { start_id: 0 }))['logs'] as Json[])[0]!['event'], 'tooDry');
      await client.controlChild(climate.id, 'set_temperature_unit', { temp_unit: 'fahrenheit' });
      assert.equal((await client.controlChild(climate.id, 'get_device_info'))['current_temp'], 74.1);

      hub.fire('t315', { type: 'lowBattery' });
      hub.fire('t100', { type: 'offline' });
      hub.fire('s210', { type: 'lowBattery' });
      const children = (await client.paged('get_child_device_list', 'child_device_list')) as Json[];
      const of = (model: string) => children.find((child) => child['model'] === model)!;
      assert.deepEqual([of('T315')['at_low_battery'], of('T315')['battery_percentage']], [true, 8]);
      assert.equal(of('S210')['is_low'], true);
      assert.equal(of('T100')['status'], 'offline');
      hub.fire('t100', { type: 'online' });
      assert.equal((await client.controlChild(motion.id, 'get_device_info'))['status'], 'online');
    }),
  );

  void it('KE100: set_device_info target_temp within min/max and frost_protection_on; out of range refused; no trigger log', LIMIT, () =>
    withSmartSim({ model: 'h100' }, async ({ sim, client }) => {
      const valve = sim.device.hub!.child('trv');
      await client.controlChild(valve.id, 'set_device_info', { target_temp: 24.5, frost_protection_on: false });
      let info = await client.controlChild(valve.id, 'get_device_info');
      assert.deepEqual([info['target_temp'], info['trv_states']], [24.5, ['heating']]);
      for (const params of [{ target_temp: 30.5 }, { target_temp: 4 }, { target_temp: 21.3 }, { frost_protection_on: 'yes' }, { temp_offset: 11 }, { device_on: true }]) {
        await assert.rejects(client.controlChild(valve.id, 'set_device_info', params), smartError(PARAMS_ERROR), JSON.stringify(params));
      }
      await client.controlChild(valve.id, 'set_device_info', { frost_protection_on: true });
      info = await client.controlChild(valve.id, 'get_device_info');
      assert.deepEqual([info['target_temp'], info['frost_protection_on'], info['trv_states']], [24.5, true, []]);
      sim.device.hub!.fire('ke100', { type: 'temperature', value: 25 });
      await client.controlChild(valve.id, 'set_device_info', { frost_protection_on: false });
      assert.deepEqual((await client.controlChild(valve.id, 'get_device_info'))['trv_states'], [], 'warmer than its target: idle');
      await assert.rejects(client.controlChild(valve.id, 'get_trigger_logs', { start_id: 0 }), smartError(UNKNOWN_METHOD));
    }),
  );

  void it('several control_child entries in one multipleRequest: accepted, or refused entry by entry when set so', LIMIT, () =>
    withSmartSim({ model: 'h100' }, async ({ sim, client }) => {
      const [motion, contact] = [sim.device.hub!.child('t100'), sim.device.hub!.child('t110')];
      const requests = [motion, contact].map((child) => ({ method: 'control_child', params: { device_id: child.id, requestData: { method: 'get_device_info' } } }));
      sim.device.received.length = 0;
      const accepted = await client.callMany([...requests, { method: 'get_device_info' }]);
      assert.deepEqual(sim.device.received, ['multipleRequest']);
      assert.deepEqual(
        accepted.map((outcome) => ((outcome.result?.['responseData'] as { result?: Json } | undefined)?.result ?? outcome.result)?.['model']),
        ['T100', 'T110', 'H100'],
      );
      sim.device.controlChildInBatch = 'refuse';
      const refused = await client.callMany([...requests, { method: 'get_device_info' }]);
      assert.deepEqual(refused.map((outcome) => outcome.error?.errCode ?? 0), [UNKNOWN_METHOD, UNKNOWN_METHOD, 0]);
      // One at a time they still work.
      assert.equal((await client.controlChild(motion.id, 'get_device_info'))['model'], 'T100');
    }),
  );

  void it('fire refuses what a child cannot do, and children it does not have', () => {
    const sim = new SmartSimulatedDevice({ model: 'h100', tdpPort: null });
    const hub = sim.device.hub!;
    const refused = (f: () => unknown, pattern: RegExp) =>
      assert.throws(f, (err: unknown) => err instanceof KasaError && err.code === ErrorCode.BAD_INPUT && pattern.test(err.message));
    refused(() => hub.fire('t100', { type: 'open' }), /T100 \(motion\) cannot fire "open"/);
    refused(() => hub.fire('t999', { type: 'motion' }), /no child "t999"/);
    refused(() => hub.fire('button', { type: 'rotation', degrees: 1.5 }), /whole degrees/);
    refused(() => hub.fire('climate', { type: 'humidity', value: 101 }), /0 to 100/);
    assert.equal(hub.fire('t110', { type: 'lowBattery' }), undefined, 'battery changes leave no log entry');
  });

  void it('KH100 over AES answers as a Kasa hub; both hubs answer TP-Link discovery', LIMIT, async () => {
    await withSmartSim({ model: 'kh100', transport: 'aes' }, async ({ client }) => {
      const info = normaliseSmartDeviceInfo(await client.call('get_device_info'));
      assert.deepEqual([info.model, info.type], ['KH100', 'SMART.KASAHUB']);
      assert.equal(((await client.paged('get_child_device_list', 'child_device_list')) as unknown[]).length, 7);
    });
    const hubs = [new SmartSimulatedDevice({ model: 'h100', tdpPort: 0 }), new SmartSimulatedDevice({ model: 'kh100', tdpPort: 0, seed: 1 })];
    try {
      for (const hub of hubs) await hub.start();
      const found = await discoverDevices({ broadcast: null, hosts: hubs.map((hub) => `127.0.0.1:${hub.tdpPort!}`), timeoutMs: 3000 });
      assert.deepEqual(found.map((device) => [device.type, device.family, device.encryption]).sort(), [
        ['SMART.KASAHUB', 'smart', 'klap'],
        ['SMART.TAPOHUB', 'smart', 'klap'],
      ]);
    } finally {
      await Promise.all(hubs.map((hub) => hub.stop()));
    }
  });
});
