import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { metricsSummary } from '../../src/checks/metrics-summary.js';
import { AtlasDatabase } from '../../src/db/atlas-database.js';
import { DbProblemError } from '../../src/db/sqlite-problem.js';
import { formatMetricValue, metricsSummaryReport, sparkline } from '../../src/templates/metrics-summary-report.js';
import { toSqlTime } from '../../src/time/atlas-time.js';
import { formatsOf, openMetricsFixture, type MetricsFixture } from '../helpers/metrics-fixture.js';

const HOUR = 3600_000;
const MIN = 60_000;
/** Half an hour past midnight: the 1 h window crosses UTC midnight. */
const NOW = new Date('2026-11-27T00:30:00.000Z');
const FROM = new Date(NOW.getTime() - HOUR);

let fx: MetricsFixture;
let writer: Database.Database;
let atlas: AtlasDatabase;

function insert(type: string, value: number, at: string, labels = '{}'): void {
  writer.prepare('INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES (?, ?, ?, ?)').run(type, value, labels, at);
}

/** One row per format at `offsetMs` after the window start. */
function insertAll(type: string, value: number, offsetMs: number): void {
  for (const at of formatsOf(new Date(FROM.getTime() + offsetMs))) insert(type, value, at);
}

beforeEach(() => {
  fx = openMetricsFixture();
  ({ writer, atlas } = fx);
});

afterEach(() => fx.close());

describe('metricsSummary', () => {
  it('counts every type with avg, min, max and a 12-bucket trend, exact across formats and midnight', () => {
    insertAll('extraction_success', 1, 0); // bucket 0
    insertAll('extraction_success', 1, 5 * MIN); // bucket 1 (its first second)
    insertAll('extraction_success', 1, 30 * MIN); // midnight, bucket 6
    insertAll('extraction_success', 1, HOUR - 1000); // bucket 11
    insertAll('db_query', 100, 2 * MIN); // bucket 0
    insertAll('db_query', 300, 3 * MIN); // bucket 0
    insertAll('db_query', 1000, 58 * MIN); // bucket 11
    insertAll('zz_custom', 7, 10 * MIN);
    for (const at of [...formatsOf(new Date(FROM.getTime() - 1000)), ...formatsOf(NOW), ...formatsOf(new Date('2026-11-27T10:00:00Z'))]) {
      insert('extraction_success', 1, at); // outside
      insert('db_query', 99_999, at);
    }

    const s = metricsSummary(atlas, NOW, HOUR);
    expect(s).toMatchObject({ level: 'info', totalRows: 24, bucketMs: 5 * MIN, from: '2026-11-26T23:30:00.000Z', to: '2026-11-27T00:30:00.000Z' });
    expect(s.types.map((t) => t.type)).toEqual(['extraction_success', 'db_query', 'zz_custom']);
    const [extraction, query, custom] = s.types;
    expect(extraction).toMatchObject({ count: 12, avg: 1, min: 1, max: 1, unit: '', trendOf: 'count' });
    expect(extraction?.trend).toEqual([3, 3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 3]);
    expect(query).toMatchObject({ count: 9, min: 100, max: 1000, unit: 'ms', trendOf: 'avg' });
    expect(query?.avg).toBeCloseTo(1400 / 3, 10);
    expect(query?.trend).toEqual([200, null, null, null, null, null, null, null, null, null, null, 1000]);
    expect(custom).toMatchObject({ count: 3, trendOf: 'count' });
  });

  it('is unknown when the window is empty or the table lacks a column', () => {
    insert('extraction_success', 1, toSqlTime(new Date(FROM.getTime() - HOUR)));
    expect(metricsSummary(atlas, NOW, HOUR)).toMatchObject({ level: 'unknown', totalRows: 0, types: [], detail: 'no metrics in the last 1 h' });

    writer.close();
    const file = path.join(fx.dir, 'old.db');
    new Database(file).exec('CREATE TABLE metrics (id INTEGER PRIMARY KEY, type TEXT, value REAL, labels_json TEXT)').close();
    const old = new AtlasDatabase(file);
    expect(metricsSummary(old, NOW, HOUR)).toMatchObject({ level: 'unknown', missing: ['metrics.recorded_at'], detail: 'old.db lacks metrics.recorded_at' });
    old.close();
  });

  it('surfaces a locked file as the locked problem', () => {
    insertAll('cache_hit', 1, MIN);
    writer.exec('BEGIN EXCLUSIVE');
    let problem: unknown;
    try {
      metricsSummary(atlas, NOW, HOUR);
    } catch (err) {
      problem = err;
    } finally {
      writer.exec('COMMIT');
    }
    expect((problem as DbProblemError).problem.kind).toBe('locked');
  });
});

