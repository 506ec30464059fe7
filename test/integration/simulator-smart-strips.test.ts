import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseComponents } from '../../src/family/smart/components';
import { smartError, withSmartSim } from '../support/smart-rig';

const LIMIT = { timeout: 20_000 };
const UNKNOWN_METHOD = -1002;

void describe('simulated P304M outlets meter as the real ones answer', () => {
  void it("each outlet's get_energy_usage has today's and this month's energy but no current_power; get_current_power has whole W", LIMIT, () =>
    withSmartSim({ model: 'p304m' }, async ({ sim, client }) => {
      const outlets = (await client.paged('get_child_device_list', 'child_device_list')) as Array<{ device_id: string }>;
      assert.equal(outlets.length, 4);
      sim.device.children.outlets[1]!.relay.setOn(true);
      const id = outlets[1]!.device_id;
      assert.equal(parseComponents(await client.controlChild(id, 'component_nego')).get('energy_monitoring'), 2);
      const usage = await client.controlChild(id, 'get_energy_usage');
      assert.equal('current_power' in usage, false, JSON.stringify(usage));
      for (const key of ['today_energy', 'month_energy', 'today_runtime', 'month_runtime']) assert.equal(typeof usage[key], 'number', key);
      // Outlet 2 draws 2 x 15 W in the simulator.
      assert.deepEqual(await client.controlChild(id, 'get_current_power'), { current_power: 30 });
      assert.deepEqual(await client.controlChild(outlets[0]!.device_id, 'get_current_power'), { current_power: 0 });
      await assert.rejects(client.controlChild(id, 'get_emeter_data'), smartError(UNKNOWN_METHOD));
      // The strip itself has no meter.
      await assert.rejects(client.call('get_energy_usage'), smartError(UNKNOWN_METHOD));
    }),
  );

  void it('outletPowerInUsage keeps the earlier shape: current_power in mW in get_energy_usage, and get_emeter_data', LIMIT, () =>
    withSmartSim({ model: 'p304m', outletPowerInUsage: true }, async ({ sim, client }) => {
      const outlet = sim.device.children.outlets[2]!;
      outlet.relay.setOn(true);
      assert.equal((await client.controlChild(outlet.id, 'get_energy_usage'))['current_power'], 45_000);
      assert.equal((await client.controlChild(outlet.id, 'get_emeter_data'))['power_mw'], 45_000);
      assert.deepEqual(await client.controlChild(outlet.id, 'get_current_power'), { current_power: 45 });
    }),
  );
});
