// The editor in a real browser: Debian's chromium (scripts/ensure-chromium.sh installs it) driven by
// playwright-core, against the installed Node-RED (4.1 in development; CI also runs it on the oldest
// supported Node-RED and on 5.x, see scripts/ci-legs.sh) with this package and a simulated HS110, all
// on loopback. Screenshots of every step go to test-output/browser/ for a person to look at.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import type { BrowserContext, Page } from 'playwright-core';
import { SimulatedDevice } from '../../src/simulator/server';
import { SmartSimulatedDevice } from '../../src/simulator/smart/server';
import { RelayEvent } from '../../src/simulator/device-state';
import { CHROMIUM, NodeRedHandle, PROJECT_ROOT as projectRoot, demoRuntime as runtime } from '../support/demo-runtime';
import { openLoopbackPage } from '../support/chromium';


const outputDir = path.join(projectRoot, 'test-output', 'browser');
const CATEGORY = 'tplink_kasa_tapo';
const PALETTE_TYPES = ['plug-control', 'light-control', 'strip-outlet', 'plug-energy', 'tddp-query', 'hub-sensor'];
/** Bounds every single browser step; a test as a whole is bounded by its own timeout. */
const STEP_MS = 8000;
const TEST_MS = 20000;
/**
 * Node-RED 5 moved the sidebar: tab buttons in a tab bar, content in a class rather than an id.
 * CSS unions match 4.1 and 5 alike. (Node-RED 3, not supported, also named the config-node edit
 * button differently: `#node-input-lookup-<field>`.)
 */
const HELP_TAB = '#red-ui-tab-help-link-button, .red-ui-sidebar-tab-bar button[data-tab-id="help"]';
const SIDEBAR_CONTENT = '#red-ui-sidebar-content, .red-ui-sidebar-content';


