// The dashboard example for real: `npm start`'s demo (Node-RED 4.1, this package, FlowFuse Dashboard
// 2, simulated HS110 and HS300 on loopback) and its Dashboard 2 page in Debian's chromium, driven
// by playwright-core. Screenshots of every step go to test-output/dashboard/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import type { SimulatedDevice } from '../../src/simulator/server';
import type { RelayEvent } from '../../src/simulator/device-state';
import { within } from '../support/wait';
import { CHROMIUM, Demo, PROJECT_ROOT as projectRoot, demoRuntime as runtime } from '../support/demo-runtime';
import { openLoopbackPage } from '../support/chromium';

interface FlowNode {
  id: string;
  type: string;
  name?: string;
  [key: string]: unknown;
}

const outputDir = path.join(projectRoot, 'test-output', 'dashboard');
const EXAMPLE = '06-dashboard (needs Dashboard 2)';
const example = JSON.parse(fs.readFileSync(path.join(projectRoot, 'examples', `${EXAMPLE}.json`), 'utf8')) as FlowNode[];
const PACKAGE = (JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { name: string }).name;
/** Bounds every single browser step; a test as a whole is bounded by its own timeout. */
const STEP_MS = 10000;
const TEST_MS = 40000;

function idOf(name: string): string {
  const node = example.find((n) => n.name === name);
  assert.ok(node !== undefined, `the example has a node named ${JSON.stringify(name)}`);
  return node.id;
}

/** Whether a request switches a relay (of a plug, or of the outlets in its context). */
function isSetRelay(request: Record<string, unknown>): boolean {
  const system = request['system'] as Record<string, unknown> | undefined;
  return system !== undefined && system['set_relay_state'] !== undefined;
}

function isPoll(request: Record<string, unknown>): boolean {
  const system = request['system'] as Record<string, unknown> | undefined;
  return system !== undefined && system['get_sysinfo'] !== undefined && system['set_relay_state'] === undefined;
}

/** Counts the set_relay_state requests a simulated device receives from now on. */
function countSetRelay(device: SimulatedDevice): { count(): number; stop(): void } {
  let n = 0;
  const listener = (request: Record<string, unknown>) => {
    if (isSetRelay(request)) n += 1;
  };
  device.on('request', listener);
  return { count: () => n, stop: () => device.off('request', listener) };
}

/** Resolves at the device's next status poll (a sysinfo request that switches nothing). */
function nextPoll(device: SimulatedDevice, ms = STEP_MS): Promise<void> {
  let listener: (request: Record<string, unknown>) => void = () => undefined;
  const polled = new Promise<void>((resolve) => {
    listener = (request) => {
      if (isPoll(request)) resolve();
    };
    device.on('request', listener);
  });
  return within(polled, ms, 'the next poll').finally(() => device.off('request', listener));
}

