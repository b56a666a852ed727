import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generateAtlasData, seededRng, type GeneratedSummary } from '../../src/demo/generate-atlas-data.js';
import { parseAtlasTime } from '../../src/time/atlas-time.js';
import { tempDir, TEST_NOW } from '../helpers/test-deps.js';

const NOW = new Date(TEST_NOW);
const HOUR = 3_600_000;

interface MetricRow {
  id: number;
  type: string;
  value: number;
  labels_json: string;
  recorded_at: string;
}

const labelsSchema = z.record(z.string(), z.string());

/** DATA-CONTRACT.md's jobs/<jobId>.json, checked strictly (what JobStateStore serializes). */
const isoTime = z.iso.datetime();
const layer = z.enum(['congressional', 'state_senate', 'state_house']);
const jobFileSchema = z
  .object({
    jobId: z.string().regex(/^job-[0-9a-z]+-[0-9a-f]{8}$/),
    createdAt: isoTime,
    updatedAt: isoTime,
    status: z.enum(['pending', 'running', 'partial', 'completed', 'failed', 'cancelled']),
    scope: z.object({ states: z.array(z.string()).min(1), layers: z.array(layer).min(1) }).strict(),
    progress: z
      .object({ totalTasks: z.number().int(), completedTasks: z.number().int(), failedTasks: z.number().int(), currentTask: z.string().optional() })
      .strict(),
    completedExtractions: z.array(
      z.object({ state: z.string(), layer, completedAt: isoTime, boundaryCount: z.number().int().positive(), validationPassed: z.boolean() }).strict(),
    ),
    failures: z.array(
      z.object({ state: z.string(), layer, failedAt: isoTime, error: z.string().min(1), attemptCount: z.number().int().positive(), retryable: z.boolean() }).strict(),
    ),
    notConfiguredTasks: z.array(
      z.object({ state: z.string(), layer, reason: z.enum(['state_not_in_registry', 'layer_not_configured']), checkedAt: isoTime }).strict(),
    ),
    options: z.object({ concurrency: z.number(), maxRetries: z.number() }).loose(),
  })
  .strict();

function formatOf(recordedAt: string): 'sql' | 'isoMs' | 'iso' | 'other' {
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(recordedAt)) return 'sql';
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(recordedAt)) return 'isoMs';
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(recordedAt)) return 'iso';
  return 'other';
}

function readMetrics(dir: string): MetricRow[] {
  const db = new Database(path.join(dir, 'metrics.db'), { readonly: true });
  try {
    return db.prepare('SELECT id, type, value, labels_json, recorded_at FROM metrics ORDER BY id').all() as MetricRow[];
  } finally {
    db.close();
  }
}

/** Rows of `type` (and `provider`, when given) whose parsed time falls in [from, to). */
function inWindow(rows: MetricRow[], type: string, from: number, to: number, provider?: string): MetricRow[] {
  return rows.filter((r) => {
    const t = parseAtlasTime(r.recorded_at)!.getTime();
    const labels = JSON.parse(r.labels_json) as Record<string, string>;
    return r.type === type && t >= from && t < to && (provider === undefined || labels.provider === provider);
  });
}

