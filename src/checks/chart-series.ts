/**
 * The series a chart draws, read from metrics.db over a window split into equal buckets. Every
 * read goes through metric-window.ts's functions (groupByLabels, countTypes, aggregateByType,
 * percentileInWindow), bucket by bucket, so the rollups that make those fast make charts fast
 * too. Runs in the metrics reader's worker (metrics-reads.ts kind 'chart'); newest buckets first,
 * and past the deadline the older buckets stay empty and the data says how far back it read.
 */
import type { Thresholds } from '../config.js';
import type { ChartData, ChartKind, ChartSeries } from './chart-data.js';
import type { AtlasDatabase } from '../db/atlas-database.js';
import type Database from 'better-sqlite3';
import {
  aggregateByType,
  countTypes,
  groupByLabels,
  METRICS_NEEDS,
  NO_DEADLINE,
  parseLabels,
  percentileInWindow,
  windowBounds,
  type Deadline,
} from './metric-window.js';

/** Bucket sizes a chart may use, smallest first: the first that gives at most MAX_BUCKETS wins. */
const BUCKET_SIZES_MS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440].map((m) => m * 60_000);
export const MAX_BUCKETS = 48;

/** The bucket size of a window: a round number of minutes, at most MAX_BUCKETS buckets. */
export function bucketSizeFor(windowMs: number): number {
  return BUCKET_SIZES_MS.find((b) => windowMs / b <= MAX_BUCKETS) ?? BUCKET_SIZES_MS[BUCKET_SIZES_MS.length - 1]!;
}

const UNLABELLED_PROVIDER = '(no provider label)';

/** Error families of the errors chart that are counted by type (provider and proof errors are split by label). */
const COUNTED_ERRORS: Record<string, string> = { extraction_failure: 'extraction', validation_fail: 'validation', request_error: 'request' };

interface Bucket {
  from: Date;
  to: Date;
}

type BucketValues = Map<string, number | null>;

const MEASURES: Record<ChartKind, { measure: string; unit: string; worse: 'above' | 'below' }> = {
  errors: { measure: 'errors', unit: 'errors/min', worse: 'above' },
  providers: { measure: 'availability', unit: '%', worse: 'below' },
  latency: { measure: 'request latency', unit: 'ms', worse: 'above' },
  jobs: { measure: 'job duration', unit: 's', worse: 'above' },
  proofs: { measure: 'proof generation success', unit: '%', worse: 'below' },
};

function threshold(kind: ChartKind, t: Thresholds): ChartData['threshold'] {
  switch (kind) {
    case 'providers':
      return { value: t.providerAvailabilityPct.alert, worse: 'below' };
    case 'proofs':
      return { value: t.proofSuccessPct.alert, worse: 'below' };
    case 'latency':
      return { value: t.queryLatencyP95Sec.alert * 1000, worse: 'above' };
    case 'jobs':
      return { value: t.jobDurationSec.alert, worse: 'above' };
    case 'errors':
      return null;
  }
}

