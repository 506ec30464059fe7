// `npm start`'s demo as a user meets it: every example on a tab of its own wired to the simulated
// devices, nothing listening beyond 127.0.0.1, and the device dialog's search finding the demo's
// devices as it opens; the editor in Debian's chromium (playwright-core). Screenshots go to
// test-output/demo/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { CHROMIUM, Demo, PROJECT_ROOT as projectRoot, demoRuntime as runtime } from '../support/demo-runtime';
import { openLoopbackPage } from '../support/chromium';
import { within } from '../support/wait';
import type { SwitchState } from '../../src/simulator/smart/switch-state';

interface FlowNode {
  id: string;
  type: string;
  label?: string;
  [key: string]: unknown;
}

const outputDir = path.join(projectRoot, 'test-output', 'demo');
const examplesDir = path.join(projectRoot, 'examples');
const STEP_MS = 10000;
const TEST_MS = 30000;

/** Listening TCP sockets and bound UDP sockets of a process: [protocol, local address, port]. */
function listeningSockets(pid: number): Array<{ protocol: string; address: string; port: number }> {
  const inodes = new Set(
    fs
      .readdirSync(`/proc/${pid}/fd`)
      .map((fd) => {
        try {
          return /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        } catch {
          return undefined; // closed meanwhile
        }
      })
      .filter((inode): inode is string => inode !== undefined),
  );
  const found: Array<{ protocol: string; address: string; port: number }> = [];
  for (const protocol of ['tcp', 'tcp6', 'udp', 'udp6']) {
    for (const line of fs.readFileSync(`/proc/${pid}/net/${protocol}`, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || !inodes.has(fields[9]!)) continue;
      // TCP: only listeners (state 0A); UDP: every bound socket receives.
      if (protocol.startsWith('tcp') && fields[3] !== '0A') continue;
      const [hex, port] = fields[1]!.split(':');
      found.push({ protocol, address: hexAddress(hex!), port: Number.parseInt(port!, 16) });
    }
  }
  return found;
}

