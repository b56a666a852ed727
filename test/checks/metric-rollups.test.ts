import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorTriage } from '../../src/checks/error-triage.js';
import { withRollups } from '../../src/checks/metric-rollup-link.js';
import { metricThresholds } from '../../src/checks/metric-thresholds.js';
import {
  aggregateByType,
  bucketsByType,
  countByType,
  countTypes,
  groupByLabels,
  labelGroupsByType,
  NO_DEADLINE,
  percentileInWindow,
  topValues,
  type LabelGroup,
} from '../../src/checks/metric-window.js';
import { MetricsReaderPool } from '../../src/checks/metrics-reader.js';
import { answerWithRollups, rollupFileOf } from '../../src/checks/metrics-reads.js';
import { metricsSummary } from '../../src/checks/metrics-summary.js';
import { thresholdsSchema } from '../../src/config.js';
import { MetricsRollups } from '../../src/db/metrics-rollups/metrics-rollups.js';
import { BUCKET_MS, ROLLUP_SCHEMA_VERSION } from '../../src/db/metrics-rollups/rollup-schema.js';
import { toSqlTime } from '../../src/time/atlas-time.js';
import { formatsOf, openMetricsFixture, type MetricsFixture } from '../helpers/metrics-fixture.js';
import { TEST_NOW } from '../helpers/test-deps.js';

const NOW = new Date(TEST_NOW);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T = thresholdsSchema.parse({});
const ROOT = path.resolve(import.meta.dirname, '../..');
const CHILD = path.join(import.meta.dirname, 'fixtures/rollup-catch-up-child.ts');

const TYPES = [
  'extraction_success',
  'extraction_failure',
  'provider_error',
  'health_check',
  'db_query',
  'proof_generation',
  'job_duration',
  'validation_pass',
  'request_count',
  'request_error',
] as const;
const LABELS: Record<string, string[]> = {
  extraction_success: ['{"state":"CA","layer":"congressional"}', '{"state":"TX","layer":"state_house"}'],
  extraction_failure: ['{"state":"CA","layer":"congressional"}', '{"layer":"congressional","state":"CA"}'],
  provider_error: ['{"provider":"Census TIGER","error":"503"}', '{"provider":"UK ONS","error":"timeout"}', 'not json'],
  health_check: ['{"provider":"Census TIGER"}', '{"provider":"UK ONS"}', '{}'],
  db_query: ['{"queryType":"district_lookup"}', '{"queryType":"merkle_path"}'],
  proof_generation: ['{"success":"true"}', '{"success":"false"}'],
  job_duration: ['{"state":"CA","layer":"congressional"}'],
  validation_pass: ['{"state":"NY","layer":"state_senate"}'],
  request_count: ['{"method":"GET","path":"/health","status":"200"}'],
  request_error: ['{"method":"GET","path":"/health","status":"500"}'],
};

/** A small deterministic generator (mulberry32), so a failure replays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let fx: MetricsFixture;
let rollups: MetricsRollups;

function insertRow(type: string, value: number, labels: string, recordedAt: string): void {
  fx.writer.prepare('INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES (?, ?, ?, ?)').run(type, value, labels, recordedAt);
}

/** One time in one of the three formats, chosen by `k`. */
function formatted(d: Date, k: number): string {
  return formatsOf(d)[k % 3]!;
}

/**
 * `count` rows over [start, end): random types, labels, values (whole and fractional) and
 * formats, plus rows exactly on five-minute bucket edges and a millisecond either side.
 */
function seed(count: number, start: Date, end: Date, seedValue = 1): void {
  const next = rng(seedValue);
  const span = end.getTime() - start.getTime();
  fx.writer.transaction(() => {
    for (let i = 0; i < count; i++) {
      const type = TYPES[Math.floor(next() * TYPES.length)]!;
      const labels = LABELS[type]![Math.floor(next() * LABELS[type]!.length)]!;
      const value = type === 'validation_pass' ? 0.5 + next() / 2 : Math.floor(next() * 1000);
      let t = start.getTime() + Math.floor(next() * span);
      const edge = next();
      if (edge < 0.2) t = Math.floor(t / BUCKET_MS) * BUCKET_MS + [-1, 0, 1, 999, 1000][i % 5]!;
      insertRow(type, value, labels, formatted(new Date(t), i));
    }
  })();
}