/** The values of each series in one bucket (a series absent from the map has no value there). */
function readBucket(db: Database.Database, kind: ChartKind, b: Bucket): BucketValues {
  const out: BucketValues = new Map();
  const minutes = (b.to.getTime() - b.from.getTime()) / 60_000;
  switch (kind) {
    case 'errors': {
      for (const g of groupByLabels(db, 'provider_error', b.from, b.to)) {
        const name = parseLabels(g.labelsJson).labels.provider ?? UNLABELLED_PROVIDER;
        out.set(name, (out.get(name) ?? 0) + g.count);
      }
      for (const [type, n] of countTypes(db, Object.keys(COUNTED_ERRORS), b.from, b.to)) if (n > 0) out.set(COUNTED_ERRORS[type]!, n);
      for (const [type, name] of [['proof_generation', 'proof'], ['merkle_proof', 'merkle proof']] as const) {
        const failed = groupByLabels(db, type, b.from, b.to)
          .filter((g) => parseLabels(g.labelsJson).labels.success === 'false')
          .reduce((n, g) => n + g.count, 0);
        if (failed > 0) out.set(name, failed);
      }
      for (const [name, n] of out) out.set(name, (n ?? 0) / minutes);
      return out;
    }
    case 'providers': {
      const checks = new Map<string, { ok: number; n: number }>();
      for (const g of groupByLabels(db, 'health_check', b.from, b.to)) {
        const name = parseLabels(g.labelsJson).labels.provider ?? UNLABELLED_PROVIDER;
        const prev = checks.get(name) ?? { ok: 0, n: 0 };
        checks.set(name, { ok: prev.ok + g.sum, n: prev.n + g.count });
      }
      for (const [name, c] of checks) out.set(name, c.n > 0 ? (100 * c.ok) / c.n : null);
      return out;
    }
    case 'latency': {
      out.set('p50', percentileInWindow(db, 'request_latency', b.from, b.to, 0.5).value);
      out.set('p95', percentileInWindow(db, 'request_latency', b.from, b.to, 0.95).value);
      return out;
    }
    case 'jobs': {
      const agg = aggregateByType(db, ['job_duration'], b.from, b.to).get('job_duration');
      if (agg && agg.count > 0) {
        out.set('average', agg.sum / agg.count / 1000);
        out.set('longest', (agg.max ?? 0) / 1000);
      }
      return out;
    }
    case 'proofs': {
      let ok = 0;
      let labelled = 0;
      for (const g of groupByLabels(db, 'proof_generation', b.from, b.to)) {
        const success = parseLabels(g.labelsJson).labels.success;
        if (success !== 'true' && success !== 'false') continue;
        labelled += g.count;
        if (success === 'true') ok += g.count;
      }
      if (labelled > 0) out.set('success', (100 * ok) / labelled);
      return out;
    }
  }
}

export interface ChartSeriesOptions {
  deadline?: Deadline;
}

/** The chart of `kind` over [now - windowMs, now). */
export function chartSeries(metrics: AtlasDatabase, kind: ChartKind, now: Date, windowMs: number, t: Thresholds, opts: ChartSeriesOptions = {}): ChartData {
  const { from, to } = windowBounds(now, windowMs);
  const bucketMs = bucketSizeFor(windowMs);
  const base = { kind, ...MEASURES[kind], from: from.getTime(), to: to.getTime(), bucketMs, threshold: threshold(kind, t) };
  if (metrics.missing(METRICS_NEEDS).length > 0) return { ...base, series: [] };
  // Buckets end at `to`; the oldest one is cut at `from`.
  const buckets: Bucket[] = [];
  for (let end = to.getTime(); end > from.getTime(); end -= bucketMs) buckets.unshift({ from: new Date(Math.max(from.getTime(), end - bucketMs)), to: new Date(end) });
  const deadline = opts.deadline ?? NO_DEADLINE;
  return metrics.read((db) => {
    const values: (BucketValues | null)[] = buckets.map(() => null);
    let readFrom = to.getTime();
    for (let i = buckets.length - 1; i >= 0; i--) {
      if (i < buckets.length - 1 && deadline.passed()) break;
      values[i] = readBucket(db, kind, buckets[i]!);
      readFrom = buckets[i]!.from.getTime();
    }
    const names = new Set<string>();
    for (const v of values) for (const name of v?.keys() ?? []) names.add(name);
    const series: ChartSeries[] = [...names].sort().map((name) => ({
      name,
      points: buckets.map((b, i) => {
        const v = values[i];
        // Errors: a bucket read without a row of a series had none of them (0/min); elsewhere no rows is no value.
        const value = v === null || v === undefined ? null : (v.get(name) ?? (kind === 'errors' ? 0 : null));
        return { at: b.from.getTime(), value };
      }),
    }));
    return { ...base, series, ...(readFrom > from.getTime() ? { readFrom } : {}) };
  });
}
