import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AGGREGATE_SQL,
  aggregateByType,
  BUCKETS_SQL,
  bucketsByType,
  cachedStatement,
  COUNT_SQL,
  countByType,
  GROUP_BY_LABELS_SQL,
  groupByLabels,
  parseLabels,
  percentileInWindow,
  TOP_VALUES_SQL,
  valuesInWindow,
  VALUES_SQL,
} from '../../src/checks/metric-window.js';
import type { AtlasDatabase } from '../../src/db/atlas-database.js';
import { toSqlTime } from '../../src/time/atlas-time.js';
import { openMetricsFixture, type MetricsFixture } from '../helpers/metrics-fixture.js';
import { TEST_NOW } from '../helpers/test-deps.js';

const NOW = new Date(TEST_NOW);
const MIN = 60_000;

/** The three formats the service writes: SQL datetime, ISO with ms, ISO without ms. */
function allFormats(d: Date): string[] {
  return [toSqlTime(d), d.toISOString(), `${d.toISOString().slice(0, 19)}Z`];
}

function at(offsetMs: number, base = NOW): Date {
  return new Date(base.getTime() + offsetMs);
}

let fx: MetricsFixture;
let writer: Database.Database;
let atlas: AtlasDatabase;

function insert(type: string, value: number, labels: unknown, recordedAt: string): void {
  writer
    .prepare('INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES (?, ?, ?, ?)')
    .run(type, value, typeof labels === 'string' ? labels : JSON.stringify(labels), recordedAt);
}

beforeEach(() => {
  fx = openMetricsFixture();
  ({ writer, atlas } = fx);
});

afterEach(() => fx.close());

describe('countByType', () => {
  it('counts every timestamp format exactly, [from, to) half-open, ignoring same-day ISO rows outside the window', () => {
    const from = at(-10 * MIN);
    for (const t of allFormats(at(-5 * MIN))) insert('extraction_success', 1, {}, t); // inside
    for (const t of allFormats(from)) insert('extraction_success', 1, {}, t); // at the start: inside
    for (const t of allFormats(at(-10 * MIN - 1000))) insert('extraction_success', 1, {}, t); // 1 s too old
    for (const t of allFormats(NOW)) insert('extraction_success', 1, {}, t); // at the end: outside
    for (const t of allFormats(at(-4 * 3600_000))) insert('extraction_success', 1, {}, t); // same day, 4 h ago
    insert('extraction_failure', 1, {}, toSqlTime(at(-MIN)));

    const counts = atlas.read((db) => countByType(db, ['extraction_success', 'extraction_failure', 'validation_pass'], from, NOW));
    expect(Object.fromEntries(counts)).toEqual({ extraction_success: 6, extraction_failure: 1, validation_pass: 0 });

    // The guide's comparison counts the same-day ISO rows too: the bug this module avoids.
    const guide = writer
      .prepare("SELECT COUNT(*) AS n FROM metrics WHERE type = 'extraction_success' AND recorded_at >= ?")
      .get(toSqlTime(from)) as { n: number };
    expect(guide.n).toBeGreaterThan(6);
  });

  it('counts a window that crosses UTC midnight', () => {
    const midnight = new Date('2026-11-27T00:00:00.000Z');
    const now = at(5 * MIN, midnight);
    for (const t of allFormats(at(-4 * MIN, midnight))) insert('health_check', 1, {}, t); // 23:56, inside
    for (const t of allFormats(at(MIN, midnight))) insert('health_check', 1, {}, t); // 00:01, inside
    for (const t of allFormats(midnight)) insert('health_check', 1, {}, t); // 00:00:00, inside
    for (const t of allFormats(at(-6 * MIN, midnight))) insert('health_check', 1, {}, t); // 23:54, outside
    for (const t of allFormats(now)) insert('health_check', 1, {}, t); // 00:05, outside
    for (const t of allFormats(at(-10 * 3600_000, midnight))) insert('health_check', 1, {}, t); // day before, outside
    for (const t of allFormats(at(3600_000, midnight))) insert('health_check', 1, {}, t); // later that day, outside

    const counts = atlas.read((db) => countByType(db, ['health_check'], at(-10 * MIN, now), now));
    expect(counts.get('health_check')).toBe(9);
  });
});

