import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtlasDatabase } from '../../src/db/atlas-database.js';
import { DbProblemError } from '../../src/db/sqlite-problem.js';
import { alertHealthItems, listAlerts } from '../../src/checks/alerts.js';
import { alertsReport } from '../../src/templates/alerts-report.js';
import { createAtlasFiles, tempDir } from '../helpers/test-deps.js';
import { NOW, insertAlert, isoAgo, isoNoMsAgo, sqlAgo } from './data-fixtures.js';

let dir: string;
let cleanup: () => void;
let atlas: AtlasDatabase;
const opened: Database.Database[] = [];

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  atlas = new AtlasDatabase(path.join(dir, 'metrics.db'));
});

afterEach(() => {
  atlas.close();
  for (const db of opened.splice(0)) db.close();
  cleanup();
});

/** metrics.db with the service's schema; `withSeverity` adds the column some deployments add. */
function metrics(withSeverity = false): Database.Database {
  const files = createAtlasFiles(dir);
  opened.push(files.metrics, files.persistence);
  if (withSeverity) files.metrics.exec('ALTER TABLE alerts ADD COLUMN severity TEXT');
  return files.metrics;
}

const recent = { all: false, recentHours: 24 };

describe('listAlerts', () => {
  it('lists firing alerts newest first across timestamp formats, with acknowledgement', () => {
    const db = metrics();
    // Same UTC day: as text the SQL-format one sorts before the ISO one although it is newer.
    insertAlert(db, { name: 'provider_down', status: 'firing', fired_at: sqlAgo(1), message: 'Census TIGER unavailable' });
    insertAlert(db, { name: 'extraction_rate', status: 'firing', fired_at: isoAgo(3), acknowledged_at: isoAgo(2) });
    insertAlert(db, { name: 'old_resolved', status: 'resolved', fired_at: isoAgo(5), resolved_at: isoAgo(4) });

    const listing = listAlerts(atlas, NOW, recent);
    if (!listing.available) throw new Error('expected available');
    expect(listing.hasSeverity).toBe(false);
    expect(listing.firing.map((a) => [a.name, a.acknowledged, a.severity])).toEqual([
      ['provider_down', false, null],
      ['extraction_rate', true, null],
    ]);
    expect(listing.firing[0]?.firingForMs).toBe(3_600_000);
    expect(listing.recentlyResolved).toEqual([]);
  });

  it('with all, adds exactly those resolved in the last 24 h, whatever their format', () => {
    const db = metrics();
    insertAlert(db, { name: 'r-sql-2h', status: 'resolved', fired_at: sqlAgo(3), resolved_at: sqlAgo(2) });
    insertAlert(db, { name: 'r-iso-23h', status: 'resolved', fired_at: isoAgo(30), resolved_at: isoAgo(23) });
    insertAlert(db, { name: 'r-nomillis-10h', status: 'resolved', fired_at: isoAgo(11), resolved_at: isoNoMsAgo(10) });
    insertAlert(db, { name: 'r-sql-25h', status: 'resolved', fired_at: sqlAgo(30), resolved_at: sqlAgo(25) });
    insertAlert(db, { name: 'r-iso-24.5h', status: 'resolved', fired_at: isoAgo(30), resolved_at: isoAgo(24.5) });
    insertAlert(db, { name: 'still-firing', status: 'firing', fired_at: isoAgo(1) });

    const listing = listAlerts(atlas, NOW, { all: true, recentHours: 24 });
    if (!listing.available) throw new Error('expected available');
    expect(listing.recentlyResolved.map((a) => a.name)).toEqual(['r-sql-2h', 'r-nomillis-10h', 'r-iso-23h']);
    expect(listing.firing.map((a) => a.name)).toEqual(['still-firing']);
  });

  it('uses the severity column when the deployment has one', () => {
    const db = metrics(true);
    insertAlert(db, { name: 'crit-one', status: 'firing', fired_at: isoAgo(1), severity: 'critical' });
    insertAlert(db, { name: 'warn-one', status: 'firing', fired_at: isoAgo(2), severity: 'Warning ' });
    insertAlert(db, { name: 'unset-one', status: 'firing', fired_at: isoAgo(3), severity: null });
    const listing = listAlerts(atlas, NOW, recent);
    if (!listing.available) throw new Error('expected available');
    expect(listing.hasSeverity).toBe(true);
    expect(listing.firing.map((a) => a.severity)).toEqual(['critical', 'warning', null]);
    expect(alertHealthItems(atlas, NOW).map((i) => [i.key, i.level])).toEqual([
      ['alert:crit-one', 'crit'],
      ['alert:warn-one', 'warn'],
      ['alert:unset-one', 'crit'],
    ]);
    const report = alertsReport(listing, NOW);
    expect(report.sections[0]?.table?.columns).toEqual(['alert', 'severity', 'firing for', 'ack', 'message']);
    expect(report.sections[0]?.table?.rows[1]).toEqual(['warn-one', 'warning', '2 h', 'NO', '']);
  });

  it('names the missing columns instead of failing on them', () => {
    const db = new Database(path.join(dir, 'metrics.db'));
    db.exec("CREATE TABLE alerts (id INTEGER PRIMARY KEY, name TEXT UNIQUE, status TEXT, message TEXT, fired_at TEXT, resolved_at TEXT)");
    db.close();
    const listing = listAlerts(atlas, NOW, recent);
    expect(listing).toEqual({ available: false, label: 'metrics.db', missing: ['alerts.acknowledged_at'] });
    const [item] = alertHealthItems(atlas, NOW);
    expect(item).toMatchObject({ key: 'alerts', level: 'unknown' });
    expect(item?.detail).toContain('alerts.acknowledged_at');
    expect(alertsReport(listing).headline).toBe('cannot read alerts: metrics.db lacks alerts.acknowledged_at');
  });

  it('skips rows with an impossible shape and counts them', () => {
    const db = new Database(path.join(dir, 'metrics.db'));
    db.exec('CREATE TABLE alerts (name TEXT, status TEXT, message TEXT, fired_at TEXT, resolved_at TEXT, acknowledged_at TEXT)');
    db.prepare("INSERT INTO alerts VALUES ('good', 'firing', NULL, ?, NULL, NULL)").run(isoAgo(1));
    db.prepare("INSERT INTO alerts VALUES (NULL, 'firing', NULL, ?, NULL, NULL)").run(isoAgo(1));
    db.close();
    const listing = listAlerts(atlas, NOW, recent);
    if (!listing.available) throw new Error('expected available');
    expect(listing.firing.map((a) => a.name)).toEqual(['good']);
    expect(listing.unreadableRows).toBe(1);
  });

  it('throws the one-sentence problem when metrics.db is missing; health says unknown', () => {
    expect(() => listAlerts(atlas, NOW, recent)).toThrow(DbProblemError);
    const [item] = alertHealthItems(atlas, NOW);
    expect(item?.level).toBe('unknown');
    expect(item?.detail).toMatch(/metrics\.db not found/);
  });
});

