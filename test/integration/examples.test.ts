// The examples (examples/*.json, Import > Examples in the editor): checked from the files as a user
// would import them, then run against the simulator in a real Node-RED runtime.
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { SimulatedDevice } from '../../src/simulator';
import { SmartSimulatedDevice } from '../../src/simulator/smart/server';
import { TddpResponder } from '../../src/simulator/tddp-responder';
import { FlowNode, boxOf, overlaps } from '../support/flow-layout';
import { Inbox, helper, nodeModules } from '../support/node-red';

// Compiled to dist/test/<tier>: the package root is three folders up.
const ROOT = path.join(__dirname, '..', '..', '..');
const EXAMPLES = path.join(ROOT, 'examples');
/** The words in a file name that say an example needs FlowFuse Dashboard 2 (the name is what Import > Examples shows). */
const NEEDS_DASHBOARD = '(needs Dashboard 2)';
const CONFIG_TYPES = new Set(['tplink-device', 'mqtt-broker', 'ui-base', 'ui-theme', 'ui-page', 'ui-group']);
/** A debug node fed this often (or more) goes to its status, not the Debug sidebar. */
const REPEATS_OFTEN_S = 60;

/** Types that `registerType('<type>'` names in these files. */
function registeredTypes(files: string[]): Set<string> {
  const types = new Set<string>();
  for (const file of files) {
    for (const match of fs.readFileSync(file, 'utf8').matchAll(/registerType\(\s*['"]([^'"]+)['"]/g)) types.add(match[1]!);
  }
  return types;
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

const coreTypes = registeredTypes(walk(path.dirname(require.resolve('@node-red/nodes/core/common/20-inject.js')).replace(/common$/, '')).filter((f) => f.endsWith('.js')));
const packageHtml = fs.readdirSync(path.join(ROOT, 'nodes')).filter((n) => n.endsWith('.html')).map((n) => path.join(ROOT, 'nodes', n));
const packageTypes = registeredTypes(packageHtml);
const dashboardTypes = new Set(
  Object.keys((JSON.parse(fs.readFileSync(require.resolve('@flowfuse/node-red-dashboard/package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } })['node-red'].nodes),
);

const exampleNames = fs.readdirSync(EXAMPLES).filter((n) => n.endsWith('.json')).sort();
const examples = new Map(exampleNames.map((name) => [name, JSON.parse(fs.readFileSync(path.join(EXAMPLES, name), 'utf8')) as FlowNode[]]));

function readExample(name: string): FlowNode[] {
  const flow = examples.get(name);
  assert.ok(flow !== undefined, `an example ${name}`);
  return structuredClone(flow);
}

/** Seconds between the messages a node sends by itself, or null when it sends only on input or on change. */
function periodOf(node: FlowNode): number | null {
  if (node.type === 'inject' && node['repeat'] !== '' && node['repeat'] !== undefined) return Number(node['repeat']);
  if (node.type === 'plug-energy' && Number(node['interval']) > 0) return Number(node['interval']);
  return null;
}

describe('examples/*.json as a user imports them', () => {
  it('the core examples and the dashboard one, named so the import dialog says what each needs', () => {
    assert.deepEqual(exampleNames, [
      '01-switch-a-plug.json',
      '02-turn-off-when-idle.json',
      '03-power-strip-outlets.json',
      '04-energy-meter.json',
      '05-tddp-query.json',
      `06-dashboard ${NEEDS_DASHBOARD}.json`,
      '07-tapo-plug-and-strip.json',
      '08-mqtt-scale-out.json',
      '09-light-control.json',
      '10-tapo-hub-sensors.json',
    ]);
  });

  it('no id is used by two examples: importing a second one never finds "nodes that already exist"', () => {
    const owner = new Map<string, string>();
    for (const [name, flow] of examples) {
      for (const node of flow) {
        const first = owner.get(node.id);
        assert.ok(first === undefined || first === name, `${node.type} ${node.id} of ${name} has the id of a node in ${first}`);
        owner.set(node.id, name);
      }
    }
  });

  it("each example's simulator command is on a port of its own, the one its device node uses: imported together, all work", () => {
    const owner = new Map<number, string>();
    for (const [name, flow] of examples) {
      const info = flow.filter((n) => n.type === 'comment').map((n) => String(n['info'] ?? '')).join('\n');
      const commands = [...info.matchAll(/npx tplink-sim --model (\w+) --port (\d+)/g)].map((m) => ({ model: m[1]!, port: Number(m[2]) }));
      const devices = flow.filter((n) => n.type === 'tplink-device');
      assert.equal(commands.length, devices.length, `${name}: one simulator command per device node`);
      for (const { model, port } of commands) {
        const device = devices.find((d) => String(d['name']).toLowerCase().includes(model) && Number(/tapo/i.test(String(d['name'])) ? d['klapPort'] : d['port']) === port);
        assert.ok(device !== undefined, `${name}: a device node for the ${model} on port ${port}, as the comment says to run it`);
        assert.match(String(device['name']), new RegExp(`127\\.0\\.0\\.1:${port}\\)$`), `${name}: its name says the port`);
        const first = owner.get(port);
        assert.ok(first === undefined, `${name} runs a simulator on port ${port}, as ${first} does`);
        owner.set(port, name);
      }
    }
    assert.equal(owner.size, 15, 'fifteen simulated devices in the ten examples');
  });

  it('every non-config node type of the package is in some example (Flow Library scorecard N02)', () => {
    const used = new Set([...examples.values()].flat().map((n) => n.type));
    const needed = [...packageTypes].filter((t) => !CONFIG_TYPES.has(t));
    assert.deepEqual(needed.filter((t) => !used.has(t)), []);
    assert.ok(needed.length >= 4, `the package's node types were found: ${needed.join(', ')}`);
  });

  for (const name of exampleNames) {
    describe(name, () => {
      const flow = examples.get(name)!;
      const ids = new Map(flow.map((n) => [n.id, n]));
      const tab = flow.find((n) => n.type === 'tab')!;
      const onCanvas = flow.filter((n) => n.type !== 'tab' && !CONFIG_TYPES.has(n.type));
      const needsDashboard = name.includes(NEEDS_DASHBOARD);

      it('one tab, unique ids, every flow node on the tab, config nodes global', () => {
        assert.equal(ids.size, flow.length, 'ids are unique');
        assert.equal(flow.filter((n) => n.type === 'tab').length, 1);
        for (const node of flow) {
          assert.equal(typeof node.id, 'string');
          if (CONFIG_TYPES.has(node.type)) assert.equal(node.z, undefined, `${node.type} ${node.id} is a global config node`);
          else if (node.type !== 'tab') assert.equal(node.z, tab.id, `${node.type} ${node.id} is on the tab`);
        }
      });

      it(needsDashboard ? 'only core, package and Dashboard 2 node types, and some of Dashboard 2' : 'only Node-RED core and package node types: nothing that could stop the flows', () => {
        for (const node of flow) {
          if (node.type === 'tab') continue;
          const known = coreTypes.has(node.type) || packageTypes.has(node.type) || (needsDashboard && dashboardTypes.has(node.type));
          assert.ok(known, `${node.type} (${String(node.name)}) is ${dashboardTypes.has(node.type) ? `a Dashboard 2 node in a file not named "${NEEDS_DASHBOARD}"` : 'not a known node type'}`);
        }
        if (needsDashboard) assert.ok(flow.some((n) => dashboardTypes.has(n.type)), 'a file named as needing Dashboard 2 uses it');
      });

      it('wires, devices and dashboard groups point at nodes of this file', () => {
        for (const node of onCanvas) {
          assert.ok(Array.isArray(node.wires), `${node.type} ${node.id} has wires`);
          for (const target of node.wires.flat()) assert.ok(ids.has(target), `${node.name} is wired to ${target}, which exists`);
          if (node['device'] !== undefined) assert.equal(ids.get(String(node['device']))?.type, 'tplink-device', `${node.name}.device is a tplink-device of the file`);
          if (node['group'] !== undefined) assert.equal(ids.get(String(node['group']))?.type, 'ui-group', `${node.name}.group is a ui-group of the file`);
        }
        for (const device of flow.filter((n) => n.type === 'tplink-device')) {
          assert.equal(device['host'], '127.0.0.1', 'the simulator the comment says to run');
          // Tapo devices speak SMART over KLAP only; the Kasa simulators listen on port 9999's protocol.
          assert.equal(device['transport'], /Tapo/.test(String(device['name'])) ? 'klap' : 'tcp');
        }
      });

      it('a comment says what to run; every node is named, entirely on the canvas, and overlaps no other', () => {
        const comments = flow.filter((n) => n.type === 'comment');
        assert.ok(comments.length >= 1, 'a comment node explains the example');
        assert.match(String(comments[0]!['info']), /npx tplink-sim --model (hs110|hs300|p110m|p300|kl430|l530|h100) --port \d+/);
        if (needsDashboard) assert.match(String(comments[0]!['info']), /Needs FlowFuse Dashboard 2 \(@flowfuse\/node-red-dashboard\)/);
        const boxes = onCanvas.map((node) => {
          assert.ok(typeof node.name === 'string' && node.name !== '', `${node.type} ${node.id} has a name (its label on the canvas)`);
          assert.ok(Number.isFinite(node.x) && Number.isFinite(node.y), `${node.name} has a position`);
          return boxOf(node);
        });
        for (const box of boxes) assert.ok(box.left >= 0 && box.top >= 0, `${box.label} is cut off: left ${box.left}, top ${box.top}`);
        for (let i = 0; i < boxes.length; i++) {
          for (let j = i + 1; j < boxes.length; j++) {
            assert.ok(!overlaps(boxes[i]!, boxes[j]!), `${boxes[i]!.label} and ${boxes[j]!.label} overlap`);
          }
        }
      });

      it(`output repeating more often than every ${REPEATS_OFTEN_S} s goes to a node's status, not the Debug sidebar`, () => {
        // Followed through the nodes that answer every message (the package's, change nodes);
        // a function or switch node decides what goes on, so the path ends there.
        const fedOften = new Set<string>();
        const visit = (id: string): void => {
          const node = ids.get(id);
          if (node === undefined || fedOften.has(id)) return;
          fedOften.add(id);
          if (packageTypes.has(node.type) || node.type === 'change' || periodOf(node) !== null) {
            for (const target of node.wires?.flat() ?? []) visit(target);
          }
        };
        for (const node of onCanvas) {
          const period = periodOf(node);
          if (period !== null && period < REPEATS_OFTEN_S) visit(node.id);
        }
        for (const node of onCanvas.filter((n) => n.type === 'debug' && fedOften.has(n.id))) {
          assert.equal(node['tosidebar'], false, `debug "${node.name}" is fed every few seconds`);
          assert.equal(node['tostatus'], true, `debug "${node.name}" shows it in its status`);
        }
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Each example doing what its comment says, against the simulator.

/** Node-RED's own nodes the examples use. */
const coreNodes = ['common/20-inject.js', 'common/90-comment.js', 'common/25-catch.js', 'function/10-function.js', 'function/10-switch.js', 'function/15-change.js'].map(
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- plain JS files without types
  (file) => require(`@node-red/nodes/core/${file}`) as unknown,
);
const packageNodes = Object.values(nodeModules) as unknown[];

/**
 * The example as the runtime gets it here: devices on the simulators' ports (by the device's name),
 * debug nodes and dashboard widgets replaced by helper nodes that collect what they receive,
 * dashboard config left out.
 */
function prepare(name: string, devices: Record<string, Record<string, unknown>>): FlowNode[] {
  return readExample(name)
    .filter((n) => !['ui-base', 'ui-theme', 'ui-page', 'ui-group'].includes(n.type))
    .map((n) => {
      if (n.type === 'tplink-device') {
        const model = /HS\d+|KL\d+|L\d+|H\d+|P\d+M?\b/.exec(String(n.name))?.[0].toLowerCase() ?? '';
        assert.ok(devices[model] !== undefined, `a simulator for ${String(n.name)}`);
        return { ...n, ...devices[model] };
      }
      if (n.type === 'debug' || n.type.startsWith('ui-')) return { id: n.id, z: n.z, type: 'helper', name: String(n.name ?? ''), wires: [] };
      return n;
    });
}

/** The id of the node of `type` whose name is `name` (ids are generated, names are what people see). */
function idOf(flow: FlowNode[], type: string, name: string): string {
  const node = flow.find((n) => n.type === type && n.name === name);
  assert.ok(node !== undefined, `a ${type} named ${JSON.stringify(name)}`);
  return node.id;
}

type Injectable = { receive(msg: Record<string, unknown>): void };

function press(flow: FlowNode[], injectName: string): void {
  (helper.getNode(idOf(flow, 'inject', injectName)) as unknown as Injectable).receive({});
}
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

describe('the examples run against the simulator', () => {
  const devices: SimulatedDevice[] = [];
  afterEach(async () => {
    await helper.unload();
    await Promise.all(devices.splice(0).map((d) => d.stop()));
  });

  async function start(model: 'hs110' | 'hs300' | 'kl430'): Promise<SimulatedDevice> {
    const device = new SimulatedDevice({ model, port: 0, udp: false });
    await device.start();
    devices.push(device);
    return device;
  }

  it('01 switch a plug: on, off, toggle, info', async () => {
    const sim = await start('hs110');
    const flow = prepare('01-switch-a-plug.json', { hs110: { port: sim.port } });
    await helper.load([...packageNodes, ...coreNodes], flow);
    const state = new Inbox(helper.getNode(idOf(flow, 'helper', 'state / reply')));
    const errors = new Inbox(helper.getNode(idOf(flow, 'helper', 'error code and message')));
    // The node watches the plug: its first poll reports the state as "online".
    const first = await state.next(8000);
    assert.equal(first['event'], 'online');
    assert.equal(first.payload, sim.state.getRelay());

    press(flow, 'on');
    assert.equal((await state.next()).payload, true);
    assert.equal(sim.state.getRelay(), true);
    press(flow, 'toggle');
    assert.equal((await state.next()).payload, false);
    press(flow, 'off');
    assert.equal((await state.next()).payload, false);
    press(flow, 'info (msg.command)');
    const info = await state.next();
    assert.equal((info.payload as Record<string, unknown>)['deviceId'], sim.state.deviceId);
    assert.equal(await errors.quietFor(100), true);
  });

  it('02 turn off when idle: a reading below the threshold long enough switches the plug off', async () => {
    const sim = await start('hs110');
    sim.state.setRelay(true);
    const flow = prepare('02-turn-off-when-idle.json', { hs110: { port: sim.port } }).map((n) =>
      // Above any simulated power, and no waiting: the rule fires on the next reading.
      n.type === 'tab' ? { ...n, env: [{ name: 'THRESHOLD_W', value: '100000', type: 'num' }, { name: 'IDLE_MINUTES', value: '0', type: 'num' }] } : n,
    );
    await helper.load([...packageNodes, ...coreNodes], flow);
    const switchedOff = new Inbox(helper.getNode(idOf(flow, 'helper', 'switched off')));
    press(flow, 'read now');
    const msg = await switchedOff.next(5000);
    assert.equal(msg.payload, false);
    assert.match(String(msg['reason']), /below 100000 W for 0\.0 min/);
    assert.equal(sim.state.getRelay(), false);
  });

  it('02 turn off when idle: power above the threshold leaves the plug on', async () => {
    const sim = await start('hs110');
    sim.state.setRelay(true);
    const flow = prepare('02-turn-off-when-idle.json', { hs110: { port: sim.port } }).map((n) =>
      n.type === 'tab' ? { ...n, env: [{ name: 'THRESHOLD_W', value: '0.5', type: 'num' }, { name: 'IDLE_MINUTES', value: '0', type: 'num' }] } : n,
    );
    await helper.load([...packageNodes, ...coreNodes], flow);
    const switchedOff = new Inbox(helper.getNode(idOf(flow, 'helper', 'switched off')));
    const requests = new Promise<void>((resolve) => sim.on('request', (req: Record<string, unknown>) => req['emeter'] && resolve()));
    press(flow, 'read now');
    await requests;
    assert.equal(await switchedOff.quietFor(500), true);
    assert.equal(sim.state.getRelay(), true);
  });

  it('03 power strip: by index, by name, by msg.outlet, all', async () => {
    const sim = await start('hs300');
    const flow = prepare('03-power-strip-outlets.json', { hs300: { port: sim.port } });
    await helper.load([...packageNodes, ...coreNodes], flow);
    const out = new Inbox(helper.getNode(idOf(flow, 'helper', 'outlet and state')));
    const errors = new Inbox(helper.getNode(idOf(flow, 'helper', 'error code and message')));
    // "all outlets, watched" polls: its first report is one "online" message per outlet.
    for (let i = 1; i <= 6; i++) assert.equal((await out.next(8000))['event'], 'online');
    // The watching node hears each command of the others at once ("change" reports, before the
    // reply): the replies are the messages without an event.
    const reply = async () => {
      for (;;) {
        const next = await out.next();
        if (next['event'] === undefined) return next;
        assert.equal(next['event'], 'change');
      }
    };

    press(flow, 'outlet 1 on');
    let msg = await reply();
    assert.equal(msg.payload, true);
    assert.equal((msg['outlet'] as { index: number }).index, 1);
    assert.equal(sim.state.getRelay(0), true);

    press(flow, 'toggle "Plug 2"');
    msg = await reply();
    assert.equal((msg['outlet'] as { alias: string }).alias, 'Plug 2');
    assert.equal(sim.state.getRelay(1), msg.payload);

    press(flow, 'msg.outlet = 3, on');
    msg = await reply();
    assert.equal((msg['outlet'] as { index: number }).index, 3);
    assert.equal(sim.state.getRelay(2), true);

    press(flow, 'msg.outlet = "4,6", toggle');
    msg = await reply();
    assert.deepEqual((msg['outlet'] as Array<{ index: number }>).map((o) => o.index), [4, 6]);
    assert.deepEqual(msg.payload, [sim.state.getRelay(3), sim.state.getRelay(5)]);

    press(flow, 'all off');
    // The command's reply, then possibly change reports from the watcher: wait for the reply.
    for (;;) {
      msg = await reply();
      if (msg['event'] === undefined) break;
    }
    assert.deepEqual(msg.payload, [false, false, false, false, false, false], 'one state per outlet');
    for (let i = 0; i < 6; i++) assert.equal(sim.state.getRelay(i), false);
    assert.equal(await errors.quietFor(100), true);
  });

  it('04 energy meter: power, the whole reading, days and months labelled', async () => {
    const sim = await start('hs110');
    const flow = prepare('04-energy-meter.json', { hs110: { port: sim.port } });
    await helper.load([...packageNodes, ...coreNodes], flow);
    const power = new Inbox(helper.getNode(idOf(flow, 'helper', 'power (W)')));
    const reading = new Inbox(helper.getNode(idOf(flow, 'helper', 'msg.energy')));
    const stats = new Inbox(helper.getNode(idOf(flow, 'helper', 'kWh per day or month')));
    const errors = new Inbox(helper.getNode(idOf(flow, 'helper', 'error code and message')));

    press(flow, 'plug on');
    await until(() => sim.state.getRelay());
    (helper.getNode(idOf(flow, 'plug-energy', 'power every 10 s')) as unknown as Injectable).receive({});
    const watts = await power.next();
    assert.equal(typeof watts.payload, 'number');
    assert.ok((watts.payload as number) > 0, 'a plug that is on draws power');
    assert.equal(watts.topic, 'Plug');
    press(flow, 'whole reading');
    const energy = (await reading.next())['energy'] as Record<string, number>;
    for (const key of ['power', 'voltage', 'current', 'total']) assert.equal(typeof energy[key], 'number', key);

    const now = new Date();
    press(flow, 'this month, per day');
    const days = JSON.parse(JSON.stringify((await stats.next()).payload)) as Array<{ label: string; energy: number }>;
    assert.ok(days.length > 0, 'the simulator has energy for the days of this month');
    for (const day of days) assert.match(day.label, new RegExp(`^\\d{1,2} ${MONTHS[now.getMonth()]}$`));
    press(flow, 'this year, per month');
    const months = JSON.parse(JSON.stringify((await stats.next()).payload)) as Array<{ label: string; energy: number }>;
    assert.ok(months.length > 0, 'the simulator has energy for the months of this year');
    // Every bar is labelled with its month, none "undefined".
    for (const month of months) assert.match(month.label, new RegExp(`^(${MONTHS.join('|')}) ${now.getFullYear()}$`));
    assert.ok(months.some((m) => m.label === `${MONTHS[now.getMonth()]} ${now.getFullYear()}`), 'this month is among them');
    assert.equal(await errors.quietFor(100), true);
  });

  it('05 TDDP query: subtype 0x0a and msg.subtype 0x12 against a TDDP responder', async () => {
    const replyPort = await freeUdpPort();
    const responder = new TddpResponder({ profile: 'hs110', replyTo: 'reply-port', replyPort });
    await responder.start();
    try {
      const flow = prepare('05-tddp-query.json', { hs110: { tddpPort: responder.port, tddpReplyPort: replyPort, timeout: 2000 } });
      await helper.load([...packageNodes, ...coreNodes], flow);
      const text = new Inbox(helper.getNode(idOf(flow, 'helper', 'reply text')));
      const header = new Inbox(helper.getNode(idOf(flow, 'helper', 'reply header')));
      const errors = new Inbox(helper.getNode(idOf(flow, 'helper', 'error code and message')));
      press(flow, 'ask 0x0a');
      assert.equal((await text.next()).payload, 'ABCD0110');
      const tddp = (await header.next())['tddp'] as { subtype: number; status: number };
      assert.equal(tddp.subtype, 0x0a);
      assert.equal(tddp.status, 0);
      press(flow, 'device id (msg.subtype 0x12)');
      assert.match(String((await text.next()).payload), /^[0-9A-F]{40}$/);
      assert.equal(await errors.quietFor(100), true);
    } finally {
      await responder.stop();
    }
  });

  it('06 dashboard: a click on an outlet switch reaches that outlet, and its answer only that switch', async () => {
    const plug = await start('hs110');
    const strip = await start('hs300');
    const light = await start('kl430');
    const flow = prepare(`06-dashboard ${NEEDS_DASHBOARD}.json`, { hs110: { port: plug.port }, hs300: { port: strip.port }, kl430: { port: light.port } });
    await helper.load([...packageNodes, ...coreNodes], flow);
    const switches = [1, 2, 3, 4, 5, 6].map((i) => new Inbox(helper.getNode(idOf(flow, 'helper', `outlet ${i} switch`))));
    const plugSwitch = new Inbox(helper.getNode(idOf(flow, 'helper', 'plug switch')));
    const errors = new Inbox(helper.getNode(idOf(flow, 'helper', 'error code and message')));
    // The watchers' first polls: each switch learns its state.
    assert.equal((await plugSwitch.next(8000)).payload, plug.state.getRelay());
    for (let i = 0; i < 6; i++) assert.equal((await switches[i]!.next(8000)).payload, strip.state.getRelay(i));

    // What a ui-switch sends when clicked: its value and its topic (the outlet number).
    (helper.getNode(idOf(flow, 'change', 'outlet from topic')) as unknown as Injectable).receive({ payload: true, topic: '3' });
    assert.equal((await switches[2]!.next()).payload, true);
    assert.equal(strip.state.getRelay(2), true);
    for (const i of [0, 1, 3, 4, 5]) assert.equal(switches[i]!.size, 0, `outlet ${i + 1}'s switch got nothing`);

    (helper.getNode(idOf(flow, 'plug-control', 'plug, watched every 5 s')) as unknown as Injectable).receive({ payload: !plug.state.getRelay(), topic: 'plug' });
    const answer = await plugSwitch.next();
    assert.equal(answer.payload, plug.state.getRelay());
    assert.equal(await errors.quietFor(100), true);
  });

  it('06 dashboard: the light card sets the strip from each widget, and each widget gets its part of the state back', async () => {
    const light = await start('kl430');
    const flow = prepare(`06-dashboard ${NEEDS_DASHBOARD}.json`, { hs110: { port: (await start('hs110')).port }, hs300: { port: (await start('hs300')).port }, kl430: { port: light.port } });
    await helper.load([...packageNodes, ...coreNodes], flow);
    const widgets = Object.fromEntries(
      ['light switch', 'brightness slider', 'white slider', 'effect list'].map((name) => [name, new Inbox(helper.getNode(idOf(flow, 'helper', name)))]),
    );
    const errors = new Inbox(helper.getNode(idOf(flow, 'helper', 'error code and message')));
    // The watcher's first poll: the card learns the light's state.
    assert.equal((await widgets['light switch']!.next(8000)).payload, light.state.getLight().on);
    for (const name of ['brightness slider', 'white slider', 'effect list']) await widgets[name]!.next();
    // What the widgets send when used: the value, and the light-control field as msg.topic.
    const use = (payload: unknown, topic: string) => (helper.getNode(idOf(flow, 'function', 'widget to light fields')) as unknown as Injectable).receive({ payload, topic });

    use(60, 'brightness');
    assert.equal((await widgets['brightness slider']!.next()).payload, 60);
    assert.equal((await widgets['light switch']!.next()).payload, true);
    assert.equal(light.state.getLight().brightness, 60);
    assert.equal((await widgets['white slider']!.next()).payload, 2700, 'the white it shows');
    assert.equal((await widgets['effect list']!.next()).payload, 'off');

    use('orange', 'color');
    await widgets['brightness slider']!.next();
    assert.equal(light.state.getLight().hue, 39);
    assert.equal(widgets['white slider']!.size, 0, 'a colour leaves the white slider where it was');
    use(3000, 'colorTemp');
    assert.equal((await widgets['white slider']!.next()).payload, 3000);
    assert.equal(light.state.getLight().colorTemp, 3000);
    use('Ocean', 'effect');
    for (;;) if ((await widgets['effect list']!.next()).payload === 'Ocean') break;
    use(false, 'light');
    for (;;) if ((await widgets['light switch']!.next()).payload === false) break;
    assert.equal(light.state.getLight().on, false);
    assert.equal(await errors.quietFor(100), true);
  });
});

describe('the Tapo example runs against the simulated SMART devices', () => {
  const sims: SmartSimulatedDevice[] = [];
  afterEach(async () => {
    await helper.unload();
    await Promise.all(sims.splice(0).map((sim) => sim.stop()));
  });

  it('07 Tapo: the P110M switches, tells its info and power; the P300 outlet 2 switches', async () => {
    const plug = new SmartSimulatedDevice({ model: 'p110m', nickname: 'Tapo lamp' });
    const strip = new SmartSimulatedDevice({ model: 'p300' });
    for (const sim of [plug, strip]) {
      await sim.start();
      sims.push(sim);
    }
    const flow = prepare('07-tapo-plug-and-strip.json', { p110m: { klapPort: plug.port }, p300: { klapPort: strip.port } });
    await helper.load([...packageNodes, ...coreNodes], flow);
    const state = new Inbox(helper.getNode(idOf(flow, 'helper', 'plug state / reply')));
    const power = new Inbox(helper.getNode(idOf(flow, 'helper', 'power (W) and msg.energy')));
    const outlet = new Inbox(helper.getNode(idOf(flow, 'helper', 'outlet and state')));
    const errors = new Inbox(helper.getNode(idOf(flow, 'helper', 'error code and message')));

    press(flow, 'plug on');
    const on = await state.next(8000);
    assert.equal(on.payload, true);
    assert.equal((on['device'] as Record<string, unknown>)['family'], 'smart');
    assert.equal(plug.device.relay.isOn, true);
    press(flow, 'toggle plug');
    assert.equal((await state.next()).payload, false);
    assert.equal(plug.device.relay.isOn, false);
    press(flow, 'plug on');
    assert.equal((await state.next()).payload, true);
    press(flow, 'plug info (msg.command)');
    assert.equal(((await state.next()).payload as Record<string, unknown>)['nickname'], 'Tapo lamp');

    press(flow, 'read power');
    const reading = await power.next();
    assert.equal(reading.payload, 61.25, 'the P110M on draws its simulated load, in W');
    for (const key of ['power', 'voltage', 'current', 'total']) assert.equal(typeof (reading['energy'] as Record<string, number>)[key], 'number', key);

    press(flow, 'outlet 2 on');
    const switched = await outlet.next(8000);
    assert.equal(switched.payload, true);
    assert.equal((switched['outlet'] as { index: number }).index, 2);
    assert.deepEqual(strip.device.children.outlets.map((o) => o.relay.isOn), [false, true, false]);
    press(flow, 'outlet 2 off');
    assert.equal((await outlet.next()).payload, false);
    assert.equal(strip.device.children.outlets[1]!.relay.isOn, false);
    assert.equal(await errors.quietFor(100), true);
  });

  it('09 light control: colour, white, an effect on the KL430; colour, white, effect, range error, fade on the L530', async () => {
    const strip = new SimulatedDevice({ model: 'kl430', port: 0, udp: false });
    await strip.start();
    const bulb = new SmartSimulatedDevice({ model: 'l530' });
    await bulb.start();
    sims.push(bulb);
    try {
      const flow = prepare('09-light-control.json', { kl430: { port: strip.port }, l530: { klapPort: bulb.port } });
      await helper.load([...packageNodes, ...coreNodes], flow);
      const stripOut = new Inbox(helper.getNode(idOf(flow, 'helper', 'strip: msg.light')));
      const bulbOut = new Inbox(helper.getNode(idOf(flow, 'helper', 'bulb: msg.light')));
      const errors = new Inbox(helper.getNode(idOf(flow, 'helper', 'error code and message')));
      // The strip is watched: its first poll reports it "online".
      assert.equal((await stripOut.next(8000))['event'], 'online');
      type Light = { mode: string; hue: number; colorTemp: number; brightness: number; effect: string | null; hex: string };
      const light = async (inbox: Inbox) => (await inbox.next())['light'] as Light;

      press(flow, 'orange, 40 %');
      let state = await light(stripOut);
      assert.deepEqual([state.mode, state.hex, state.brightness], ['color', '#ffa600', 40]);
      assert.equal(strip.state.getLight().hue, 39);
      press(flow, 'warm white 2700 K, fade 1 s');
      state = await light(stripOut);
      assert.deepEqual([state.mode, state.colorTemp], ['white', 2700]);
      press(flow, 'effect Rainbow');
      assert.equal((await light(stripOut)).effect, 'Rainbow');
      press(flow, 'list effects');
      assert.ok(((await stripOut.next()).payload as string[]).includes('Ocean'));
      press(flow, 'effect off');
      assert.equal((await light(stripOut)).effect, null);

      press(flow, 'bulb #00aaff');
      state = await light(bulbOut);
      assert.deepEqual([state.mode, state.hex], ['color', '#00aaff']);
      assert.equal(bulb.device.light!.hue, 200);
      press(flow, 'bulb cool white 6000 K');
      assert.equal((await light(bulbOut)).colorTemp, 6000);
      press(flow, 'bulb effect Party');
      assert.equal((await light(bulbOut)).effect, 'Party');
      press(flow, 'bulb 9000 K (out of range)');
      const refused = (await errors.next())['error'] as { code: string; message: string };
      assert.equal(refused.code, 'BAD_INPUT');
      assert.match(refused.message, /from 2500 to 6500 K/);
      press(flow, 'bulb off, fade 2 s');
      assert.equal((await bulbOut.next()).payload, false);
      assert.equal(bulb.device.relay.isOn, false);
      assert.equal(await errors.quietFor(100), true);
    } finally {
      await helper.unload();
      await strip.stop();
    }
  });

  it('10 Tapo hub: the door opening switches the plug on, a button press toggles it', async () => {
    const hub = new SmartSimulatedDevice({ model: 'h100', tdpPort: null });
    const plug = new SmartSimulatedDevice({ model: 'p110m', tdpPort: null });
    for (const sim of [hub, plug]) {
      await sim.start();
      sims.push(sim);
    }
    const flow = prepare('10-tapo-hub-sensors.json', { h100: { klapPort: hub.port }, p110m: { klapPort: plug.port } }).map((n) =>
      n.type === 'hub-sensor' ? { ...n, pollInterval: 1 } : n,
    );
    await helper.load([...packageNodes, ...coreNodes], flow);
    const door = new Inbox(helper.getNode(idOf(flow, 'helper', 'door events')));
    const button = new Inbox(helper.getNode(idOf(flow, 'helper', 'button events')));
    const state = new Inbox(helper.getNode(idOf(flow, 'helper', 'plug state')));
    const errors = new Inbox(helper.getNode(idOf(flow, 'helper', 'error code and message')));
    assert.equal((await door.next(8000))['event'], 'online');
    assert.equal((await button.next(8000))['event'], 'online');

    hub.device.hub!.fire('contact', { type: 'open' });
    assert.equal((await door.next(8000))['event'], 'open');
    assert.equal((await state.next(8000)).payload, true);
    assert.equal(plug.device.relay.isOn, true);
    hub.device.hub!.fire('button', { type: 'singleClick' });
    assert.equal((await button.next(8000))['event'], 'press');
    assert.equal((await state.next(8000)).payload, false);
    assert.equal(plug.device.relay.isOn, false);
    assert.equal(await errors.quietFor(100), true);
  });
});

async function freeUdpPort(): Promise<number> {
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Waits (bounded) until `condition` holds; for state the simulator changes on a request. */
async function until(condition: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
