import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { SimulatedDevice } from '../src/simulator';
import { TddpResponder } from '../src/simulator/tddp-responder';
import { Inbox, helper, nodeModules } from './support/node-red';

// Compiled to dist/test: the package root is two folders up.
const ROOT = path.join(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'scorecard.js');
const EXAMPLES = path.join(ROOT, 'examples');

function runScorecard(...args: string[]): { status: number | null; lines: string[]; stderr: string } {
  const result = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, lines: result.stdout.split('\n').filter((l) => l !== ''), stderr: result.stderr };
}

function lineOf(lines: string[], id: string): string {
  const line = lines.find((l) => l.split(' ')[1] === id);
  assert.ok(line !== undefined, `a line for ${id} in:\n${lines.join('\n')}`);
  return line;
}

const CHECK_IDS = ['P01', 'P03', 'P04', 'P05', 'P06', 'P07', 'N01', 'N02', 'D01', 'D02', 'D03'];

/** Writes a package into a temporary folder: files by relative path, JSON for objects. */
function makePackage(files: Record<string, string | object>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kasa-scorecard-'));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

const registerJs = (...types: string[]) => `module.exports = function (RED) {\n${types.map((t) => `  RED.nodes.registerType('${t}', function () {});`).join('\n')}\n};\n`;
const registerHtml = (type: string, category: string) => `<script type="text/javascript">\n  RED.nodes.registerType('${type}', {\n    category: '${category}',\n    defaults: {}\n  });\n</script>\n`;

describe('scripts/scorecard.js', () => {
  const temporary: string[] = [];
  after(() => {
    for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('passes every check on this package', () => {
    const { status, lines, stderr } = runScorecard();
    assert.equal(stderr, '');
    for (const id of CHECK_IDS) assert.match(lineOf(lines, id), /^PASS /, lineOf(lines, id));
    assert.equal(lines.filter((l) => l.startsWith('FAIL')).length, 0, lines.join('\n'));
    assert.match(lineOf(lines, 'N01'), /tplink-device, plug-control, strip-outlet, plug-energy, tddp-query/);
    // The config node needs no example; every other node does.
    assert.match(lineOf(lines, 'N02'), /: plug-control, strip-outlet, plug-energy, tddp-query$/);
    assert.equal(status, 0);
  });

  it('fails every check on a broken package, with the reason', () => {
    const dir = makePackage({
      'package.json': {
        name: 'node-red-contrib-broken',
        keywords: ['tplink'],
        engines: { node: '>=18 <22' },
        'node-red': { version: '>=2.0.0 <5', nodes: { one: 'one.js', two: 'two.js', gone: 'gone.js' } },
        dependencies: { a: '1', b: '1', c: '1', d: '1', e: '1', request: '^2.88.0', stale: '^1.0.0' },
      },
      'one.js': registerJs('kasa-dup', 'inject'),
      'one.html': registerHtml('kasa-dup', 'function'),
      'two.js': registerJs('kasa-dup', 'kasa-lonely'),
      'node_modules/stale/package.json': { name: 'stale', version: '2.1.0' },
      'examples/flow.json': [{ id: 't', type: 'tab' }, { id: 'n', z: 't', type: 'kasa-dup', wires: [] }],
      'examples/broken.json': '{ not json',
    });
    temporary.push(dir);
    const { status, lines } = runScorecard(dir);
    for (const id of CHECK_IDS) assert.match(lineOf(lines, id), /^FAIL /, lineOf(lines, id));
    assert.match(lineOf(lines, 'P01'), /no LICENSE file/);
    assert.match(lineOf(lines, 'P03'), /neither "repository" nor "bugs"/);
    assert.match(lineOf(lines, 'P04'), /"node-red-contrib-broken" is not scoped/);
    assert.match(lineOf(lines, 'P05'), /lack "node-red"/);
    assert.match(lineOf(lines, 'P06'), />=2\.0\.0 <5 does not admit 5\.0\.7/);
    assert.match(lineOf(lines, 'P07'), />=18 <22 refuses Node\.js 22\.9\.0/);
    const n01 = lineOf(lines, 'N01');
    assert.match(n01, /kasa-dup is registered by both one\.js and two\.js/);
    assert.match(n01, /gone\.js \(node gone\) does not exist/);
    assert.match(n01, /two\.html is missing/);
    assert.match(n01, /inject is already a Node-RED core node type/);
    const n02 = lineOf(lines, 'N02');
    assert.match(n02, /examples\/broken\.json is not JSON/);
    assert.match(n02, /not in any example: inject, kasa-lonely$/);
    assert.match(lineOf(lines, 'D01'), /^FAIL D01 .*: 7: a, b, c, d, e, request, stale$/);
    assert.match(lineOf(lines, 'D02'), /request \(deprecated/);
    const d03 = lineOf(lines, 'D03');
    assert.match(d03, /stale: \^1\.0\.0 does not admit 2\.1\.0/);
    assert.match(d03, /a is not installed in node_modules/);
    assert.match(lines.at(-1)!, /^11 of 11 checks fail\.$/);
    assert.equal(status, 1);
  });

  it('passes a small correct package, config nodes needing no example', () => {
    const dir = makePackage({
      'package.json': {
        name: '@someone/node-red-tiny',
        keywords: ['node-red'],
        bugs: 'https://example.org/issues',
        engines: { node: '>=20' },
        'node-red': { version: '>=4.0.0', nodes: { tiny: 'tiny.js', cfg: 'cfg.js' } },
        dependencies: { fresh: '^3.0.0' },
      },
      LICENSE: 'MIT',
      'tiny.js': registerJs('tiny-node'),
      'tiny.html': registerHtml('tiny-node', 'function'),
      'cfg.js': registerJs('tiny-config'),
      'cfg.html': registerHtml('tiny-config', 'config'),
      'node_modules/fresh/package.json': { name: 'fresh', version: '3.4.1' },
      'examples/tiny.json': [{ id: 't', type: 'tab' }, { id: 'n', z: 't', type: 'tiny-node', wires: [] }],
    });
    temporary.push(dir);
    const { status, lines } = runScorecard(dir, '--node-red-latest', '5.3.0');
    assert.equal(lines.filter((l) => l.startsWith('FAIL')).length, 0, lines.join('\n'));
    assert.match(lineOf(lines, 'P03'), /https:\/\/example\.org\/issues/);
    assert.match(lineOf(lines, 'P06'), />=4\.0\.0 admits 5\.3\.0 \(as given\)/);
    assert.match(lineOf(lines, 'N02'), /: tiny-node$/);
    assert.match(lineOf(lines, 'D03'), /fresh \^3\.0\.0 admits 3\.4\.1/);
    assert.equal(status, 0);
  });

  it('exits 2 with a reason on a folder without package.json or a bad option', () => {
    const dir = makePackage({ 'README.md': 'nothing here' });
    temporary.push(dir);
    const missing = runScorecard(dir);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no package\.json in /);
    const badOption = runScorecard('--node-red-latest', 'five');
    assert.equal(badOption.status, 2);
    assert.match(badOption.stderr, /--node-red-latest needs a version/);
  });
});

// ---------------------------------------------------------------------------------------------
// The examples: valid flows, and each one doing what its comment says against the simulator.

interface FlowNode {
  id: string;
  type: string;
  z?: string;
  wires?: string[][];
  [key: string]: unknown;
}

const CONFIG_TYPES = new Set(['tplink-device', 'ui-base', 'ui-theme', 'ui-page', 'ui-group']);

function readExample(name: string): FlowNode[] {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLES, name), 'utf8')) as FlowNode[];
}

