// light-control against every simulated light of both families: Kasa LB130, KL130, KL430 (a strip
// with effects) over XOR, Tapo L510 (white only), L530 (dynamic effects), L900 and L930 (strips with
// effects) over KLAP v2. Colour, white, brightness, fades, effects on and off, range errors and
// watching a change made elsewhere, each checked in the simulated device itself.
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import type { LightEvent } from '../../src/simulator/device-state';
import { KasaClient } from '../../src/family/iot/client';
import { SimulatedDevice } from '../../src/simulator/server';
import { SmartSimulatedDevice } from '../../src/simulator/smart/server';
import { ErrorCode } from '../../src/util/errors';
import { flowWith, load, unloadChecked } from '../support/node-red';

type Msg = Record<string, unknown> & { error?: { code?: string; message?: string } };
type Light = { on: boolean; brightness: number | null; mode: string | null; hue: number | null; saturation: number | null; colorTemp: number | null; hex: string | null; effect: string | null };

const LIMIT = { timeout: 30_000 };

/** What the test needs of a simulated light, whichever family it is. */
interface Rig {
  /** The config node's settings for it. */
  device: Record<string, unknown>;
  /** The light as the simulator holds it. */
  light(): { on: boolean; brightness: number; hue: number; saturation: number; colorTemp: number };
  /** Requests the device has received so far. */
  requests(): number;
  /** Sets a colour as the app would, over its own connection. */
  appSetsHue(hue: number): Promise<void>;
  /** Whether an effect runs, in the simulator. */
  effectRunning(): boolean;
  stop(): Promise<void>;
}

interface Model {
  name: string;
  colour: boolean;
  range?: [number, number];
  /** An effect's name it runs, if it has effects. */
  effect?: string;
  fade: 'any' | 'switching';
}

const MODELS: Model[] = [
  { name: 'lb130', colour: true, range: [2500, 9000], fade: 'any' },
  { name: 'kl130', colour: true, range: [2500, 9000], fade: 'any' },
  { name: 'kl430', colour: true, range: [2500, 9000], effect: 'Rainbow', fade: 'any' },
  { name: 'l510', colour: false, fade: 'switching' },
  { name: 'l530', colour: true, range: [2500, 6500], effect: 'Party', fade: 'switching' },
  { name: 'l900', colour: true, range: [9000, 9000], effect: 'Ocean', fade: 'switching' },
  { name: 'l930', colour: true, range: [2500, 6500], effect: 'Candlelight', fade: 'switching' },
];

const rigs: Rig[] = [];

async function kasaRig(model: 'lb130' | 'kl130' | 'kl430'): Promise<Rig & { sim: SimulatedDevice; events: LightEvent[] }> {
  const sim = new SimulatedDevice({ model, udp: false, alias: `${model} light` });
  await sim.start();
  let requests = 0;
  const events: LightEvent[] = [];
  sim.on('request', () => requests++);
  sim.on('light', (event: LightEvent) => events.push(event));
  const app = new KasaClient({ host: '127.0.0.1', port: sim.port, timeoutMs: 3000 });
  const module = model === 'kl430' ? 'smartlife.iot.lightStrip' : 'smartlife.iot.smartbulb.lightingservice';
  const method = model === 'kl430' ? 'set_light_state' : 'transition_light_state';
  let effect = false;
  sim.on('request', (request: Record<string, unknown>) => {
    const set = (request['smartlife.iot.lighting_effect'] as Record<string, Record<string, unknown>> | undefined)?.['set_lighting_effect'];
    if (set !== undefined) effect = set['enable'] === 1;
    if ((request[module] as Record<string, Record<string, unknown>> | undefined)?.[method]?.['hue'] !== undefined) effect = false;
  });
  const rig = {
    sim,
    events,
    device: { host: '127.0.0.1', port: sim.port, timeout: 3000 },
    light: () => sim.state.getLight(),
    requests: () => requests,
    appSetsHue: async (hue: number) => {
      await app.exchange({ [module]: { [method]: { hue, saturation: 100, color_temp: 0, on_off: 1 } } });
    },
    effectRunning: () => effect,
    stop: async () => {
      await app.close();
      await sim.stop();
    },
  };
  rigs.push(rig);
  return rig;
}

async function smartRig(model: 'l510' | 'l530' | 'l900' | 'l930'): Promise<Rig & { sim: SmartSimulatedDevice }> {
  const sim = new SmartSimulatedDevice({ host: '127.0.0.1', model });
  await sim.start();
  const light = sim.device.light!;
  const rig = {
    sim,
    device: { host: '127.0.0.1', transport: 'klap', klapPort: sim.port, timeout: 3000 },
    light: () => ({ on: sim.device.relay.isOn, brightness: light.brightness, hue: light.hue, saturation: light.saturation, colorTemp: light.colorTemp }),
    requests: () => sim.device.received.length,
    // The app's own session: straight into the device, as another client's request would land.
    appSetsHue: (hue: number) => {
      sim.device.handle(JSON.stringify({ method: 'set_device_info', params: { hue, saturation: 100, color_temp: 0 } }));
      return Promise.resolve();
    },
    effectRunning: () => Object.values(sim.device.effects).some((effect) => effect?.active === true),
    stop: () => sim.stop(),
  };
  rigs.push(rig);
  return rig;
}

