import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorTriage, type ErrorTriage } from '../../src/checks/error-triage.js';
import { AtlasDatabase } from '../../src/db/atlas-database.js';
import { DbProblemError } from '../../src/db/sqlite-problem.js';
import { errorTriageReport, formatPct } from '../../src/templates/error-triage-report.js';
import { toSqlTime } from '../../src/time/atlas-time.js';
import { openMetricsFixture, type MetricsFixture } from '../helpers/metrics-fixture.js';
import { TEST_NOW } from '../helpers/test-deps.js';

const NOW = new Date(TEST_NOW);
const MIN = 60_000;
const WINDOW = 10 * MIN;

let fx: MetricsFixture;
let writer: Database.Database;
let atlas: AtlasDatabase;
let seq = 0;

/** A time inside the window, cycling through the three formats the service writes. */
function inside(): string {
  seq += 1;
  const d = new Date(NOW.getTime() - ((seq % 9) + 1) * MIN);
  const formats = [toSqlTime(d), d.toISOString(), `${d.toISOString().slice(0, 19)}Z`];
  return formats[seq % 3]!;
}

function insert(type: string, labels: unknown, recordedAt: string, value = 1, times = 1): void {
  const stmt = writer.prepare('INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES (?, ?, ?, ?)');
  for (let i = 0; i < times; i += 1) stmt.run(type, value, typeof labels === 'string' ? labels : JSON.stringify(labels), recordedAt);
}

function insertInside(type: string, labels: unknown, times = 1, value = 1): void {
  for (let i = 0; i < times; i += 1) insert(type, labels, inside(), value);
}

beforeEach(() => {
  fx = openMetricsFixture();
  ({ writer, atlas } = fx);
});

afterEach(() => fx.close());

/** The scenario of the guide's "error rate > 5 % over 10 min", with rows that must not count. */
function seedIncident(): void {
  insertInside('extraction_success', { state: 'CA', layer: 'congressional' }, 40);
  insertInside('extraction_failure', { state: 'CA', layer: 'congressional' }, 2);
  insertInside('extraction_failure', '{"layer":"congressional","state":"CA"}', 1); // same group, other key order
  insertInside('extraction_failure', { state: 'WY', layer: 'county' }, 2);
  insertInside('extraction_failure', 'not json', 1);
  insertInside('validation_pass', { state: 'TX', layer: 'state_house' }, 9, 0.97);
  insertInside('validation_fail', { state: 'TX', layer: 'state_house' }, 1, 0.41);
  insertInside('health_check', { provider: 'UK' }, 18, 1);
  insertInside('health_check', { provider: 'UK' }, 2, 0);
  insertInside('provider_error', { provider: 'UK', error: 'HTTP 503 Service Unavailable' }, 2);
  insertInside('request_count', { method: 'GET', path: '/v1/districts/:id', status: '200' }, 20);
  insertInside('request_error', { method: 'GET', path: '/v1/districts/:id', status: '500' }, 1);
  insertInside('proof_generation', { success: 'true' }, 4, 850);
  insertInside('proof_generation', { success: 'false' }, 1, 12_000);
  insertInside('merkle_proof', { success: 'true' }, 2, 40);
  insertInside('job_duration', { state: 'CA' }, 5, 30_000); // not an error family

  // Outside the window, in every format: just too old, at the end (exclusive), earlier the same day.
  for (const d of [new Date(NOW.getTime() - WINDOW - 1000), NOW, new Date(NOW.getTime() - 5 * 3600_000)]) {
    for (const t of [toSqlTime(d), d.toISOString(), `${d.toISOString().slice(0, 19)}Z`]) {
      insert('extraction_failure', { state: 'NY', layer: 'city' }, t, 1, 3);
      insert('proof_generation', { success: 'false' }, t);
      insert('extraction_success', {}, t);
    }
  }
}