function query<T>(file: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

function fingerprint(dir: string): string {
  const hash = createHash('sha256');
  for (const r of readMetrics(dir)) hash.update(JSON.stringify(r));
  for (const table of ['jobs', 'extractions', 'failures', 'snapshots', 'snapshot_regions']) {
    for (const r of query(path.join(dir, 'persistence.db'), `SELECT * FROM ${table} ORDER BY rowid`)) hash.update(JSON.stringify(r));
  }
  for (const f of readdirSync(path.join(dir, 'jobs')).sort()) hash.update(readFileSync(path.join(dir, 'jobs', f)));
  return hash.digest('hex');
}

describe('generateAtlasData, demo scenario', () => {
  const tmp = tempDir('atlas-gen-');
  const dir = path.join(tmp.dir, 'a', '.shadow-atlas');
  let summary: GeneratedSummary;
  let metrics: MetricRow[];

  beforeAll(() => {
    summary = generateAtlasData(dir, { now: NOW, days: 2, seed: 42, scenario: 'demo' });
    metrics = readMetrics(dir);
  });
  afterAll(() => tmp.cleanup());

  it('is deterministic for a seed and differs for another seed', () => {
    const again = path.join(tmp.dir, 'b');
    const other = path.join(tmp.dir, 'c');
    expect(generateAtlasData(again, { now: NOW, days: 2, seed: 42, scenario: 'demo' })).toEqual(summary);
    expect(fingerprint(again)).toBe(fingerprint(dir));
    const different = generateAtlasData(other, { now: NOW, days: 2, seed: 43, scenario: 'demo' });
    expect(different.jobFiles).not.toEqual(summary.jobFiles);
    expect(fingerprint(other)).not.toBe(fingerprint(dir));
  });

  it('writes every metric row with valid labels, inside [from, now), in all three timestamp formats', () => {
    const from = Date.parse(summary.from);
    const counts = { sql: 0, isoMs: 0, iso: 0, other: 0 };
    for (const r of metrics) {
      counts[formatOf(r.recorded_at)]++;
      const t = parseAtlasTime(r.recorded_at);
      expect(t, r.recorded_at).not.toBeNull();
      expect(t!.getTime()).toBeGreaterThanOrEqual(from);
      expect(t!.getTime()).toBeLessThan(NOW.getTime());
      expect(labelsSchema.safeParse(JSON.parse(r.labels_json)).success, r.labels_json).toBe(true);
    }
    expect(counts.other).toBe(0);
    expect(counts.sql).toBeGreaterThan(counts.isoMs + counts.iso);
    expect(counts.isoMs).toBeGreaterThan(0);
    expect(counts.iso).toBeGreaterThan(0);
    expect({ sql: counts.sql, isoMs: counts.isoMs, iso: counts.iso }).toEqual(summary.metrics.byFormat);
    expect(metrics.length).toBe(summary.metrics.rows);
    expect(from).toBe(NOW.getTime() - 2 * 24 * HOUR);
  });

  it('keeps ids in time order and writes the contract metric types with their meanings', () => {
    // Whole seconds: the SQL format has no milliseconds.
    const times = metrics.map((r) => Math.floor(parseAtlasTime(r.recorded_at)!.getTime() / 1000));
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    const types = new Set(metrics.map((r) => r.type));
    for (const t of ['health_check', 'provider_latency', 'provider_error', 'extraction_success', 'extraction_failure', 'job_duration',
      'boundary_count', 'validation_pass', 'proof_generation', 'merkle_proof', 'db_query', 'request_count', 'request_latency']) {
      expect(types, t).toContain(t);
    }
    const byType = Object.fromEntries([...types].map((t) => [t, metrics.filter((r) => r.type === t).length]));
    expect(byType).toEqual(summary.metrics.byType);
    // Proof rows carry latency in ms and a success label, not 0/1.
    const proofs = metrics.filter((r) => r.type === 'proof_generation');
    expect(proofs.every((r) => r.value > 1 && ['true', 'false'].includes(JSON.parse(r.labels_json).success))).toBe(true);
    expect(metrics.filter((r) => r.type === 'health_check').every((r) => r.value === 0 || r.value === 1)).toBe(true);
    const providers = new Set(metrics.filter((r) => r.type === 'health_check').map((r) => JSON.parse(r.labels_json).provider));
    expect(providers).toEqual(new Set(['Census TIGER', 'ArcGIS Hub', 'UK ONS', 'Statistics Canada', 'Australia ABS']));
  });

  it('has a Census TIGER outage in progress: availability over the last hour well below 95 %', () => {
    const from = NOW.getTime() - HOUR;
    const checks = inWindow(metrics, 'health_check', from, NOW.getTime(), 'Census TIGER');
    const availability = checks.filter((r) => r.value === 1).length / checks.length;
    expect(checks.length).toBeGreaterThanOrEqual(11);
    expect(availability).toBeLessThan(0.5);
    const errors = inWindow(metrics, 'provider_error', from, NOW.getTime(), 'Census TIGER');
    expect(errors.length).toBeGreaterThanOrEqual(9);
    expect(errors.every((r) => JSON.parse(r.labels_json).error === '503 Service Unavailable')).toBe(true);
    // The outage rows come in more than one format, so a text-compared window miscounts them.
    expect(new Set(errors.concat(checks).map((r) => formatOf(r.recorded_at))).size).toBeGreaterThan(1);
    const since = Date.parse(summary.scenarioFacts.outage!.since);
    expect(NOW.getTime() - since).toBe(50 * 60_000);
    // The other providers are up.
    for (const p of ['ArcGIS Hub', 'UK ONS', 'Statistics Canada', 'Australia ABS']) {
      const up = inWindow(metrics, 'health_check', from, NOW.getTime(), p);
      expect(up.length).toBeGreaterThan(0);
      expect(up.filter((r) => r.value === 1).length / up.length).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('has a stuck job: running, its JSON updatedAt 14 h old, with not-configured tasks', () => {
    const id = summary.scenarioFacts.stuckJobId!;
    const file = path.join(dir, 'jobs', `${id}.json`);
    const job = jobFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    expect(job.jobId).toBe(id);
    expect(job.status).toBe('running');
    expect(NOW.getTime() - Date.parse(job.updatedAt)).toBe(14 * HOUR);
    expect(job.notConfiguredTasks.length).toBeGreaterThan(0);
    expect(job.progress.completedTasks + job.progress.failedTasks).toBeLessThan(job.progress.totalTasks);
    expect(job.progress.totalTasks).toBe(job.completedExtractions.length + job.failures.length + job.notConfiguredTasks.length);
    expect(statSync(file).mtimeMs).toBe(Date.parse(job.updatedAt));
    const [row] = query<{ status: string; updated_at: string }>(path.join(dir, 'persistence.db'), 'SELECT status, updated_at FROM jobs WHERE id = ?', id);
    expect(row).toEqual({ status: 'running', updated_at: job.updatedAt });
  });

  it('writes one valid JSON file per job, matching the jobs table', () => {
    const files = readdirSync(path.join(dir, 'jobs')).sort();
    expect(files).toEqual([...summary.jobFiles].sort().map((id) => `${id}.json`));
    const rows = query<{ id: string; status: string; completed_tasks: number; failed_tasks: number; total_tasks: number }>(
      path.join(dir, 'persistence.db'), 'SELECT id, status, completed_tasks, failed_tasks, total_tasks FROM jobs');
    expect(rows.length).toBe(files.length);
    for (const r of rows) {
      const job = jobFileSchema.parse(JSON.parse(readFileSync(path.join(dir, 'jobs', `${r.id}.json`), 'utf8')));
      expect([job.status, job.progress.completedTasks, job.progress.failedTasks, job.progress.totalTasks]).toEqual(
        [r.status, r.completed_tasks, r.failed_tasks, r.total_tasks]);
    }
    // Only the stuck job is running: every other run finished before now.
    expect(rows.filter((r) => r.status === 'running').map((r) => r.id)).toEqual([summary.scenarioFacts.stuckJobId]);
  });

  it('has the current snapshot missing its CID, and older published ones', () => {
    const snapshots = query<{ id: string; ipfs_cid: string; published_at: string | null; deprecated_at: string | null; created_at: string }>(
      path.join(dir, 'persistence.db'), 'SELECT id, ipfs_cid, published_at, deprecated_at, created_at FROM snapshots ORDER BY created_at');
    const active = snapshots.filter((s) => s.deprecated_at === null);
    expect(active.map((s) => s.id)).toEqual([summary.scenarioFacts.snapshotMissingCidId]);
    expect(active[0]!.ipfs_cid).toBe('');
    expect(active[0]!.published_at).toBeNull();
    const older = snapshots.filter((s) => s.deprecated_at !== null);
    expect(older.length).toBeGreaterThanOrEqual(2);
    expect(older.every((s) => /^bafy[a-z2-7]{55}$/.test(s.ipfs_cid) && s.published_at !== null)).toBe(true);
    const regions = query<{ n: number }>(path.join(dir, 'persistence.db'), 'SELECT COUNT(*) AS n FROM snapshot_regions WHERE snapshot_id = ?', active[0]!.id);
    expect(regions[0]!.n).toBe(51);
  });

  it('has a firing provider_down alert not acknowledged, and a resolved one', () => {
    const alerts = query<{ id: number; name: string; status: string; fired_at: string; resolved_at: string | null; acknowledged_at: string | null }>(
      path.join(dir, 'metrics.db'), 'SELECT * FROM alerts');
    const firing = alerts.filter((a) => a.status === 'firing');
    expect(firing).toHaveLength(1);
    expect(firing[0]).toMatchObject({ id: summary.scenarioFacts.firingAlert!.id, name: 'provider_down', acknowledged_at: null, resolved_at: null });
    expect(NOW.getTime() - parseAtlasTime(firing[0]!.fired_at)!.getTime()).toBeLessThan(HOUR);
    const resolved = alerts.filter((a) => a.status === 'resolved');
    expect(resolved.length).toBeGreaterThanOrEqual(1);
    expect(resolved.every((a) => parseAtlasTime(a.resolved_at) !== null)).toBe(true);
  });

  it('has extraction failures for one state, in the metrics and the failures table', () => {
    const state = summary.scenarioFacts.failingState!;
    const dayAgo = NOW.getTime() - 24 * HOUR;
    const failed = inWindow(metrics, 'extraction_failure', dayAgo, NOW.getTime());
    expect(failed.length).toBeGreaterThanOrEqual(3);
    expect(failed.every((r) => JSON.parse(r.labels_json).state === state)).toBe(true);
    const rows = query<{ job_id: string; state_code: string; failed_at: string }>(path.join(dir, 'persistence.db'), 'SELECT job_id, state_code, failed_at FROM failures');
    const recent = rows.filter((r) => Date.parse(r.failed_at) >= dayAgo);
    expect(recent.length).toBe(failed.length);
    expect(new Set(recent.map((r) => r.state_code))).toEqual(new Set([state]));
    expect(new Set(recent.map((r) => r.job_id))).toEqual(new Set(summary.scenarioFacts.failingJobIds));
    // The newest run finished within the last hour, so a 1 h extraction check has rows to judge.
    const hourAgo = NOW.getTime() - HOUR;
    expect(inWindow(metrics, 'extraction_failure', hourAgo, NOW.getTime()).length).toBe(3);
    expect(inWindow(metrics, 'extraction_success', hourAgo, NOW.getTime()).length).toBeGreaterThanOrEqual(18);
  });

  it('writes persistence.db in WAL mode and dated backups that are older copies', () => {
    const header = readFileSync(path.join(dir, 'persistence.db')).subarray(18, 20);
    expect([...header]).toEqual([2, 2]);
    expect(summary.backups).toEqual(['persistence-2026-11-25.db', 'persistence-2026-11-26.db']);
    const jobsNow = query<{ n: number }>(path.join(dir, 'persistence.db'), 'SELECT COUNT(*) AS n FROM jobs')[0]!.n;
    for (const name of summary.backups) {
      const file = path.join(dir, 'backups', name);
      expect(query<{ integrity_check: string }>(file, 'PRAGMA integrity_check')[0]!.integrity_check).toBe('ok');
      const taken = statSync(file).mtime.toISOString();
      expect(taken).toBe(`${name.slice(12, 22)}T02:00:00.000Z`);
      const latestJob = query<{ m: string | null; n: number }>(file, 'SELECT MAX(created_at) AS m, COUNT(*) AS n FROM jobs')[0]!;
      expect(latestJob.n).toBeLessThan(jobsNow);
      expect(latestJob.m! < taken).toBe(true);
    }
  });

  it('reports the row counts that are in the files', () => {
    const p = path.join(dir, 'persistence.db');
    const count = (table: string) => query<{ n: number }>(p, `SELECT COUNT(*) AS n FROM ${table}`)[0]!.n;
    expect(summary.persistence).toEqual({
      jobs: count('jobs'), extractions: count('extractions'), failures: count('failures'),
      snapshots: count('snapshots'), snapshotRegions: count('snapshot_regions'),
    });
    expect(summary.alerts.rows).toBe(query<{ n: number }>(path.join(dir, 'metrics.db'), 'SELECT COUNT(*) AS n FROM alerts')[0]!.n);
    expect(summary.metrics.dailySummaries).toBeGreaterThan(0);
  });
});

describe('generateAtlasData, healthy scenario', () => {
  const tmp = tempDir('atlas-gen-healthy-');
  let summary: GeneratedSummary;
  let metrics: MetricRow[];

  beforeAll(() => {
    summary = generateAtlasData(tmp.dir, { now: NOW, days: 3, seed: 5, scenario: 'healthy' });
    metrics = readMetrics(tmp.dir);
  });
  afterAll(() => tmp.cleanup());

  it('plants none of the demo problems', () => {
    expect(summary.scenarioFacts).toMatchObject({ outage: null, stuckJobId: null, failingState: null, failingJobIds: [], snapshotMissingCidId: null, firingAlert: null });
    expect(summary.alerts.firing).toEqual([]);
  });

  it('has no errors of any kind in the last 48 h', () => {
    const from = NOW.getTime() - 48 * HOUR;
    for (const type of ['provider_error', 'extraction_failure', 'validation_fail', 'request_error']) {
      expect(inWindow(metrics, type, from, NOW.getTime()), type).toEqual([]);
    }
    expect(inWindow(metrics, 'health_check', from, NOW.getTime()).every((r) => r.value === 1)).toBe(true);
    const proofs = [...inWindow(metrics, 'proof_generation', from, NOW.getTime()), ...inWindow(metrics, 'merkle_proof', from, NOW.getTime())];
    expect(proofs.length).toBeGreaterThan(0);
    expect(proofs.every((r) => JSON.parse(r.labels_json).success === 'true')).toBe(true);
    expect(inWindow(metrics, 'extraction_success', NOW.getTime() - HOUR, NOW.getTime()).length).toBe(18);
  });

  it('has only finished jobs and a current snapshot with a CID', () => {
    const p = path.join(tmp.dir, 'persistence.db');
    expect(query<{ status: string }>(p, 'SELECT DISTINCT status FROM jobs')).toEqual([{ status: 'completed' }]);
    expect(query(p, 'SELECT * FROM failures')).toEqual([]);
    const active = query<{ id: string; ipfs_cid: string }>(p, 'SELECT id, ipfs_cid FROM snapshots WHERE deprecated_at IS NULL AND archived_at IS NULL');
    expect(active).toHaveLength(1);
    expect(active[0]!.id).toBe(summary.scenarioFacts.currentSnapshotId);
    expect(active[0]!.ipfs_cid).toMatch(/^bafy/);
  });
});

describe('generateAtlasData, refusals', () => {
  it('never overwrites an existing data directory', () => {
    const tmp = tempDir('atlas-gen-refuse-');
    try {
      writeFileSync(path.join(tmp.dir, 'metrics.db'), 'real data');
      expect(() => generateAtlasData(tmp.dir, { now: NOW })).toThrow(/exists/);
      expect(readFileSync(path.join(tmp.dir, 'metrics.db'), 'utf8')).toBe('real data');
      expect(existsSync(path.join(tmp.dir, 'persistence.db'))).toBe(false);
    } finally {
      tmp.cleanup();
    }
  });

  it('rejects an invalid now and an out-of-range number of days', () => {
    const tmp = tempDir('atlas-gen-bad-');
    try {
      expect(() => generateAtlasData(tmp.dir, { now: new Date('not a date') })).toThrow(/now/);
      expect(() => generateAtlasData(tmp.dir, { now: NOW, days: 0 })).toThrow(/days/);
      expect(() => generateAtlasData(tmp.dir, { now: NOW, days: Number.NaN })).toThrow(/days/);
      expect(existsSync(path.join(tmp.dir, 'metrics.db'))).toBe(false);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('seededRng', () => {
  it('repeats its sequence for a seed and stays in range', () => {
    const a = seededRng(9);
    const b = seededRng(9);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const r = seededRng(1);
    for (let i = 0; i < 1000; i++) {
      const n = r.int(3, 7);
      expect(n >= 3 && n <= 7 && Number.isInteger(n)).toBe(true);
    }
    expect(r.hex(8)).toMatch(/^[0-9a-f]{8}$/);
    expect(r.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
