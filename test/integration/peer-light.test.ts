// light-control on the independent simulator's LB130 (tplink-smarthome-simulator): colour, white,
// brightness, a fade, the range of its white, no effects, and a colour set by another client seen
// by watching. What the peer holds is read over its own protocol, with a client of our own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KasaClient } from '../../src/family/iot/client';
import { ErrorCode } from '../../src/util/errors';
import { flowWith, load, unloadChecked } from '../support/node-red';
import { startPeer } from '../support/peer';

type Msg = Record<string, unknown> & { error?: { code?: string; message?: string } };
type Light = { on: boolean; brightness: number; mode: string; hue: number; saturation: number; colorTemp: number | null; hex: string | null; effect: string | null };

const LIMIT = { timeout: 20_000 };
const LIGHTING = 'smartlife.iot.smartbulb.lightingservice';

describe("light-control on the independent simulator's lb130", () => {
  it('sets colour, white and brightness as the peer then reports them; refuses what it cannot do; watches', LIMIT, async () => {
    const peer = await startPeer({ model: 'lb130', data: { alias: 'peer lb130' } });
    const other = new KasaClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 3000 });
    const peerLight = async () => {
      const { reply } = await other.exchange({ [LIGHTING]: { get_light_state: {} } });
      return (reply[LIGHTING] as Record<string, Record<string, number>>)['get_light_state']!;
    };
    try {
      const { node, out, caught } = await load(flowWith({ type: 'light-control', name: 'bulb', pollInterval: 0.3 }, { host: '127.0.0.1', port: peer.port }));
      const online = (await out.next()) as Msg;
      assert.equal(online['event'], 'online');

      node.receive({ color: 'orange', brightness: 45, transition: 300 });
      let msg = (await out.next()) as Msg;
      let light = msg['light'] as Light;
      assert.deepEqual([msg['payload'], light.mode, light.hue, light.saturation, light.brightness, light.hex], [true, 'color', 39, 100, 45, '#ffa600']);
      let held = await peerLight();
      assert.deepEqual([held['on_off'], held['hue'], held['saturation'], held['color_temp'], held['brightness']], [1, 39, 100, 0, 45]);

      node.receive({ colorTemp: 4000 });
      light = (await out.next())['light'] as Light;
      assert.deepEqual([light.mode, light.colorTemp], ['white', 4000]);
      assert.equal((await peerLight())['color_temp'], 4000);

      node.receive({ colorTemp: 9500 });
      const range = (await caught.next()) as Msg;
      assert.equal(range.error?.code, ErrorCode.BAD_INPUT);
      assert.match(range.error?.message ?? '', /from 2500 to 9000 K/);
      node.receive({ effect: 'Rainbow' });
      assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.NOT_SUPPORTED);
      assert.equal((await peerLight())['color_temp'], 4000, 'nothing changed on the peer');

      // Another client (the app) sets a colour: one change event.
      await other.exchange({ [LIGHTING]: { transition_light_state: { hue: 200, saturation: 50, color_temp: 0 } } });
      const change = (await out.next()) as Msg;
      assert.equal(change['event'], 'change');
      light = change['light'] as Light;
      assert.deepEqual([light.mode, light.hue, light.saturation], ['color', 200, 50]);

      node.receive({ payload: 'off' });
      msg = (await out.next()) as Msg;
      assert.equal(msg['payload'], false);
      held = await peerLight();
      assert.equal(held['on_off'], 0);
    } finally {
      await unloadChecked();
      await other.close();
      await peer.stop();
    }
  });
});
