/**
 * The metric-window reads that may be long (a 30-day window of a 5-million-row table reads
 * seconds of rows), as messages: what the metrics reader's worker thread is asked and answers.
 * `answerMetricsRead` runs in the worker; nothing here starts a thread.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { Thresholds } from '../config.js';
import { AtlasDatabase } from '../db/atlas-database.js';
import { DbProblemError, type DbProblem } from '../db/sqlite-problem.js';
import { CHART_KINDS, type ChartData, type ChartKind } from './chart-data.js';
import { chartSeries } from './chart-series.js';
import { errorTriage, type ErrorTriage } from './error-triage.js';
import { startBackgroundBuild } from '../db/metrics-rollups/background-build.js';
import { buildRunning } from '../db/metrics-rollups/build-lock.js';
import { CATCH_UP_CHUNK_ROWS, MetricsRollups, type CatchUpResult } from '../db/metrics-rollups/metrics-rollups.js';
import { withRollups } from './metric-rollup-link.js';
import { deadlineIn, METRICS_NEEDS, type Deadline } from './metric-window.js';
import { metricThresholds, type MetricThresholds } from './metric-thresholds.js';
import { metricsSummary, type MetricsSummary } from './metrics-summary.js';

/** What to read; `nowMs` is the end of the window (epoch ms). */
export type MetricsRead =
  | { kind: 'errors'; nowMs: number; windowMs: number; top: number }
  | { kind: 'thresholds'; nowMs: number; windowMs: number; thresholds: Thresholds }
  | { kind: 'summary'; nowMs: number; windowMs: number; buckets: number }
  | { kind: 'chart'; nowMs: number; windowMs: number; chart: ChartKind; thresholds: Thresholds };

/** The result of each kind of read. */
export interface MetricsReadResults {
  errors: ErrorTriage;
  thresholds: MetricThresholds;
  summary: MetricsSummary;
  chart: ChartData;
}

export interface MetricsReadRequest {
  id: number;
  /** metrics.db as the main thread's AtlasDatabase names it. */
  file: string;
  label: string;
  busyTimeoutMs: number;
  /** Time left for this read: the bound minus the time it waited for a free worker. */
  budgetMs: number;
  read: MetricsRead;
}

export type MetricsReadReply =
  | { id: number; kind: 'ok'; result: unknown }
  | { id: number; kind: 'problem'; problem: DbProblem }
  | { id: number; kind: 'error'; message: string };

const ms = z.number().finite().nonnegative();

const requestSchema = z.object({
  id: z.number().int(),
  file: z.string().min(1),
  label: z.string(),
  busyTimeoutMs: ms,
  budgetMs: ms,
  read: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('errors'), nowMs: z.number().finite(), windowMs: ms, top: z.number().int().nonnegative() }),
    // The thresholds come from the validated config of the same process.
    z.object({ kind: z.literal('thresholds'), nowMs: z.number().finite(), windowMs: ms, thresholds: z.custom<Thresholds>((v) => typeof v === 'object' && v !== null) }),
    z.object({ kind: z.literal('summary'), nowMs: z.number().finite(), windowMs: ms, buckets: z.number().int().positive() }),
    z.object({
      kind: z.literal('chart'),
      nowMs: z.number().finite(),
      windowMs: ms,
      chart: z.enum(CHART_KINDS),
      thresholds: z.custom<Thresholds>((v) => typeof v === 'object' && v !== null),
    }),
  ]),
});

export const replySchema = z.discriminatedUnion('kind', [
  z.object({ id: z.number(), kind: z.literal('ok'), result: z.unknown() }),
  z.object({
    id: z.number(),
    kind: z.literal('problem'),
    problem: z.object({ kind: z.enum(['missing', 'locked', 'corrupt', 'unreadable']), message: z.string(), detail: z.string().optional() }),
  }),
  z.object({ id: z.number(), kind: z.literal('error'), message: z.string() }),
]);

/** Files the worker keeps open: metrics.db, and a few more in tests that make one per case. */
const MAX_OPEN = 4;

/**
 * The worker's side: its own read-only connection per file (AtlasDatabase: readonly, never
 * creating the file, a short busy timeout, reopened when the file is replaced), the read done
 * day by day within the request's budget, and the outcome as a message. A file problem is
 * answered as the same DbProblem the main thread would have met.
 */
export function metricsReadAnswerer(
  open: (file: string, label: string, busyTimeoutMs: number) => AtlasDatabase = defaultOpen(),
  rollupsFor: (metricsFile: string) => MetricsRollups | null = defaultRollups(),
) {
  return (message: unknown): MetricsReadReply => {
    const parsed = requestSchema.safeParse(message);
    if (!parsed.success) {
      const id = typeof message === 'object' && message !== null && typeof (message as { id?: unknown }).id === 'number' ? (message as { id: number }).id : -1;
      return { id, kind: 'error', message: 'the metrics reader received a request it cannot read' };
    }
    const req = parsed.data;
    try {
      const db = open(req.file, req.label, req.busyTimeoutMs);
      const now = new Date(req.read.nowMs);
      const read = req.read;
      const answer = (deadline: Deadline): unknown => {
        if (read.kind === 'errors') return errorTriage(db, now, read.windowMs, read.top, { deadline });
        if (read.kind === 'thresholds') return metricThresholds(db, now, read.windowMs, read.thresholds, { deadline });
        if (read.kind === 'chart') return chartSeries(db, read.chart, now, read.windowMs, read.thresholds, { deadline });
        return metricsSummary(db, now, read.windowMs, read.buckets, { deadline });
      };
      return { id: req.id, kind: 'ok', result: answerWithRollups(db, rollupsFor(req.file), req.budgetMs, answer, { metricsFile: req.file }) };
    } catch (err) {
      if (err instanceof DbProblemError) return { id: req.id, kind: 'problem', problem: err.problem };
      return { id: req.id, kind: 'error', message: err instanceof Error ? err.message : String(err) };
    }
  };
}