/** /proc/net's hex address: IPv4 as a little-endian word, IPv6 as four of them. */
function hexAddress(hex: string): string {
  if (hex.length === 8) return [3, 2, 1, 0].map((i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  return hex === '00000000000000000000000000000000' ? '::' : hex === '00000000000000000000000001000000' ? '::1' : `ipv6:${hex}`;
}

/** The next change of a simulated relay (the one it switches to); bounded in time. */
function nextChange(relay: SwitchState, ms = 10000): Promise<boolean> {
  const previous = relay.onChange;
  return within(
    new Promise<boolean>((resolve) => {
      relay.onChange = (on) => {
        relay.onChange = previous;
        previous?.(on);
        resolve(on);
      };
    }),
    ms,
    'the simulated relay to switch',
  ).finally(() => {
    if (relay.onChange !== previous) relay.onChange = previous;
  });
}

describe('the demo (npm start)', () => {
  let demo: Demo;
  let browser: BrowserContext;
  let page: Page;
  let step = 0;

  async function screenshot(name: string): Promise<void> {
    step += 1;
    await page.screenshot({ path: path.join(outputDir, `${String(step).padStart(2, '0')}-${name}.png`) });
  }

  before(async () => {
    assert.ok(fs.existsSync(CHROMIUM), `no ${CHROMIUM}: run sh scripts/ensure-chromium.sh`);
    fs.rmSync(outputDir, { recursive: true, force: true });
    fs.mkdirSync(outputDir, { recursive: true });
    demo = await runtime.startDemo({ userDir: path.join(outputDir, 'node-red-user'), port: 0 });
    ({ browser, page } = await openLoopbackPage({ outputDir, allowed: demo.url, stepMs: STEP_MS, viewport: { width: 1400, height: 900 } }));
    await page.goto(demo.url);
    await page.locator('#red-ui-palette-container').waitFor();
    await page.waitForFunction('RED.nodes.getWorkspaceOrder().length > 0');
  }, { timeout: 60000 });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  }, { timeout: 20000 });

  it('has every example on a tab of its own, each device node pointed at a simulated device', { timeout: TEST_MS }, async () => {
    const examples = fs.readdirSync(examplesDir).filter((n) => n.endsWith('.json')).sort();
    const labels = examples.map((name) => (JSON.parse(fs.readFileSync(path.join(examplesDir, name), 'utf8')) as FlowNode[]).find((n) => n.type === 'tab')!.label);
    const tabs = await page.evaluate(() => {
      const red = (globalThis as unknown as { RED: { nodes: { getWorkspaceOrder(): string[]; workspace(id: string): { label: string } } } }).RED;
      return red.nodes.getWorkspaceOrder().map((id) => red.nodes.workspace(id).label);
    });
    assert.deepEqual(tabs, labels);
    const flows = (await (await page.request.get(`${demo.url}flows`)).json()) as FlowNode[];
    const devices = flows.filter((n) => n.type === 'tplink-device');
    // One device node per simulated device: the Device list names each once.
    const simulated = [
      { name: `Simulated HS110 (127.0.0.1:${demo.hs110.port})`, transport: 'tcp', port: demo.hs110.port },
      { name: `Simulated HS300 (127.0.0.1:${demo.hs300.port})`, transport: 'tcp', port: demo.hs300.port },
      { name: `Simulated KL430 (127.0.0.1:${demo.kl430.port})`, transport: 'tcp', port: demo.kl430.port },
      { name: `Simulated Tapo P110M (127.0.0.1:${demo.p110m.port})`, transport: 'klap', klapPort: demo.p110m.port },
      { name: `Simulated Tapo P300 (127.0.0.1:${demo.p300.port})`, transport: 'klap', klapPort: demo.p300.port },
      { name: `Simulated Tapo L530 (127.0.0.1:${demo.l530.port})`, transport: 'klap', klapPort: demo.l530.port },
      { name: `Simulated Tapo H100 hub (127.0.0.1:${demo.h100.port})`, transport: 'klap', klapPort: demo.h100.port },
    ];
    assert.deepEqual(devices.map((d) => String(d['name'])).sort(), simulated.map((d) => d.name).sort(), 'one device node per simulated device');
    for (const expected of simulated) {
      const device = devices.find((d) => d['name'] === expected.name)!;
      assert.equal(device['host'], '127.0.0.1');
      assert.equal(device['transport'], expected.transport);
      if (expected.port !== undefined) assert.equal(Number(device['port']), expected.port);
      if (expected.klapPort !== undefined) assert.equal(Number(device['klapPort']), expected.klapPort);
      assert.equal(device['tddpReplyPort'], demo.tddpReplyPort);
    }
    const deviceIds = new Set(devices.map((d) => d.id));
    for (const node of flows.filter((n) => n['device'] !== undefined)) assert.ok(deviceIds.has(String(node['device'])), `${String(node['name'])} uses one of them`);
    // Fixed ports, so what npm start prints holds from one start to the next (unless one was taken).
    const preferred = runtime.DEMO_PORTS;
    for (const [name, port] of [['hs110', demo.hs110.port], ['hs300', demo.hs300.port], ['kl430', demo.kl430.port], ['p110m', demo.p110m.port], ['p300', demo.p300.port], ['l530', demo.l530.port], ['h100', demo.h100.port]] as const) {
      if (port !== preferred[name]) console.log(`# the demo's ${name} took port ${port}: ${preferred[name]} was in use`);
    }
    await screenshot('editor');
  });

  it('listens on 127.0.0.1 only: Node-RED, Dashboard 2, the simulators, the TDDP reply port', { timeout: TEST_MS }, () => {
    const nodeRed = listeningSockets(demo.nodeRed.pid);
    const simulators = listeningSockets(process.pid);
    assert.ok(nodeRed.some((s) => s.protocol === 'udp' && s.port === demo.tddpReplyPort), `the TDDP reply port is among ${JSON.stringify(nodeRed)}`);
    assert.ok(simulators.some((s) => s.protocol === 'tcp' && s.port === demo.hs110.port), 'the simulated HS110 listens');
    for (const tapo of [demo.p110m, demo.p300, demo.h100]) assert.ok(simulators.some((s) => s.protocol === 'tcp' && s.port === tapo.port), `the simulated ${tapo.device.spec.model} listens`);
    for (const socket of [...nodeRed, ...simulators]) assert.equal(socket.address, '127.0.0.1', `${socket.protocol} port ${socket.port} listens on ${socket.address}`);
  });

  it('the Tapo tab works: the P110M switches and reads its power, the P300 outlet switches', { timeout: TEST_MS }, async () => {
    const flows = (await (await page.request.get(`${demo.url}flows`)).json()) as FlowNode[];
    const tab = flows.find((n) => n.type === 'tab' && n.label === 'Tapo: plug and strip');
    assert.ok(tab, 'a Tapo tab');
    const inject = (name: string) => {
      const node = flows.find((n) => n.type === 'inject' && n.z === tab.id && n['name'] === name);
      assert.ok(node, `an inject "${name}" on the Tapo tab`);
      // What the inject button in the editor does.
      return page.request.post(`${demo.url}inject/${node.id}`).then((response) => assert.equal(response.status(), 200, name));
    };
    await page.evaluate((id) => {
      const red = (globalThis as unknown as { RED: { workspaces: { show(id: string): void }; sidebar: { show(name: string): void } } }).RED;
      red.workspaces.show(id);
      red.sidebar.show('debug');
    }, tab.id);

    demo.p110m.device.relay.setOn(false);
    let change = nextChange(demo.p110m.device.relay);
    await inject('plug on');
    assert.equal(await change, true, 'plug-control switched the simulated P110M on');
    change = nextChange(demo.p110m.device.relay);
    await inject('toggle plug');
    assert.equal(await change, false);
    change = nextChange(demo.p110m.device.relay);
    await inject('plug on');
    assert.equal(await change, true);

    await inject('read power');
    // The debug node's message in the sidebar: the P110M's simulated load, in W.
    const reading = page.locator('.red-ui-debug-msg').filter({ hasText: 'power (W) and msg.energy' }).first();
    await reading.waitFor();
    await reading.locator('.red-ui-debug-msg-element').first().click();
    assert.match(await reading.innerText(), /61\.25/);

    const outlet2 = demo.p300.device.children.outlets[1]!.relay;
    outlet2.setOn(false);
    change = nextChange(outlet2);
    await inject('outlet 2 on');
    assert.equal(await change, true, 'strip-outlet switched outlet 2 of the simulated P300 on');
    assert.deepEqual(demo.p300.device.children.outlets.map((o) => o.relay.isOn), [false, true, false], 'that outlet only');
    change = nextChange(outlet2);
    await inject('outlet 2 off');
    assert.equal(await change, false);
    await page.locator('.red-ui-debug-msg').filter({ hasText: 'outlet and state' }).first().waitFor();
    await screenshot('tapo-tab');
  });

  it('the hub tab works: the door opening switches the P110M on, a press of the button toggles it', { timeout: TEST_MS }, async () => {
    demo.p110m.device.relay.setOn(false);
    const flows = (await (await page.request.get(`${demo.url}flows`)).json()) as FlowNode[];
    const tab = flows.find((n) => n.type === 'tab' && n.label === 'Tapo hub: door and button');
    assert.ok(tab, 'a hub tab');
    await page.evaluate((id) => (globalThis as unknown as { RED: { workspaces: { show(id: string): void } } }).RED.workspaces.show(id), tab.id);
    await page.locator('.red-ui-flow-node-status-label').filter({ hasText: 'Front door: closed' }).first().waitFor({ timeout: STEP_MS });
    await page.locator('.red-ui-flow-node-status-label').filter({ hasText: 'Bedside button' }).first().waitFor({ timeout: STEP_MS });
    // A hub sensor shows its child's state after its first reading, which also learnt where the child's log stands.
    let change = nextChange(demo.p110m.device.relay);
    demo.h100.device.hub!.fire('contact', { type: 'open' });
    assert.equal(await change, true, 'the door opening switched the simulated P110M on');
    change = nextChange(demo.p110m.device.relay);
    demo.h100.device.hub!.fire('button', { type: 'singleClick' });
    assert.equal(await change, false, 'the press toggled it off');
    await screenshot('hub-tab');
  });

  it("the device dialog's search finds the demo's devices as it opens, and its placeholders fit", { timeout: TEST_MS }, async () => {
    const flows = (await (await page.request.get(`${demo.url}flows`)).json()) as FlowNode[];
    const device = flows.find((n) => n.type === 'tplink-device')!;
    await page.evaluate((id) => {
      (globalThis as unknown as { RED: { editor: { editConfig(name: string, type: string, id: string): void } } }).RED.editor.editConfig('', 'tplink-device', id);
    }, device.id);
    await page.locator('#node-config-kasa-discover').waitFor();
    const hosts = [demo.hs110.udpPort, demo.hs300.udpPort, demo.kl430.udpPort, demo.p110m.tdpPort, demo.p300.tdpPort, demo.l530.tdpPort, demo.h100.tdpPort].map((port) => `127.0.0.1:${port!}`).join(', ');
    assert.equal(demo.searchHosts, hosts, 'the Kasa simulators by their UDP port, the Tapo ones by their discovery port');
    assert.equal(await page.locator('#node-config-kasa-hosts').inputValue(), hosts, 'the hosts settings.js gives');
    assert.match(await page.locator('#node-config-kasa-discover-options .form-tips').innerText(), /host:port/);
    await page.locator('#node-config-kasa-discover').click();
    const found = page.locator('#node-config-kasa-discover-result .kasa-flows-item');
    await found.filter({ hasText: 'Demo lamp' }).waitFor();
    await found.filter({ hasText: 'Demo strip' }).waitFor();
    await found.filter({ hasText: 'Demo light strip' }).waitFor();
    // The Tapo simulators answer TP-Link's discovery: listed by model, their KLAP port and family.
    for (const tapo of [demo.p110m, demo.p300, demo.l530]) {
      const item = found.filter({ hasText: `127.0.0.1:${tapo.port}` });
      await item.waitFor();
      assert.match(await item.innerText(), /Tapo \/ SMART.*KLAP/s);
    }
    assert.equal(await found.count(), 7, 'the seven simulated devices, each once');
    await screenshot('device-search');

    // Placeholders show when the fields are empty: each must fit its field.
    await page.locator('#node-config-kasa-hosts').fill('');
    await page.locator('#node-config-input-host').fill('');
    const cut = await page.evaluate(() =>
      ['#node-config-input-host', '#node-config-input-name', '#node-config-kasa-broadcast', '#node-config-kasa-hosts'].flatMap((selector) => {
        const input = document.querySelector(selector) as HTMLInputElement;
        const style = getComputedStyle(input);
        const context = document.createElement('canvas').getContext('2d')!;
        context.font = style.font;
        const room = input.clientWidth - Number.parseFloat(style.paddingLeft) - Number.parseFloat(style.paddingRight);
        const needed = context.measureText(input.placeholder).width;
        return needed > room ? [`${selector}: "${input.placeholder}" needs ${Math.ceil(needed)} px, has ${Math.floor(room)}`] : [];
      }),
    );
    await screenshot('placeholders');
    assert.deepEqual(cut, []);
    await page.locator('#node-config-dialog-cancel').click();
  });

  it("a Tapo device's dialog shows its HTTP port, not port 9999", { timeout: TEST_MS }, async () => {
    const flows = (await (await page.request.get(`${demo.url}flows`)).json()) as FlowNode[];
    const device = flows.find((n) => n.type === 'tplink-device' && String(n['name']).includes('P110M'))!;
    await page.locator('#node-config-kasa-discover').waitFor({ state: 'detached' });
    await page.evaluate((id) => {
      (globalThis as unknown as { RED: { editor: { editConfig(name: string, type: string, id: string): void } } }).RED.editor.editConfig('', 'tplink-device', id);
    }, device.id);
    await page.locator('#node-config-kasa-discover').waitFor();
    assert.equal(await page.locator('#node-config-input-transport').inputValue(), 'klap');
    // No port in the transport's name: the HTTP port field says which (8191 here, not 80).
    const transportText = await page.locator('#node-config-input-transport option:checked').innerText();
    assert.match(transportText, /KLAP .*HTTP port/);
    assert.doesNotMatch(transportText, /\b80\b|9999/);
    await page.locator('#node-config-kasa-port-row').waitFor({ state: 'hidden' });
    const http = page.locator('#node-config-kasa-klap-row');
    await http.waitFor();
    assert.equal((await http.locator('label').innerText()).trim(), 'HTTP port');
    assert.equal(await page.locator('#node-config-input-klapPort').inputValue(), String(demo.p110m.port));
    // Once the dialog has slid in (a trial click waits until the button stands still).
    await page.locator('#node-config-dialog-cancel').click({ trial: true });
    await screenshot('tapo-device-dialog');
    await page.locator('#node-config-dialog-cancel').click();
    await page.locator('#node-config-kasa-discover').waitFor({ state: 'detached' });
  });

  it('the dashboard example\'s tab: every status readable, none behind another node or cut at the canvas edge', { timeout: TEST_MS }, async () => {
    const flows = (await (await page.request.get(`${demo.url}flows`)).json()) as FlowNode[];
    const tab = flows.find((n) => n.type === 'tab' && /dashboard/i.test(String(n.label)));
    assert.ok(tab, 'a dashboard tab');
    await page.evaluate((id) => {
      (globalThis as unknown as { RED: { workspaces: { show(id: string): void } } }).RED.workspaces.show(id);
    }, tab.id);
    // The watching nodes report their first poll in their status.
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll('#red-ui-workspace-chart .red-ui-flow-node-status-label')).filter((l) => (l.textContent ?? '') !== '').length >= 3,
      undefined,
      { timeout: STEP_MS },
    );
    const problems = await page.evaluate(() => {
      const canvas = document.querySelector('#red-ui-workspace-chart')!.getBoundingClientRect();
      const nodes = Array.from(document.querySelectorAll('#red-ui-workspace-chart g.red-ui-flow-node-group'));
      const rects = nodes.map((g) => ({ g, box: g.querySelector('rect.red-ui-flow-node')!.getBoundingClientRect() }));
      const found: string[] = [];
      for (const { g } of rects) {
        const label = g.querySelector('.red-ui-flow-node-status-label');
        if (label === null || (label.textContent ?? '') === '' || (label.closest('g') as SVGGElement | null)?.style.display === 'none') continue;
        const text = label.getBoundingClientRect();
        const name = g.querySelector('.red-ui-flow-node-label')?.textContent ?? '?';
        if (text.left < canvas.left) found.push(`${name}: status "${label.textContent}" cut at the canvas edge`);
        for (const other of rects) {
          if (other.g === g) continue;
          const b = other.box;
          if (text.left < b.right && b.left < text.right && text.top < b.bottom && b.top < text.bottom) {
            found.push(`${name}: status "${label.textContent}" behind ${other.g.querySelector('.red-ui-flow-node-label')?.textContent ?? '?'}`);
          }
        }
      }
      return found;
    });
    await screenshot('dashboard-tab');
    assert.deepEqual(problems, []);
  });
});
