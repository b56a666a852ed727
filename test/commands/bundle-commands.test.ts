/**
 * `bundle`: every diagnostic in one text file. In Slack, through the real Bolt receiver with
 * signed requests, the file is uploaded (files.getUploadURLExternal, the bytes, then
 * files.completeUploadExternal) into the Slack stand-in: into the open incident's thread, else the
 * channel asked in; a refused upload is one sentence. In the terminal it is written to a file.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { BUNDLE_MESSAGES } from '../../src/commands/bundle-commands.js';
import { BUNDLE_SECTIONS, bundleFilename, sectionHeader } from '../../src/commands/diagnostics-bundle.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { createRegistry } from '../../src/commands/index.js';
import { filesOf } from '../../src/sandbox/file-methods.js';
import type { DeliveryHarness } from '../helpers/delivery-harness.js';
import { startSlackEnv, type SlackEnv } from '../helpers/slack-env.js';
import { settle, TEST_USER, type Harness } from '../helpers/slack-harness.js';
import { TEST_NOW, type TestEnv } from '../helpers/test-deps.js';

const CHANNEL = 'C0INCIDENT';
/** In the channel, not a responder. */
const READER = 'U0READER';
const CONFIG = {
  channels: { incidents: CHANNEL },
  responders: { users: [TEST_USER], usergroups: [], channels: [CHANNEL] },
};
const FILENAME = bundleFilename(new Date(TEST_NOW));

/** Providers answer at once: the probes are part of the bundle, the network is not. */
const providerFetch: typeof fetch = async () => new Response('ok', { status: 200 });

let se: SlackEnv;
let atlas: SlackEnv['atlas'];
let env: TestEnv;
let d: DeliveryHarness;
let h: Harness;
/** The temporary folder holding the data directory: where terminal bundles are written. */
const root = () => path.dirname(se.dataDir);

beforeEach(async () => {
  se = await startSlackEnv({ file: CONFIG, fetch: providerFetch });
  ({ atlas, env, d, h } = se);
});

afterEach(() => se.close());

const slack = () => d.slack.workspace;

/** Every header the bundle promises: the title, each section (failed or not), versions. */
function expectEverySection(text: string): void {
  expect(text.startsWith('Shadow Atlas diagnostics bundle\n')).toBe(true);
  for (const line of ['When:     2026-11-26 12:00:00 UTC', 'Who:      ', 'Bot:      shadow-atlas-chatops ', `Node:     ${process.version}`, 'Data dir: ', 'Schema:   persistence.db ']) {
    expect(text).toContain(line);
  }
  for (const s of BUNDLE_SECTIONS) expect(text).toMatch(new RegExp(`^${sectionHeader(s.title).slice(0, -5).replace(/[()]/g, '\\$&')}: .* ====$`, 'm'));
  expect(text).toContain(sectionHeader('VERSIONS'));
  expect(text).toMatch(/chatops\.db \d+ \(latest \d+\)/);
}

