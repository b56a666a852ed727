/**
 * Reads over a time window of metrics.db's `metrics` table, exact for every timestamp format
 * and index-friendly: each window is split by `windowRanges` into text ranges, each range is
 * one `type = ? AND recorded_at >= ? AND recorded_at < ?` lookup on idx_metrics_type_time, and
 * the per-range aggregates are combined here. Statements are prepared once per connection.
 * Long because every window read shares the range splitting, the statement cache and the row
 * readers; each function in it is short.
 */
import type Database from 'better-sqlite3';
import { z } from 'zod';
import type { RollupReader } from '../db/metrics-rollups/metrics-rollups.js';
import { formatDuration, windowRanges } from '../time/atlas-time.js';
import { rollupsOf } from './metric-rollup-link.js';

/** The columns every metric-window read needs; checks ask `AtlasDatabase.missing` for them. */
export const METRICS_NEEDS = { metrics: ['type', 'value', 'labels_json', 'recorded_at'] } as const;

/** Count rows of one type in one range: answered from the covering (type, recorded_at) index. */
export const COUNT_SQL = 'SELECT COUNT(*) AS n FROM metrics WHERE type = ? AND recorded_at >= ? AND recorded_at < ?';

export const AGGREGATE_SQL =
  'SELECT COUNT(*) AS n, SUM(value) AS sum, MIN(value) AS min, MAX(value) AS max FROM metrics WHERE type = ? AND recorded_at >= ? AND recorded_at < ?';

export const GROUP_BY_LABELS_SQL =
  'SELECT labels_json AS labelsJson, COUNT(*) AS n, SUM(value) AS sum FROM metrics WHERE type = ? AND recorded_at >= ? AND recorded_at < ? GROUP BY labels_json';

export const VALUES_SQL = 'SELECT value FROM metrics WHERE type = ? AND recorded_at >= ? AND recorded_at < ? LIMIT ?';

/** The largest values of one range: the tail a high percentile is read from. */
export const TOP_VALUES_SQL =
  'SELECT value FROM metrics WHERE type = ? AND recorded_at >= ? AND recorded_at < ? ORDER BY value DESC LIMIT ?';

/**
 * Every type in one range, bucketed by time. The bucket is computed from the row's own
 * timestamp (julianday reads all three formats) in the SELECT list, never in WHERE, so the
 * range still uses idx_metrics_time. Julian-day milliseconds are rounded to whole integers
 * (SQLite keeps them as integer ms) so bucket edges are exact.
 */
export const BUCKETS_SQL = `SELECT type,
  ((CAST(ROUND(julianday(recorded_at) * 86400000.0) AS INTEGER) - ?) * ?) / ? AS bucket,
  COUNT(*) AS n, SUM(value) AS sum, MIN(value) AS min, MAX(value) AS max
  FROM metrics WHERE recorded_at >= ? AND recorded_at < ? GROUP BY type, bucket`;

/** Milliseconds between the Julian-day epoch and the Unix epoch (2440587.5 days). */
const JULIAN_EPOCH_MS = 210_866_760_000_000;

const statementCache = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * One prepared statement per SQL text per connection. AtlasDatabase opens a new connection
 * when the file is replaced, and the old one's statements go with it.
 */
export function cachedStatement(db: Database.Database, sql: string): Database.Statement {
  let perDb = statementCache.get(db);
  if (!perDb) {
    perDb = new Map();
    statementCache.set(db, perDb);
  }
  let stmt = perDb.get(sql);
  if (!stmt) {
    stmt = db.prepare(sql);
    perDb.set(sql, stmt);
  }
  return stmt;
}

export interface Aggregate {
  count: number;
  sum: number;
  /** null when count is 0. */
  min: number | null;
  max: number | null;
}

export const EMPTY_AGGREGATE: Aggregate = { count: 0, sum: 0, min: null, max: null };

/** Combines two aggregates of disjoint row sets. */
export function mergeAggregate(a: Aggregate, b: Aggregate): Aggregate {
  return {
    count: a.count + b.count,
    sum: a.sum + b.sum,
    min: a.min === null ? b.min : b.min === null ? a.min : Math.min(a.min, b.min),
    max: a.max === null ? b.max : b.max === null ? a.max : Math.max(a.max, b.max),
  };
}