const exampleNames = fs.readdirSync(EXAMPLES).filter((n) => n.endsWith('.json')).sort();

describe('examples/*.json are importable flows', () => {
  it('there are the five examples', () => {
    assert.deepEqual(exampleNames, [
      '01-switch-a-plug.json',
      '02-turn-off-when-idle.json',
      '03-power-strip-outlets.json',
      '04-energy-dashboard.json',
      '05-tddp-query.json',
    ]);
  });

  for (const name of exampleNames) {
    it(`${name}: one tab, unique ids, wires and config references that resolve, a comment saying what to run`, () => {
      const flow = readExample(name);
      const ids = new Set(flow.map((n) => n.id));
      assert.equal(ids.size, flow.length, 'ids are unique');
      const tabs = flow.filter((n) => n.type === 'tab');
      assert.equal(tabs.length, 1);
      const tab = tabs[0]!;
      for (const node of flow) {
        assert.equal(typeof node.id, 'string');
        if (node.type === 'tab') continue;
        if (CONFIG_TYPES.has(node.type)) {
          assert.equal(node.z, undefined, `${node.type} ${node.id} is a global config node`);
          continue;
        }
        assert.equal(node.z, tab.id, `${node.type} ${node.id} is on the tab`);
        assert.ok(Array.isArray(node.wires), `${node.type} ${node.id} has wires`);
        for (const target of node.wires.flat()) assert.ok(ids.has(target), `${node.id} is wired to ${target}, which exists`);
        for (const key of ['device', 'group']) {
          if (typeof node[key] === 'string') assert.ok(ids.has(node[key]), `${node.id}.${key} refers to a node of the example`);
        }
      }
      for (const device of flow.filter((n) => n.type === 'tplink-device')) {
        assert.equal(device['host'], '127.0.0.1');
        assert.equal(device['port'], 9999);
        assert.equal(device['transport'], 'tcp');
      }
      const comments = flow.filter((n) => n.type === 'comment');
      assert.ok(comments.length >= 1, 'a comment node explains the example');
      assert.match(String(comments[0]!['info']), /npx tplink-sim --model (hs110|hs300) --port 9999/);
      if (flow.some((n) => n.type.startsWith('ui-'))) {
        assert.match(String(comments[0]!['info']), /without it installed they import as unknown placeholders/i);
      }
    });
  }
});

