import { spawnSync } from 'node:child_process';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorTriage } from '../../src/checks/error-triage.js';
import { metricThresholds } from '../../src/checks/metric-thresholds.js';
import { MetricsReaderPool } from '../../src/checks/metrics-reader.js';
import { answerWithRollups, rollupFileOf, type RollupAnswerSource } from '../../src/checks/metrics-reads.js';
import { metricsSummary } from '../../src/checks/metrics-summary.js';
import { thresholdsSchema } from '../../src/config.js';
import { acquireBuildLock, BUILD_LOCK_STALE_MS, buildLockFile, buildRunning } from '../../src/db/metrics-rollups/build-lock.js';
import { MetricsRollups } from '../../src/db/metrics-rollups/metrics-rollups.js';
import { formatsOf, openMetricsFixture, type MetricsFixture } from '../helpers/metrics-fixture.js';
import { TEST_NOW } from '../helpers/test-deps.js';

const NOW = new Date(TEST_NOW);
const DAY = 86_400_000;
const T = thresholdsSchema.parse({});
const TYPES = ['health_check', 'provider_error', 'request_count', 'request_error', 'extraction_success', 'extraction_failure', 'db_query', 'proof_generation'];
const LABELS = ['{"provider":"Census TIGER"}', '{"provider":"UK ONS","error":"timeout"}', '{"success":"false"}', '{"success":"true"}', '{}'];

let fx: MetricsFixture;
let metricsFile: string;
let rollupFile: string;

/** `count` rows over the `days` before NOW, in the three timestamp formats. */
function seed(count: number, days: number): void {
  const insert = fx.writer.prepare('INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES (?, ?, ?, ?)');
  fx.writer.transaction(() => {
    for (let i = 0; i < count; i++) {
      const at = new Date(NOW.getTime() - Math.floor(((i * 7919) % 100_003) / 100_003 * days * DAY));
      insert.run(TYPES[i % TYPES.length], (i * 31) % 997, LABELS[(i * 13) % LABELS.length], formatsOf(at)[i % 3]);
    }
  })();
}

function highWater(file: string): number {
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true });
  try {
    return Number((db.prepare("SELECT value FROM meta WHERE key = 'high_water_id'").get() as { value: number } | undefined)?.value ?? 0);
  } finally {
    db.close();
  }
}