describe('alertHealthItems and alertsReport', () => {
  it('is one ok item when nothing fires', () => {
    const db = metrics();
    insertAlert(db, { name: 'gone', status: 'resolved', fired_at: isoAgo(3), resolved_at: isoAgo(2) });
    expect(alertHealthItems(atlas, NOW)).toEqual([
      { key: 'alerts', label: 'Firing alerts', level: 'ok', value: 0, unit: 'count', detail: 'no firing alerts' },
    ]);
    const report = alertsReport(listAlerts(atlas, NOW, recent), NOW);
    expect(report).toMatchObject({ level: 'ok', headline: 'no firing alerts' });
    const all = alertsReport(listAlerts(atlas, NOW, { all: true, recentHours: 24 }), NOW);
    expect(all.headline).toBe('no firing alerts; 1 resolved in the last 24 h');
    expect(all.sections[0]?.table?.rows[0]?.[1]).toBe('2 h ago');
  });

  it('rates each firing alert crit without a severity column, with what a person needs in the detail', () => {
    const db = metrics();
    insertAlert(db, { name: 'proofs_failing', status: 'firing', fired_at: isoAgo(2), message: 'all proofs failing' });
    const [item] = alertHealthItems(atlas, NOW);
    expect(item).toMatchObject({ key: 'alert:proofs_failing', level: 'crit', value: null, unit: '' });
    expect(item?.detail).toBe('firing for 2 h, NOT acknowledged, all proofs failing');
  });

  it('says how many fire and how many are not acknowledged', () => {
    const db = metrics();
    insertAlert(db, { name: 'a', status: 'firing', fired_at: isoAgo(1), message: `line one\nline two ${'x'.repeat(200)}` });
    insertAlert(db, { name: 'b', status: 'firing', fired_at: isoAgo(2), acknowledged_at: isoAgo(1) });
    const report = alertsReport(listAlerts(atlas, NOW, recent), NOW);
    expect(report.level).toBe('crit');
    expect(report.headline).toBe('2 firing alerts, 1 not acknowledged');
    const message = report.sections[0]?.table?.rows[0]?.[3] ?? '';
    expect(message.startsWith('line one line two x')).toBe(true);
    expect(message).toHaveLength(100);
    db.prepare("UPDATE alerts SET acknowledged_at = ? WHERE name = 'a'").run(isoAgo(0.5));
    expect(alertsReport(listAlerts(atlas, NOW, recent), NOW).headline).toBe('2 firing alerts, all acknowledged');
    db.prepare("DELETE FROM alerts WHERE name = 'b'").run();
    expect(alertsReport(listAlerts(atlas, NOW, recent), NOW).headline).toBe('1 firing alert, acknowledged');
  });
});