describe('errorTriage', () => {
  it('counts errors and attempts per family exactly over all timestamp formats', () => {
    seedIncident();
    const t = errorTriage(atlas, NOW, WINDOW);
    expect(t.families.map((f) => [f.key, f.errors, f.attempts])).toEqual([
      ['extraction', 6, 46],
      ['validation', 1, 10],
      ['provider', 2, 20],
      ['request', 1, 20],
      ['proof', 1, 5],
      ['merkle', 0, 2],
    ]);
    expect(t.errors).toBe(11);
    expect(t.attempts).toBe(103);
    expect(t.ratePct).toBeCloseTo((100 * 11) / 103, 10);
    expect(t.level).toBe('crit');
    expect(t.malformedLabels).toBe(1);
    expect(t.from).toBe('2026-11-26T11:50:00.000Z');
    expect(t.to).toBe(TEST_NOW);
  });

  it('lists the largest error groups, merging label texts that name the same group', () => {
    seedIncident();
    const t = errorTriage(atlas, NOW, WINDOW);
    expect(t.groups).toEqual([
      { type: 'extraction_failure', subject: 'CA/congressional', error: '-', count: 3 },
      { type: 'extraction_failure', subject: 'WY/county', error: '-', count: 2 },
      { type: 'provider_error', subject: 'UK', error: 'HTTP 503 Service Unavailable', count: 2 },
      { type: 'extraction_failure', subject: '-', error: '-', count: 1 },
      { type: 'proof_generation', subject: '-', error: 'success=false', count: 1 },
      { type: 'request_error', subject: 'GET /v1/districts/:id', error: 'status 500', count: 1 },
      { type: 'validation_fail', subject: 'TX/state_house', error: '-', count: 1 },
    ]);
    expect(t.moreGroups).toBe(0);
    const top3 = errorTriage(atlas, NOW, WINDOW, 3);
    expect(top3.groups).toHaveLength(3);
    expect(top3.moreGroups).toBe(4);
    expect(top3.moreErrors).toBe(4);
  });

  it('uses an operation label when the rows carry one', () => {
    insertInside('request_count', {}, 10);
    insertInside('request_error', { operation: 'lookup', method: 'POST', path: '/v1/proof', error: 'timeout' }, 1);
    const t = errorTriage(atlas, NOW, WINDOW);
    expect(t.groups).toEqual([{ type: 'request_error', subject: 'lookup POST /v1/proof', error: 'timeout', count: 1 }]);
  });

  it('is crit above 5 %, warn above 1 %, ok at or below 1 %', () => {
    insertInside('extraction_success', {}, 95);
    insertInside('extraction_failure', {}, 5);
    expect(errorTriage(atlas, NOW, WINDOW)).toMatchObject({ ratePct: 5, level: 'warn' });
    insertInside('extraction_failure', {}, 1);
    expect(errorTriage(atlas, NOW, WINDOW).level).toBe('crit');
    writer.exec('DELETE FROM metrics');
    insertInside('extraction_success', {}, 99);
    insertInside('extraction_failure', {}, 1);
    expect(errorTriage(atlas, NOW, WINDOW)).toMatchObject({ ratePct: 1, level: 'ok' });
  });

  it('never reports a family rate above 100 % when error rows come without their attempts', () => {
    insertInside('request_error', { status: '503' }, 3);
    const t = errorTriage(atlas, NOW, WINDOW);
    expect(t.families.find((f) => f.key === 'request')).toMatchObject({ errors: 3, attempts: 3, ratePct: 100 });
    expect(t.level).toBe('crit');
  });

  it('is unknown when nothing was attempted in the window, even with older errors', () => {
    insert('extraction_failure', {}, toSqlTime(new Date(NOW.getTime() - 20 * MIN)));
    insertInside('job_duration', {}, 3, 1000);
    const t = errorTriage(atlas, NOW, WINDOW);
    expect(t).toMatchObject({ level: 'unknown', errors: 0, attempts: 0, ratePct: null, detail: 'no metrics in the last 10 min' });
  });

  it('is unknown, naming what is missing, when the table or a column is absent', () => {
    writer.close();
    const noTable = path.join(fx.dir, 'no-table.db');
    new Database(noTable).exec('CREATE TABLE alerts (id INTEGER)').close();
    const a = new AtlasDatabase(noTable);
    expect(errorTriage(a, NOW, WINDOW)).toMatchObject({ level: 'unknown', missing: ['metrics'], detail: 'no-table.db lacks metrics; cannot count errors.' });
    a.close();

    const noLabels = path.join(fx.dir, 'no-labels.db');
    new Database(noLabels)
      .exec("CREATE TABLE metrics (id INTEGER PRIMARY KEY, type TEXT, value REAL, recorded_at TEXT); INSERT INTO metrics (type, value, recorded_at) VALUES ('extraction_failure', 1, '2026-11-26 11:55:00')")
      .close();
    const b = new AtlasDatabase(noLabels);
    expect(errorTriage(b, NOW, WINDOW)).toMatchObject({ level: 'unknown', missing: ['metrics.labels_json'] });
    b.close();
  });

  it('throws the missing-file problem when metrics.db does not exist', () => {
    const gone = new AtlasDatabase(path.join(fx.dir, 'nope', 'metrics.db'));
    expect(() => errorTriage(gone, NOW, WINDOW)).toThrow(DbProblemError);
    try {
      errorTriage(gone, NOW, WINDOW);
    } catch (err) {
      expect((err as DbProblemError).problem.kind).toBe('missing');
    }
  });

  it('answers with the locked problem while a writer holds an exclusive lock, and recovers after', () => {
    seedIncident();
    expect(errorTriage(atlas, NOW, WINDOW).errors).toBe(11); // statements prepared and cached
    writer.exec('BEGIN EXCLUSIVE');
    let problem: unknown;
    try {
      errorTriage(atlas, NOW, WINDOW);
    } catch (err) {
      problem = err;
    }
    expect(problem).toBeInstanceOf(DbProblemError);
    expect((problem as DbProblemError).problem.kind).toBe('locked');
    writer.exec('COMMIT');
    expect(errorTriage(atlas, NOW, WINDOW).errors).toBe(11);
  });
});

