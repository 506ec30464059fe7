// The dashboard example's light card for real: `npm start`'s demo (a simulated KL430 light strip
// behind it) and its Dashboard 2 page in Debian's chromium, driven by playwright-core. A file of its
// own, so that each file's browser session stays well within the runner's bound. The card's
// screenshot goes to test-output/dashboard-light/light-card.png (a copy is docs/images/dashboard-light-card.png).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import type { SimulatedDevice } from '../../src/simulator/server';
import { within } from '../support/wait';
import { CHROMIUM, Demo, PROJECT_ROOT as projectRoot, demoRuntime as runtime } from '../support/demo-runtime';
import { openLoopbackPage } from '../support/chromium';

interface FlowNode {
  id: string;
  type: string;
  name?: string;
  [key: string]: unknown;
}

const outputDir = path.join(projectRoot, 'test-output', 'dashboard-light');
const example = JSON.parse(fs.readFileSync(path.join(projectRoot, 'examples', '06-dashboard (needs Dashboard 2).json'), 'utf8')) as FlowNode[];
const STEP_MS = 10000;

function nodeNamed(name: string): FlowNode {
  const node = example.find((n) => n.name === name);
  assert.ok(node !== undefined, `the example has a node named ${JSON.stringify(name)}`);
  return node;
}

/** Whether a request sets the strip's light or effect (a command, as opposed to a poll). */
function isSetLight(request: Record<string, unknown>): boolean {
  const light = request['smartlife.iot.lightStrip'] as Record<string, unknown> | undefined;
  return light?.['set_light_state'] !== undefined || request['smartlife.iot.lighting_effect'] !== undefined;
}

/** Resolves at the strip's next status poll (a sysinfo request that sets nothing). */
function nextPoll(device: SimulatedDevice): Promise<void> {
  let listener: (request: Record<string, unknown>) => void = () => undefined;
  const polled = new Promise<void>((resolve) => {
    listener = (request) => {
      const system = request['system'] as Record<string, unknown> | undefined;
      if (system?.['get_sysinfo'] !== undefined && !isSetLight(request)) resolve();
    };
    device.on('request', listener);
  });
  return within(polled, STEP_MS, 'the next poll').finally(() => device.off('request', listener));
}

/**
 * Resolves once `check()` holds, looking every 50 ms (the simulator's state changes as the
 * dashboard's command lands; it emits no event for effects); fails after STEP_MS.
 */
function until(check: () => boolean, what: string): Promise<void> {
  return within(
    (async () => {
      while (!check()) await new Promise((resolve) => setTimeout(resolve, 50));
    })(),
    STEP_MS,
    what,
  );
}

/** Whether the simulated strip runs an effect, as its sysinfo says. */
function isRunning(strip: SimulatedDevice): boolean {
  const info = strip.state.sysinfo() as { lighting_effect_state?: { enable?: number } };
  return info.lighting_effect_state?.enable === 1;
}

describe("the Dashboard 2 example's light card in chromium", () => {
  let demo: Demo;
  let browser: BrowserContext;
  let page: Page;
  const widget = (name: string): Locator => page.locator(`#nrdb-ui-widget-${nodeNamed(name).id}`);

  before(async () => {
    assert.ok(fs.existsSync(CHROMIUM), `no ${CHROMIUM}: run sh scripts/ensure-chromium.sh`);
    fs.rmSync(outputDir, { recursive: true, force: true });
    fs.mkdirSync(outputDir, { recursive: true });
    demo = await runtime.startDemo({ userDir: path.join(outputDir, 'node-red-user'), port: 0 });
    assert.ok(demo.dashboardUrl, 'the demo has a dashboard page');
    ({ browser, page } = await openLoopbackPage({ outputDir, allowed: demo.url, stepMs: STEP_MS, viewport: { width: 1300, height: 900 } }));
    await page.goto(demo.dashboardUrl);
    await widget('light switch').waitFor();
  }, { timeout: 60000 });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  }, { timeout: 20000 });

  it('a colour button, the brightness slider and the effect list set the strip, one command each, and no echo', { timeout: 45000 }, async () => {
    const strip = demo.kl430;
    const card = page.locator(`#nrdb-ui-group-${String(nodeNamed('light switch')['group'])}`);
    await card.scrollIntoViewIfNeeded();
    let commands = 0;
    const count = (request: Record<string, unknown>) => void (isSetLight(request) && commands++);
    strip.on('request', count);
    try {
      await widget('orange button').locator('button').click();
      await until(() => strip.state.getLight().hue === 39 && strip.state.getLight().on, 'the strip turning orange');
      assert.equal(strip.state.getLight().saturation, 100);
      await page.waitForFunction((selector) => (document.querySelector(selector) as HTMLInputElement | null)?.checked === true, `#nrdb-ui-widget-${nodeNamed('light switch').id} input[type="checkbox"]`);

      // A drag of the brightness slider's thumb to three quarters of its track, as a person does it.
      const track = widget('brightness slider').locator('.v-slider-track');
      const thumb = widget('brightness slider').locator('.v-slider-thumb');
      const box = (await track.boundingBox())!;
      const from = (await thumb.boundingBox())!;
      await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.75, box.y + box.height / 2, { steps: 5 });
      await page.mouse.up();
      await until(() => Math.abs(strip.state.getLight().brightness - 75) <= 3, 'the brightness near 75 %');

      await widget('effect list').locator('.v-field').click();
      await page.locator('.v-overlay-container .v-list-item', { hasText: 'Rainbow' }).click();
      await until(() => isRunning(strip), 'the effect running');
      await page.keyboard.press('Escape');
      // A poll later nothing else has been sent: the state fed back only moved the widgets.
      await nextPoll(strip);
      assert.equal(commands, 3, 'one command per use of a widget');
      // The dashboard's "App is offline ready" notice may cover the card's corner.
      const notice = page.getByRole('button', { name: 'Close' });
      if (await notice.isVisible()) await notice.click();
      await card.screenshot({ path: path.join(outputDir, 'light-card.png') });
    } finally {
      strip.off('request', count);
    }
  });
});
