import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { metricThresholds } from '../../src/checks/metric-thresholds.js';
import { thresholdsSchema } from '../../src/config.js';
import { AtlasDatabase } from '../../src/db/atlas-database.js';
import { DbProblemError } from '../../src/db/sqlite-problem.js';
import { toSqlTime } from '../../src/time/atlas-time.js';
import { formatsOf, openMetricsFixture, type MetricsFixture } from '../helpers/metrics-fixture.js';
import { TEST_NOW } from '../helpers/test-deps.js';

const NOW = new Date(TEST_NOW);
const HOUR = 3600_000;
const DEFAULTS = thresholdsSchema.parse({});

let fx: MetricsFixture;
let writer: Database.Database;
let atlas: AtlasDatabase;
let seq = 0;

/** Rows inside the last hour, cycling through the three timestamp formats. */
function insertInside(type: string, labels: unknown, values: number | number[], times = 1): void {
  const stmt = writer.prepare('INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES (?, ?, ?, ?)');
  const list = Array.isArray(values) ? values : Array.from({ length: times }, () => values);
  for (const v of list) {
    seq += 1;
    const at = formatsOf(new Date(NOW.getTime() - ((seq % 50) + 1) * 60_000))[seq % 3]!;
    stmt.run(type, v, typeof labels === 'string' ? labels : JSON.stringify(labels), at);
  }
}

function insertAt(type: string, labels: unknown, value: number, at: string): void {
  writer.prepare('INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES (?, ?, ?, ?)').run(type, value, JSON.stringify(labels), at);
}

beforeEach(() => {
  fx = openMetricsFixture();
  ({ writer, atlas } = fx);
});

afterEach(() => fx.close());

function seedDashboard(): void {
  insertInside('proof_generation', { success: 'true' }, 850, 18);
  insertInside('proof_generation', { success: 'false' }, 30_000, 2);
  insertInside('proof_generation', {}, 900, 1);
  insertInside('proof_generation', 'garbage', 900, 1);
  insertInside('extraction_success', { state: 'CA', layer: 'county' }, 1, 45);
  insertInside('extraction_failure', { state: 'CA', layer: 'county' }, 1, 5);
  insertInside('health_check', { provider: 'UK' }, 1, 19);
  insertInside('health_check', { provider: 'UK' }, 0, 1);
  insertInside('health_check', { provider: 'Canada' }, 1, 9);
  insertInside('health_check', { provider: 'Canada' }, 0, 1);
  insertInside('job_duration', { state: 'CA' }, [30_000, 90_000]);
  insertInside('db_query', { queryType: 'select' }, Array.from({ length: 100 }, (_, i) => (i + 1) * 10));
  // Outside the hour, in every format: would sink Canada, the proofs and the p95 if counted.
  for (const d of [new Date(NOW.getTime() - 2 * HOUR), new Date(NOW.getTime() - HOUR - 1000), NOW]) {
    for (const at of formatsOf(d)) {
      for (let i = 0; i < 20; i += 1) insertAt('health_check', { provider: 'Canada' }, 0, at);
      insertAt('proof_generation', { success: 'false' }, 1, at);
      insertAt('db_query', { queryType: 'select' }, 60_000, at);
      insertAt('job_duration', {}, 600_000, at);
    }
  }
}

