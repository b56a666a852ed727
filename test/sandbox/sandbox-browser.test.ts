/**
 * The sandbox page in a real browser (Debian's Chromium, headless, driven by playwright-core; no
 * browser is downloaded): a person runs an incident through the page the way they would in Slack,
 * with role and label locators only, against the real bot and the Slack stand-in started
 * in-process by startSandbox().
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webApi } from '@slack/bolt';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/run-sandbox.js';
import { DEFAULT_BOT } from '../../src/sandbox/slack-stand-in.js';

const CHROMIUM = '/usr/bin/chromium';
const PAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/sandbox/page');
/** Long enough for a bot answer under a loaded CI machine, short enough to fail clearly. */
const SEEN = { timeout: 60_000 };

const PEOPLE = {
  responder: 'Alice Ortega',
  reader: 'Rhea Novak',
};

/** The alert the preset fired, by name (from the preset's label). */
let alertName = '';
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

async function launch(): Promise<BrowserContext> {
  return chromium.launchPersistentContext(tempDir('atlas-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Signs in as the person whose name starts the option's text. */
async function signInAs(name: string): Promise<void> {
  const select = page.getByLabel('Signed in as');
  const value = await select.locator('option', { hasText: name }).getAttribute('value');
  await select.selectOption(value ?? '');
  await expect.poll(() => select.inputValue(), SEEN).toBe(value);
}

async function slash(text: string, box: Locator = page.getByRole('textbox', { name: 'Message', exact: true })): Promise<void> {
  await box.fill(text);
  await box.press('Enter');
}

/** The newest message (an <article>) that contains `text`. */
function article(text: string | RegExp, within: Page | Locator = page): Locator {
  return within.getByRole('article').filter({ hasText: text }).last();
}

/**
 * With ATLAS_SCREENSHOTS=<dir> (e.g. docs), the flow also saves the README's screenshots there:
 * sandbox.png at 1280×800 and sandbox-mobile.png at 390×844. Toasts are cleared first.
 */
async function screenshot(name: string): Promise<void> {
  const dir = process.env.ATLAS_SCREENSHOTS;
  if (!dir) return;
  await page.evaluate("document.getElementById('toasts').replaceChildren()");
  await page.screenshot({ path: path.resolve(dir, name) });
}

/**
 * With ATLAS_SCREENSHOTS, one answer as a 390-pixel-wide phone shows it: the viewport is made
 * tall enough for the whole answer (the width is what matters), the answer scrolled to the
 * bottom of the conversation, and the picture cut to its box.
 */
async function phoneScreenshot(answer: Locator, name: string): Promise<void> {
  const dir = process.env.ATLAS_SCREENSHOTS;
  if (!dir) return;
  await page.evaluate("document.getElementById('toasts').replaceChildren()");
  await page.setViewportSize({ width: 390, height: 1800 });
  await answer.evaluate((node) => node.scrollIntoView({ block: 'end' }));
  const box = await answer.boundingBox();
  if (box) await page.screenshot({ path: path.resolve(dir, name), clip: { x: 0, y: box.y, width: 390, height: box.height } });
  await page.setViewportSize({ width: 390, height: 844 });
}

function channelMessages(): Locator {
  return page.getByRole('region', { name: 'Conversation' });
}

function threadPane(): Locator {
  return page.getByRole('complementary', { name: 'Thread' });
}

// Each step waits for the bot through the page; a step that fails says which wait failed.
describe('the sandbox page, in Chromium', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does this) to run the sandbox browser test.`);
    sandbox = await startSandbox({ port: 0, dataDir: tempDir('atlas-sandbox-data-') });
    context = await launch();
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
    await page.goto(new URL('/', sandbox.url).href);
  });

  afterAll(async () => {
    await context?.close();
    await sandbox?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('/atlas health answers only to whoever asked, with the verdict first', async () => {
    await signInAs(PEOPLE.responder);
    await page.getByRole('button', { name: 'incident-response' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText(), SEEN).toContain('incident-response');
    await slash('/atlas health');
    const answer = article('Only visible to you');
    await expect.poll(() => answer.innerText(), SEEN).toMatch(/\b(healthy|degraded|unhealthy)\b/);
    await expect.poll(() => answer.getByRole('button', { name: 'Post to channel' }).count(), SEEN).toBe(1);
    // Dismissed, as in Slack: gone from this page, never in the channel.
    await answer.getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => page.getByRole('article').filter({ hasText: 'Only visible to you' }).count(), SEEN).toBe(0);
  });

  it('fires an alert, which is posted with Acknowledge', async () => {
    await page.getByRole('button', { name: 'Fire an alert' }).click();
    // A P0: its update cadence (30 min) is what the clock step below relies on.
    const preset = page.getByRole('group', { name: 'Alert presets' }).getByRole('button', { name: /^P0\b/ }).first();
    const label = await preset.innerText();
    alertName = /:\s*([A-Za-z][\w.-]*)/.exec(label)?.[1] ?? '';
    expect(alertName, `a P0 preset whose label names its alert after a colon ("P0 · Alertmanager: ServiceDown …"), got ${JSON.stringify(label)}`).not.toBe('');
    await preset.click();
    await expect.poll(() => article(alertName, channelMessages()).getByRole('button', { name: 'Acknowledge' }).count(), SEEN).toBe(1);
  });

  it('refuses Acknowledge to a reader, privately', async () => {
    await signInAs(PEOPLE.reader);
    await article(alertName).getByRole('button', { name: 'Acknowledge' }).click();
    await expect.poll(() => article('Only visible to you').innerText(), SEEN).toMatch(/responders/);
    // Nothing changed for anyone else: the alert is still an alert.
    expect(await article(alertName).getByRole('button', { name: 'Acknowledge' }).count()).toBe(1);
  });

  it('lets a responder acknowledge: the alert becomes the status card and the thread opens', async () => {
    await signInAs(PEOPLE.responder);
    await article(alertName).getByRole('button', { name: 'Acknowledge' }).click();

    // The form after Acknowledge (impact, next update) is a dialog whose submit button says what it does.
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.count(), SEEN).toBe(1);
    await dialog.getByRole('textbox', { name: /Impact/ }).fill('No proofs for any district');
    const save = dialog.getByRole('button', { name: 'Save' });
    await save.click();
    await expect.poll(() => dialog.count(), SEEN).toBe(0);

    // Edited in place: still one message about the alert in the channel, now the incident's card.
    const inChannel = channelMessages().getByRole('article').filter({ hasText: alertName });
    await expect.poll(() => inChannel.innerText(), SEEN).toMatch(/INC-\d{8}-\d+/);
    expect(await inChannel.count()).toBe(1);
    expect(await inChannel.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    await expect.poll(() => inChannel.innerText(), SEEN).toContain('No proofs for any district');
    // Paged and acknowledged in PagerDuty (its Events API stood in): said on the card, listed in the sandbox bar.
    await expect.poll(() => inChannel.innerText(), SEEN).toContain('PagerDuty: acknowledged');
    const pagerduty = page.getByText(/^PagerDuty: (trigger|acknowledge|resolve) · \d\d:\d\d$/);
    await pagerduty.click();
    const listed = page.getByRole('list', { name: 'PagerDuty events' }).getByRole('listitem');
    await expect.poll(() => listed.filter({ hasText: `acknowledge shadow-atlas/${alertName.toLowerCase()}` }).count(), SEEN).toBe(1);
    expect(await listed.filter({ hasText: `trigger shadow-atlas/${alertName.toLowerCase()} ${alertName}` }).count()).toBe(1);
    await pagerduty.click();
    await expect.poll(() => page.getByRole('list', { name: 'PagerDuty events' }).isVisible(), SEEN).toBe(false);

    await inChannel.getByRole('button', { name: /^\d+ repl(y|ies)$/ }).click();
    await expect.poll(() => article('Alert acknowledged', threadPane()).count(), SEEN).toBe(1);
  });

  it('posts a status update through the update form', async () => {
    await slash('/atlas update');
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.count(), SEEN).toBe(1);
    const submit = dialog.getByRole('button', { name: /Post update/ });
    // A required field left empty is refused in the page, as Slack's client does.
    await submit.click();
    await expect.poll(() => dialog.getByRole('alert').filter({ hasText: /fill out/ }).count(), SEEN).toBeGreaterThan(0);
    await dialog.getByRole('textbox', { name: 'Summary' }).fill('Prover v1.5 fails on the new circuit; rolling back to v1.4');
    await submit.click();
    await expect.poll(() => dialog.count(), SEEN).toBe(0);
    await expect.poll(() => article('Incident Update', threadPane()).innerText(), SEEN).toContain('rolling back to v1.4');
  });

  it('advancing the clock 30 minutes brings the update reminder', async () => {
    await page.getByRole('button', { name: '+30 min' }).click();
    await expect.poll(() => article('No update on', threadPane()).count(), { timeout: 60_000 }).toBe(1);
    expect(await article('No update on', threadPane()).getByRole('button', { name: 'Post update' }).count()).toBe(1);
    await screenshot('sandbox.png');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot('sandbox-mobile.png');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('answers health, errors and incidents readably on a 390-pixel phone: tables scroll inside themselves, never the page', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('button', { name: 'Close thread' }).click();
    const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    const answers: [string, RegExp, string][] = [
      ['/atlas health', /Needs attention/, 'sandbox-phone-health.png'],
      // The clock moved on 30 minutes past the demo data's end: a window that reaches back into it.
      ['/atlas errors --window 2h', /By family/, 'sandbox-phone-errors.png'],
      ['/atlas incidents', /open incident/, 'sandbox-phone-incidents.png'],
    ];
    for (const [command, marker, file] of answers) {
      await slash(command);
      const answer = article(marker);
      await expect.poll(() => answer.count(), SEEN).toBe(1);
      await answer.scrollIntoViewIfNeeded();
      expect(await overflow(), command).toBeLessThanOrEqual(0);
      // Every line fits: the answer's own box is no wider than the screen.
      const box = await answer.boundingBox();
      expect((box?.x ?? 0) + (box?.width ?? 0), command).toBeLessThanOrEqual(390);
      await phoneScreenshot(answer, file);
    }
    // errors and incidents came as Slack's table block: a grid with a header row, numbers right-aligned.
    const errors = article(/By family/);
    expect(await errors.getByRole('columnheader').allInnerTexts()).toEqual(['family', 'errors', 'attempts', 'rate']);
    expect(await errors.getByRole('cell', { name: /%$/ }).first().getAttribute('style')).toContain('text-align: right');
    const incidents = article(/open incident/);
    expect(await incidents.getByRole('columnheader').first().innerText()).toBe('incident');
    expect(await incidents.getByRole('cell', { name: /^INC-\d{8}-\d+$/ }).count()).toBe(1);
    // health is lines, not a table: the verdict, one line per item needing attention, the OK items folded.
    const health = article(/Needs attention/);
    expect(await health.getByRole('table').count()).toBe(0);
    expect(await health.innerText()).toMatch(/✅ OK: /);
    // Back to the thread, as the next step expects.
    await page.setViewportSize({ width: 1280, height: 800 });
    await channelMessages().getByRole('article').filter({ hasText: alertName }).getByRole('button', { name: /^\d+ repl(y|ies)$/ }).click();
    await expect.poll(() => threadPane().isVisible(), SEEN).toBe(true);
  });

  it('resolves the incident through the resolve form', async () => {
    await slash('/atlas resolve');
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.count(), SEEN).toBe(1);
    await dialog.getByRole('textbox', { name: 'Resolution' }).fill('Prover rolled back to v1.4; proofs succeed again');
    await dialog.getByRole('button', { name: 'Resolve', exact: true }).click();
    await expect.poll(() => dialog.count(), SEEN).toBe(0);
    await expect.poll(() => article('RESOLVED', threadPane()).innerText(), SEEN).toContain('Prover rolled back to v1.4');
    await page.getByRole('button', { name: 'Close thread' }).click();
    await expect.poll(() => article(/resolved after/).count(), SEEN).toBe(1);
  });

  it('draws Block Kit as Slack does, escaping everything, with confirmation dialogs before a press', async () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'Renderer check :rotating_light:' } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: '*bold* _italic_ ~gone~ `code` <https://example.org/x?a=1&amp;b=2|a link> <@U0ONCALL1> <#C0INCIDENT> <!here> :white_check_mark: &lt;img src=x onerror=alert(1)&gt;\n> quoted' },
        fields: [
          { type: 'mrkdwn', text: '*Owner*\n<@U0READER>' },
          { type: 'mrkdwn', text: '*Status*\ninvestigating' },
        ],
      },
      { type: 'section', text: { type: 'mrkdwn', text: '```<b>not bold</b>\nline 2```' } },
      { type: 'divider' },
      {
        type: 'table',
        column_settings: [{ is_wrapped: true }, { align: 'right' }],
        rows: [
          [
            { type: 'raw_text', text: 'check' },
            { type: 'raw_text', text: 'value' },
          ],
          [
            { type: 'raw_text', text: '<script>window.pwned = 1</script>' },
            { type: 'rich_text', elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: '42 %', style: { bold: true } }] }] },
          ],
        ],
      },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: 'renderer_check_danger',
            style: 'danger',
            text: { type: 'plain_text', text: 'Roll back' },
            value: 'v1.4',
            confirm: {
              title: { type: 'plain_text', text: 'Roll back the prover?' },
              text: { type: 'mrkdwn', text: 'This *replaces* v1.5.' },
              confirm: { type: 'plain_text', text: 'Roll back' },
              deny: { type: 'plain_text', text: 'Keep v1.5' },
              style: 'danger',
            },
          },
        ],
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'posted by the renderer test' }] },
    ];
    const res = await fetch(new URL('/api/chat.postMessage', sandbox!.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${DEFAULT_BOT.token}` },
      body: JSON.stringify({ channel: 'C0INCIDENT', text: 'Renderer check', blocks }),
    });
    expect(await res.json()).toMatchObject({ ok: true });

    const message = article('Renderer check');
    await expect.poll(() => message.count(), SEEN).toBe(1);
    expect(await message.getByRole('heading', { name: /Renderer check 🚨/ }).count()).toBe(1);
    const html = await message.innerHTML();
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<em>italic</em>');
    expect(html).toContain('<s>gone</s>');
    expect(html).not.toMatch(/<img|<script|<b>/i);
    const text = await message.innerText();
    expect(text).toContain('@alice');
    expect(text).toContain('@rhea');
    expect(text).toContain('#incident-response');
    expect(text).toContain('@here');
    expect(text).toContain('✅');
    expect(text).toContain('<img src=x onerror=alert(1)>');
    expect(text).toContain('<b>not bold</b>');
    expect(text).toContain('<script>window.pwned = 1</script>');
    expect(await message.getByRole('link', { name: 'a link' }).getAttribute('href')).toBe('https://example.org/x?a=1&b=2');
    expect(await message.locator('blockquote').innerText()).toBe('quoted');
    expect(await message.getByRole('columnheader').allInnerTexts()).toEqual(['check', 'value']);
    expect(await message.getByRole('cell', { name: '42 %' }).getAttribute('style')).toContain('text-align: right');
    expect(await page.evaluate('typeof window.pwned')).toBe('undefined');

    // A button with a confirm object asks first; "Keep v1.5" sends nothing, "Roll back" sends the press.
    const presses: string[] = [];
    page.on('request', (req) => {
      if (req.url().endsWith('/sandbox/press')) presses.push(req.postData() ?? '');
    });
    await message.getByRole('button', { name: 'Roll back' }).click();
    const confirm = page.getByRole('dialog', { name: 'Roll back the prover?' });
    await expect.poll(() => confirm.isVisible(), SEEN).toBe(true);
    expect(await confirm.innerText()).toContain('This replaces v1.5.');
    await confirm.getByRole('button', { name: 'Keep v1.5' }).click();
    await expect.poll(() => confirm.isVisible(), SEEN).toBe(false);
    expect(presses).toEqual([]);
    await message.getByRole('button', { name: 'Roll back' }).click();
    await confirm.getByRole('button', { name: 'Roll back' }).click();
    await expect.poll(() => presses.length, SEEN).toBe(1);
    expect(JSON.parse(presses[0] as string)).toMatchObject({ actionId: 'renderer_check_danger', value: 'v1.4', container: { type: 'message' } });
  });

  it('fits a 390-pixel-wide phone: no sideways scrolling, the sidebar folds away, a thread replaces the channel', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    await expect.poll(overflow, SEEN).toBeLessThanOrEqual(0);
    expect(await page.getByRole('button', { name: 'incident-response' }).isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Channels' }).click();
    await page.getByRole('button', { name: 'incident-response' }).click();
    await channelMessages().getByRole('article').filter({ hasText: alertName }).getByRole('button', { name: /^\d+ repl(y|ies)$/ }).click();
    await expect.poll(() => threadPane().isVisible(), SEEN).toBe(true);
    expect(await page.getByRole('textbox', { name: 'Message', exact: true }).isVisible()).toBe(false);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.getByRole('button', { name: 'Close thread' }).click();
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('shows a chart shared in the channel and in a thread inline, with its alt text, and another file as a link with its size', async () => {
    const sb = sandbox!;
    const channel = sb.config.channels.incidents!;
    const client = new webApi.WebClient(sb.slack.token, { slackApiUrl: sb.slack.apiUrl, retryConfig: { retries: 0 } });
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
    const card = sb.slack.workspace.messages(channel).filter((m) => (m.reply_count ?? 0) > 0).at(-1)!;
    await client.filesUploadV2({ channel_id: channel, file: png, filename: 'latency.png', title: 'Proof latency', alt_text: 'Line chart of proof latency' });
    await client.filesUploadV2({ channel_id: channel, content: 'a,b\n1,2\n', filename: 'rows.csv', title: 'Rows' });
    await client.filesUploadV2({ channel_id: channel, thread_ts: card.ts, file: png, filename: 'errors.png', title: 'Errors by provider', alt_text: 'Bar chart of errors by provider' });

    const chart = channelMessages().getByRole('img', { name: 'Line chart of proof latency' });
    await expect.poll(() => chart.count(), SEEN).toBe(1);
    // Served by the sandbox and decoded by the browser: a picture, not a broken-image icon.
    await expect.poll(() => chart.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth), SEEN).toBe(1);
    expect(await chart.getAttribute('title')).toBe('Proof latency');
    const link = channelMessages().getByRole('link', { name: /rows\.csv/ });
    await expect.poll(() => link.count(), SEEN).toBe(1);
    expect(await link.locator('..').innerText()).toMatch(/rows\.csv · 8 bytes/);

    await channelMessages().getByRole('article').filter({ hasText: alertName }).getByRole('button', { name: /^\d+ repl(y|ies)$/ }).click();
    const inThread = threadPane().getByRole('img', { name: 'Bar chart of errors by provider' });
    await expect.poll(() => inThread.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth).catch(() => 0), SEEN).toBe(1);
    await page.getByRole('button', { name: 'Close thread' }).click();
  });

  it('reported no script errors', () => {
    expect(pageErrors).toEqual([]);
  });
});

describe('the sandbox page sources', () => {
  it('never hand data to the HTML parser', () => {
    for (const file of readdirSync(PAGE_DIR).filter((f) => f.endsWith('.js'))) {
      const source = readFileSync(path.join(PAGE_DIR, file), 'utf8');
      expect(source, file).not.toMatch(/\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|\beval\(|new Function\(/);
    }
  });
});
