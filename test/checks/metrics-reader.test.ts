import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { errorTriage } from '../../src/checks/error-triage.js';
import { metricThresholds } from '../../src/checks/metric-thresholds.js';
import type { Deadline } from '../../src/checks/metric-window.js';
import { MetricsReaderPool } from '../../src/checks/metrics-reader.js';
import { metricsSummary } from '../../src/checks/metrics-summary.js';
import { thresholdsSchema } from '../../src/config.js';
import { AtlasDatabase } from '../../src/db/atlas-database.js';
import { DbProblemError } from '../../src/db/sqlite-problem.js';
import { errorTriageReport } from '../../src/templates/error-triage-report.js';
import { metricsSummaryReport } from '../../src/templates/metrics-summary-report.js';
import { formatsOf, openMetricsFixture, type MetricsFixture } from '../helpers/metrics-fixture.js';
import { tempDir, TEST_NOW } from '../helpers/test-deps.js';
import { NEVER_MS } from '../helpers/busy-machine.js';

const NOW = new Date(TEST_NOW); // 2026-11-26 12:00 UTC
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T = thresholdsSchema.parse({});
/** The misbehaving worker (fixtures/misbehaving-metrics-worker.ts) dies on a 13-minute window and ignores an 11-minute one. */
const MISBEHAVING = new URL('./fixtures/misbehaving-metrics-worker.ts', import.meta.url);
const CRASH_WINDOW = 13 * MIN;
const SILENT_WINDOW = 11 * MIN;

let fx: MetricsFixture;
let writer: Database.Database;
let atlas: AtlasDatabase;
let pool: MetricsReaderPool;

/** A deadline that passes at its n-th question (asked between days, and between tails). */
function passesAt(n: number): Deadline {
  let asked = 0;
  return { boundMs: 20_000, passed: () => ++asked >= n };
}

function insert(type: string, value: number, labels: unknown, at: string): void {
  writer
    .prepare('INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES (?, ?, ?, ?)')
    .run(type, value, typeof labels === 'string' ? labels : JSON.stringify(labels), at);
}

/**
 * Four days of the service, one set of rows per day in each timestamp format (so each day's
 * figures differ): errors of every family, proofs, health checks, jobs and query latencies.
 */
function seedDays(): void {
  for (let day = 0; day < 4; day++) {
    for (const at of formatsOf(new Date(NOW.getTime() - day * DAY - 5 * MIN))) {
      for (let i = 0; i <= day; i++) insert('extraction_failure', 1, { state: 'CA', layer: 'county' }, at);
      for (let i = 0; i < 10; i++) insert('extraction_success', 1, { state: 'CA', layer: 'county' }, at);
      insert('validation_fail', 0.4, { state: 'TX', layer: 'city' }, at);
      insert('validation_pass', 0.97, { state: 'TX', layer: 'city' }, at);
      insert('health_check', day === 2 ? 0 : 1, { provider: 'UK' }, at);
      insert('provider_error', 1, { provider: 'UK', error: `HTTP 50${day}` }, at);
      insert('request_count', 1, { method: 'GET', path: '/v1/x', status: '500' }, at);
      insert('request_error', 1, { method: 'GET', path: '/v1/x', status: '500' }, at);
      insert('proof_generation', 900 + day, { success: day === 1 ? 'false' : 'true' }, at);
      insert('merkle_proof', 40, { success: 'true' }, at);
      insert('job_duration', 30_000 * (day + 1), { state: 'CA' }, at);
      for (let i = 1; i <= 20; i++) insert('db_query', i * 10 * (day + 1), { queryType: 'select' }, at);
      insert('cache_hit', 1, 'not json', at);
    }
  }
}

beforeAll(() => {
  // No time bound a busy machine could reach: these tests compare whole answers (the bound has its own tests below).
  pool = new MetricsReaderPool({ boundMs: NEVER_MS });
});

afterAll(async () => {
  await pool.stop();
});

beforeEach(() => {
  fx = openMetricsFixture();
  ({ writer, atlas } = fx);
});

afterEach(() => fx.close());