describe('errorTriageReport', () => {
  it('answers with the rate on the first line, then families, top errors and notes', () => {
    seedIncident();
    const report = errorTriageReport(errorTriage(atlas, NOW, WINDOW), WINDOW);
    expect(report.command).toBe('errors');
    expect(report.level).toBe('crit');
    expect(report.headline).toBe('error rate 10.7 % in the last 10 min (11 of 103 failed): above 5 %');
    expect(report.sections[0]?.table?.rows).toEqual([
      ['extraction', '6', '46', '13.0 %'],
      ['validation', '1', '10', '10.0 %'],
      ['provider checks', '2', '20', '10.0 %'],
      ['requests', '1', '20', '5.00 %'],
      ['ZK proofs', '1', '5', '20.0 %'],
      ['Merkle proofs', '0', '2', '0.00 %'],
    ]);
    expect(report.sections[1]?.table?.columns).toEqual(['metric', 'where', 'error', 'count']);
    expect(report.sections[1]?.table?.rows[0]).toEqual(['extraction_failure', 'CA/congressional', '-', '3']);
    expect(report.sections[2]?.lines).toEqual(['1 error rows had unreadable labels_json: counted, labels ignored.']);
    expect(report.sections).toHaveLength(3);
    expect(report.footer).toContain('no metric type `error`');
    expect((report.data as ErrorTriage).errors).toBe(11);
  });

  it('says when every proof failed (P0), how many groups are not shown, and cuts long labels', () => {
    insertInside('proof_generation', { success: 'false' }, 4, 900);
    for (let i = 0; i < 12; i += 1) insertInside('provider_error', { provider: `P${i}`, error: `${'e'.repeat(200)}${i}` }, 1);
    insertInside('health_check', {}, 100);
    const report = errorTriageReport(errorTriage(atlas, NOW, WINDOW), WINDOW);
    const notes = report.sections.flatMap((s) => s.lines ?? []);
    expect(notes).toContain('All 4 ZK proofs failed in the window: the severity matrix makes that P0 (respond within 15 min).');
    expect(notes).toContain('…and 3 more groups (3 errors)');
    const top = report.sections.find((s) => s.title === 'Top errors');
    expect(top?.table?.rows).toHaveLength(10);
    for (const row of top?.table?.rows ?? []) expect(row[2]!.length).toBeLessThanOrEqual(80);
  });

  it('says ok, unknown and missing plainly', () => {
    insertInside('extraction_success', {}, 200);
    insertInside('extraction_failure', {}, 1);
    expect(errorTriageReport(errorTriage(atlas, NOW, WINDOW), WINDOW).headline).toBe('error rate 0.50 % in the last 10 min (1 of 201 failed): ok');
    writer.exec('DELETE FROM metrics');
    const empty = errorTriageReport(errorTriage(atlas, NOW, 2 * 3600_000), 2 * 3600_000);
    expect(empty).toMatchObject({ level: 'unknown', headline: 'no metrics in the last 2 h: error rate unknown' });
    const missing = errorTriageReport(
      { ...errorTriage(atlas, NOW, WINDOW), level: 'unknown', missing: ['metrics.labels_json'], detail: 'metrics.db lacks metrics.labels_json; cannot count errors.' },
      WINDOW,
    );
    expect(missing.headline).toBe('cannot count errors: metrics.db lacks metrics.labels_json; cannot count errors.');
  });

  it('formats rates so a value just over a line does not read as the line', () => {
    expect(formatPct(5.004)).toBe('5.00 %');
    expect(formatPct(5.04)).toBe('5.04 %');
    expect(formatPct(12.44)).toBe('12.4 %');
  });
});