const rigFor = (name: string): Promise<Rig> => (name.startsWith('l') && !name.startsWith('lb') ? smartRig(name as 'l530') : kasaRig(name as 'lb130'));

/** Every status text the node shows from now on. */
function statusTexts(node: unknown): string[] {
  const texts: string[] = [];
  (node as NodeJS.EventEmitter).on('call:status', (call: { args: [{ text?: string }] }) => texts.push(call.args[0]?.text ?? ''));
  return texts;
}

const lightOf = (msg: Msg) => msg['light'] as Light;

describe('light-control on every simulated light', () => {
  afterEach(() => unloadChecked());
  after(async () => {
    for (const rig of rigs.splice(0)) await rig.stop();
  });

  for (const model of MODELS) {
    it(`${model.name}: colour, white, brightness, range errors, fades, effects`, LIMIT, async () => {
      const rig = await rigFor(model.name);
      const { node, out, caught } = await load(flowWith({ type: 'light-control', name: 'light' }, rig.device));
      const statuses = statusTexts(node);

      // Brightness and on, read back.
      node.receive({ payload: 'on', brightness: 40 });
      let msg = (await out.next()) as Msg;
      assert.equal(msg['payload'], true);
      assert.equal(lightOf(msg).brightness, 40);
      assert.equal(rig.light().brightness, 40, 'the simulated light itself');
      assert.equal(rig.light().on, true);
      assert.equal((msg['device'] as { model: string }).model.toLowerCase().startsWith(model.name), true);

      // Colour: one message, colour and brightness together.
      if (model.colour) {
        const before = rig.requests();
        node.receive({ color: '#ff8800', brightness: 60 });
        msg = (await out.next()) as Msg;
        assert.deepEqual([lightOf(msg).mode, lightOf(msg).hue, lightOf(msg).saturation, lightOf(msg).hex, lightOf(msg).brightness], ['color', 32, 100, '#ff8800', 60]);
        assert.deepEqual([rig.light().hue, rig.light().saturation, rig.light().colorTemp, rig.light().brightness], [32, 100, 0, 60]);
        assert.equal(rig.requests() - before, 1, 'the colour, the brightness and the read-back in one request');
        assert.ok(statuses.includes('on 60% #ff8800'), statuses.join(' | '));
        node.receive({ color: { r: 0, g: 0, b: 255 } });
        assert.equal(lightOf((await out.next()) as Msg).hue, 240);
      } else {
        const before = rig.requests();
        node.receive({ color: 'red' });
        const refused = (await caught.next()) as Msg;
        assert.equal(refused.error?.code, ErrorCode.NOT_SUPPORTED);
        assert.match(refused.error?.message ?? '', /cannot show a colour/);
        assert.equal(rig.requests(), before, 'nothing was sent');
      }

      // White within the range, and out of it.
      if (model.range !== undefined) {
        const [min, max] = model.range;
        const white = min === max ? min : min + 200;
        node.receive({ colorTemp: white });
        msg = (await out.next()) as Msg;
        assert.deepEqual([lightOf(msg).mode, lightOf(msg).colorTemp, lightOf(msg).hex], ['white', white, null]);
        assert.equal(rig.light().colorTemp, white);
        assert.ok(statuses.includes(`on 60% ${white} K`), statuses.join(' | '));
        const before = rig.requests();
        node.receive({ colorTemp: max + 500 });
        const refused = (await caught.next()) as Msg;
        assert.equal(refused.error?.code, ErrorCode.BAD_INPUT);
        assert.match(refused.error?.message ?? '', min === max ? new RegExp(`only ${min} K`) : new RegExp(`from ${min} to ${max} K`));
        assert.equal(rig.requests(), before, 'nothing was sent');
        assert.equal(rig.light().colorTemp, white);
      } else {
        node.receive({ colorTemp: 2700 });
        assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.NOT_SUPPORTED);
      }

      // Fades: Kasa lights fade any change; Tapo ones only on/off, through their gradual on/off setting.
      if (model.fade === 'any') {
        const events = (rig as Rig & { events: LightEvent[] }).events;
        node.receive({ brightness: 30, transition: 700 });
        assert.equal(lightOf((await out.next()) as Msg).brightness, 30);
        assert.equal(events.at(-1)?.transition, 700, 'transition_period reached the bulb');
      } else {
        const sim = (rig as Rig & { sim: SmartSimulatedDevice }).sim;
        node.receive({ payload: false, transition: 3000 });
        assert.equal(((await out.next()) as Msg)['payload'], false);
        const fade = JSON.parse(sim.device.handle(JSON.stringify({ method: 'get_on_off_gradually_info' }))) as { result: Record<string, unknown> };
        const setting = fade.result['off_state'] as { enable: boolean; duration: number } | undefined;
        if (setting !== undefined) assert.deepEqual([setting.enable, setting.duration], [true, 3]);
        else assert.equal(fade.result['enable'], true, 'on_off_gradually v1: the one switch');
        const before = rig.requests();
        node.receive({ brightness: 20, transition: 500 });
        const refused = (await caught.next()) as Msg;
        assert.equal(refused.error?.code, ErrorCode.NOT_SUPPORTED);
        assert.match(refused.error?.message ?? '', /fades only when switched on or off/);
        assert.equal(rig.requests(), before, 'nothing was sent');
        node.receive({ payload: true });
        await out.next();
      }

      // Effects: listed, run, stopped; refused in words on a light without them.
      if (model.effect !== undefined) {
        node.receive({ command: 'effects' });
        const list = (await out.next()) as Msg;
        assert.ok((list['payload'] as string[]).includes(model.effect), String(list['payload']));
        node.receive({ effect: model.effect });
        msg = (await out.next()) as Msg;
        assert.equal(lightOf(msg).effect, model.effect);
        assert.equal(rig.effectRunning(), true);
        assert.ok(statuses.some((text) => text.endsWith(model.effect!)), statuses.join(' | '));
        node.receive({ command: 'state' });
        assert.equal(lightOf((await out.next()) as Msg).effect, model.effect, 'read again, the effect still runs');
        node.receive({ effect: 'off' });
        msg = (await out.next()) as Msg;
        assert.equal(lightOf(msg).effect, null);
        assert.equal(rig.effectRunning(), false);
        node.receive({ effect: 'No Such Effect' });
        assert.match(((await caught.next()) as Msg).error?.message ?? '', /one of: .*(or "off")/);
      } else {
        const before = rig.requests();
        node.receive({ effect: 'Rainbow' });
        const refused = (await caught.next()) as Msg;
        assert.equal(refused.error?.code, ErrorCode.NOT_SUPPORTED);
        assert.match(refused.error?.message ?? '', /cannot run light effects/);
        node.receive({ command: 'effects' });
        assert.equal(((await caught.next()) as Msg).error?.code, ErrorCode.NOT_SUPPORTED);
        assert.equal(rig.requests() - before, 0, 'nothing was sent');
      }

      node.receive({ payload: 'toggle' });
      assert.equal(((await out.next()) as Msg)['payload'], false);
      assert.equal(rig.light().on, false);
    });
  }

  it('wall dimmers of both families (HS220, S500D): on/off and brightness; a colour is NOT_SUPPORTED in words, unsent', LIMIT, async () => {
    const kasa = new SimulatedDevice({ model: 'hs220', udp: false });
    await kasa.start();
    const tapo = new SmartSimulatedDevice({ host: '127.0.0.1', model: 's500d' });
    await tapo.start();
    rigs.push({ stop: () => kasa.stop() } as Rig, { stop: () => tapo.stop() } as Rig);
    for (const [device, brightness, count] of [
      [{ host: '127.0.0.1', port: kasa.port }, () => kasa.state.getBrightness(), () => kasa.stats.requests],
      [{ host: '127.0.0.1', transport: 'klap', klapPort: tapo.port, timeout: 3000 }, () => tapo.device.light!.brightness, () => tapo.device.received.length],
    ] as const) {
      const { node, out, caught } = await load(flowWith({ type: 'light-control', name: 'dimmer' }, device));
      node.receive({ payload: true, brightness: 35 });
      const msg = (await out.next()) as Msg;
      assert.equal(msg['payload'], true);
      assert.deepEqual([lightOf(msg).brightness, lightOf(msg).mode, lightOf(msg).hex], [35, null, null]);
      assert.equal(brightness(), 35);
      const before = count();
      node.receive({ color: 'red' });
      const refused = (await caught.next()) as Msg;
      assert.equal(refused.error?.code, ErrorCode.NOT_SUPPORTED);
      assert.match(refused.error?.message ?? '', /wall dimmer: it cannot show a colour/);
      assert.equal(count(), before, 'nothing was sent');
      node.receive({ payload: 'off' });
      assert.equal(((await out.next()) as Msg)['payload'], false);
      await unloadChecked();
    }
  });

  for (const model of ['kl130', 'l930']) {
    it(`${model}: watching reports a colour set in the app as one change`, LIMIT, async () => {
      const rig = await rigFor(model);
      const { out } = await load(flowWith({ type: 'light-control', name: 'watcher', pollInterval: 0.2 }, rig.device));
      const online = (await out.next()) as Msg;
      assert.equal(online['event'], 'online');
      await rig.appSetsHue(120);
      const change = (await out.next()) as Msg;
      assert.equal(change['event'], 'change');
      assert.deepEqual([lightOf(change).mode, lightOf(change).hue, lightOf(change).hex], ['color', 120, '#00ff00']);
      assert.equal(await out.quietFor(700), true, 'one message per change');
    });
  }
});