/** Rows whose recorded_at is none of the three formats: kept verbatim by the rollups, read as the raw queries read them. */
function seedOddRows(day: Date): void {
  const d = day.toISOString().slice(0, 10);
  insertRow('health_check', 1, '{"provider":"UK ONS"}', `${d} 10:00:00.5`); // SQL format with a fraction
  insertRow('health_check', 0, '{"provider":"UK ONS"}', `${d}T10:02:00+00:00`); // an offset
  insertRow('extraction_failure', 1, '{"state":"CA","layer":"congressional"}', `${d} 25:00:00`); // an hour that does not exist
  insertRow('provider_error', 1, '{"provider":"UK ONS","error":"timeout"}', 'yesterday'); // not a time
  insertRow('db_query', 7, '{"queryType":"merkle_path"}', `${d.slice(0, 8)}31 10:00:00`); // 31st of a 30-day month when d is in November
}

function byLabels(groups: LabelGroup[]): LabelGroup[] {
  return [...groups].sort((a, b) => a.labelsJson.localeCompare(b.labelsJson));
}

/** Every metric-window read that the rollups answer, over [from, to). */
function reads(db: Database.Database, from: Date, to: Date) {
  const mid = new Date(Math.floor((from.getTime() + to.getTime()) / 2));
  const sortTypes = <X extends { type: string }>(xs: X[]) => [...xs].sort((a, b) => a.type.localeCompare(b.type));
  return {
    counts: Object.fromEntries(countByType(db, TYPES, from, to)),
    aggregates: Object.fromEntries(aggregateByType(db, TYPES, from, to)),
    groups: Object.fromEntries(TYPES.map((t) => [t, byLabels(groupByLabels(db, t, from, to))])),
    countTypes: Object.fromEntries(countTypes(db, TYPES, from, to)),
    labelGroups: Object.fromEntries([...labelGroupsByType(db, TYPES, from, to)].map(([t, g]) => [t, byLabels(g)])),
    buckets7: sortTypes(bucketsByType(db, from, to, 7)),
    buckets12Part: sortTypes(bucketsByType(db, from, to, 12, { from: mid, to })),
    buckets100: sortTypes(bucketsByType(db, from, to, 100)),
    // Latency tails: from the per-day value histograms for whole days, raw rows at the edges.
    top: topValues(db, 'db_query', from, to, 40),
    topOfUnkept: topValues(db, 'validation_pass', from, to, 40),
    p95: percentileInWindow(db, 'db_query', from, to, 0.95),
    p50: percentileInWindow(db, 'job_duration', from, to, 0.5),
    p99Capped: percentileInWindow(db, 'db_query', from, to, 0.5, 25),
  };
}

/**
 * Deep equality where sums of fractional values may differ in their last bits (the rollups add
 * per bucket first); counts, minima, maxima and labels must be identical.
 */
function expectSame(actual: unknown, expected: unknown, where = ''): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (Number.isInteger(expected)) expect(actual, where).toBe(expected);
    else expect(Math.abs(actual - expected), `${where}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
    return;
  }
  if (expected && typeof expected === 'object' && actual && typeof actual === 'object') {
    expect(Object.keys(actual).sort(), where).toEqual(Object.keys(expected).sort());
    for (const k of Object.keys(expected)) expectSame((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${where}.${k}`);
    return;
  }
  expect(actual, where).toEqual(expected);
}

function raw<X>(fn: (db: Database.Database) => X): X {
  return fx.atlas.read(fn);
}

function rolled<X>(fn: (db: Database.Database) => X, r = rollups): X {
  const conn = fx.atlas.connection();
  const caughtUp = r.catchUp(conn);
  expect(caughtUp.ready).toBe(true);
  return r.reading(() => withRollups(conn, r.reader(), () => fn(conn)));
}