/*
 * Rows of the aggregate SELECTs above are read with these small readers instead of a schema:
 * the shapes are fixed by our own SQL, they run per row on the hot path of `errors`, and the
 * only outside text (labels_json) is validated with zod in parseLabels.
 */
type SqlRow = Record<string, unknown>;

function num(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  return null;
}

function aggregateOf(row: SqlRow): Aggregate {
  const n = num(row.n) ?? 0;
  return n > 0 ? { count: n, sum: num(row.sum) ?? 0, min: num(row.min), max: num(row.max) } : EMPTY_AGGREGATE;
}

function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return v === null || v === undefined ? '' : String(v);
}

// --- where a window's rows are read: raw index ranges, or the rollups for whole buckets ----------

/** One span read with the row queries: metrics.db's table, or the rollups' odd-format rows. */
interface RawSpan {
  db: Database.Database;
  table: 'metrics' | 'odd_rows';
  from: Date;
  to: Date;
}

/** How [from, to) is read: raw spans at its edges (and the odd rows), whole buckets [b0, b1) from the rollups. */
interface ReadPlan {
  raw: RawSpan[];
  whole: { rollups: RollupReader; b0: number; b1: number } | null;
}

/**
 * Without rollups linked to the connection (metric-rollup-link.ts) everything is raw. With
 * them, the whole buckets inside the window come from the rollups and only the partial
 * buckets at its two edges from the raw rows; the rows the rollups could not bucket (odd
 * timestamp shapes) are read from their verbatim copies with the same queries.
 */
function readPlan(db: Database.Database, from: Date, to: Date): ReadPlan {
  const rollups = rollupsOf(db);
  const all: ReadPlan = { raw: [{ db, table: 'metrics', from, to }], whole: null };
  if (!rollups || !(to.getTime() > from.getTime())) return all;
  const size = rollups.bucketMs;
  const b0 = Math.ceil(from.getTime() / size);
  const b1 = Math.floor(to.getTime() / size);
  if (b0 >= b1) return all;
  const raw: RawSpan[] = [];
  if (from.getTime() < b0 * size) raw.push({ db, table: 'metrics', from, to: new Date(b0 * size) });
  raw.push({ db: rollups.oddDb, table: rollups.oddTable, from: new Date(b0 * size), to: new Date(b1 * size) });
  if (b1 * size < to.getTime()) raw.push({ db, table: 'metrics', from: new Date(b1 * size), to });
  return { raw, whole: { rollups, b0, b1 } };
}

/** Whether reads on this connection answer whole buckets from rollups (metric-rollup-link.ts). */
export function hasRollups(db: Database.Database): boolean {
  return rollupsOf(db) !== undefined;
}

/** A row query of this module on another table with the same columns (the rollups' odd rows). */
function onTable(sql: string, table: RawSpan['table']): string {
  return table === 'metrics' ? sql : sql.replaceAll(' FROM metrics ', ` FROM ${table} `);
}

function rollupAggregate(a: { count: number; sum: number; min: number | null; max: number | null }): Aggregate {
  return a.count > 0 ? { count: a.count, sum: a.sum, min: a.min, max: a.max } : EMPTY_AGGREGATE;
}

/** Rows per type in [from, to); types without rows count 0. */
export function countByType(db: Database.Database, types: readonly string[], from: Date, to: Date): Map<string, number> {
  const plan = readPlan(db, from, to);
  const whole = plan.whole ? plan.whole.rollups.aggregates(types, plan.whole.b0, plan.whole.b1) : null;
  const out = new Map<string, number>();
  for (const type of types) {
    let n = whole?.get(type)?.count ?? 0;
    for (const span of plan.raw) {
      const stmt = cachedStatement(span.db, onTable(COUNT_SQL, span.table));
      for (const r of windowRanges(span.from, span.to)) n += num((stmt.get(type, r.from, r.to) as SqlRow | undefined)?.n) ?? 0;
    }
    out.set(type, n);
  }
  return out;
}

