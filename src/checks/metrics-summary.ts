/**
 * What metrics.db recorded over a window: per metric type the row count, the value's
 * average/min/max, and a trend over equal time buckets (a count per bucket, or the average
 * value for latencies and gauges, where the count says little).
 */
import type { AtlasDatabase } from '../db/atlas-database.js';
import type { Level } from './check-item.js';
import {
  bucketsByType,
  completeCoverage,
  inWindowText,
  mergeTypeBuckets,
  METRICS_NEEDS,
  NO_DEADLINE,
  readByDay,
  windowBounds,
  type Deadline,
  type WindowCoverage,
} from './metric-window.js';

export const TREND_BUCKETS = 12;

/** The service's types in the order the contract lists them; other types follow by name. */
const KNOWN_TYPES = [
  'extraction_success',
  'extraction_failure',
  'job_duration',
  'boundary_count',
  'validation_pass',
  'validation_fail',
  'health_check',
  'provider_latency',
  'provider_error',
  'request_count',
  'request_latency',
  'request_error',
  'cache_hit',
  'cache_miss',
  'proof_generation',
  'merkle_proof',
  'db_query',
  'active_connections',
] as const;

/** Types whose value is milliseconds. */
const MS_TYPES: ReadonlySet<string> = new Set(['job_duration', 'provider_latency', 'request_latency', 'proof_generation', 'merkle_proof', 'db_query']);

/** Types whose trend is the average value: latencies, the availability ratio, the gauge. */
const AVERAGED_TYPES: ReadonlySet<string> = new Set([...MS_TYPES, 'health_check', 'active_connections']);

export interface MetricTypeSummary {
  type: string;
  /** 'ms' for latencies; '' for counts, ratios and gauges. */
  unit: 'ms' | '';
  count: number;
  avg: number | null;
  min: number | null;
  max: number | null;
  /** What `trend` holds per bucket. */
  trendOf: 'count' | 'avg';
  /** One value per bucket, oldest first; null for an average over an empty bucket. */
  trend: (number | null)[];
}

export interface MetricsSummary {
  /** info when rows were found; unknown when none (or the table is missing). */
  level: Extract<Level, 'unknown'> | 'info';
  windowMs: number;
  from: string;
  to: string;
  bucketMs: number;
  totalRows: number;
  types: MetricTypeSummary[];
  missing: string[];
  /** Why the level is unknown, in one sentence; empty otherwise. */
  detail: string;
  /**
   * All of the window, or the newest part of it that was read within the time bound (the
   * older buckets are then empty for want of time, not of rows).
   */
  coverage: WindowCoverage;
}

export interface MetricsSummaryOptions {
  /** Stops a long window between days; the summary then covers the newest days read. */
  deadline?: Deadline;
}

function typeRank(type: string): number {
  const i = (KNOWN_TYPES as readonly string[]).indexOf(type);
  return i === -1 ? KNOWN_TYPES.length : i;
}

function typeOrder(a: string, b: string): number {
  return typeRank(a) - typeRank(b) || a.localeCompare(b);
}

/** Every type over [now - windowMs, now), read day by day, newest first, until `deadline`. */
export function metricsSummary(
  metrics: AtlasDatabase,
  now: Date,
  windowMs: number,
  buckets = TREND_BUCKETS,
  opts: MetricsSummaryOptions = {},
): MetricsSummary {
  const { from, to } = windowBounds(now, windowMs);
  const base = { windowMs, from: from.toISOString(), to: to.toISOString(), bucketMs: windowMs / buckets };
  const missing = metrics.missing(METRICS_NEEDS);
  if (missing.length > 0) {
    return {
      ...base,
      level: 'unknown',
      totalRows: 0,
      types: [],
      missing,
      detail: `${metrics.label} lacks ${missing.join(', ')}`,
      coverage: completeCoverage(from, to),
    };
  }
  const read = metrics.read((db) => readByDay(from, to, opts.deadline ?? NO_DEADLINE, (day) => bucketsByType(db, from, to, buckets, day)));
  const types = mergeTypeBuckets(read.results)
    .sort((a, b) => typeOrder(a.type, b.type))
    .map((t): MetricTypeSummary => {
      const trendOf = AVERAGED_TYPES.has(t.type) ? 'avg' : 'count';
      return {
        type: t.type,
        unit: MS_TYPES.has(t.type) ? 'ms' : '',
        count: t.total.count,
        avg: t.total.count > 0 ? t.total.sum / t.total.count : null,
        min: t.total.min,
        max: t.total.max,
        trendOf,
        trend: t.buckets.map((b) => (trendOf === 'count' ? b.count : b.count > 0 ? b.sum / b.count : null)),
      };
    });
  const totalRows = types.reduce((n, t) => n + t.count, 0);
  return {
    ...base,
    level: totalRows > 0 ? 'info' : 'unknown',
    totalRows,
    types,
    missing: [],
    detail: totalRows > 0 ? '' : `no metrics ${inWindowText(read.coverage)}`,
    coverage: read.coverage,
  };
}