/** Windows with partial edges, exact bucket edges, shorter than a bucket, across midnight, and long. */
function windows(): [Date, Date][] {
  const at = (ms: number) => new Date(NOW.getTime() + ms);
  return [
    [at(-3 * DAY), NOW],
    [at(-30 * DAY), NOW],
    [at(-2 * DAY - 7 * MIN - 1234), at(-13 * MIN - 17)],
    [at(-DAY), at(-DAY + 3 * MIN)],
    [new Date(Math.floor(at(-DAY).getTime() / BUCKET_MS) * BUCKET_MS), new Date(Math.floor(at(-HOUR).getTime() / BUCKET_MS) * BUCKET_MS)],
    [new Date('2026-11-24T23:52:30.500Z'), new Date('2026-11-25T00:07:29.999Z')],
    [new Date('2026-11-25T00:00:00.000Z'), new Date('2026-11-26T00:00:00.000Z')],
    [at(-10 * MIN), NOW],
  ];
}

function expectAllWindowsSame(): void {
  for (const [from, to] of windows()) {
    expectSame(
      rolled((db) => reads(db, from, to)),
      raw((db) => reads(db, from, to)),
      `${from.toISOString()}..${to.toISOString()}`,
    );
  }
}

beforeEach(() => {
  fx = openMetricsFixture();
  rollups = new MetricsRollups(rollupFileOf(path.join(fx.dir, 'metrics.db')), 700);
});

afterEach(() => {
  rollups.close();
  fx.close();
});

