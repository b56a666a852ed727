/**
 * The App Home tab on the sandbox page, in Chromium (as sandbox-browser.test.ts runs it): opening
 * the tab tells the bot (a signed app_home_opened), the bot publishes the person's own Home, a
 * change of person while it is shown publishes theirs, and a Home button answers by DM.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/run-sandbox.js';

const CHROMIUM = '/usr/bin/chromium';
const SEEN = { timeout: 60_000 };

let sandbox: RunningSandbox | undefined;
let context: BrowserContext | undefined;
let page: Page;
const pageErrors: string[] = [];
const dirs: string[] = [];

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

async function signInAs(name: string): Promise<void> {
  const select = page.getByLabel('Signed in as');
  const value = await select.locator('option', { hasText: name }).getAttribute('value');
  await select.selectOption(value ?? '');
  await expect.poll(() => select.inputValue(), SEEN).toBe(value);
}

const home = (): Locator => page.getByRole('tabpanel', { name: 'Home' });

describe('the App Home tab on the sandbox page, in Chromium', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does this) to run the sandbox browser tests.`);
    sandbox = await startSandbox({ port: 0, dataDir: tempDir('atlas-sandbox-data-') });
    context = await chromium.launchPersistentContext(tempDir('atlas-chromium-'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
    // Something for the Home to show besides the demo's own alerts: one more nobody has acknowledged.
    const fired = await fetch(new URL('/sandbox/fire-alert', sandbox.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ preset: 'slow-queries' }) });
    expect(await fired.json()).toEqual({ ok: true });
    await page.goto(new URL('/', sandbox.url).href);
  });

  afterAll(async () => {
    await context?.close();
    await sandbox?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('publishes a responder’s Home when they open the tab, with Acknowledge', async () => {
    await signInAs('Alice Ortega');
    await page.getByRole('navigation', { name: 'Sidebar' }).getByRole('button', { name: 'atlas' }).click();
    await page.getByRole('tab', { name: 'Home' }).click();
    await expect.poll(() => home().innerText(), SEEN).toMatch(/^(📟 You are on call|On call:)/);
    await expect.poll(() => home().innerText(), SEEN).toMatch(/Firing alerts \(\d+\)[\s\S]*HighP95Latency/);
    expect(await home().getByRole('button', { name: 'Acknowledge' }).count()).toBeGreaterThan(0);
  });

  it('publishes the reader’s own Home when the person changes while it is shown, without Acknowledge', async () => {
    await signInAs('Rhea Novak');
    await expect.poll(() => home().innerText(), SEEN).toContain('Acknowledging is for responders');
    expect(await page.getByRole('tab', { name: 'Home' }).getAttribute('aria-selected')).toBe('true');
    expect(await home().getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
  });

  it('answers a Home button by DM, in the Messages tab', async () => {
    await home().getByRole('button', { name: 'Alerts' }).click();
    await page.getByRole('tab', { name: 'Messages' }).click();
    const conversation = page.getByRole('region', { name: 'Conversation' });
    await expect.poll(() => conversation.getByRole('article').filter({ hasText: /\d+ firing alerts?, \d+ not acknowledged/ }).count(), SEEN).toBe(1);
  });

  it('opens the Home again when the sandbox clock jumps, so it shows the new time', async () => {
    await page.getByRole('tab', { name: 'Home' }).click();
    const updated = async () => /Updated (\w{3} \d+ \w{3} \d\d:\d\d) UTC/.exec(await home().innerText())?.[1];
    await expect.poll(updated, SEEN).toBeDefined();
    const before = await updated();
    await page.getByRole('button', { name: '+2 h' }).click();
    await expect.poll(updated, SEEN).not.toBe(before);
    expect(pageErrors).toEqual([]);
  });
});
