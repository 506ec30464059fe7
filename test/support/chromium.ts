import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, BrowserContext, Page } from 'playwright-core';
import { CHROMIUM } from './demo-runtime';

/**
 * Debian's chromium, headless, with a fresh profile under `outputDir`, and a page that may reach
 * `allowed` (Node-RED on loopback) only: anything else it asks for is refused, so no test sends a
 * packet beyond this machine.
 */
export async function openLoopbackPage(options: {
  outputDir: string;
  allowed: string;
  stepMs: number;
  viewport: { width: number; height: number };
}): Promise<{ browser: BrowserContext; page: Page }> {
  // Playwright wants the profile as userDataDir, not as --user-data-dir.
  const browser = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(options.outputDir, 'chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: options.viewport,
    timeout: options.stepMs,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(options.stepMs);
  await page.route('**/*', (route) => (route.request().url().startsWith(options.allowed) ? route.continue() : route.abort()));
  return { browser, page };
}