describe('/atlas bundle in Slack', () => {
  it('uploads the file into the open incident thread, with every section in it', async () => {
    const incident = (await declareIncident(env.deps, { title: 'proofs failing', actorId: TEST_USER })).incident;
    await d.delivery.drain();
    const card = await env.deps.state.slackMessages.get(incident.anchor!);
    expect(card).not.toBeNull();

    const run = await h.command('bundle');
    expect(await run.res.json()).toMatchObject({ text: expect.stringMatching(/^⏳ Running `bundle`/) });
    const answer = await run.answer();
    expect(answer.text).toContain(`Uploaded ${FILENAME}`);
    expect(answer.text).toContain(`${incident.id}'s thread`);

    const files = filesOf(slack());
    expect(files).toHaveLength(1);
    const file = files[0]!;
    expect(file.name).toBe(FILENAME);
    expect(file.completed).toBe(true);
    expectEverySection(file.text ?? '');
    expect(file.text).toContain(`Who:      ${TEST_USER} (Slack, in ${CHANNEL})`);
    expect(file.text).toContain(`Data dir: ${env.deps.config.dataDir}`);
    expect(file.text).toContain('/atlas integrity all --quick');

    // A file message in the thread, not at the channel's top level.
    const reply = slack().replies(CHANNEL, card!.ts).find((m) => m.files !== undefined);
    expect(reply).toBeDefined();
    expect(reply!.files).toEqual([expect.objectContaining({ id: file.id, name: FILENAME, size: Buffer.byteLength(file.text ?? '') })]);
    expect(reply!.text).toContain(`<@${TEST_USER}>`);
    expect(slack().messages(CHANNEL).some((m) => m.files !== undefined)).toBe(false);
    expect(slack().calls('files.completeUploadExternal')[0]?.args).toMatchObject({ channel_id: CHANNEL, thread_ts: card!.ts });
  });

  it('without an open incident, uploads into the channel it was asked in', async () => {
    const answer = await (await h.command('bundle')).answer();
    expect(answer.text).toContain(`Uploaded ${FILENAME}`);
    expect(answer.text).toContain(`<#${CHANNEL}>`);
    const message = slack().messages(CHANNEL).find((m) => m.files !== undefined);
    expect(message).toBeDefined();
    expect(message!.thread_ts).toBeUndefined();
    expectEverySection(filesOf(slack())[0]?.text ?? '');
  });

  it('answers a refused upload in one sentence, naming the terminal, and keeps running', async () => {
    d.slack.faults.inject({ method: 'files.completeUploadExternal', kind: 'error', error: 'not_in_channel' });
    const answer = await (await h.command('bundle')).answer();
    expect(answer.text).toMatch(/^❌ Could not upload the bundle to <#C0INCIDENT> \(Slack refused the call: not_in_channel\); run `atlas bundle` in a terminal on the bot’s host to write it to a file\.$/);
    expect(slack().messages(CHANNEL).some((m) => m.files !== undefined)).toBe(false);

    // The bot is still up, and the next upload goes through.
    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);
    const again = await (await h.command('bundle')).answer();
    expect(again.text).toContain('Uploaded');
  });

  it('answers an upload URL that fails (HTTP 500) in one sentence too', async () => {
    d.slack.faults.inject({ method: 'file_upload', kind: 'http', status: 500 });
    const answer = await (await h.command('bundle')).answer();
    expect(answer.text).toMatch(/^❌ Could not upload the bundle to <#C0INCIDENT> \(Slack answered HTTP 500\); run `atlas bundle`/);
    expect(slack().calls('files.completeUploadExternal')).toHaveLength(0);
  });

  it('refuses a reader, and uploads nothing', async () => {
    const answer = await (await h.command('bundle', { user: READER })).answer();
    expect(answer.text).toContain('`bundle` is for responders');
    await settle();
    expect(slack().calls('files.getUploadURLExternal')).toHaveLength(0);
    const run = env.db.prepare("SELECT outcome FROM command_runs WHERE command = 'bundle'").get() as { outcome: string };
    expect(run.outcome).toBe('denied');
  });

  it('refuses --out in Slack', async () => {
    const answer = await (await h.command('bundle --out /tmp/x.txt')).answer();
    expect(answer.text).toContain(BUNDLE_MESSAGES.outInSlack.slice(0, 30));
    expect(slack().calls('files.getUploadURLExternal')).toHaveLength(0);
  });
});

describe('atlas bundle in the terminal', () => {
  const cli = { source: 'cli' as const, userId: 'ops' };
  const registry = () => createRegistry(createAuthorizer(env.deps.config));

  it('writes the file to --out and says where and how big', async () => {
    const out = path.join(root(), 'incident.txt');
    const { report, outcome } = await registry().run(['bundle', '--out', out], cli, env.deps);
    expect(outcome).toBe('info');
    expect(report.headline).toMatch(new RegExp(`^Wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+(\\.\\d)? KB, 11 sections\\)\\.$`));
    const text = readFileSync(out, 'utf8');
    expectEverySection(text);
    expect(text).toContain('Who:      ops (terminal)');
    expect(text).toContain('atlas health --window 1h');
    expect(statSync(out).size).toBe((report.data as { bytes: number }).bytes);
  });

  it('writes into a folder given as --out, and by default into the working directory', async () => {
    const folder = path.join(root(), 'bundles');
    mkdirSync(folder);
    await registry().run(['bundle', '--out', folder], cli, env.deps);
    expect(existsSync(path.join(folder, FILENAME))).toBe(true);

    const cwd = path.join(root(), 'cwd');
    mkdirSync(cwd);
    const spy = vi.spyOn(process, 'cwd').mockReturnValue(cwd);
    try {
      const { report } = await registry().run(['bundle'], cli, env.deps);
      expect(report.headline).toContain(path.join(cwd, FILENAME));
    } finally {
      spy.mockRestore();
    }
    expect(existsSync(path.join(cwd, FILENAME))).toBe(true);
  });

  it('refuses a path into a missing folder, and an existing file, in one sentence', async () => {
    const missing = path.join(root(), 'nope', 'b.txt');
    const a = await registry().run(['bundle', '--out', missing], cli, env.deps);
    expect(a.outcome).toBe('error');
    expect(a.report.headline).toBe(`There is no folder ${path.dirname(missing)}; create it or choose another --out.`);

    const existing = path.join(root(), 'there.txt');
    writeFileSync(existing, 'keep me');
    const b = await registry().run(['bundle', '--out', existing], cli, env.deps);
    expect(b.outcome).toBe('error');
    expect(b.report.headline).toBe(`${existing} already exists; the bundle never overwrites a file, so choose another --out.`);
    expect(readFileSync(existing, 'utf8')).toBe('keep me');
  });

  it('says which section failed and keeps the others', async () => {
    atlas.metrics.close();
    // metrics.db gone: its sections say so; the rest of the bundle is there.
    const { rmSync } = await import('node:fs');
    rmSync(path.join(env.deps.config.dataDir, 'metrics.db'));
    const out = path.join(root(), 'partial.txt');
    const { report } = await registry().run(['bundle', '--out', out], cli, env.deps);
    expect(report.level).toBe('info');
    const text = readFileSync(out, 'utf8');
    expectEverySection(text);
    expect(text).toContain('metrics.db unreadable (missing)');
    expect(text).toContain('==== ERRORS: atlas errors --window 1h ====\n[FAILED] metrics.db not found');
    expect(text).toMatch(/^Sections: 11; missing: ERRORS \(metrics\.db not found[^\n]*METRICS \(metrics\.db not found[^\n]*\)$/m);
    expect(report.headline).toMatch(/11 sections, 2 missing: errors, metrics\)\.$/);
    // The alerts come from the bot's own list, which says that metrics.db could not be read.
    expect(text).toMatch(/==== ALERTS: [^\n]*====\n[^=]*metrics\.db/);
    // The sections that do not need metrics.db are whole.
    expect(text).toContain('==== SNAPSHOTS: atlas snapshots --limit 10 ====\n[CRIT] no snapshots at all');
  });
});