/** Node-RED's own nodes the examples use. */
const coreNodes = ['common/20-inject.js', 'common/90-comment.js', 'common/25-catch.js', 'function/10-function.js', 'function/10-switch.js'].map(
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- plain JS files without types
  (file) => require(`@node-red/nodes/core/${file}`) as unknown,
);
const packageNodes = Object.values(nodeModules) as unknown[];

/**
 * The example as the runtime gets it here: the device on the simulator's ports, debug nodes and
 * dashboard widgets replaced by helper nodes that collect what they receive, dashboard config left out.
 */
function prepare(name: string, device: Record<string, unknown>): FlowNode[] {
  return readExample(name)
    .filter((n) => !['ui-base', 'ui-theme', 'ui-page', 'ui-group'].includes(n.type))
    .map((n) => {
      if (n.type === 'tplink-device') return { ...n, ...device };
      if (n.type === 'debug' || n.type.startsWith('ui-')) return { id: n.id, z: n.z, type: 'helper', name: String(n['name'] ?? ''), wires: [] };
      return n;
    });
}

/** The id of the node of `type` whose name is `name` (ids are generated, names are what people see). */
function idOf(flow: FlowNode[], type: string, name: string): string {
  const node = flow.find((n) => n.type === type && n['name'] === name);
  assert.ok(node !== undefined, `a ${type} named ${JSON.stringify(name)}`);
  return node.id;
}

type Injectable = { receive(msg: Record<string, unknown>): void };