describe('metric rollups', () => {
  it('give the same answers as the raw rows: all three formats, rows on bucket edges, odd timestamps, windows with partial edges', () => {
    seed(6000, new Date(NOW.getTime() - 3 * DAY), NOW);
    seedOddRows(new Date('2026-11-25T00:00:00Z'));
    const first = rollups.catchUp(fx.atlas.connection());
    expect(first).toMatchObject({ ready: true, rowsRead: 6005, rebuilt: null });
    expectAllWindowsSame();
    // The rollups really answer: most of a three-day window comes from them.
    const stored = (rollups as unknown as { connection(): Database.Database }).connection();
    expect((stored.prepare('SELECT SUM(n) AS n FROM buckets').get() as { n: number }).n).toBe(6000);
    expect((stored.prepare('SELECT COUNT(*) AS n FROM odd_rows').get() as { n: number }).n).toBe(5);
  });

  it('answers the checks (errors, health items, metrics summary) exactly as without rollups', () => {
    seed(5000, new Date(NOW.getTime() - 3 * DAY), NOW, 7);
    for (const windowMs of [10 * MIN, 6 * HOUR, 3 * DAY, 30 * DAY]) {
      const via = <X>(answer: (deadline: typeof NO_DEADLINE) => X) => answerWithRollups(fx.atlas, rollups, Number.POSITIVE_INFINITY, answer);
      expectSame(via((deadline) => errorTriage(fx.atlas, NOW, windowMs, 10, { deadline })), errorTriage(fx.atlas, NOW, windowMs), `errors ${windowMs}`);
      expectSame(via((deadline) => metricThresholds(fx.atlas, NOW, windowMs, T, { deadline })), metricThresholds(fx.atlas, NOW, windowMs, T), `health ${windowMs}`);
      expectSame(via((deadline) => metricsSummary(fx.atlas, NOW, windowMs, 12, { deadline })), metricsSummary(fx.atlas, NOW, windowMs), `summary ${windowMs}`);
    }
    // The answers above came through the rollups, not the raw fallback.
    const stored = (rollups as unknown as { connection(): Database.Database }).connection();
    expect((stored.prepare('SELECT SUM(n) AS n FROM buckets').get() as { n: number }).n).toBe(5000);
    expect(existsSync(rollups.file)).toBe(true);
  });

  it('counts rows appended between questions, one written a second ago included', () => {
    seed(2000, new Date(NOW.getTime() - 2 * DAY), NOW);
    expectAllWindowsSame();
    const before = rolled((db) => countByType(db, ['health_check'], new Date(NOW.getTime() - DAY), NOW)).get('health_check')!;
    seed(1500, new Date(NOW.getTime() - 2 * DAY), NOW, 99);
    for (const text of formatsOf(new Date(NOW.getTime() - 1000))) insertRow('health_check', 1, '{}', text);
    const caughtUp = rollups.catchUp(fx.atlas.connection());
    expect(caughtUp.rowsRead).toBe(1503);
    const after = rolled((db) => countByType(db, ['health_check'], new Date(NOW.getTime() - DAY), NOW)).get('health_check')!;
    expect(after).toBe(raw((db) => countByType(db, ['health_check'], new Date(NOW.getTime() - DAY), NOW)).get('health_check'));
    expect(after).toBeGreaterThanOrEqual(before + 3);
    expectAllWindowsSame();
  });

  it("follows the service's retention deletes (an ISO cutoff compared as text) and answers only what the raw table still has", () => {
    seed(6000, new Date(NOW.getTime() - 3 * DAY), NOW, 3);
    expectAllWindowsSame();
    // MetricsStore.cleanup(): DELETE ... WHERE recorded_at < <ISO cutoff>, which also takes the
    // cutoff day's SQL-format rows after the cutoff.
    const cutoff = new Date(NOW.getTime() - 2 * DAY + 5 * HOUR + 7 * MIN + 30_000);
    const deleted = fx.writer.prepare('DELETE FROM metrics WHERE recorded_at < ?').run(cutoff.toISOString()).changes;
    expect(deleted).toBeGreaterThan(0);
    const caughtUp = rollups.catchUp(fx.atlas.connection());
    expect(caughtUp.daysRecomputed).toBeGreaterThan(0);
    expectAllWindowsSame();
    // A later, smaller cleanup inside the oldest day left.
    fx.writer.prepare('DELETE FROM metrics WHERE recorded_at < ?').run(new Date(cutoff.getTime() + 3 * HOUR).toISOString());
    expectAllWindowsSame();
  });

  it('is rebuilt when metrics.db is replaced by a restore or is another metrics.db', () => {
    const file = path.join(fx.dir, 'metrics.db');
    seed(3000, new Date(NOW.getTime() - 3 * DAY), NOW, 5);
    const backup = path.join(fx.dir, 'metrics.backup.db');
    fx.writer.prepare('VACUUM INTO ?').run(backup);
    seed(1000, new Date(NOW.getTime() - DAY), NOW, 6);
    expectAllWindowsSame();

    // A restore of the older backup: fewer rows than the rollups have read.
    fx.writer.close();
    copyFileSync(backup, file);
    fx.atlas.close();
    expect(rollups.catchUp(fx.atlas.connection()).rebuilt).toMatch(/fewer rows/);
    expectAllWindowsSame();

    // Another metrics.db with as many rows, different ones: the row at the high-water mark differs.
    const other = openMetricsFixture();
    try {
      const next = rng(42);
      other.writer.transaction(() => {
        for (let i = 0; i < 3000; i++) {
          other.writer
            .prepare('INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES (?, ?, ?, ?)')
            .run('health_check', next() < 0.5 ? 0 : 1, '{}', toSqlTime(new Date(NOW.getTime() - Math.floor(next() * DAY))));
        }
      })();
      other.writer.close();
      copyFileSync(path.join(other.dir, 'metrics.db'), file);
    } finally {
      other.close();
    }
    fx.atlas.close();
    expect(rollups.catchUp(fx.atlas.connection()).rebuilt).toMatch(/not the file/);
    expectAllWindowsSame();
  });

  it('rebuilds a rollup file that is damaged, missing, of an older layout or not ours, and never reads it as it was', () => {
    seed(3000, new Date(NOW.getTime() - 3 * DAY), NOW, 11);
    expectAllWindowsSame();
    const expectRebuiltFromScratch = () => {
      const fresh = new MetricsRollups(rollups.file, 700);
      try {
        const result = fresh.catchUp(fx.atlas.connection());
        expect(result).toMatchObject({ ready: true, rowsRead: 3000 });
        for (const [from, to] of windows()) expectSame(rolled((db) => reads(db, from, to), fresh), raw((db) => reads(db, from, to)));
      } finally {
        fresh.close();
      }
    };
    rollups.close();

    // Damaged: garbage over the pages after the header.
    const junk = Buffer.alloc(64 * 1024, 0x5a);
    writeFileSync(rollups.file, Buffer.concat([Buffer.from('SQLite format 3\0'), junk]));
    expectRebuiltFromScratch();

    // Empty, then missing.
    writeFileSync(rollups.file, '');
    expectRebuiltFromScratch();
    for (const f of [rollups.file, `${rollups.file}-wal`, `${rollups.file}-shm`]) rmSync(f, { force: true });
    expectRebuiltFromScratch();

    // An older layout: same tables, another version number (its counts inflated, to be sure they are not read).
    {
      const r = new MetricsRollups(rollups.file, 700);
      r.catchUp(fx.atlas.connection());
      const db = (r as unknown as { connection(): Database.Database }).connection();
      db.exec('UPDATE buckets SET n = n * 10');
      db.pragma(`user_version = ${ROLLUP_SCHEMA_VERSION - 1}`);
      r.close();
    }
    expectRebuiltFromScratch();

    // Another program's SQLite file at that path.
    {
      const r = new MetricsRollups(rollups.file, 700);
      r.catchUp(fx.atlas.connection());
      const db = (r as unknown as { connection(): Database.Database }).connection();
      db.pragma('application_id = 7');
      r.close();
    }
    expectRebuiltFromScratch();
  });

  it('through the metrics reader worker: the first question builds metrics-rollups.db beside metrics.db and answers as the raw rows', async () => {
    seed(3000, new Date(NOW.getTime() - 3 * DAY), NOW, 21);
    const pool = new MetricsReaderPool({ size: 1 });
    try {
      expect(existsSync(path.join(fx.dir, 'metrics-rollups.db'))).toBe(false);
      expectSame(await pool.errorTriage(fx.atlas, NOW, 30 * DAY), errorTriage(fx.atlas, NOW, 30 * DAY));
      expectSame(await pool.summary(fx.atlas, NOW, 3 * DAY), metricsSummary(fx.atlas, NOW, 3 * DAY));
      const built = new MetricsRollups(path.join(fx.dir, 'metrics-rollups.db'));
      try {
        // Everything was read by the worker's catch-up: nothing is left for this one.
        expect(built.catchUp(fx.atlas.connection())).toMatchObject({ ready: true, highWaterId: 3000, rowsRead: 0, rebuilt: null });
      } finally {
        built.close();
      }
      // A row written after the first question counts in the next.
      insertRow('provider_error', 1, '{"provider":"UK ONS","error":"timeout"}', toSqlTime(new Date(NOW.getTime() - 1000)));
      const next = await pool.errorTriage(fx.atlas, NOW, 30 * DAY);
      expect(next.errors).toBe(errorTriage(fx.atlas, NOW, 30 * DAY).errors);
    } finally {
      await pool.stop();
    }
  });

  it('answers from the raw rows when the rollups cannot be opened, and the raw answer is right', () => {
    seed(1000, new Date(NOW.getTime() - DAY), NOW, 13);
    const unusable = new MetricsRollups(path.join(fx.dir, 'no-such-dir', 'sub', 'metrics-rollups.db'));
    const answer = answerWithRollups(fx.atlas, unusable, Number.POSITIVE_INFINITY, (deadline) => errorTriage(fx.atlas, NOW, DAY, 10, { deadline }));
    expect(answer).toEqual(errorTriage(fx.atlas, NOW, DAY));
  });

  it('two processes catching up the same rollup file at once count every row once', async () => {
    seed(40_000, new Date(NOW.getTime() - 3 * DAY), NOW, 17);
    fx.writer.close();
    const goFile = path.join(fx.dir, 'go');
    const metricsFile = path.join(fx.dir, 'metrics.db');
    const children = [0, 1].map(() => {
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, metricsFile, rollups.file, '150', goFile], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      const ready = new Promise<void>((resolve) => {
        const check = () => (out.includes('ready\n') ? resolve() : undefined);
        child.stdout.on('data', check);
      });
      const done = new Promise<{ rows: number; ready: boolean }>((resolve, reject) => {
        child.on('exit', (code) => {
          const line = out.split('\n').find((l) => l.startsWith('{'));
          if (code === 0 && line) resolve(JSON.parse(line) as { rows: number; ready: boolean });
          else reject(new Error(`child exited ${code}: ${err}`));
        });
      });
      return { ready, done };
    });
    await Promise.all(children.map((c) => c.ready));
    writeFileSync(goFile, 'go');
    const results = await Promise.all(children.map((c) => c.done));
    expect(results.every((r) => r.ready)).toBe(true);
    // Each row was aggregated by exactly one of the two processes.
    expect(results[0]!.rows + results[1]!.rows).toBe(40_000);
    expect(rollups.catchUp(fx.atlas.connection()).rowsRead).toBe(0);
    expectAllWindowsSame();
  }, 120_000);
});