/** count, sum, min and max of `value` per type in [from, to). */
export function aggregateByType(db: Database.Database, types: readonly string[], from: Date, to: Date): Map<string, Aggregate> {
  const plan = readPlan(db, from, to);
  const whole = plan.whole ? plan.whole.rollups.aggregates(types, plan.whole.b0, plan.whole.b1) : null;
  const out = new Map<string, Aggregate>();
  for (const type of types) {
    const fromRollups = whole?.get(type);
    let agg = fromRollups ? rollupAggregate(fromRollups) : EMPTY_AGGREGATE;
    for (const span of plan.raw) {
      const stmt = cachedStatement(span.db, onTable(AGGREGATE_SQL, span.table));
      for (const r of windowRanges(span.from, span.to)) {
        const row = stmt.get(type, r.from, r.to) as SqlRow | undefined;
        if (row) agg = mergeAggregate(agg, aggregateOf(row));
      }
    }
    out.set(type, agg);
  }
  return out;
}

export interface LabelGroup {
  /** The raw text of the row's labels_json (as stored; may be malformed). */
  labelsJson: string;
  count: number;
  sum: number;
}

function addGroup(merged: Map<string, LabelGroup>, labels: unknown, count: number, sum: number): void {
  const key = textOf(labels);
  const prev = merged.get(key);
  if (prev) {
    prev.count += count;
    prev.sum += sum;
  } else merged.set(key, { labelsJson: key, count, sum });
}

/** Rows of one type in [from, to) grouped by their labels_json text, largest count first. */
export function groupByLabels(db: Database.Database, type: string, from: Date, to: Date): LabelGroup[] {
  const plan = readPlan(db, from, to);
  const merged = new Map<string, LabelGroup>();
  if (plan.whole) for (const g of plan.whole.rollups.labelGroups(type, plan.whole.b0, plan.whole.b1)) addGroup(merged, g.labelsJson, g.count, g.sum);
  for (const span of plan.raw) {
    const stmt = cachedStatement(span.db, onTable(GROUP_BY_LABELS_SQL, span.table));
    for (const r of windowRanges(span.from, span.to)) {
      for (const row of stmt.all(type, r.from, r.to) as SqlRow[]) addGroup(merged, row.labelsJson, num(row.n) ?? 0, num(row.sum) ?? 0);
    }
  }
  return [...merged.values()].sort((a, b) => b.count - a.count);
}

/**
 * Rows per type for several types at once: one `type IN (…)` query per range, answered from
 * the covering (type, recorded_at) index. Cheaper than a query per type when the window is short.
 */
export function countTypes(db: Database.Database, types: readonly string[], from: Date, to: Date): Map<string, number> {
  const out = new Map<string, number>(types.map((t) => [t, 0]));
  if (types.length === 0) return out;
  const plan = readPlan(db, from, to);
  if (plan.whole) for (const [t, a] of plan.whole.rollups.aggregates(types, plan.whole.b0, plan.whole.b1)) out.set(t, (out.get(t) ?? 0) + a.count);
  const sql = `SELECT type, COUNT(*) AS n FROM metrics WHERE type IN (${types.map(() => '?').join(', ')}) AND recorded_at >= ? AND recorded_at < ? GROUP BY type`;
  for (const span of plan.raw) {
    const stmt = cachedStatement(span.db, onTable(sql, span.table));
    for (const r of windowRanges(span.from, span.to)) {
      for (const row of stmt.all(...types, r.from, r.to) as SqlRow[]) {
        const type = textOf(row.type);
        out.set(type, (out.get(type) ?? 0) + (num(row.n) ?? 0));
      }
    }
  }
  return out;
}

/**
 * `groupByLabels` for several types at once, grouped here instead of in SQLite: one
 * `type IN (…)` query per range reads the rows (type, labels_json, value). For a few hundred
 * rows this beats one grouped query per type and range (each sets up its own sort); for many
 * rows SQLite's GROUP BY is about twice as fast, so callers choose by the row count.
 */
export function labelGroupsByType(db: Database.Database, types: readonly string[], from: Date, to: Date): Map<string, LabelGroup[]> {
  const merged = new Map<string, Map<string, LabelGroup>>(types.map((t) => [t, new Map()]));
  if (types.length > 0) {
    const plan = readPlan(db, from, to);
    if (plan.whole) {
      for (const [type, groups] of merged) {
        for (const g of plan.whole.rollups.labelGroups(type, plan.whole.b0, plan.whole.b1)) addGroup(groups, g.labelsJson, g.count, g.sum);
      }
    }
    const sql = `SELECT type, labels_json, value FROM metrics WHERE type IN (${types.map(() => '?').join(', ')}) AND recorded_at >= ? AND recorded_at < ?`;
    for (const span of plan.raw) {
      const stmt = cachedStatement(span.db, onTable(sql, span.table)).raw(true);
      for (const r of windowRanges(span.from, span.to)) {
        for (const [type, labels, value] of stmt.all(...types, r.from, r.to) as [unknown, unknown, unknown][]) {
          const groups = merged.get(textOf(type));
          if (groups) addGroup(groups, labels, 1, num(value) ?? 0);
        }
      }
    }
  }
  return new Map([...merged].map(([type, groups]) => [type, [...groups.values()].sort((a, b) => b.count - a.count)]));
}