/**
 * Most new rows a question reads into the rollups itself before answering from them: one
 * catch-up chunk, a few tenths of a second. Beside a running bot (its watchdog asks every
 * minute) a terminal finds a few hundred new rows; more means a first build or a long pause.
 */
export const INLINE_CATCH_UP_ROWS = CATCH_UP_CHUNK_ROWS;

/** Where an answer came from, for tests and logs. */
export type RollupAnswerSource =
  /** The rollups, caught up first (rows written a second ago count). */
  | 'rollups'
  /** metrics.db's rows: a background build is running; the rollup file was not touched. */
  | 'raw: building'
  /** metrics.db's rows: the rollups were far behind (no file yet); a background build was started. */
  | 'raw: behind'
  /** metrics.db's rows: the rollups failed (damaged file, unwritable folder) or are not used. */
  | 'raw';

export interface RollupAnswerOptions {
  /** Most new rows caught up before answering (default INLINE_CATCH_UP_ROWS); beyond, a background build. */
  inlineRows?: number;
  /** metrics.db's path, for the background build (startBackgroundBuild); without it no build is started. */
  metricsFile?: string;
  /** Told where the answer came from. */
  onSource?: (source: RollupAnswerSource) => void;
}

/**
 * The answer, from the rollups when they are at most `inlineRows` rows behind metrics.db
 * (caught up first, within half the budget), else from the raw rows at once. No question waits
 * for a build: while a background build runs (its lock, build-lock.ts) the rollup file is not
 * even opened, and rollups far behind (a first question on a big file) are built by a
 * background process started after the raw answer is read, so it does not compete with it.
 * The rollups are a cache: any failure of theirs, even in the middle of an answer, is answered
 * again from the raw rows, which report metrics.db's own problems as usual.
 */
export function answerWithRollups<T>(
  metrics: AtlasDatabase,
  rollups: MetricsRollups | null,
  budgetMs: number,
  answer: (deadline: Deadline) => T,
  opts: RollupAnswerOptions = {},
): T {
  const started = performance.now();
  const remaining = () => deadlineIn(Math.max(0, budgetMs - (performance.now() - started)));
  const raw = (source: RollupAnswerSource): T => {
    const result = answer(remaining());
    opts.onSource?.(source);
    return result;
  };
  if (!rollups || metrics.missing(METRICS_NEEDS).length > 0) return raw('raw');
  if (buildRunning(rollups.file)) return raw('raw: building');
  let caughtUp: CatchUpResult | null = null;
  try {
    caughtUp = rollups.catchUp(metrics.connection(), budgetMs / 2, undefined, opts.inlineRows ?? INLINE_CATCH_UP_ROWS);
  } catch {
    caughtUp = null;
  }
  if (!caughtUp?.ready) {
    const result = raw(caughtUp ? 'raw: behind' : 'raw');
    if (caughtUp && opts.metricsFile) startBackgroundBuild(opts.metricsFile, rollups.file);
    return result;
  }
  try {
    const conn = metrics.connection();
    const result = rollups.reading(() => withRollups(conn, rollups.reader(), () => answer(remaining())));
    opts.onSource?.('rollups');
    return result;
  } catch {
    rollups.close();
    return raw('raw');
  }
}

/**
 * The rollup file of a metrics.db: beside it, named after it (metrics.db -> metrics-rollups.db),
 * so two metrics files in one directory (the benchmark's) never share one.
 */
export function rollupFileOf(metricsFile: string): string {
  const base = path.basename(metricsFile).replace(/\.db$/i, '');
  return path.join(path.dirname(metricsFile), `${base}-rollups.db`);
}

function defaultRollups(): (metricsFile: string) => MetricsRollups {
  const open = new Map<string, MetricsRollups>();
  return (metricsFile) => {
    const file = rollupFileOf(metricsFile);
    let rollups = open.get(file);
    if (!rollups) {
      if (open.size >= MAX_OPEN) {
        const [oldestKey, oldest] = open.entries().next().value as [string, MetricsRollups];
        oldest.close();
        open.delete(oldestKey);
      }
      rollups = new MetricsRollups(file);
      open.set(file, rollups);
    }
    return rollups;
  };
}

function defaultOpen(): (file: string, label: string, busyTimeoutMs: number) => AtlasDatabase {
  const open = new Map<string, AtlasDatabase>();
  return (file, label, busyTimeoutMs) => {
    const key = JSON.stringify([file, label, busyTimeoutMs]);
    let db = open.get(key);
    if (db) {
      // Most recently used last, so the first is the one to close.
      open.delete(key);
    } else {
      db = new AtlasDatabase(file, label, busyTimeoutMs);
      if (open.size >= MAX_OPEN) {
        const [oldestKey, oldest] = open.entries().next().value as [string, AtlasDatabase];
        oldest.close();
        open.delete(oldestKey);
      }
    }
    open.set(key, db);
    return db;
  };
}
