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
    const inExamples = examples.flatMap((name) => (JSON.parse(fs.readFileSync(path.join(examplesDir, name), 'utf8')) as FlowNode[]).filter((n) => n.type === 'tplink-device'));
    assert.equal(devices.length, inExamples.length, "every example's own device nodes, none shared");
    for (const device of devices) {
      assert.equal(device['host'], '127.0.0.1');
      assert.ok([demo.hs110.port, demo.hs300.port].includes(Number(device['port'])), `${String(device['name'])} points at a simulator`);
      assert.equal(device['tddpReplyPort'], demo.tddpReplyPort);
    }
    await screenshot('editor');
  });

  it('listens on 127.0.0.1 only: Node-RED, Dashboard 2, the simulators, the TDDP reply port', { timeout: TEST_MS }, () => {
    const nodeRed = listeningSockets(demo.nodeRed.pid);
    const simulators = listeningSockets(process.pid);
    assert.ok(nodeRed.some((s) => s.protocol === 'udp' && s.port === demo.tddpReplyPort), `the TDDP reply port is among ${JSON.stringify(nodeRed)}`);
    assert.ok(simulators.some((s) => s.protocol === 'tcp' && s.port === demo.hs110.port), 'the simulated HS110 listens');
    for (const socket of [...nodeRed, ...simulators]) assert.equal(socket.address, '127.0.0.1', `${socket.protocol} port ${socket.port} listens on ${socket.address}`);
  });

  it("the device dialog's search finds the demo's devices as it opens, and its placeholders fit", { timeout: TEST_MS }, async () => {
    const flows = (await (await page.request.get(`${demo.url}flows`)).json()) as FlowNode[];
    const device = flows.find((n) => n.type === 'tplink-device')!;
    await page.evaluate((id) => {
      (globalThis as unknown as { RED: { editor: { editConfig(name: string, type: string, id: string): void } } }).RED.editor.editConfig('', 'tplink-device', id);
    }, device.id);
    await page.locator('#node-config-kasa-discover').waitFor();
    const hosts = `127.0.0.1:${demo.hs110.udpPort!}, 127.0.0.1:${demo.hs300.udpPort!}`;
    assert.equal(await page.locator('#node-config-kasa-hosts').inputValue(), hosts, 'the hosts settings.js gives');
    assert.match(await page.locator('#node-config-kasa-discover-options .form-tips').innerText(), /host:port/);
    await page.locator('#node-config-kasa-discover').click();
    const found = page.locator('#node-config-kasa-discover-result .kasa-flows-item');
    await found.filter({ hasText: 'Demo lamp' }).waitFor();
    await found.filter({ hasText: 'Demo strip' }).waitFor();
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
});
