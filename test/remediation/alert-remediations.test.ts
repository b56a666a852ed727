/**
 * alert clear / alert ack: metrics.db written in its own timestamp format, the bot's alert and
 * its incident following; through signed Slack requests: preview, a reader's Confirm refused,
 * a double click applied once.
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import type { Actor } from '../../src/commands/command-spec.js';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { createRegistry } from '../../src/commands/index.js';
import { tokenize } from '../../src/commands/tokenize.js';
import { acknowledgeAlert } from '../../src/incidents/acknowledge.js';
import { usergroupMembers } from '../../src/slack/usergroup-members.js';
import { REMEDIATION_CONFIRM_ACTION } from '../../src/templates/remediation-messages.js';
import { insertAlert, sqlAgo } from '../checks/data-fixtures.js';
import { startDeliveryHarness, type DeliveryHarness } from '../helpers/delivery-harness.js';
import { eventually, startHarness, TEST_USER, type Harness } from '../helpers/slack-harness.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';

const CHANNEL = 'C0INCIDENT';
const READER = 'U0READER';
const SQL_TIME = '2026-11-26 12:00:00';
const terminal: Actor = { source: 'cli', userId: 'ann' };

let dir: { dir: string; cleanup: () => void };
let atlas: { metrics: Database.Database; persistence: Database.Database };
let env: TestEnv;

beforeEach(() => {
  dir = tempDir();
  const dataDir = path.join(dir.dir, '.shadow-atlas');
  atlas = createAtlasFiles(dataDir);
  env = testDeps(dataDir, { file: { channels: { incidents: CHANNEL }, responders: { users: [TEST_USER], channels: [CHANNEL] } } });
});

afterEach(async () => {
  await env.close();
  atlas.metrics.close();
  atlas.persistence.close();
  dir.cleanup();
});

const metricsRow = (name: string) => atlas.metrics.prepare('SELECT * FROM alerts WHERE name = ?').get(name) as Record<string, unknown>;
const registry = () => createRegistry(createAuthorizer(env.deps.config));
const run = async (text: string, actor: Actor = terminal) => (await registry().run(tokenize(text), actor, env.deps)).report;

describe('alert clear', () => {
  it('resolves the metrics.db row in its own format, and the bot\'s alert and its open incident with it', async () => {
    insertAlert(atlas.metrics, { name: 'HighErrorRate', status: 'firing', fired_at: sqlAgo(30) });
    await ingestAlert(env.deps, { name: 'HighErrorRate', status: 'firing', message: 'errors', source: 'metrics-db', firedAt: new Date(Date.parse('2026-11-25T06:00:00Z')) });
    const { incident } = await acknowledgeAlert(env.deps, 'HighErrorRate', TEST_USER);
    const preview = await run('alert clear HighErrorRate');
    expect(preview.sections[0]!.lines).toEqual([
      `metrics.db alerts HighErrorRate (id 1): status: firing, resolved_at: null → status: resolved, resolved_at: ${SQL_TIME}`,
      "the bot's alert HighErrorRate (its message updated): status: firing → status: resolved",
      `incident ${incident.id} (investigating): alert: firing → alert: resolved, noted in its thread`,
    ]);
    expect(metricsRow('HighErrorRate').status).toBe('firing');
    const applied = await run('alert clear HighErrorRate --yes');
    expect(applied.headline).toBe(`Alert HighErrorRate cleared (told in ${incident.id}'s thread)`);
    expect(metricsRow('HighErrorRate')).toMatchObject({ status: 'resolved', resolved_at: SQL_TIME, fired_at: sqlAgo(30) });
    // An engineer's resolution, recorded with who made it.
    expect(await env.deps.state.alerts.get('higherrorrate')).toMatchObject({ status: 'resolved', resolved_by: `user:${terminal.userId}` });
    const events = env.db.prepare("SELECT kind FROM incident_events WHERE incident_id = ? ORDER BY id").all(incident.id) as { kind: string }[];
    expect(events.map((e) => e.kind)).toContain('alert-resolved');
  });

  it('refuses an unknown or resolved alert, and names with quotes or SQL, in one sentence, changing nothing', async () => {
    insertAlert(atlas.metrics, { name: 'Old', status: 'resolved', fired_at: sqlAgo(30), resolved_at: sqlAgo(20) });
    const before = JSON.stringify(atlas.metrics.prepare('SELECT * FROM alerts').all());
    expect((await run('alert clear Old --yes')).headline).toBe(`Alert Old is already resolved (${sqlAgo(20)}); there is nothing to clear.`);
    for (const name of [`Old' OR '1'='1`, "x'; DROP TABLE alerts; --", 'a;rm -rf /', '../../etc/passwd', 'ålért ✓']) {
      const report = (await registry().run(['alert', 'clear', name, '--yes'], terminal, env.deps)).report;
      expect(report.headline).toMatch(/^No alert named ".*" in metrics\.db or the bot; `\/atlas alerts` lists them\. Nothing was changed\.$/);
    }
    expect((await registry().run(['alert', 'clear', 'x'.repeat(10_000)], terminal, env.deps)).report.level).toBe('error');
    expect(JSON.stringify(atlas.metrics.prepare('SELECT * FROM alerts').all())).toBe(before);
  });

  it('says metrics.db is locked after a few seconds and changes nothing', async () => {
    insertAlert(atlas.metrics, { name: 'Stuck', status: 'firing', fired_at: sqlAgo(30) });
    atlas.metrics.exec('BEGIN IMMEDIATE');
    try {
      const report = await run('alert clear Stuck --yes');
      expect(report.headline).toBe('metrics.db stayed locked by another writer (the service?) for 3 s; try again in a minute; nothing was changed.');
    } finally {
      atlas.metrics.exec('ROLLBACK');
    }
    expect(metricsRow('Stuck').status).toBe('firing');
  });
});

describe('alert ack', () => {
  it('marks acknowledged_at in metrics.db format; from the terminal the bot\'s alert stays for Slack', async () => {
    insertAlert(atlas.metrics, { name: 'DiskSpaceLow', status: 'firing', fired_at: sqlAgo(1) });
    await ingestAlert(env.deps, { name: 'DiskSpaceLow', status: 'firing', message: 'disk', source: 'metrics-db' });
    const applied = await run('alert ack DiskSpaceLow --yes');
    expect(metricsRow('DiskSpaceLow').acknowledged_at).toBe(SQL_TIME);
    expect(applied.sections[0]!.lines).toContain("the bot's alert stays unacknowledged: the terminal has no Slack user to own its incident; press Acknowledge in Slack");
    expect((await run('alert ack DiskSpaceLow --yes')).headline).toBe(`Alert DiskSpaceLow was acknowledged in metrics.db already (${SQL_TIME}); nothing was changed.`);
  });
});

describe('through signed Slack requests', () => {
  let d: DeliveryHarness;
  let h: Harness;
  beforeEach(async () => {
    d = await startDeliveryHarness(env);
    let client: Harness['app']['app']['client'] | null = null;
    const reg = createRegistry(createAuthorizer(env.deps.config, usergroupMembers(() => client)));
    h = await startHarness({ deps: env.deps, registry: reg, slack: d.slack });
    client = h.app.app.client;
  });
  afterEach(async () => {
    await h.close();
    await d.close();
  });

  it('previews alert ack, refuses a reader\'s Confirm, applies one of two Confirms once and opens the incident', async () => {
    insertAlert(atlas.metrics, { name: 'ProviderDown', status: 'firing', fired_at: sqlAgo(1) });
    await ingestAlert(env.deps, { name: 'ProviderDown', status: 'firing', message: 'TIGER down', source: 'metrics-db' });
    await d.delivery.drain();

    const preview = await (await h.command('alert ack ProviderDown')).answer();
    expect(preview.text).toContain('Preview of `alert ack`');
    type Button = { action_id: string; value: string };
    const button = (preview.blocks as { type: string; elements?: Button[] }[]).flatMap((b) => b.elements ?? []).find((e) => e.action_id === REMEDIATION_CONFIRM_ACTION)!;
    expect(button.value).toMatch(/^[A-Za-z0-9_-]{10,64}$/);
    expect(metricsRow('ProviderDown').acknowledged_at).toBeNull();

    const reader = await (await h.press(REMEDIATION_CONFIRM_ACTION, button.value, { user: READER })).answer();
    expect(reader.text).toContain('`confirm` changes Shadow Atlas data: it may be run by <@U0ONCALL1>');
    expect(metricsRow('ProviderDown').acknowledged_at).toBeNull();

    const [a, b] = await Promise.all([h.press(REMEDIATION_CONFIRM_ACTION, button.value), h.press(REMEDIATION_CONFIRM_ACTION, button.value)]);
    const answers = [await a.answer(), await b.answer()].map((x) => x.text ?? '');
    expect(answers.filter((t) => t.includes("Alert ProviderDown acknowledged (told in INC-20261126-1's thread)"))).toHaveLength(1);
    expect(answers.filter((t) => t.includes('confirmed already'))).toHaveLength(1);
    expect(metricsRow('ProviderDown').acknowledged_at).toBe(SQL_TIME);
    const bot = (await env.deps.state.alerts.get('providerdown'))!;
    expect(bot.incident_id).toBe('INC-20261126-1');
    expect(bot.acknowledged_by).toBe(TEST_USER);
    await d.delivery.drain();
    await eventually(() => d.slack.workspace.messages(CHANNEL).flatMap((m) => [m, ...d.slack.workspace.replies(CHANNEL, m.ts)]).find((m) => m.text.includes('Alert ProviderDown acknowledged')), 'the result told in the incident thread');
    const outcomes = env.db.prepare("SELECT command, user_id, outcome FROM audit_log WHERE command IN ('alert ack', 'confirm') ORDER BY id").all();
    expect(outcomes).toEqual([
      { command: 'alert ack', user_id: TEST_USER, outcome: 'previewed' },
      { command: 'confirm', user_id: READER, outcome: 'refused' },
      { command: 'alert ack', user_id: TEST_USER, outcome: 'started' },
      { command: 'alert ack', user_id: TEST_USER, outcome: 'applied' },
    ]);
  });
});