describe('the Dashboard 2 example in chromium', () => {
  let demo: Demo;
  let browser: BrowserContext;
  let page: Page;
  let step = 0;

  async function screenshot(name: string): Promise<void> {
    step += 1;
    await page.screenshot({ path: path.join(outputDir, `${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
  }

  const widget = (name: string): Locator => page.locator(`#nrdb-ui-widget-${idOf(name)}`);
  const checkbox = (name: string): Locator => widget(name).locator('input[type="checkbox"]');
  /** Waits until the dashboard switch `name` shows `on`. */
  async function switchShows(name: string, on: boolean, ms = STEP_MS): Promise<void> {
    await page.waitForFunction(
      ([selector, wanted]) => (document.querySelector(selector as string) as HTMLInputElement | null)?.checked === wanted,
      [`#nrdb-ui-widget-${idOf(name)} input[type="checkbox"]`, on] as const,
      { timeout: ms },
    );
  }

  before(async () => {
    // A missing browser is a failure, not a skip: `npm test` installs it (scripts/ensure-test-tools.sh).
    assert.ok(fs.existsSync(CHROMIUM), `no ${CHROMIUM}: run sh scripts/ensure-chromium.sh`);
    fs.rmSync(outputDir, { recursive: true, force: true });
    fs.mkdirSync(outputDir, { recursive: true });
    demo = await runtime.startDemo({ userDir: path.join(outputDir, 'node-red-user'), port: 0 });
    assert.ok(demo.dashboardUrl, 'the demo has a dashboard page');
    ({ browser, page } = await openLoopbackPage({ outputDir, allowed: demo.url, stepMs: STEP_MS, viewport: { width: 1300, height: 900 } }));
    await page.goto(demo.dashboardUrl);
    await widget('plug switch').waitFor();
  }, { timeout: 60000 });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  }, { timeout: 20000 });

  it('Import > Examples lists every example by its file name, and each one loads', { timeout: TEST_MS }, async () => {
    const modules = (await (await page.request.get(`${demo.url}library/examples/flows/`)).json()) as string[];
    assert.ok(modules.includes(PACKAGE), `the package is among ${modules.join(', ')}`);
    const listing = (await (await page.request.get(`${demo.url}library/examples/flows/${PACKAGE}`)).json()) as Array<{ fn: string }>;
    const names = fs.readdirSync(path.join(projectRoot, 'examples')).filter((n) => n.endsWith('.json')).map((n) => n.replace(/\.json$/, '')).sort();
    assert.deepEqual(listing.map((entry) => entry.fn).sort(), names);
    assert.ok(names.includes(EXAMPLE));
    for (const name of names) {
      const reply = await page.request.get(`${demo.url}library/examples/flows/${PACKAGE}/${encodeURIComponent(name)}`);
      assert.equal(reply.status(), 200, name);
      assert.ok(Array.isArray(await reply.json()), `${name} is a flow`);
    }
  });

  it("the gauge shows the simulated plug's watts", { timeout: TEST_MS }, async () => {
    demo.hs110.state.setRelay(true);
    demo.hs110.state.setReading({ power: 123.4 });
    const watts = demo.hs110.state.getReading().power;
    const value = widget('power gauge').locator('.nrdb-ui-gauge-value span');
    // plug-energy reads every 5 s: the gauge follows within a poll or two.
    await page.waitForFunction(
      ([selector, wanted]) => Math.abs(Number.parseFloat(document.querySelector(selector as string)?.textContent ?? '') - (wanted as number)) < 0.05,
      [`#nrdb-ui-widget-${idOf('power gauge')} .nrdb-ui-gauge-value span`, watts] as const,
      { timeout: 15000 },
    );
    assert.equal(Number.parseFloat(await value.innerText()), watts);
    await screenshot('gauge');
  });

  it('clicking the dashboard switch switches the plug, once: the answer fed back sends nothing', { timeout: TEST_MS }, async () => {
    await switchShows('plug switch', demo.hs110.state.getRelay());
    const before = demo.hs110.state.getRelay();
    const commands = countSetRelay(demo.hs110);
    try {
      const switched = once(demo.hs110, 'relay', { signal: AbortSignal.timeout(STEP_MS) }) as Promise<[RelayEvent]>;
      await widget('plug switch').locator('.v-switch input').click();
      const [event] = await switched;
      assert.equal(event.on, !before);
      assert.equal(demo.hs110.state.getRelay(), !before);
      await switchShows('plug switch', !before);
      // Two polls later nothing else has been sent: no answer or report became a command.
      await nextPoll(demo.hs110);
      await nextPoll(demo.hs110);
      assert.equal(commands.count(), 1, 'one set_relay_state for one click');
      await screenshot('plug-switched-from-dashboard');
    } finally {
      commands.stop();
    }
  });

  it("switching the plug on the device side moves the dashboard switch within one poll, and sends no command", { timeout: TEST_MS }, async () => {
    const before = demo.hs110.state.getRelay();
    await switchShows('plug switch', before);
    const commands = countSetRelay(demo.hs110);
    try {
      // As the plug's button does; the next poll is the first to see it.
      demo.hs110.state.setRelay(!before);
      await nextPoll(demo.hs110);
      await switchShows('plug switch', !before);
      assert.equal(await checkbox('plug switch').isChecked(), !before);
      await nextPoll(demo.hs110);
      assert.equal(commands.count(), 0, 'the switch only moved');
      assert.equal(demo.hs110.state.getRelay(), !before, 'and the plug stayed as the button left it');
      await screenshot('plug-switched-on-device');
    } finally {
      commands.stop();
    }
  });

  it("an outlet's switch switches that outlet of the strip, and only it", { timeout: TEST_MS }, async () => {
    const relays = () => [0, 1, 2, 3, 4, 5].map((i) => demo.hs300.state.getRelay(i));
    const start = relays();
    await switchShows('outlet 2 switch', start[1]!);
    const commands = countSetRelay(demo.hs300);
    try {
      const switched = once(demo.hs300, 'relay', { signal: AbortSignal.timeout(STEP_MS) }) as Promise<[RelayEvent]>;
      await widget('outlet 2 switch').locator('.v-switch input').click();
      const [event] = await switched;
      assert.equal(event.on, !start[1]);
      assert.deepEqual(relays(), start.map((on, i) => (i === 1 ? !on : on)));
      await switchShows('outlet 2 switch', !start[1]);
      await nextPoll(demo.hs300);
      await nextPoll(demo.hs300);
      assert.equal(commands.count(), 1);
      for (const i of [1, 3, 4, 5, 6]) assert.equal(await checkbox(`outlet ${i} switch`).isChecked(), start[i - 1], `outlet ${i} unchanged`);
      await screenshot('outlet-switched');
    } finally {
      commands.stop();
    }
  });
});
