import { rmSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import SqliteDatabase from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { byPerson } from '../../src/db/state/resolved-by.js';
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import { pollMetricsAlerts } from '../../src/alerts/metrics-alert-watcher.js';
import { startDeliveryHarness } from '../helpers/delivery-harness.js';
import { createAtlasFiles, tempDir, testDeps } from '../helpers/test-deps.js';

const MIN = 60_000;

describe('pollMetricsAlerts', () => {
  let dataDir: string;
  let cleanup: () => void;
  let metrics: Database.Database;
  let env: ReturnType<typeof testDeps>;
  let logs: { level: number; msg: string; problem?: string }[];

  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    dataDir = path.join(t.dir, '.shadow-atlas');
    const files = createAtlasFiles(dataDir);
    files.persistence.close();
    metrics = files.metrics;
    logs = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as (typeof logs)[number]) });
    env = testDeps(dataDir, { logger, file: { channels: { incidents: 'C0INCIDENT' } } });
  });
  afterEach(async () => {
    if (metrics.open) metrics.close();
    await env.close();
    cleanup();
  });

  const insert = (name: string, status: 'firing' | 'resolved', firedAt: string, resolvedAt: string | null = null, message = `${name} message`) =>
    metrics.prepare('INSERT INTO alerts (name, status, message, fired_at, resolved_at) VALUES (?, ?, ?, ?, ?)').run(name, status, message, firedAt, resolvedAt);
  const poll = async () => await pollMetricsAlerts(env.deps);
  const alert = async (key: string) => await env.deps.state.alerts.get(key);

  it('ingests firing rows in all three timestamp formats, once, and posts each once', async () => {
    insert('provider_down', 'firing', '2026-11-26 11:50:00');
    insert('validation_pass_rate_low', 'firing', '2026-11-26T11:40:00.000Z');
    insert('job_duration_regression', 'firing', '2026-11-26T11:30:00Z');
    insert('old_news', 'resolved', '2026-11-20 08:00:00', '2026-11-20 09:00:00');

    const first = await poll();
    expect(first).toMatchObject({ problem: null, rows: 4, skipped: 0 });
    expect(first.changes).toEqual([
      { name: 'provider_down', action: 'new' },
      { name: 'validation_pass_rate_low', action: 'new' },
      { name: 'job_duration_regression', action: 'new' },
    ]);
    expect(await alert('provider_down')).toMatchObject({
      fired_at: '2026-11-26T11:50:00.000Z',
      source_fired_at: '2026-11-26 11:50:00',
      sources: '["metrics-db"]',
      severity: 'P1',
    });
    expect((await alert('validation_pass_rate_low'))!.fired_at).toBe('2026-11-26T11:40:00.000Z');
    expect((await alert('job_duration_regression'))!.fired_at).toBe('2026-11-26T11:30:00.000Z');
    expect(await alert('old_news')).toBeNull();

    const h = await startDeliveryHarness(env);
    try {
      await h.delivery.drain();
      const posted = () => h.slack.workspace.messages('C0INCIDENT').map((m) => m.text.split(' ')[1]);
      expect(posted()).toEqual(['provider_down', 'validation_pass_rate_low', 'job_duration_regression']);
      expect((await poll()).changes).toEqual([]);
      expect(await env.deps.state.outbox.pendingCount()).toBe(0);
      await h.delivery.drain();
      expect(posted()).toHaveLength(3);
    } finally {
      await h.close();
    }
  });

  it('resolves an alert when its row resolves, and re-fires it when fired_at changes', async () => {
    insert('provider_down', 'firing', '2026-11-26 11:50:00');
    await poll();
    env.clock.advance(5 * MIN);
    metrics.prepare("UPDATE alerts SET status = 'resolved', resolved_at = '2026-11-26 12:04:00' WHERE name = 'provider_down'").run();
    expect((await poll()).changes).toEqual([{ name: 'provider_down', action: 'resolved' }]);
    expect(await alert('provider_down')).toMatchObject({ status: 'resolved', resolved_at: '2026-11-26T12:04:00.000Z' });
    expect(await env.deps.state.timers.pending({ alertKey: 'provider_down' })).toEqual([]);
    expect((await poll()).changes).toEqual([]);

    // The service re-fires by rewriting the one row with a new fired_at.
    env.clock.advance(10 * MIN);
    metrics.prepare("UPDATE alerts SET status = 'firing', resolved_at = NULL, fired_at = '2026-11-26T12:14:30.000Z' WHERE name = 'provider_down'").run();
    expect((await poll()).changes).toEqual([{ name: 'provider_down', action: 'refired' }]);
    expect(await alert('provider_down')).toMatchObject({ status: 'firing', fire_count: 2, source_fired_at: '2026-11-26T12:14:30.000Z' });
    expect((await poll()).changes).toEqual([]);
  });

  it('does not re-post a firing row an engineer resolved in the bot (same fired_at)', async () => {
    insert('provider_down', 'firing', '2026-11-26 11:50:00');
    await poll();
    await ingestAlert(env.deps, { name: 'provider_down', status: 'resolved', message: '', source: 'command', resolvedBy: byPerson('U0ONCALL1') });
    expect((await poll()).changes).toEqual([]);
    expect(await alert('provider_down')).toMatchObject({ status: 'resolved', resolved_by: 'user:U0ONCALL1' });
  });

  it('keeps firing what metrics.db still reports after another source resolves it, and the next poll keeps it (18 §9)', async () => {
    insert('provider_down', 'firing', '2026-11-26 11:50:00');
    await poll();
    const outcome = await ingestAlert(env.deps, { name: 'PROVIDER_DOWN', status: 'resolved', message: '', source: 'atlas-webhook' });
    expect(outcome.action).toBe('not-a-source');
    expect(outcome.note).toContain('never reported provider_down');
    expect(await alert('provider_down')).toMatchObject({ status: 'firing', resolved_by: null });
    expect((await poll()).changes).toEqual([]);
    expect(await alert('provider_down')).toMatchObject({ status: 'firing', fire_count: 1 });
  });

  it('does not resolve an alert that metrics.db never reported', async () => {
    await ingestAlert(env.deps, { name: 'provider_down', status: 'firing', message: 'from Alertmanager', source: 'alertmanager' });
    insert('provider_down', 'resolved', '2026-11-25 10:00:00', '2026-11-25 11:00:00');
    expect((await poll()).changes).toEqual([]);
    expect((await alert('provider_down'))!.status).toBe('firing');
  });

  it('uses the optional severity column as a hint', async () => {
    metrics.exec('ALTER TABLE alerts ADD COLUMN severity TEXT');
    metrics.prepare("INSERT INTO alerts (name, status, message, fired_at, severity) VALUES ('MemoryUsageHigh', 'firing', 'RSS 1.2 GB', '2026-11-26 11:00:00', 'Warning')").run();
    metrics.prepare("INSERT INTO alerts (name, status, message, fired_at, severity) VALUES ('DiskSpaceLow', 'firing', 'disk 95%', '2026-11-26 11:00:00', 42)").run();
    env.deps.atlas.metrics.close();
    await poll();
    expect((await alert('memoryusagehigh'))!.severity).toBe('P2');
    expect((await alert('diskspacelow'))!.severity).toBe('P1');
  });

  it("takes the severity column's value for an alert the matrix does not know", async () => {
    metrics.exec('ALTER TABLE alerts ADD COLUMN severity TEXT');
    metrics.prepare("INSERT INTO alerts (name, status, message, fired_at, severity) VALUES ('replica_lag_high', 'firing', 'lag 40 s', '2026-11-26 11:00:00', 'critical')").run();
    metrics.prepare("INSERT INTO alerts (name, status, message, fired_at, severity) VALUES ('queue_backlog', 'firing', 'backlog', '2026-11-26 11:00:00', NULL)").run();
    env.deps.atlas.metrics.close();
    await poll();
    expect(await alert('replica_lag_high')).toMatchObject({ severity: 'P1', severity_known: 2 });
    expect(await alert('queue_backlog')).toMatchObject({ severity: 'P2', severity_known: 0 });
  });

  it('reads the newest 2,000 rows when there are more, oldest first', async () => {
    // 2,100 resolved rows, then one firing: the newest row must not fall off the end.
    const many = metrics.prepare("INSERT INTO alerts (name, status, message, fired_at, resolved_at) VALUES (?, 'resolved', '', ?, ?)");
    metrics.transaction(() => {
      for (let i = 0; i < 2100; i++) many.run(`old_${i}`, '2026-11-20 08:00:00', '2026-11-20 09:00:00');
    })();
    insert('replica_down', 'firing', '2026-11-26 11:58:00');
    insert('provider_down', 'firing', '2026-11-26 11:59:00');
    const result = await poll();
    expect(result.rows).toBe(2000);
    // Ingested in id order (chronological), so the newest alert is the last one posted.
    expect(result.changes).toEqual([
      { name: 'replica_down', action: 'new' },
      { name: 'provider_down', action: 'new' },
    ]);
    expect(await alert('provider_down')).toMatchObject({ status: 'firing' });
  });

  it('skips rows it cannot take and ingests the rest', async () => {
    insert('x'.repeat(300), 'firing', '2026-11-26 11:00:00');
    insert('bad_time', 'firing', 'yesterday');
    insert('provider_down', 'firing', '2026-11-26 11:50:00');
    const result = await poll();
    expect(result.skipped).toBe(1);
    expect(result.changes.map((c) => c.name)).toEqual(['bad_time', 'provider_down']);
    // An unreadable fired_at is dated when the bot saw it.
    expect((await alert('bad_time'))!.fired_at).toBe('2026-11-26T12:00:00.000Z');
  });

  it('reports a missing metrics.db as a problem, logged once, then recovers', async () => {
    metrics.close();
    rmSync(path.join(dataDir, 'metrics.db'));
    const a = await poll();
    const b = await poll();
    expect(a.problem).toMatch(/^metrics\.db not found/);
    expect(b).toEqual(a);
    expect(logs.filter((l) => l.msg === 'cannot watch alerts in metrics.db')).toHaveLength(1);

    metrics = createAtlasFiles(dataDir).metrics;
    insert('provider_down', 'firing', '2026-11-26 11:50:00');
    expect(await poll()).toMatchObject({ problem: null, changes: [{ name: 'provider_down', action: 'new' }] });
    expect(logs.filter((l) => l.msg === 'metrics.db alerts readable again; watching them')).toHaveLength(1);
  });

  it('reports a locked metrics.db as a problem without throwing', async () => {
    insert('provider_down', 'firing', '2026-11-26 11:50:00');
    await poll();
    metrics.exec('BEGIN EXCLUSIVE');
    metrics.prepare("UPDATE alerts SET status = 'resolved', resolved_at = '2026-11-26 12:00:00'").run();
    const locked = await poll();
    expect(locked.problem).toMatch(/locked/);
    expect(locked.changes).toEqual([]);
    metrics.exec('COMMIT');
    expect((await poll()).changes).toEqual([{ name: 'provider_down', action: 'resolved' }]);
  });

  it('names the missing columns of another schema instead of failing on SQL', async () => {
    metrics.close();
    rmSync(path.join(dataDir, 'metrics.db'));
    const other = new SqliteDatabase(path.join(dataDir, 'metrics.db'));
    other.exec('CREATE TABLE alerts (id INTEGER PRIMARY KEY, name TEXT, status TEXT, fired_at TEXT)');
    other.close();
    const result = await poll();
    expect(result.problem).toBe('metrics.db lacks alerts.message, alerts.resolved_at; its alerts are not watched.');
  });
});