describe('metrics reader (worker thread)', () => {
  it('answers errors, the metric items and the summary exactly as the same reads in this thread', async () => {
    seedDays();
    for (const windowMs of [10 * MIN, HOUR, 3 * DAY, 30 * DAY]) {
      expect(await pool.errorTriage(atlas, NOW, windowMs), `errors ${windowMs}`).toEqual(errorTriage(atlas, NOW, windowMs));
      expect(await pool.thresholds(atlas, NOW, windowMs, T), `thresholds ${windowMs}`).toEqual(metricThresholds(atlas, NOW, windowMs, T));
      expect(await pool.summary(atlas, NOW, windowMs), `summary ${windowMs}`).toEqual(metricsSummary(atlas, NOW, windowMs));
    }
    const month = await pool.errorTriage(atlas, NOW, 30 * DAY);
    // 4 days x 3 formats: extraction 1+2+3+4, and one each of validation, provider, request, and day 1's proof.
    expect(month).toMatchObject({ errors: 3 * (10 + 4 + 4 + 4 + 1), coverage: { complete: true } });
  });

  it('runs reads side by side and queues the rest, each answered', async () => {
    seedDays();
    const windows = [HOUR, 2 * DAY, 3 * DAY, 4 * DAY, 5 * DAY];
    const answers = await Promise.all(windows.map((w) => pool.errorTriage(atlas, NOW, w)));
    expect(answers.map((a) => a.windowMs)).toEqual(windows);
    expect(answers.map((a) => a.errors)).toEqual(windows.map((w) => errorTriage(atlas, NOW, w).errors));
  });

  it('answers a missing, a non-database and a locked metrics.db with the same one sentence as in this thread', async () => {
    const inThread = (db: AtlasDatabase): DbProblemError => {
      try {
        errorTriage(db, NOW, HOUR);
      } catch (err) {
        if (err instanceof DbProblemError) return err;
      }
      throw new Error('expected a DbProblemError');
    };
    const viaWorker = async (read: Promise<unknown>): Promise<DbProblemError> => {
      const err: unknown = await read.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DbProblemError);
      return err as DbProblemError;
    };

    const empty = tempDir();
    try {
      const missing = new AtlasDatabase(path.join(empty.dir, 'metrics.db'));
      const local = inThread(missing);
      expect(local.problem.kind).toBe('missing');
      expect((await viaWorker(pool.errorTriage(missing, NOW, HOUR))).problem).toEqual(local.problem);
      expect((await viaWorker(pool.thresholds(missing, NOW, HOUR, T))).problem).toEqual(local.problem);
      expect((await viaWorker(pool.summary(missing, NOW, HOUR))).problem).toEqual(local.problem);

      const garbage = path.join(empty.dir, 'garbage.db');
      writeFileSync(garbage, 'this is not a database, but it is long enough to have a header of sorts. '.repeat(20));
      const corrupt = new AtlasDatabase(garbage, 'metrics.db');
      const corruptLocal = inThread(corrupt);
      expect(corruptLocal.problem.kind).toBe('corrupt');
      expect((await viaWorker(pool.errorTriage(corrupt, NOW, HOUR))).message).toBe(corruptLocal.message);
    } finally {
      empty.cleanup();
    }

    seedDays();
    writer.exec('BEGIN EXCLUSIVE');
    try {
      const local = inThread(atlas);
      expect(local.message).toBe('metrics.db is locked by a writer; try again in a few seconds.');
      expect((await viaWorker(pool.errorTriage(atlas, NOW, HOUR))).message).toBe(local.message);
      expect((await viaWorker(pool.thresholds(atlas, NOW, HOUR, T))).message).toBe(local.message);
    } finally {
      writer.exec('COMMIT');
    }
    // And once the writer is done, the same reader reads.
    expect((await pool.errorTriage(atlas, NOW, 30 * DAY)).errors).toBe(69);
  });
});

describe('a reader that dies or goes silent', () => {
  it('answers the read it was doing with an error; a new worker takes the next one', async () => {
    seedDays();
    const flaky = new MetricsReaderPool({ size: 1, workerUrl: MISBEHAVING, boundMs: NEVER_MS });
    try {
      const crashed = flaky.errorTriage(atlas, NOW, CRASH_WINDOW);
      const queued = flaky.errorTriage(atlas, NOW, 3 * DAY);
      await expect(crashed).rejects.toThrow(/the metrics reader exited with code 3 before answering/);
      expect(await queued).toEqual(errorTriage(atlas, NOW, 3 * DAY));
      expect(await flaky.summary(atlas, NOW, HOUR)).toEqual(metricsSummary(atlas, NOW, HOUR));
      expect(flaky.pending()).toBe(0);
    } finally {
      await flaky.stop();
    }
  });

  it('gives up on a worker silent long past the bound, and the next read works', async () => {
    seedDays();
    // Long enough for a worker to start on a busy machine (tsx compiles it under the tests): the
    // restarted worker must answer the next read within it too.
    const flaky = new MetricsReaderPool({ size: 1, workerUrl: MISBEHAVING, boundMs: 0, stuckAfterBoundMs: 20_000 });
    try {
      await expect(flaky.errorTriage(atlas, NOW, SILENT_WINDOW)).rejects.toThrow(/reading metrics\.db did not finish within 20 s; the reader was restarted/);
      expect((await flaky.errorTriage(atlas, NOW, HOUR)).errors).toBe(errorTriage(atlas, NOW, HOUR).errors);
    } finally {
      await flaky.stop();
    }
  });

  it('on stop answers the reads in progress and waiting, and later ones, with an error', async () => {
    const flaky = new MetricsReaderPool({ size: 1, workerUrl: MISBEHAVING, boundMs: NEVER_MS });
    const reads = Promise.allSettled([flaky.errorTriage(atlas, NOW, SILENT_WINDOW), flaky.errorTriage(atlas, NOW, HOUR)]);
    await new Promise((r) => setTimeout(r, 20));
    await flaky.stop();
    for (const outcome of await reads) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: new Error('metric reads stopped: the bot is shutting down') });
    }
    await expect(flaky.errorTriage(atlas, NOW, HOUR)).rejects.toThrow(/shutting down/);
  });
});