describe('the examples run against the simulator', () => {
  let device: SimulatedDevice | null = null;
  afterEach(async () => {
    await helper.unload();
    await device?.stop();
    device = null;
  });

  async function start(model: 'hs110' | 'hs300'): Promise<SimulatedDevice> {
    device = new SimulatedDevice({ model, port: 0, udp: false });
    await device.start();
    return device;
  }

  function press(flow: FlowNode[], injectName: string): void {
    (helper.getNode(idOf(flow, 'inject', injectName)) as unknown as Injectable).receive({});
  }

  it('01 switch a plug: on, off, toggle, info; the dashboard switch follows', async () => {
    const sim = await start('hs110');
    const flow = prepare('01-switch-a-plug.json', { port: sim.port });
    await helper.load([...packageNodes, ...coreNodes], flow);
    const state = new Inbox(helper.getNode(idOf(flow, 'helper', 'state / reply')));
    const uiSwitch = new Inbox(helper.getNode(idOf(flow, 'helper', 'Plug switch')));
    const errors = new Inbox(helper.getNode(idOf(flow, 'helper', 'error code and message')));
    // The node watches the plug: its first poll reports the state as "online".
    const first = await state.next(8000);
    assert.equal(first['event'], 'online');
    assert.equal((await uiSwitch.next()).payload, first.payload);
    assert.equal(first.payload, sim.state.getRelay());

    press(flow, 'on');
    assert.equal((await state.next()).payload, true);
    assert.equal((await uiSwitch.next()).payload, true);
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
    const flow = prepare('02-turn-off-when-idle.json', { port: sim.port }).map((n) =>
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
    const flow = prepare('02-turn-off-when-idle.json', { port: sim.port }).map((n) =>
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
    const flow = prepare('03-power-strip-outlets.json', { port: sim.port });
    await helper.load([...packageNodes, ...coreNodes], flow);
    const out = new Inbox(helper.getNode(idOf(flow, 'helper', 'outlet and state')));
    const errors = new Inbox(helper.getNode(idOf(flow, 'helper', 'error code and message')));
    // "all outlets, watched" polls: its first report is one "online" message per outlet.
    for (let i = 1; i <= 6; i++) assert.equal((await out.next(8000))['event'], 'online');

    press(flow, 'outlet 1 on');
    let msg = await out.next();
    assert.equal(msg.payload, true);
    assert.equal((msg['outlet'] as { index: number }).index, 1);
    assert.equal(sim.state.getRelay(0), true);

    press(flow, 'toggle "Plug 2"');
    msg = await out.next();
    assert.equal((msg['outlet'] as { alias: string }).alias, 'Plug 2');
    assert.equal(sim.state.getRelay(1), msg.payload);

    press(flow, 'msg.outlet = 3, on');
    msg = await out.next();
    assert.equal((msg['outlet'] as { index: number }).index, 3);
    assert.equal(sim.state.getRelay(2), true);

    press(flow, 'msg.outlet = "4,6", toggle');
    msg = await out.next();
    assert.deepEqual((msg['outlet'] as Array<{ index: number }>).map((o) => o.index), [4, 6]);
    assert.deepEqual(msg.payload, [sim.state.getRelay(3), sim.state.getRelay(5)]);

    press(flow, 'all off');
    // The command's reply, then possibly change reports from the watcher: wait for the reply.
    for (;;) {
      msg = await out.next();
      if (msg['event'] === undefined) break;
    }
    assert.deepEqual(msg.payload, [false, false, false, false, false, false], 'one state per outlet');
    for (let i = 0; i < 6; i++) assert.equal(sim.state.getRelay(i), false);
    assert.equal(await errors.quietFor(100), true);
  });

  it('04 energy dashboard: power to the gauge and chart, days to the bar chart', async () => {
    const sim = await start('hs110');
    const flow = prepare('04-energy-dashboard.json', { port: sim.port });
    await helper.load([...packageNodes, ...coreNodes], flow);
    const gauge = new Inbox(helper.getNode(idOf(flow, 'helper', 'power gauge')));
    const chart = new Inbox(helper.getNode(idOf(flow, 'helper', 'power chart')));
    const bars = new Inbox(helper.getNode(idOf(flow, 'helper', 'daily energy')));
    const days = new Inbox(helper.getNode(idOf(flow, 'helper', 'daily energy (kWh)')));
    const errors = new Inbox(helper.getNode(idOf(flow, 'helper', 'error code and message')));

    press(flow, 'plug on');
    await until(() => sim.state.getRelay());
    (helper.getNode(idOf(flow, 'plug-energy', 'power every 10 s')) as unknown as Injectable).receive({});
    const power = await gauge.next();
    assert.equal(typeof power.payload, 'number');
    assert.ok((power.payload as number) > 0, 'a plug that is on draws power');
    assert.equal(power.topic, 'Plug');
    assert.equal((await chart.next()).payload, power.payload);

    press(flow, 'this month, hourly');
    const stats = (await days.next()).payload as Array<{ year: number; month: number; day: number; energy: number }>;
    const barData = (await bars.next()).payload as Array<{ day: string; energy: number }>;
    assert.ok(stats.length > 0, 'the simulator has energy for the days of this month');
    // The function node builds its objects in a sandbox of its own: compare the data, not prototypes.
    assert.deepEqual(JSON.parse(JSON.stringify(barData)), stats.map((d) => ({ day: String(d.day), energy: d.energy })));
    assert.equal(await errors.quietFor(100), true);
  });

  it('05 TDDP query: subtype 0x0a and msg.subtype 0x12 against a TDDP responder', async () => {
    const replyPort = await freeUdpPort();
    const responder = new TddpResponder({ profile: 'hs110', replyTo: 'reply-port', replyPort });
    await responder.start();
    try {
      const flow = prepare('05-tddp-query.json', { tddpPort: responder.port, tddpReplyPort: replyPort, timeout: 2000 });
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