describe('metricThresholds', () => {
  it('measures each dashboard metric over the window against the guide bands', () => {
    seedDashboard();
    const items = metricThresholds(atlas, NOW, HOUR, DEFAULTS).items;
    expect(items.map((i) => [i.key, i.level, i.value, i.unit])).toEqual([
      ['proof_success', 'warn', 90, '%'],
      ['extraction_success', 'ok', 90, '%'],
      ['validation_pass', 'unknown', null, '%'],
      ['provider:Canada', 'crit', 90, '%'],
      ['provider:UK', 'ok', 95, '%'],
      ['job_duration', 'ok', 60, 's'],
      ['query_latency_p95', 'ok', 0.95, 's'],
    ]);
    const byKey = new Map(items.map((i) => [i.key, i]));
    expect(byKey.get('proof_success')).toMatchObject({
      label: 'Proof generation success',
      target: '≥ 95 %',
      alert: '< 90 %',
      detail: '18 of 20 proofs in the last 1 h; 2 rows without a success label ignored',
    });
    expect(byKey.get('extraction_success')?.detail).toBe('45 of 50 extractions in the last 1 h');
    expect(byKey.get('validation_pass')?.detail).toBe('no validation_pass/validation_fail rows in the last 1 h');
    expect(byKey.get('provider:Canada')).toMatchObject({ label: 'Provider availability: Canada', detail: 'average of 10 health checks in the last 1 h' });
    expect(byKey.get('job_duration')).toMatchObject({ target: '≤ 60 s', alert: '> 120 s', detail: 'average of 2 jobs in the last 1 h (longest 90 s)' });
    expect(byKey.get('query_latency_p95')).toMatchObject({ target: '≤ 1 s', alert: '> 5 s', detail: 'p95 of 100 queries in the last 1 h' });
  });

  it('follows the configured bands', () => {
    seedDashboard();
    const strict = thresholdsSchema.parse({ jobDurationSec: { target: 30, alert: 45 }, queryLatencyP95Sec: { target: 0.5, alert: 2 }, extractionSuccessPct: { target: 95, alert: 92 } });
    const levels = Object.fromEntries(metricThresholds(atlas, NOW, HOUR, strict).items.map((i) => [i.key, i.level]));
    expect(levels).toMatchObject({ job_duration: 'crit', query_latency_p95: 'warn', extraction_success: 'crit' });
  });

  it('reports every metric as unknown, not failing, when the window has no rows', () => {
    insertAt('extraction_failure', {}, 1, toSqlTime(new Date(NOW.getTime() - 3 * HOUR)));
    const items = metricThresholds(atlas, NOW, HOUR, DEFAULTS).items;
    expect(items.map((i) => [i.key, i.level, i.detail])).toEqual([
      ['proof_success', 'unknown', 'no proof_generation rows in the last 1 h'],
      ['extraction_success', 'unknown', 'no extraction_success/extraction_failure rows in the last 1 h'],
      ['validation_pass', 'unknown', 'no validation_pass/validation_fail rows in the last 1 h'],
      ['provider_availability', 'unknown', 'no health_check rows in the last 1 h'],
      ['job_duration', 'unknown', 'no job_duration rows in the last 1 h'],
      ['query_latency_p95', 'unknown', 'no db_query rows in the last 1 h'],
    ]);
  });

  it('groups health checks without a provider label, and rounds to what a reader sees', () => {
    insertInside('health_check', 'not json', 1, 2);
    insertInside('health_check', {}, 0, 1);
    const [item] = metricThresholds(atlas, NOW, HOUR, DEFAULTS).items.filter((i) => i.key.startsWith('provider'));
    expect(item).toMatchObject({ key: 'provider:(no provider label)', value: 66.67, level: 'crit' });
  });

  it('does not read availability from health_check values that are not 0/1, nor proof success without labels', () => {
    insertInside('health_check', { provider: 'Odd' }, 250, 4);
    insertInside('proof_generation', {}, 900, 3);
    const items = metricThresholds(atlas, NOW, HOUR, DEFAULTS).items;
    expect(items.find((i) => i.key === 'provider:Odd')).toMatchObject({
      level: 'unknown',
      value: null,
      detail: 'health_check values are not 0/1 (average 250 over 4 rows in the last 1 h); cannot read availability',
    });
    expect(items.find((i) => i.key === 'proof_success')).toMatchObject({
      level: 'unknown',
      detail: '3 proof_generation rows in the last 1 h, none with a success label',
    });
  });

  it('names the missing table or column instead of failing', () => {
    writer.close();
    const file = path.join(fx.dir, 'old.db');
    new Database(file).exec('CREATE TABLE metrics (id INTEGER PRIMARY KEY, type TEXT, labels_json TEXT, recorded_at TEXT)').close();
    const old = new AtlasDatabase(file);
    const items = metricThresholds(old, NOW, HOUR, DEFAULTS).items;
    expect(items).toHaveLength(6);
    for (const i of items) expect(i).toMatchObject({ level: 'unknown', value: null, detail: 'old.db lacks metrics.value' });
    old.close();
  });

  it('surfaces a locked file as the locked problem', () => {
    seedDashboard();
    writer.exec('BEGIN EXCLUSIVE');
    let problem: unknown;
    try {
      metricThresholds(atlas, NOW, HOUR, DEFAULTS);
    } catch (err) {
      problem = err;
    } finally {
      writer.exec('COMMIT');
    }
    expect(problem).toBeInstanceOf(DbProblemError);
    expect((problem as DbProblemError).problem).toMatchObject({ kind: 'locked', message: 'metrics.db is locked by a writer; try again in a few seconds.' });
  });
});