describe('the time bound', () => {
  it('stops errors between days, newest first, and the answer says what it covers', () => {
    seedDays();
    const t = errorTriage(atlas, NOW, 3 * DAY, 10, { deadline: passesAt(2) });
    // Read: today up to 12:00 and all of yesterday; the bound passed before the day before.
    expect(t.coverage).toEqual({
      complete: false,
      readFrom: '2026-11-25T00:00:00.000Z',
      readMs: 36 * HOUR,
      windowMs: 3 * DAY,
      boundMs: 20_000,
    });
    // Days 0 and 1 only: extraction 1 + 2 per format, the others one per day and format, day 1's proof.
    expect(t.families.find((f) => f.key === 'extraction')).toMatchObject({ errors: 9, attempts: 69 });
    expect(t.errors).toBe(9 + 6 + 6 + 6 + 3);
    const report = errorTriageReport(t, 3 * DAY);
    expect(report.headline).toBe('error rate 28.6 % in the newest 1 d 12 h of 3 d (partial) (30 of 105 failed): above 5 %');
    expect(report.sections[0]?.lines).toEqual([
      'partial: only the newest 1 d 12 h of the 3 d window were read within the 20 s time bound; the figures cover that part.',
    ]);
    // A bound that never passes reads it all, and says nothing of it.
    const whole = errorTriage(atlas, NOW, 3 * DAY);
    expect(whole.coverage.complete).toBe(true);
    expect(errorTriageReport(whole, 3 * DAY).headline).toMatch(/^error rate [\d.]+ % in the last 3 d \(/);
  });

  it('keeps the metric items consistent when the bound passes while the latency tails are read', () => {
    seedDays();
    // Four days counted (asked 3 times), then the bound passes before the second day's tail.
    const m = metricThresholds(atlas, NOW, 3 * DAY + HOUR, T, { deadline: passesAt(4) });
    expect(m.coverage).toMatchObject({ complete: false, readMs: 12 * HOUR, readFrom: '2026-11-26T00:00:00.000Z' });
    const byKey = new Map(m.items.map((i) => [i.key, i]));
    // Only today's rows: 3 formats x 20 queries of 10..200 ms (p95 = 190 ms), 30 of 33 extractions.
    expect(byKey.get('query_latency_p95')).toMatchObject({ value: 0.19, detail: 'p95 of 60 queries in the newest 12 h of 3 d 1 h' });
    expect(byKey.get('extraction_success')?.detail).toBe('30 of 33 extractions in the newest 12 h of 3 d 1 h');
    expect(byKey.get('proof_success')).toMatchObject({ value: 100, detail: '3 of 3 proofs in the newest 12 h of 3 d 1 h' });
  });

  it('through the worker: a bound that has passed still reads the newest day, and says the rest was not read', async () => {
    seedDays();
    const hurried = new MetricsReaderPool({ size: 1, boundMs: 0 });
    try {
      const t = await hurried.errorTriage(atlas, NOW, 3 * DAY);
      expect(t.coverage).toMatchObject({ complete: false, readMs: 12 * HOUR, boundMs: 0 });
      expect(t.errors).toBe(3 * (1 + 1 + 1 + 1));
      const summary = await hurried.summary(atlas, NOW, 2 * DAY, 4);
      expect(summary.coverage).toMatchObject({ complete: false, readMs: 12 * HOUR });
      // 12-hour buckets, oldest first: only the newest one was read.
      expect(summary.types.find((s) => s.type === 'db_query')?.trend).toEqual([null, null, null, expect.any(Number)]);
      const report = metricsSummaryReport(summary, 2 * DAY);
      expect(report.headline).toBe('123 metric rows of 13 types in the newest 12 h of 2 d (partial)');
      expect(report.sections[0]?.lines?.[0]).toBe(
        'partial: only the newest 12 h of the 2 d window were read within the 0 s time bound; the figures cover that part. Older trend buckets were not read.',
      );
      const items = await hurried.thresholds(atlas, NOW, 3 * DAY, T);
      expect(items.coverage.complete).toBe(false);
      expect(items.items.find((i) => i.key === 'extraction_success')?.detail).toBe('30 of 33 extractions in the newest 12 h of 3 d');
    } finally {
      await hurried.stop();
    }
  });
});
