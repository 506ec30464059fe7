// Bulbs name their modules differently (smartlife.iot.smartbulb.lightingservice, smartlife.iot.common.emeter):
// the independent simulator's LB100 and LB130 show that the nodes follow the kind's module table.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/util/errors';
import { Inbox, flowWith, helper, load, unloadChecked } from '../support/node-red';
import { startPeer } from '../support/peer';
import type { Node } from 'node-red';

type Msg = Record<string, unknown> & { error?: { code?: string; message?: string } };

const LIMIT = { timeout: 15_000 };

describe("plug-control and plug-energy on the independent simulator's bulbs", () => {
  for (const model of ['lb100', 'lb130']) {
    it(`${model}: switches, dims and meters through the bulb's own modules`, LIMIT, async () => {
      const peer = await startPeer({ model, data: { alias: `peer ${model}` } });
      try {
        const flow = flowWith({ type: 'plug-control', name: 'bulb' }, { host: '127.0.0.1', port: peer.port });
        flow.push({ id: 'e', z: 'f1', x: 100, y: 400, type: 'plug-energy', device: 'dev', output: 'reading', wires: [['e-out']] });
        flow.push({ id: 'e-out', z: 'f1', x: 300, y: 400, type: 'helper', wires: [] });
        const { node, out, caught } = await load(flow);
        for (const [payload, expected] of [[true, true], [false, false], ['toggle', true]] as const) {
          node.receive({ payload });
          assert.equal(((await out.next()) as Msg)['payload'], expected, String(payload));
        }
        node.receive({ brightness: 25, transition: 200 });
        assert.equal(((await out.next()) as Msg)['brightness'], 25);
        node.receive({ command: 'countdown' });
        const refused = (await caught.next()) as Msg;
        assert.equal(refused.error?.code, ErrorCode.NOT_SUPPORTED, 'a bulb keeps no countdown rules');
        node.receive({ command: 'energy_reset' });
        assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.NOT_ALLOWED);

        const energy = helper.getNode('e') as Node;
        const readings = new Inbox(helper.getNode('e-out') as Node);
        energy.receive({});
        const reading = (await readings.next()) as Msg;
        assert.equal(typeof (reading['payload'] as { power: number }).power, 'number');
      } finally {
        await unloadChecked();
        await peer.stop();
      }
    });
  }
});