describe('metricsSummaryReport', () => {
  it('answers with rows and types on the first line and one table row per type', () => {
    insertAll('extraction_success', 1, 0);
    insertAll('extraction_success', 1, 30 * MIN);
    insertAll('extraction_success', 1, 31 * MIN);
    insertAll('job_duration', 2500, 0);
    insertAll('job_duration', 500, 40 * MIN);
    const report = metricsSummaryReport(metricsSummary(atlas, NOW, HOUR), HOUR);
    expect(report).toMatchObject({ command: 'metrics', level: 'info', headline: '15 metric rows of 2 types in the last 1 h' });
    expect(report.sections[0]?.table?.columns).toEqual(['type', 'count', 'avg', 'min', 'max', 'trend']);
    expect(report.sections[0]?.table?.rows).toEqual([
      ['extraction_success', '9', '1', '1', '1', '▅▁▁▁▁▁█▁▁▁▁▁'],
      ['job_duration', '6', '1.5 s', '500 ms', '2.5 s', '█       ▁    (avg)'],
    ]);
    expect(report.footer).toBe('trend: 12 buckets of 5 min, oldest first; rows per bucket, or the average value where marked (avg).');
  });

  it('says plainly when there is nothing to show', () => {
    expect(metricsSummaryReport(metricsSummary(atlas, NOW, 10 * MIN), 10 * MIN)).toMatchObject({ level: 'unknown', headline: 'no metrics in the last 10 min' });
  });

  it('cuts a flood of odd types to 30 rows and says how many more', () => {
    const stmt = writer.prepare('INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES (?, 1, ?, ?)');
    for (let i = 0; i < 35; i += 1) stmt.run(`odd_${String(i).padStart(2, '0')}_${'x'.repeat(60)}`, '{}', toSqlTime(new Date(NOW.getTime() - MIN)));
    const report = metricsSummaryReport(metricsSummary(atlas, NOW, HOUR), HOUR);
    expect(report.sections[0]?.table?.rows).toHaveLength(30);
    expect(report.sections[0]?.table?.rows[0]?.[0]?.length).toBeLessThanOrEqual(40);
    expect(report.sections[0]?.lines).toEqual(['…and 5 more types (5 rows)']);
  });
});

describe('sparkline and values', () => {
  it('scales counts from zero and averages between their extremes', () => {
    expect(sparkline([0, 1, 2, 4, 8], true)).toBe('▁▂▃▅█');
    expect(sparkline([0, 1, 100], true)).toBe('▁▂█');
    expect(sparkline([0, 0, 0], true)).toBe('▁▁▁');
    expect(sparkline([5, 5], true)).toBe('██');
    expect(sparkline([100, null, 200], false)).toBe('▁ █');
    expect(sparkline([null, null], false)).toBe('  ');
  });

  it('formats milliseconds for people', () => {
    expect(formatMetricValue(850.4, 'ms')).toBe('850 ms');
    expect(formatMetricValue(12_345, 'ms')).toBe('12.35 s');
    expect(formatMetricValue(0.975, '')).toBe('0.98');
    expect(formatMetricValue(null, '')).toBe('-');
  });
});