/** At most `limit` values of one type in [from, to); `truncated` says whether more exist. */
export function valuesInWindow(
  db: Database.Database,
  type: string,
  from: Date,
  to: Date,
  limit = 100_000,
): { values: number[]; truncated: boolean } {
  const stmt = cachedStatement(db, VALUES_SQL);
  const values: number[] = [];
  for (const r of windowRanges(from, to)) {
    // One more than needed tells whether the window holds more than the limit.
    const room = limit - values.length + 1;
    for (const row of stmt.all(type, r.from, r.to, room) as SqlRow[]) {
      const v = num(row.value);
      if (v !== null) values.push(v);
    }
    if (values.length > limit) return { values: values.slice(0, limit), truncated: true };
  }
  return { values, truncated: false };
}

/** Beyond this many tail rows a percentile is an upper bound (see percentileInWindow). */
export const DEFAULT_MAX_TAIL = 200_000;

export interface Percentile {
  /** null when the window holds no rows. */
  value: number | null;
  count: number;
  /** false when the tail was larger than `maxTail` and `value` is an upper bound. */
  exact: boolean;
}

/** How many of the largest values a nearest-rank percentile q of `count` values needs. */
export function tailSize(count: number, q: number, maxTail: number): { wanted: number; k: number } {
  if (!(q > 0 && q <= 1)) throw new RangeError(`percentile must be in (0, 1], got ${q}`);
  const wanted = count === 0 ? 0 : count - Math.ceil(q * count) + 1;
  return { wanted, k: Math.min(wanted, maxTail) };
}

/**
 * The `k` largest values of one type in [from, to), largest first. With rollups linked and the
 * type's values kept per day (the latencies), whole UTC days come from the value histograms and
 * only the partial days at the edges, and the odd rows, from raw rows.
 */
export function topValues(db: Database.Database, type: string, from: Date, to: Date, k: number): number[] {
  if (k < 1) return [];
  const rollups = rollupsOf(db);
  let spans: RawSpan[] = [{ db, table: 'metrics', from, to }];
  const tail: number[] = [];
  const d0 = Math.ceil(from.getTime() / DAY_MS);
  const d1 = Math.floor(to.getTime() / DAY_MS);
  if (rollups?.hasValues(type) && d0 < d1) {
    tail.push(...rollups.topValues(type, d0, d1, k));
    spans = [
      { db, table: 'metrics', from, to: new Date(d0 * DAY_MS) },
      { db: rollups.oddDb, table: rollups.oddTable, from: new Date(d0 * DAY_MS), to: new Date(d1 * DAY_MS) },
      { db, table: 'metrics', from: new Date(d1 * DAY_MS), to },
    ];
  }
  for (const span of spans) {
    const stmt = cachedStatement(span.db, onTable(TOP_VALUES_SQL, span.table));
    for (const r of windowRanges(span.from, span.to)) {
      for (const row of stmt.all(type, r.from, r.to, k) as SqlRow[]) {
        const v = num(row.value);
        if (v !== null) tail.push(v);
      }
    }
  }
  return tail.sort((a, b) => b - a).slice(0, k);
}

/**
 * The percentile from the tails of disjoint parts of a window: each part's `k` largest values
 * (k from tailSize over all the parts' rows) hold the window's k largest.
 */
export function percentileOfTails(count: number, tails: readonly (readonly number[])[], q: number, maxTail: number): Percentile {
  if (count === 0) return { value: null, count, exact: true };
  const { wanted, k } = tailSize(count, q, maxTail);
  const tail = tails.flat().sort((a, b) => b - a);
  return { value: tail[Math.min(k, tail.length) - 1] ?? null, count, exact: k === wanted };
}

/**
 * The nearest-rank percentile (q in (0, 1]) of one type's values in [from, to). Only the
 * tail above the percentile is read (ORDER BY value DESC LIMIT k per range), so a p95 reads
 * about 5 % of the rows. Beyond `maxTail` rows the answer is the maxTail-th largest value, an
 * upper bound: safe for latency alerting, and flagged as not exact.
 */