describe('editor in chromium', () => {
  let hs110: SimulatedDevice;
  /** A Tapo plug bound to an account, answering TP-Link's discovery on a port of its own. */
  let tapo: SmartSimulatedDevice;
  let tpap: SmartSimulatedDevice;
  /** A Tapo hub with one child of each kind. */
  let hub: SmartSimulatedDevice;
  let nodeRed: NodeRedHandle;
  let browser: BrowserContext;
  let page: Page;
  let step = 0;

  async function screenshot(name: string): Promise<void> {
    step += 1;
    await page.screenshot({ path: path.join(outputDir, `${String(step).padStart(2, '0')}-${name}.png`) });
  }

  /** On the workspace: the inject node has a button, the plug-control node has none. */
  const injectNode = () => page.locator('#red-ui-workspace-chart g.red-ui-flow-node-group').filter({ has: page.locator('.red-ui-flow-node-button') });
  const plugNode = () => page.locator('#red-ui-workspace-chart g.red-ui-flow-node-group').filter({ hasNot: page.locator('.red-ui-flow-node-button') });

  /** Drags a node type from the palette onto the workspace at (x, y) of the canvas. */
  async function dropFromPalette(type: string, x: number, y: number): Promise<void> {
    const source = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
    await source.scrollIntoViewIfNeeded();
    const box = await source.boundingBox();
    const canvas = await page.locator('#red-ui-workspace-chart').boundingBox();
    assert.ok(box && canvas, `${type} in the palette and the workspace are on screen`);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(canvas.x + x, canvas.y + y, { steps: 10 });
    await page.mouse.up();
  }

  before(async () => {
    // A missing browser is a failure, not a skip: `npm test` installs it (scripts/ensure-test-tools.sh).
    assert.ok(fs.existsSync(CHROMIUM), `no ${CHROMIUM}: run sh scripts/ensure-chromium.sh`);
    fs.rmSync(outputDir, { recursive: true, force: true });
    fs.mkdirSync(outputDir, { recursive: true });
    hs110 = new SimulatedDevice({ model: 'hs110', host: '127.0.0.1', port: 0, alias: 'Browser test lamp' });
    await hs110.start();
    tapo = new SmartSimulatedDevice({ model: 'p110', port: 0, tdpPort: 0, username: 'owner@example.com', password: 'secret', seed: 'browser' });
    await tapo.start();
    tpap = new SmartSimulatedDevice({ model: 'p110', transport: 'tpap', port: 0, tdpPort: 0, nickname: 'New firmware', username: 'owner@example.com', password: 'secret', seed: 'browser tpap' });
    await tpap.start();
    hub = new SmartSimulatedDevice({ model: 'h100', port: 0, tdpPort: null, seed: 'browser-hub' });
    await hub.start();
    nodeRed = await runtime.startNodeRed({ userDir: path.join(outputDir, 'node-red-user'), flows: [], port: 0 });
    ({ browser, page } = await openLoopbackPage({ outputDir, allowed: nodeRed.url, stepMs: STEP_MS, viewport: { width: 1400, height: 900 } }));
    await page.goto(nodeRed.url);
    await page.locator('#red-ui-palette-container').waitFor();
  }, { timeout: 40000 });

  after(async () => {
    await browser?.close();
    await nodeRed?.stop();
    await hs110?.stop();
    await tapo?.stop();
    await tpap?.stop();
    await hub?.stop();
  }, { timeout: 20000 });

  it('shows the six nodes with their icons under "TP-Link Kasa & Tapo" in the palette', { timeout: TEST_MS }, async () => {
    const category = page.locator(`#red-ui-palette-container-${CATEGORY}`);
    await category.waitFor();
    assert.equal((await category.locator('.red-ui-palette-header').innerText()).trim(), 'TP-Link Kasa & Tapo');
    for (const type of PALETTE_TYPES) {
      const node = category.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
      await node.waitFor();
      const icon = await node.locator('.red-ui-palette-icon').evaluate((el) => getComputedStyle(el).backgroundImage);
      const url = /url\("?([^")]+)"?\)/.exec(icon)?.[1];
      assert.ok(url && url.includes('kasa-'), `${type} has the package's icon, not ${icon}`);
      const reply = await page.request.get(url);
      assert.equal(reply.status(), 200, `${type} icon ${url} loads`);
      assert.match(reply.headers()['content-type'] ?? '', /svg/);
    }
    await category.scrollIntoViewIfNeeded();
    await screenshot('palette');
  });

  it("drops plug-control on the workspace and opens its help in the sidebar", { timeout: TEST_MS }, async () => {
    await dropFromPalette('plug-control', 400, 200);
    await plugNode().waitFor();
    // The help tab shows the help of the selected node: the one just dropped.
    await page.locator(HELP_TAB).click();
    await page.locator(SIDEBAR_CONTENT).getByText('Switches a TP-Link Kasa smart plug').first().waitFor();
    await screenshot('help');
  });

  it('finds the simulated plug from the config dialog and fills the form', { timeout: 2 * TEST_MS }, async () => {
    await plugNode().locator('rect.red-ui-flow-node').dblclick();
    await page.locator('#node-input-action').waitFor();
    await page.locator('#node-input-action').selectOption('toggle');
    await page.locator('#node-input-btn-device-add').click();
    await page.locator('#node-config-kasa-discover').waitFor();
    await screenshot('config-dialog');
    // A host with its port is marked red and explained at once, before anything is deployed.
    const host = page.locator('#node-config-input-host');
    // Node-RED checks the field on each key (keyup), the dialog's message follows every input.
    const type = async (text: string) => {
      await host.fill(text);
      await host.dispatchEvent('keyup');
    };
    await type('127.0.0.1:9999');
    await page.locator('#node-config-input-host.input-error').waitFor();
    const problem = page.locator('#node-config-kasa-host-problem');
    await problem.getByText('give the host alone (127.0.0.1) here and the port (9999) in the Port field below, or in the HTTP port field').waitFor();
    await screenshot('host-with-port');
    await type('bad host!');
    await problem.getByText('"bad host!" is not a host name or IP address').waitFor();
    await type('plug.lan');
    await page.locator('#node-config-input-host:not(.input-error)').waitFor();
    await problem.waitFor({ state: 'hidden' });
    await page.locator('#node-config-kasa-discover-options-toggle').click();
    await page.locator('#node-config-kasa-hosts').fill(`127.0.0.1:${hs110.udpPort}, 127.0.0.1:${tapo.tdpPort}, 127.0.0.1:${tpap.tdpPort}`);
    await page.locator('#node-config-input-timeout').fill('1000');
    await page.locator('#node-config-kasa-discover').click();
    const found = page.locator('#node-config-kasa-discover-result .kasa-flows-item');
    // The Tapo plug is listed with its model, address, family, login and the account it needs.
    const tapoItem = found.filter({ hasText: `127.0.0.1:${tapo.port}` });
    await tapoItem.waitFor();
    const tapoText = await tapoItem.innerText();
    for (const part of [`127.0.0.1:${tapo.port}`, 'Tapo / SMART', 'KLAP', 'needs your TP-Link account']) {
      assert.ok(tapoText.includes(part), `"${part}" in ${JSON.stringify(tapoText)}`);
    }
    await found.filter({ hasText: 'Browser test lamp' }).waitFor();
    // A plug on 2025 firmware: listed with its TPAP login, and picking it chooses the TPAP transport.
    const tpapItem = found.filter({ hasText: `127.0.0.1:${tpap.port}` });
    await tpapItem.waitFor();
    assert.ok((await tpapItem.innerText()).includes('TPAP login'), await tpapItem.innerText());
    assert.equal(await found.count(), 3, 'one entry per device');
    await tpapItem.click();
    assert.equal(await page.locator('#node-config-input-transport').inputValue(), 'tpap');
    assert.equal(await page.locator('#node-config-input-klapPort').inputValue(), String(tpap.port));
    await page.locator('#node-config-input-name').fill('');
    await tapoItem.click();
    assert.equal(await page.locator('#node-config-input-host').inputValue(), '127.0.0.1');
    assert.equal(await page.locator('#node-config-input-transport').inputValue(), 'klap');
    assert.equal(await page.locator('#node-config-input-klapPort').inputValue(), String(tapo.port));
    await page.locator('#node-config-kasa-discover-note').getByText('bound to a TP-Link account').waitFor();
    await screenshot('tapo-found');
    // The Kasa plug is the one the flow uses: picking it sets the classic protocol back.
    await page.locator('#node-config-input-name').fill('');
    await found.filter({ hasText: 'Browser test lamp' }).click();
    assert.equal(await page.locator('#node-config-input-transport').inputValue(), 'auto');
    assert.equal(await page.locator('#node-config-input-host').inputValue(), '127.0.0.1');
    assert.equal(await page.locator('#node-config-input-port').inputValue(), String(hs110.port));
    assert.equal(await page.locator('#node-config-input-name').inputValue(), 'Browser test lamp');
    await screenshot('device-found');
    await page.locator('#node-config-dialog-ok').click();
    await page.locator('#node-config-kasa-discover').waitFor({ state: 'detached' });
    await page.locator('#node-dialog-ok').click();
    await page.locator('#node-input-action').waitFor({ state: 'detached' });
    await screenshot('plug-control-configured');
  });

  it('deploys inject -> plug-control and switches the simulated plug from the inject button', { timeout: TEST_MS }, async () => {
    await dropFromPalette('inject', 150, 200);
    // Wire the inject's output port to the plug-control's input port.
    await injectNode().waitFor();
    const outPort = injectNode().locator('.red-ui-flow-port-output');
    const inPort = plugNode().locator('.red-ui-flow-port-input');
    const from = await outPort.boundingBox();
    const to = await inPort.boundingBox();
    assert.ok(from && to, 'both ports are on screen');
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 10 });
    await page.mouse.up();
    await screenshot('flow-wired');
    // The editor's own model says whether the drag made a wire.
    await page.waitForFunction('RED.nodes.filterLinks({}).length === 1', undefined, { timeout: STEP_MS });

    await page.locator('#red-ui-header-button-deploy').click();
    await page.locator('#red-ui-header-button-deploy.disabled').waitFor();
    await screenshot('deployed');

    const before = hs110.state.getRelay();
    const switched = once(hs110, 'relay', { signal: AbortSignal.timeout(STEP_MS) }) as Promise<[RelayEvent]>;
    await injectNode().locator('.red-ui-flow-node-button').click();
    const [event] = await switched;
    assert.equal(event.on, !before, 'the toggle switched the relay over');
    assert.equal(hs110.state.getRelay(), !before);
    await screenshot('plug-switched');
  });

  it("hub-sensor's dialog lists the hub's children and a click picks one", { timeout: TEST_MS }, async () => {
    await dropFromPalette('hub-sensor', 400, 360);
    const hubNode = page.locator('#red-ui-workspace-chart g.red-ui-flow-node-group').filter({ hasText: 'hub sensor' });
    await hubNode.waitFor();
    await hubNode.locator('rect.red-ui-flow-node').dblclick();
    await page.locator('#node-input-kasa-list-children').waitFor();
    // A new device node for the simulated hub, over KLAP on its port.
    await page.locator('#node-input-btn-device-add').click();
    await page.locator('#node-config-input-host').waitFor();
    await page.locator('#node-config-input-host').fill('127.0.0.1');
    await page.locator('#node-config-input-transport').selectOption('klap');
    await page.locator('#node-config-input-klapPort').fill(String(hub.port));
    await page.locator('#node-config-input-name').fill('Browser test hub');
    await page.locator('#node-config-dialog-ok').click();
    await page.locator('#node-config-input-host').waitFor({ state: 'detached' });
    await page.locator('#node-input-kasa-list-children').click();
    const items = page.locator('#node-input-kasa-children .kasa-flows-item');
    await items.filter({ hasText: 'Front door' }).waitFor();
    assert.equal(await items.count(), 7, 'one entry per child');
    assert.match(await items.filter({ hasText: 'Front door' }).innerText(), /T110[\s\S]*door or window sensor/);
    await items.filter({ hasText: 'Front door' }).click();
    assert.equal(await page.locator('#node-input-child').inputValue(), hub.device.hub!.child('contact').id);
    await screenshot('hub-children');
    await page.locator('#node-dialog-ok').click();
    await page.locator('#node-input-kasa-list-children').waitFor({ state: 'detached' });
    await page.locator('#red-ui-workspace-chart g.red-ui-flow-node-group').filter({ hasText: 'Front door' }).waitFor();
  });
});
