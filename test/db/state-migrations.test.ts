import { renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import { openStateStore } from '../../src/db/state/kysely/sqlite-state-store.js';
import { STATE_MIGRATIONS } from '../../src/db/state/state-migrations.js';
import { alertAnchor } from '../../src/db/state/state-records.js';
import { liveMessage } from '../../src/presenter/live-messages.js';
import { blockText, CHANNEL, openIncidentEnv, type IncidentEnv } from '../helpers/incident-env.js';
import { tempDir, testDeps } from '../helpers/test-deps.js';

const CARD_TS = '1700000000.000100';

/**
 * A chatops.db as the bot left it at schema version 2: an acknowledged alert whose message is its
 * incident's card, a declared incident with a card of its own, one never posted, an alert that fired
 * again after its incident, and outbox rows of the old kinds, some pending and some done.
 */
async function writeVersion2(file: string): Promise<void> {
  const v2 = openStateStore(file, STATE_MIGRATIONS.slice(0, 2));
  const run = (sql: string, ...args: unknown[]) => v2.db.prepare(sql).run(...args);
  const incident = (id: string, alertKey: string | null, rootTs: string | null, status = 'investigating') =>
    run(
      `INSERT INTO incidents (id, day, seq, title, severity, status, owner_id, created_by, alert_key, channel_id, root_ts, opened_at, acknowledged_at, ack_seconds, last_update_at, resolved_at)
       VALUES (?, ?, ?, ?, 'P0', ?, 'U0ONCALL1', 'U0ONCALL1', ?, ?, ?, '2026-11-26T11:57:00.000Z', '2026-11-26T12:00:00.000Z', 180, '2026-11-26T12:00:00.000Z', ?)`,
      id,
      id.slice(4, 12),
      Number(id.slice(13)),
      `title of ${id}`,
      status,
      alertKey,
      rootTs ? CHANNEL : null,
      rootTs,
      status === 'resolved' ? '2026-11-25T13:00:00.000Z' : null,
    );
  const alert = (key: string, fireCount: number, messageTs: string | null, incidentId: string | null) =>
    run(
      `INSERT INTO alerts (key, name, status, severity, severity_known, message, sources, fired_at, fire_count, channel_id, message_ts, incident_id, acknowledged_by, updated_at)
       VALUES (?, ?, 'firing', 'P0', 1, 'All IPFS gateways failing', '["metrics-db"]', '2026-11-26T11:57:00.000Z', ?, ?, ?, ?, ?, '2026-11-26T12:00:00.000Z')`,
      key,
      key,
      fireCount,
      messageTs ? CHANNEL : null,
      messageTs,
      incidentId,
      incidentId ? 'U0ONCALL1' : null,
    );
  incident('INC-20261125-1', 'provider_down', '1699990000.000100', 'resolved');
  incident('INC-20261126-1', 'ipfsdown', CARD_TS);
  incident('INC-20261126-2', null, '1700000000.000200');
  incident('INC-20261126-3', null, null);
  alert('ipfsdown', 1, CARD_TS, 'INC-20261126-1');
  alert('disk_low', 2, '1700000000.000300', null);
  // Fired again after INC-20261125-1; its new firing was not posted yet.
  alert('provider_down', 3, null, null);
  const outbox = (kind: string, ref: string, payload: object | null, done: 'sent' | 'failed' | null = null) =>
    run(
      `INSERT INTO outbox (created_at, kind, ref, payload, attempts, next_attempt_at, sent_at, failed_at) VALUES ('2026-11-26T12:00:00.000Z', ?, ?, ?, ?, '2026-11-26T12:00:15.000Z', ?, ?)`,
      kind,
      ref,
      payload ? JSON.stringify(payload) : null,
      done ? 1 : 2,
      done === 'sent' ? '2026-11-26T12:00:01.000Z' : null,
      done === 'failed' ? '2026-11-26T12:00:01.000Z' : null,
    );
  outbox('thread-post', 'INC-20261126-1', { text: 'already delivered' }, 'sent');
  outbox('alert-message', 'ipfsdown', null);
  outbox('incident-card', 'INC-20261126-1', null);
  outbox('thread-post', 'INC-20261126-1', { text: '🔄 update', blocks: [], broadcast: true });
  outbox('channel-post', 'INC-20261126-2', { text: '✅ INC-20261126-2 resolved', blocks: [], channel: CHANNEL });
  outbox('alert-message', 'disk_low', null);
  outbox('channel-post', 'provider_down', { text: '⏰ P0 alert provider_down not acknowledged', blocks: [], channel: CHANNEL });
  outbox('alert-message', 'provider_down', null);
  outbox('thread-post', 'INC-20261126-3', { text: '🔎 initial response', blocks: [] });
  outbox('channel-post', 'INC-20261126-2', { text: 'refused long ago' }, 'failed');
  run("INSERT INTO command_runs (at, source, user_id, command, args, outcome, summary, duration_ms) VALUES ('2026-11-26 12:00:00', 'slack', 'U0ONCALL1', 'health', '', 'ok', 'ok', 5)");
  expect(await v2.schemaVersion()).toEqual({ current: 2, latest: 2 });
  await v2.close();
}

describe('state migration 3', () => {
  let t: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(async () => {
    t = tempDir();
    file = path.join(t.dir, 'chatops.db');
    await writeVersion2(file);
  });
  afterEach(() => t.cleanup());

  it('names messages by anchors, keeps their Slack ids in slack_messages, and carries the pending outbox rows over into lanes', async () => {
    const state = openStateStore(file);
    try {
      expect(await state.schemaVersion()).toEqual({ current: STATE_MIGRATIONS.length, latest: STATE_MIGRATIONS.length });
      const columns = (table: string) => (state.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
      expect(columns('incidents')).toContain('anchor');
      expect(columns('incidents')).not.toContain('root_ts');
      expect(columns('incidents')).not.toContain('channel_id');
      expect(columns('alerts')).not.toContain('message_ts');
      expect(columns('alerts')).not.toContain('channel_id');
      expect(columns('command_runs')).toContain('via');

      // The acknowledged alert's message is its incident's card: one anchor for both.
      expect((await state.incidents.get('INC-20261126-1'))!.anchor).toBe('alert:ipfsdown:1');
      expect((await state.incidents.get('INC-20261126-2'))!.anchor).toBe('incident:INC-20261126-2');
      expect((await state.incidents.get('INC-20261126-3'))!.anchor).toBe('incident:INC-20261126-3');
      expect((await state.incidents.get('INC-20261125-1'))!.anchor).toBe('incident:INC-20261125-1');
      expect(await state.slackMessages.get('alert:ipfsdown:1')).toEqual({ channel: CHANNEL, ts: CARD_TS });
      expect(await state.slackMessages.get('incident:INC-20261126-2')).toEqual({ channel: CHANNEL, ts: '1700000000.000200' });
      expect(await state.slackMessages.get('incident:INC-20261125-1')).toEqual({ channel: CHANNEL, ts: '1699990000.000100' });
      expect(await state.slackMessages.get('alert:disk_low:2')).toEqual({ channel: CHANNEL, ts: '1700000000.000300' });
      expect(await state.slackMessages.get('incident:INC-20261126-3')).toBeNull();
      expect(await state.slackMessages.get('alert:provider_down:3')).toBeNull();

      const rows = state.db.prepare('SELECT lane, op, anchor, channel, payload, attempts, next_attempt_at FROM outbox ORDER BY id').all() as {
        lane: string;
        op: string;
        anchor: string | null;
        channel: string | null;
        payload: string | null;
        attempts: number;
        next_attempt_at: string;
      }[];
      // A message never posted needs a channel: the post's own, else the one the bot has been posting in.
      expect(rows.map((r) => [r.lane, r.op, r.anchor, r.channel])).toEqual([
        ['alert:ipfsdown:1', 'refresh', 'alert:ipfsdown:1', CHANNEL],
        ['alert:ipfsdown:1', 'refresh', 'alert:ipfsdown:1', CHANNEL],
        ['alert:ipfsdown:1', 'reply', 'alert:ipfsdown:1', CHANNEL],
        ['incident:INC-20261126-2', 'post', null, CHANNEL],
        ['alert:disk_low:2', 'refresh', 'alert:disk_low:2', CHANNEL],
        ['alert:provider_down:3', 'post', null, CHANNEL],
        ['alert:provider_down:3', 'refresh', 'alert:provider_down:3', CHANNEL],
        ['incident:INC-20261126-3', 'reply', 'incident:INC-20261126-3', CHANNEL],
      ]);
      expect(JSON.parse(rows[2]!.payload!)).toEqual({ text: '🔄 update', blocks: [], broadcast: true });
      expect(rows[0]!.payload).toBeNull();
      expect(rows.every((r) => r.attempts === 2 && r.next_attempt_at === '2026-11-26T12:00:15.000Z')).toBe(true);
      expect(await state.outbox.stats(new Date('2026-11-26T12:00:00.000Z'))).toEqual({ pending: 8, failed: 0, oldestPendingSec: 0 });
      expect(state.db.prepare('SELECT via FROM command_runs').all()).toEqual([{ via: 'command' }]);
      expect(state.db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      await state.close();
    }
  });

  it('a migrated card stays the card: rendered as the incident, refreshed under one name whatever changed', async () => {
    const state = openStateStore(file);
    try {
      const now = new Date('2026-11-26T12:10:00.000Z');
      const incident = (await state.incidents.get('INC-20261126-1'))!;
      const alert = (await state.alerts.get('ipfsdown'))!;
      // What the alert's own events refresh is the message the incident's events refresh.
      expect(alertAnchor(alert)).toBe(incident.anchor);
      expect((await liveMessage(state, alertAnchor(alert), now))!.text).toBe('🔎 INC-20261126-1 P0 investigating: title of INC-20261126-1');
    } finally {
      await state.close();
    }
  });

  it('refuses a file newer than the bot, and opens a current one without change', async () => {
    await openStateStore(file).close();
    const again = openStateStore(file);
    expect(await again.schemaVersion()).toEqual({ current: STATE_MIGRATIONS.length, latest: STATE_MIGRATIONS.length });
    await again.close();
    expect(() => openStateStore(file, STATE_MIGRATIONS.slice(0, 2))).toThrow(new RegExp(`schema version ${STATE_MIGRATIONS.length}, newer than this bot knows \\(2\\)`));
  });
});

describe('after the upgrade', () => {
  let ie: IncidentEnv;
  beforeEach(() => {
    ie = openIncidentEnv();
  });
  afterEach(() => ie.close());

  it('delivers what was pending, and later changes edit the same card', async () => {
    await ie.env.close();
    await writeVersion2(path.join(ie.dataDir, 'chatops.db.v2'));
    for (const suffix of ['', '-wal', '-shm']) rmSync(path.join(ie.dataDir, `chatops.db${suffix}`), { force: true });
    renameSync(path.join(ie.dataDir, 'chatops.db.v2'), path.join(ie.dataDir, 'chatops.db'));
    ie.env = testDeps(ie.dataDir, { file: { channels: { incidents: CHANNEL } } });
    ie.env.clock.set('2026-11-26T12:01:00.000Z');

    await ie.deliver();
    expect(await ie.env.deps.state.outbox.stats(ie.env.clock())).toEqual({ pending: 0, failed: 0, oldestPendingSec: 0 });
    // The card the stand-in never saw is posted anew, and the thread goes on under it.
    const card = (await ie.anchored('alert:ipfsdown:1'))!;
    expect(card.text).toBe('🔎 INC-20261126-1 P0 investigating: title of INC-20261126-1');
    expect((await ie.thread('alert:ipfsdown:1')).map((m) => m.text)).toEqual(['🔄 update']);
    expect(ie.channel().map((m) => m.text)).toContain('✅ INC-20261126-2 resolved');
    expect((await ie.thread('incident:INC-20261126-3')).map((m) => m.text)).toEqual(['🔎 initial response']);

    // The alert resolves: its incident's card is edited, not replaced by the alert's message.
    await ingestAlert(ie.env.deps, { name: 'ipfsdown', status: 'resolved', message: '', source: 'metrics-db' });
    await ie.deliver();
    const edited = (await ie.anchored('alert:ipfsdown:1'))!;
    expect(edited.ts).toBe(card.ts);
    expect(edited.text).toBe('🔎 INC-20261126-1 P0 investigating: title of INC-20261126-1');
    expect(blockText(edited)).toContain('Alert ipfsdown: resolved 12:01 UTC');
    expect((await ie.thread('alert:ipfsdown:1')).at(-1)!.text).toBe('Alert ipfsdown resolved at 12:01 UTC.');
  });
});

describe('state migration 9', () => {
  it('keeps every outbox row, its state and the id sequence (ids mark posts in Slack), and takes calls', async () => {
    const t = tempDir();
    try {
      const file = path.join(t.dir, 'chatops.db');
      const v8 = openStateStore(file, STATE_MIGRATIONS.slice(0, 8));
      const now = new Date('2026-11-26T12:00:00.000Z');
      const ids: number[] = [];
      for (const n of [1, 2, 3]) ids.push(await v8.outbox.enqueue({ lane: 'alert:ipfsdown', op: n === 1 ? 'refresh' : 'reply', anchor: 'alert:ipfsdown:1', channel: CHANNEL, payload: { text: `m${n}` } }, now));
      await v8.outbox.markSent(v8.db.prepare('SELECT * FROM outbox WHERE id = ?').get(ids[0]) as never, '1700000000.000100', now);
      // The newest row is gone (retention): its id must not come back.
      v8.db.prepare('DELETE FROM outbox WHERE id = ?').run(ids[2]);
      const before = v8.db.prepare('SELECT * FROM outbox ORDER BY id').all();
      expect(() => v8.db.prepare("INSERT INTO outbox (created_at, lane, op, next_attempt_at) VALUES ('x', 'l', 'call', 'x')").run()).toThrow(/CHECK constraint/);
      await v8.close();

      const v9 = openStateStore(file);
      expect(v9.db.prepare('SELECT * FROM outbox ORDER BY id').all()).toEqual(before);
      const next = await v9.outbox.enqueue({ lane: 'pagerduty:ipfsdown', op: 'call', anchor: 'alert:ipfsdown:1', payload: { text: 'page IpfsDown in PagerDuty', call: { target: 'pagerduty' } } }, now);
      expect(next).toBe(ids[2]! + 1);
      expect(await v9.outbox.pendingCount()).toBe(2);
      await v9.close();
    } finally {
      t.cleanup();
    }
  });
});