export function percentileInWindow(
  db: Database.Database,
  type: string,
  from: Date,
  to: Date,
  q: number,
  maxTail = DEFAULT_MAX_TAIL,
): Percentile {
  const count = countByType(db, [type], from, to).get(type) ?? 0;
  const { k } = tailSize(count, q, maxTail);
  return percentileOfTails(count, [topValues(db, type, from, to, k)], q, maxTail);
}

export interface TypeBuckets {
  type: string;
  total: Aggregate;
  /** One aggregate per bucket, oldest first. */
  buckets: Aggregate[];
}

/**
 * Every type with rows in [from, to), its totals and its rows split into `bucketCount`
 * equal time buckets. One query per range on idx_metrics_time, however many types there are.
 * `part` reads only that part of the window (one day of it), with the window's buckets; the
 * results of the parts of a window add up with mergeTypeBuckets. With rollups linked, a
 * rollup bucket that lies inside one of these buckets is read from the rollups, and one that
 * straddles a bucket edge from its raw rows.
 */
export function bucketsByType(
  db: Database.Database,
  from: Date,
  to: Date,
  bucketCount: number,
  part: { from: Date; to: Date } = { from, to },
): TypeBuckets[] {
  const span = Math.round(to.getTime() - from.getTime());
  if (!(span > 0) || !Number.isInteger(bucketCount) || bucketCount < 1) return [];
  const byType = new Map<string, TypeBuckets>();
  const add = (type: string, agg: Aggregate, bucket: number | null) => {
    let entry = byType.get(type);
    if (!entry) {
      entry = { type, total: EMPTY_AGGREGATE, buckets: Array.from({ length: bucketCount }, () => EMPTY_AGGREGATE) };
      byType.set(type, entry);
    }
    entry.total = mergeAggregate(entry.total, agg);
    // A row whose text sorts inside a range but does not parse as a time has no bucket;
    // it still counts in the total. Rounding at the far edge is clamped into the last bucket.
    if (bucket !== null) {
      const i = Math.min(bucketCount - 1, Math.max(0, Math.floor(bucket)));
      entry.buckets[i] = mergeAggregate(entry.buckets[i] ?? EMPTY_AGGREGATE, agg);
    }
  };
  const plan = bucketPlan(db, from.getTime(), span, bucketCount, part);
  for (const s of plan.raw) readRawBuckets(s, from, span, bucketCount, add);
  if (plan.whole) {
    const { rollups, runs } = plan.whole;
    const size = rollups.bucketMs;
    // Every rollup bucket of a run lies in the same one of the caller's buckets.
    for (const [b0, b1] of runs) {
      const bucket = ((b0 * size - from.getTime()) * bucketCount) / span;
      for (const [type, agg] of rollups.typeTotals(b0, b1)) add(type, rollupAggregate(agg), bucket);
    }
  }
  return [...byType.values()];
}

/** BUCKETS_SQL over one raw span: the bucket computed by SQLite from each row's own timestamp. */
function readRawBuckets(
  s: RawSpan,
  from: Date,
  span: number,
  bucketCount: number,
  add: (type: string, agg: Aggregate, bucket: number | null) => void,
): void {
  const stmt = cachedStatement(s.db, onTable(BUCKETS_SQL, s.table));
  const fromJulianMs = from.getTime() + JULIAN_EPOCH_MS;
  for (const r of windowRanges(s.from, s.to)) {
    // BigInt binds as INTEGER, keeping the bucket arithmetic in integers (exact, and about
    // twice as fast per row as the same arithmetic on REALs).
    for (const row of stmt.all(BigInt(fromJulianMs), BigInt(bucketCount), BigInt(span), r.from, r.to) as SqlRow[]) {
      add(textOf(row.type), aggregateOf(row), num(row.bucket));
    }
  }
}

/**
 * bucketsByType's plan: the rollups' whole buckets are read as runs, each inside one of the
 * caller's buckets, from the rollups (with the odd rows of each run); a rollup bucket that
 * straddles a caller's bucket edge is read raw, like the window's partial edges.
 */