/** Polls until the background build has let go of its lock with every row read (bounded generously). */
async function builtInBackground(rows: number): Promise<void> {
  const until = Date.now() + 90_000;
  while (existsSync(buildLockFile(rollupFile)) || highWater(rollupFile) < rows) {
    if (Date.now() > until) throw new Error(`no complete rollup file after 90 s (high water ${highWater(rollupFile)} of ${rows})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** answerWithRollups with `opts`, returning the answer and where it came from. */
function ask<X>(rollups: MetricsRollups, read: Parameters<typeof answerWithRollups<X>>[3], opts: { inlineRows?: number } = {}): { answer: X; source: RollupAnswerSource | null } {
  let source: RollupAnswerSource | null = null;
  const answer = answerWithRollups(fx.atlas, rollups, Number.POSITIVE_INFINITY, read, { ...opts, metricsFile, onSource: (s) => (source = s) });
  return { answer, source };
}

beforeEach(() => {
  fx = openMetricsFixture();
  metricsFile = path.join(fx.dir, 'metrics.db');
  rollupFile = rollupFileOf(metricsFile);
});

afterEach(async () => {
  // A builder still running would write into the directory being removed.
  if (existsSync(buildLockFile(rollupFile)) && buildRunning(rollupFile)) await builtInBackground(0).catch(() => undefined);
  fx.close();
});

describe('metric rollups built in the background', () => {
  it('a first question with no rollup file is answered from the raw rows at once; a background process builds the file afterwards', async () => {
    seed(3000, 3);
    const rollups = new MetricsRollups(rollupFile);
    try {
      const first = ask(rollups, (deadline) => errorTriage(fx.atlas, NOW, 30 * DAY, 10, { deadline }), { inlineRows: 100 });
      expect(first.source).toBe('raw: behind');
      expect(first.answer).toEqual(errorTriage(fx.atlas, NOW, 30 * DAY));
      // The question itself read no row into the rollups: the build is the background process's.
      expect(highWater(rollupFile)).toBe(0);

      await builtInBackground(3000);
      const next = ask(rollups, (deadline) => errorTriage(fx.atlas, NOW, 30 * DAY, 10, { deadline }), { inlineRows: 100 });
      expect(next.source).toBe('rollups');
      expect(next.answer).toEqual(errorTriage(fx.atlas, NOW, 30 * DAY));
      const health = ask(rollups, (deadline) => metricThresholds(fx.atlas, NOW, 30 * DAY, T, { deadline }), { inlineRows: 100 });
      expect(health.source).toBe('rollups');
      expect(health.answer).toEqual(metricThresholds(fx.atlas, NOW, 30 * DAY, T));
      // A row written after the build is caught up by the next question (within inlineRows).
      fx.writer.prepare('INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES (?, ?, ?, ?)').run('provider_error', 1, LABELS[1], formatsOf(new Date(NOW.getTime() - 1000))[1]);
      const after = ask(rollups, (deadline) => errorTriage(fx.atlas, NOW, 30 * DAY, 10, { deadline }), { inlineRows: 100 });
      expect(after.source).toBe('rollups');
      expect(after.answer).toEqual(errorTriage(fx.atlas, NOW, 30 * DAY));
    } finally {
      rollups.close();
    }
  });

  it('a question asked while a build runs does not touch the rollup file: it answers from the raw rows', () => {
    seed(2000, 2);
    const rollups = new MetricsRollups(rollupFile);
    // The rollups are complete; then a build holds the lock and the file's write lock.
    expect(rollups.catchUp(fx.atlas.connection()).ready).toBe(true);
    seed(50, 1);
    const lock = acquireBuildLock(rollupFile);
    expect(lock).not.toBeNull();
    const builder = new Database(rollupFile);
    try {
      builder.exec('BEGIN IMMEDIATE');
      // Had the question tried to catch up, it would have met the write lock (SQLITE_BUSY, answered as 'raw').
      const during = ask(rollups, (deadline) => metricsSummary(fx.atlas, NOW, 2 * DAY, 12, { deadline }));
      expect(during.source).toBe('raw: building');
      expect(during.answer).toEqual(metricsSummary(fx.atlas, NOW, 2 * DAY));
      builder.exec('ROLLBACK');
    } finally {
      builder.close();
      lock!.release();
    }
    const after = ask(rollups, (deadline) => metricsSummary(fx.atlas, NOW, 2 * DAY, 12, { deadline }));
    expect(after.source).toBe('rollups');
    expect(after.answer).toEqual(metricsSummary(fx.atlas, NOW, 2 * DAY));
    rollups.close();
  });

  it('a lock left by a process that died, or not touched for the stale time, does not stop a build', () => {
    const gone = spawnSync(process.execPath, ['-e', '']);
    expect(gone.pid).toBeGreaterThan(0);
    writeFileSync(buildLockFile(rollupFile), `${gone.pid}\n`);
    expect(buildRunning(rollupFile)).toBe(false);
    const taken = acquireBuildLock(rollupFile);
    expect(taken).not.toBeNull();
    expect(buildRunning(rollupFile)).toBe(true);
    // A second taker is refused while the holder lives.
    expect(acquireBuildLock(rollupFile)).toBeNull();
    // A live holder that stopped touching its lock (hung, or a reused process id) is stale.
    const old = new Date(Date.now() - BUILD_LOCK_STALE_MS - 60_000);
    utimesSync(buildLockFile(rollupFile), old, old);
    expect(buildRunning(rollupFile)).toBe(false);
    const again = acquireBuildLock(rollupFile);
    expect(again).not.toBeNull();
    again!.release();
    expect(existsSync(buildLockFile(rollupFile))).toBe(false);
  });

  it('through the metrics reader worker: rollups far behind are built by a background process, the question answers from the raw rows', async () => {
    // More new rows than a question catches up itself (INLINE_CATCH_UP_ROWS).
    seed(60_000, 3);
    fx.writer.close();
    const pool = new MetricsReaderPool({ size: 1 });
    try {
      expect(await pool.errorTriage(fx.atlas, NOW, 30 * DAY)).toEqual(errorTriage(fx.atlas, NOW, 30 * DAY));
      await builtInBackground(60_000);
      expect(await pool.summary(fx.atlas, NOW, 3 * DAY)).toEqual(metricsSummary(fx.atlas, NOW, 3 * DAY));
      const check = new MetricsRollups(rollupFile);
      try {
        expect(check.catchUp(fx.atlas.connection())).toMatchObject({ ready: true, highWaterId: 60_000, rowsRead: 0 });
      } finally {
        check.close();
      }
    } finally {
      await pool.stop();
    }
  });
});