describe('aggregateByType and groupByLabels', () => {
  it('combines count, sum, min and max over the ranges of every format', () => {
    const [sql, iso, isoNoMs] = allFormats(at(-2 * MIN));
    insert('job_duration', 1000, { state: 'CA' }, sql!);
    insert('job_duration', 5000, { state: 'CA' }, iso!);
    insert('job_duration', 3000, { state: 'WY' }, isoNoMs!);
    insert('job_duration', 99_000, { state: 'WY' }, toSqlTime(at(-2 * 3600_000)));

    const agg = atlas.read((db) => aggregateByType(db, ['job_duration', 'db_query'], at(-10 * MIN), NOW));
    expect(agg.get('job_duration')).toEqual({ count: 3, sum: 9000, min: 1000, max: 5000 });
    expect(agg.get('db_query')).toEqual({ count: 0, sum: 0, min: null, max: null });

    const groups = atlas.read((db) => groupByLabels(db, 'job_duration', at(-10 * MIN), NOW));
    expect(groups).toEqual([
      { labelsJson: '{"state":"CA"}', count: 2, sum: 6000 },
      { labelsJson: '{"state":"WY"}', count: 1, sum: 3000 },
    ]);
  });
});

describe('valuesInWindow', () => {
  it('returns the values up to the limit and says when there were more', () => {
    for (let i = 0; i < 5; i += 1) for (const t of allFormats(at(-(i + 1) * MIN))) insert('db_query', i, {}, t);
    const all = atlas.read((db) => valuesInWindow(db, 'db_query', at(-10 * MIN), NOW));
    expect(all.truncated).toBe(false);
    expect(all.values.sort((a, b) => a - b)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
    const some = atlas.read((db) => valuesInWindow(db, 'db_query', at(-10 * MIN), NOW, 4));
    expect(some).toMatchObject({ truncated: true });
    expect(some.values).toHaveLength(4);
    const exact = atlas.read((db) => valuesInWindow(db, 'db_query', at(-10 * MIN), NOW, 15));
    expect(exact).toMatchObject({ truncated: false });
    expect(exact.values).toHaveLength(15);
  });
});

describe('percentileInWindow', () => {
  it('is the nearest-rank percentile over rows of all formats', () => {
    for (let v = 1; v <= 100; v += 1) {
      const formats = allFormats(at(-v * 1000));
      insert('db_query', v, {}, formats[v % 3]!);
    }
    insert('db_query', 10_000, {}, toSqlTime(at(-20 * MIN))); // outside: must not move the p95
    const p = atlas.read((db) => percentileInWindow(db, 'db_query', at(-10 * MIN), NOW, 0.95));
    expect(p).toEqual({ value: 95, count: 100, exact: true });
    const p50 = atlas.read((db) => percentileInWindow(db, 'db_query', at(-10 * MIN), NOW, 0.5));
    expect(p50.value).toBe(50);
    const max = atlas.read((db) => percentileInWindow(db, 'db_query', at(-10 * MIN), NOW, 1));
    expect(max.value).toBe(100);
  });

  it('gives an upper bound, flagged, when the tail exceeds maxTail; null for an empty window', () => {
    for (let v = 1; v <= 100; v += 1) insert('db_query', v, {}, toSqlTime(at(-v * 1000)));
    const bounded = atlas.read((db) => percentileInWindow(db, 'db_query', at(-10 * MIN), NOW, 0.9, 3));
    expect(bounded).toEqual({ value: 98, count: 100, exact: false });
    expect(atlas.read((db) => percentileInWindow(db, 'request_latency', at(-10 * MIN), NOW, 0.95))).toEqual({
      value: null,
      count: 0,
      exact: true,
    });
    expect(() => atlas.read((db) => percentileInWindow(db, 'db_query', at(-10 * MIN), NOW, 0))).toThrow(RangeError);
  });
});

describe('bucketsByType', () => {
  it('puts rows of every format into exact equal buckets, across midnight', () => {
    const now = new Date('2026-11-27T00:30:00.000Z');
    const from = at(-60 * MIN, now); // 23:30, 12 buckets of 5 min
    for (const t of allFormats(from)) insert('request_count', 1, {}, t); // bucket 0
    for (const t of allFormats(at(5 * MIN - 1000, from))) insert('request_count', 1, {}, t); // last second of bucket 0
    for (const t of allFormats(at(5 * MIN, from))) insert('request_count', 1, {}, t); // first second of bucket 1
    for (const t of allFormats(at(30 * MIN, from))) insert('request_count', 1, {}, t); // midnight: bucket 6
    for (const t of allFormats(at(-1000, now))) insert('request_count', 1, {}, t); // bucket 11
    insert('request_count', 1, {}, toSqlTime(at(-1000, from))); // outside
    insert('db_query', 40, {}, allFormats(at(MIN, from))[1]!);
    insert('db_query', 60, {}, allFormats(at(2 * MIN, from))[2]!);

    const result = atlas.read((db) => bucketsByType(db, from, now, 12));
    const requests = result.find((r) => r.type === 'request_count');
    expect(requests?.total.count).toBe(15);
    expect(requests?.buckets.map((b) => b.count)).toEqual([6, 3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 3]);
    const queries = result.find((r) => r.type === 'db_query');
    expect(queries?.total).toEqual({ count: 2, sum: 100, min: 40, max: 60 });
    expect(queries?.buckets[0]).toEqual({ count: 2, sum: 100, min: 40, max: 60 });
    expect(result).toHaveLength(2);
    expect(atlas.read((db) => bucketsByType(db, now, now, 12))).toEqual([]);
  });

  it('counts a row whose time text sorts inside a range but does not parse, without a bucket', () => {
    insert('cache_hit', 1, {}, `${toSqlTime(at(-MIN))}garbage`);
    const [entry] = atlas.read((db) => bucketsByType(db, at(-10 * MIN), NOW, 12));
    expect(entry?.total.count).toBe(1);
    expect(entry?.buckets.reduce((n, b) => n + b.count, 0)).toBe(0);
  });
});

describe('parseLabels', () => {
  it('reads a JSON object of scalar labels', () => {
    expect(parseLabels('{"state":"CA","layer":"congressional"}')).toEqual({ labels: { state: 'CA', layer: 'congressional' }, valid: true });
    expect(parseLabels('{"status":500,"cached":false,"gone":null}')).toEqual({ labels: { status: '500', cached: 'false' }, valid: true });
    expect(parseLabels('{}')).toEqual({ labels: {}, valid: true });
  });

  it('treats anything else as no labels, never a crash', () => {
    for (const bad of ['not json', '', '[1,2]', '42', 'null', '"text"', '{"nested":{"a":1}}', '{"list":["x"]}', null, undefined]) {
      expect(parseLabels(bad)).toEqual({ labels: {}, valid: false });
    }
  });

  it('returns the same frozen result for the same text', () => {
    const a = parseLabels('{"provider":"UK"}');
    expect(parseLabels('{"provider":"UK"}')).toBe(a);
    expect(Object.isFrozen(a.labels)).toBe(true);
    const long = JSON.stringify({ error: 'x'.repeat(5000) });
    expect(parseLabels(long).labels.error).toHaveLength(5000);
    expect(parseLabels(long)).not.toBe(parseLabels(long));
  });

  it('keeps a __proto__ key as a plain property', () => {
    const { labels } = parseLabels('{"__proto__":"x","state":"CA"}');
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(Object.keys(labels)).toEqual(['__proto__', 'state']);
    expect(({} as Record<string, unknown>).state).toBeUndefined();
  });
});

describe('query plans and statement cache', () => {
  it('reads each type window through the (type, recorded_at) index, and the all-types window through the time index', () => {
    const plan = (sql: string, params: unknown[]) =>
      (writer.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');
    const range = ['job_duration', '2026-11-26 11:50:00', '2026-11-26 12:00:00'];
    const typeTime = /USING (COVERING )?INDEX idx_metrics_type_time \(type=\? AND recorded_at>\? AND recorded_at<\?\)/;
    expect(plan(COUNT_SQL, range)).toMatch(/USING COVERING INDEX idx_metrics_type_time \(type=\? AND recorded_at>\? AND recorded_at<\?\)/);
    expect(plan(AGGREGATE_SQL, range)).toMatch(typeTime);
    expect(plan(GROUP_BY_LABELS_SQL, range)).toMatch(typeTime);
    expect(plan(VALUES_SQL, [...range, 10])).toMatch(typeTime);
    expect(plan(TOP_VALUES_SQL, [...range, 10])).toMatch(typeTime);
    expect(plan(BUCKETS_SQL, [0, 12, 3600_000, range[1], range[2]])).toMatch(/USING INDEX idx_metrics_time \(recorded_at>\? AND recorded_at<\?\)/);
  });

  it('prepares each statement once per connection and anew for a new connection', () => {
    const first = atlas.read((db) => cachedStatement(db, COUNT_SQL));
    expect(atlas.read((db) => cachedStatement(db, COUNT_SQL))).toBe(first);
    atlas.close();
    expect(atlas.read((db) => cachedStatement(db, COUNT_SQL))).not.toBe(first);
  });
});