function bucketPlan(
  db: Database.Database,
  fromMs: number,
  span: number,
  bucketCount: number,
  part: { from: Date; to: Date },
): { raw: RawSpan[]; whole: { rollups: RollupReader; runs: [number, number][] } | null } {
  const plan = readPlan(db, part.from, part.to);
  if (!plan.whole) return { raw: plan.raw, whole: null };
  const { rollups, b0, b1 } = plan.whole;
  const size = rollups.bucketMs;
  // The caller's bucket of an instant, as BUCKETS_SQL computes it for a row at that instant.
  const indexOf = (ms: number) => Math.floor(((ms - fromMs) * bucketCount) / span);
  const raw = plan.raw.filter((s) => s.table === 'metrics');
  const runs: [number, number][] = [];
  let runStart = b0;
  const closeRun = (end: number) => {
    if (end > runStart) {
      runs.push([runStart, end]);
      raw.push({ db: rollups.oddDb, table: rollups.oddTable, from: new Date(runStart * size), to: new Date(end * size) });
    }
  };
  for (let b = b0; b < b1; b++) {
    const first = indexOf(b * size);
    if (first === indexOf((b + 1) * size - 1)) {
      // A caller's bucket edge on a rollup bucket edge starts a new run.
      if (b > runStart && first !== indexOf(runStart * size)) {
        closeRun(b);
        runStart = b;
      }
      continue;
    }
    closeRun(b);
    raw.push({ db, table: 'metrics', from: new Date(b * size), to: new Date((b + 1) * size) });
    runStart = b + 1;
  }
  closeRun(b1);
  return { raw, whole: { rollups, runs } };
}

/** Adds the buckets of disjoint parts of one window (same bucket count), type by type. */
export function mergeTypeBuckets(parts: readonly (readonly TypeBuckets[])[]): TypeBuckets[] {
  const byType = new Map<string, TypeBuckets>();
  for (const part of parts) {
    for (const t of part) {
      const prev = byType.get(t.type);
      if (!prev) {
        byType.set(t.type, { type: t.type, total: t.total, buckets: [...t.buckets] });
        continue;
      }
      prev.total = mergeAggregate(prev.total, t.total);
      prev.buckets = prev.buckets.map((b, i) => mergeAggregate(b, t.buckets[i] ?? EMPTY_AGGREGATE));
    }
  }
  return [...byType.values()];
}

/** Labels are a JSON object of strings; numbers and booleans are read as their text. */
const labelsSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));

export interface ParsedLabels {
  /** Shared and frozen: read it, copy it to change it. */
  readonly labels: Readonly<Record<string, string>>;
  /** false when labels_json was not valid JSON or not an object of scalar values. */
  readonly valid: boolean;
}

const LABEL_CACHE_MAX = 10_000;
const LABEL_CACHE_MAX_CHARS = 1_000;
const labelCache = new Map<string, ParsedLabels>();
const INVALID_LABELS: ParsedLabels = Object.freeze({ labels: Object.freeze({}), valid: false });

/**
 * labels_json comes from outside: anything that is not a JSON object of scalars is read as
 * no labels (valid: false), never a crash. The record is built with Object.fromEntries so a
 * "__proto__" key stays a plain property.
 */
export function parseLabels(text: string | null | undefined): ParsedLabels {
  if (typeof text !== 'string') return INVALID_LABELS;
  const cached = labelCache.get(text);
  if (cached) return cached;
  const parsed = parseLabelsUncached(text);
  // The same few label sets repeat in every window; a bounded cache of short texts keeps
  // `errors` cheap without letting a flood of distinct or huge label texts grow memory.
  if (text.length <= LABEL_CACHE_MAX_CHARS) {
    if (labelCache.size >= LABEL_CACHE_MAX) labelCache.clear();
    labelCache.set(text, parsed);
  }
  return parsed;
}

function parseLabelsUncached(text: string): ParsedLabels {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return INVALID_LABELS;
  }
  if (!labelsSchema.safeParse(raw).success) return INVALID_LABELS;
  const entries = Object.entries(raw as Record<string, unknown>)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => [k, String(v)] as const);
  return Object.freeze({ labels: Object.freeze(Object.fromEntries(entries)), valid: true });
}

/** The windows the checks describe: [now - windowMs, now). */
export function windowBounds(now: Date, windowMs: number): { from: Date; to: Date } {
  return { from: new Date(now.getTime() - windowMs), to: now };
}

// --- long windows: day by day, newest first, within a time bound --------------------------------

