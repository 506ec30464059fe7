import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SIM_USAGE, parseSimArgs } from '../../bin/tplink-sim';
import { normaliseSmartDeviceInfo } from '../../src/family/smart/device-info';
import { SMART_MODEL_NAMES, smartModelSpec } from '../../src/simulator/smart/models';
import { withSmartSim } from '../support/smart-rig';

const LIMIT = { timeout: 60_000 };

void describe('every simulated SMART model', () => {
  void it('is named in tplink-sim --help and accepted by --model', () => {
    for (const name of SMART_MODEL_NAMES) {
      assert.match(SIM_USAGE, new RegExp(`\\b${name}\\b`), name);
      assert.deepEqual(parseSimArgs(['--model', name])?.models, [name]);
    }
  });

  void it('answers component_nego and get_device_info over KLAP v2 and over AES with its own model and type', LIMIT, async () => {
    for (const name of SMART_MODEL_NAMES) {
      const spec = smartModelSpec(name);
      for (const transport of ['klap', 'aes'] as const) {
        await withSmartSim({ model: name, transport }, async ({ client }) => {
          const [components, info] = await client.callMany([{ method: 'component_nego' }, { method: 'get_device_info' }]);
          assert.ok(Array.isArray(components?.result?.["component_list"]), `${name} ${transport}`);
          const normalised = normaliseSmartDeviceInfo(info?.result);
          assert.deepEqual([normalised.model, normalised.type], [spec.model, spec.type], `${name} ${transport}`);
        });
      }
    }
  });
});