/** One UTC day of a window (or the part of it inside the window): two index ranges, one per format. */
export interface WindowDay {
  from: Date;
  to: Date;
}

const DAY_MS = 86_400_000;

/** The UTC days of [from, to), newest first, each cut to the window. */
export function windowDays(from: Date, to: Date): WindowDay[] {
  const days: WindowDay[] = [];
  let end = to.getTime();
  const start = from.getTime();
  while (end > start) {
    const dayStart = Math.max(start, Math.floor((end - 1) / DAY_MS) * DAY_MS);
    days.push({ from: new Date(dayStart), to: new Date(end) });
    end = dayStart;
  }
  return days;
}

/**
 * When a long read must stop. SQLite calls cannot be interrupted, so the bound is asked between
 * days of a window, never inside one: a read overshoots it by at most one day's queries.
 */
export interface Deadline {
  /** The bound, for the partial answer's wording. */
  readonly boundMs: number;
  passed(): boolean;
}

/** No bound: the whole window is read (terminal tests, the benchmark's baselines). */
export const NO_DEADLINE: Deadline = { boundMs: Number.POSITIVE_INFINITY, passed: () => false };

/** A bound of `boundMs` from now, on `now` (performance.now by default). */
export function deadlineIn(boundMs: number, now: () => number = () => performance.now()): Deadline {
  const end = now() + boundMs;
  return { boundMs, passed: () => now() >= end };
}

/** How much of a window a read covered: all of it, or the newest part when the bound stopped it. */
export interface WindowCoverage {
  complete: boolean;
  /** ISO start of what was read; the window's start when complete. */
  readFrom: string;
  /** Milliseconds read, counted back from the window's end. */
  readMs: number;
  windowMs: number;
  /** The bound that stopped the read; null when it was complete. */
  boundMs: number | null;
}

export function completeCoverage(from: Date, to: Date): WindowCoverage {
  const windowMs = to.getTime() - from.getTime();
  return { complete: true, readFrom: from.toISOString(), readMs: windowMs, windowMs, boundMs: null };
}

/**
 * Reads a window day by day, newest first, with `readDay`, until the days run out or the
 * deadline passes. The newest day is always read, so a partial answer is never empty of time.
 * Returns each day's result (newest first) and what the days cover.
 */
export function readByDay<T>(
  from: Date,
  to: Date,
  deadline: Deadline,
  readDay: (day: WindowDay) => T,
): { days: WindowDay[]; results: T[]; coverage: WindowCoverage } {
  const all = windowDays(from, to);
  const results: T[] = [];
  for (const day of all) {
    if (results.length > 0 && deadline.passed()) break;
    results.push(readDay(day));
  }
  const days = all.slice(0, results.length);
  return { days, results, coverage: coverageOf(from, to, days, deadline) };
}

/** What the first `days` (newest first) of [from, to) cover. */
export function coverageOf(from: Date, to: Date, days: readonly WindowDay[], deadline: Deadline): WindowCoverage {
  const oldest = days[days.length - 1];
  if (!oldest || oldest.from.getTime() <= from.getTime()) return completeCoverage(from, to);
  return {
    complete: false,
    readFrom: oldest.from.toISOString(),
    readMs: to.getTime() - oldest.from.getTime(),
    windowMs: to.getTime() - from.getTime(),
    boundMs: Number.isFinite(deadline.boundMs) ? deadline.boundMs : null,
  };
}

/** "in the last 30 d", or "in the newest 8 d 6 h of 30 d" for a read the bound cut short. */
export function inWindowText(coverage: WindowCoverage): string {
  return coverage.complete
    ? `in the last ${formatDuration(coverage.windowMs)}`
    : `in the newest ${formatDuration(coverage.readMs)} of ${formatDuration(coverage.windowMs)}`;
}

/**
 * The plain sentence a partial answer carries: "partial: only the newest 8 d 6 h of the 30 d
 * window were read within the 20 s time bound; the figures cover that part." Empty when complete.
 */
export function partialWindowText(coverage: WindowCoverage): string {
  if (coverage.complete) return '';
  const bound = coverage.boundMs === null ? 'time bound' : `${formatDuration(coverage.boundMs)} time bound`;
  return `partial: only the newest ${formatDuration(coverage.readMs)} of the ${formatDuration(coverage.windowMs)} window were read within the ${bound}; the figures cover that part.`;
}
