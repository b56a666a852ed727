import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import { AtlasDatabase } from '../../src/db/atlas-database.js';
import { DbProblemError } from '../../src/db/sqlite-problem.js';
import { snapshotHealthItems, snapshotStatus } from '../../src/checks/snapshots.js';
import { snapshotsReport } from '../../src/templates/snapshots-report.js';
import { createAtlasFiles, tempDir } from '../helpers/test-deps.js';
import { NOW, insertSnapshot, isoAgo, isoNoMsAgo, sqlAgo } from './data-fixtures.js';

let dir: string;
let cleanup: () => void;
let atlas: AtlasDatabase;
const opened: Database.Database[] = [];
const DAY = 24;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  atlas = new AtlasDatabase(path.join(dir, 'persistence.db'));
});

afterEach(() => {
  atlas.close();
  for (const db of opened.splice(0)) db.close();
  cleanup();
});

function persistence(): Database.Database {
  const files = createAtlasFiles(dir);
  opened.push(files.metrics, files.persistence);
  // Fixture snapshots point at a job that need not exist.
  files.persistence.pragma('foreign_keys = OFF');
  return files.persistence;
}

const thresholds = () => buildConfig(dir).thresholds;

describe('snapshotStatus', () => {
  it('finds the newest active snapshot across the three timestamp formats', () => {
    const db = persistence();
    // Same UTC day, both active: as text the ISO one sorts first although it is older.
    insertSnapshot(db, { id: 'snap-sql-newer', ipfs_cid: 'bafy-newer', created_at: sqlAgo(DAY) });
    insertSnapshot(db, { id: 'snap-iso-older', ipfs_cid: 'bafy-older', created_at: isoAgo(DAY + 6) });
    insertSnapshot(db, { id: 'snap-nomillis', ipfs_cid: 'bafy-nomillis', created_at: isoNoMsAgo(40 * DAY), deprecated_at: isoAgo(DAY) });
    insertSnapshot(db, { id: 'snap-archived', ipfs_cid: 'bafy-archived', created_at: isoAgo(100 * DAY), archived_at: isoAgo(50 * DAY) });

    const status = snapshotStatus(atlas, NOW, 10);
    if (!status.available) throw new Error('expected the snapshots table to be readable');
    expect(status.current?.id).toBe('snap-sql-newer');
    expect(status.current?.ageMs).toBe(DAY * 3_600_000);
    expect(status.activeCount).toBe(2);
    expect(status.total).toBe(4);
    expect(status.previous.map((s) => [s.id, s.state])).toEqual([
      ['snap-iso-older', 'active'],
      ['snap-nomillis', 'deprecated'],
      ['snap-archived', 'archived'],
    ]);
    expect(status.previous[1]?.ageMs).toBe(40 * DAY * 3_600_000);
    expect(status.missingCidCount).toBe(0);
  });

  it('limits the previous snapshots', () => {
    const db = persistence();
    for (let i = 0; i < 6; i++) {
      insertSnapshot(db, { id: `snap-${i}`, ipfs_cid: `bafy-${i}`, created_at: isoAgo((i + 1) * DAY), ...(i > 0 ? { deprecated_at: isoAgo(i * DAY) } : {}) });
    }
    const status = snapshotStatus(atlas, NOW, 2);
    if (!status.available) throw new Error('expected available');
    expect(status.current?.id).toBe('snap-0');
    expect(status.previous.map((s) => s.id)).toEqual(['snap-1', 'snap-2']);
  });

  it('lists snapshots with an empty CID, the current one first', () => {
    const db = persistence();
    insertSnapshot(db, { id: 'snap-cur', ipfs_cid: '', created_at: isoAgo(3 * DAY) });
    insertSnapshot(db, { id: 'snap-old', ipfs_cid: '  ', created_at: isoAgo(60 * DAY), deprecated_at: isoAgo(3 * DAY) });
    insertSnapshot(db, { id: 'snap-ok', ipfs_cid: 'bafy-ok', created_at: isoAgo(90 * DAY), deprecated_at: isoAgo(60 * DAY) });
    const status = snapshotStatus(atlas, NOW, 10);
    if (!status.available) throw new Error('expected available');
    expect(status.current?.ipfsCid).toBeNull();
    expect(status.missingCid.map((s) => s.id)).toEqual(['snap-cur', 'snap-old']);
  });

  it('names the missing columns of a schema variant without deprecated_at/archived_at', () => {
    const db = new Database(path.join(dir, 'persistence.db'));
    db.exec('CREATE TABLE snapshots (id TEXT PRIMARY KEY, merkle_root TEXT NOT NULL, ipfs_cid TEXT NOT NULL, boundary_count INTEGER, created_at TEXT, regions_json TEXT)');
    db.prepare("INSERT INTO snapshots VALUES ('snapshot-x', '0x1', 'bafy', 1, ?, '[]')").run(isoAgo(1));
    db.close();
    const status = snapshotStatus(atlas, NOW, 5);
    expect(status).toEqual({ available: false, label: 'persistence.db', missing: ['snapshots.deprecated_at', 'snapshots.archived_at'] });
    const items = snapshotHealthItems(atlas, NOW, thresholds());
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ level: 'unknown' });
    expect(items[0]?.detail).toContain('snapshots.deprecated_at, snapshots.archived_at');
    const report = snapshotsReport(status, thresholds());
    expect(report.level).toBe('unknown');
    expect(report.headline).toBe(
      'cannot tell the current snapshot: persistence.db lacks snapshots.deprecated_at, snapshots.archived_at (another schema variant)',
    );
  });

  it('treats a NULL CID like an empty one and survives an unreadable created_at', () => {
    const db = new Database(path.join(dir, 'persistence.db'));
    db.exec('CREATE TABLE snapshots (id TEXT PRIMARY KEY, ipfs_cid TEXT, created_at TEXT, deprecated_at TEXT, archived_at TEXT)');
    db.prepare("INSERT INTO snapshots VALUES ('snap-null', NULL, 'last tuesday', NULL, NULL)").run();
    db.close();
    const status = snapshotStatus(atlas, NOW, 5);
    if (!status.available) throw new Error('expected available');
    expect(status.current).toMatchObject({ id: 'snap-null', ipfsCid: null, ageMs: null, merkleRoot: null, boundaryCount: null });
    const items = snapshotHealthItems(atlas, NOW, thresholds());
    expect(items.map((i) => [i.key, i.level])).toEqual([
      ['snapshot_current', 'crit'],
      ['snapshot_age', 'unknown'],
    ]);
    expect(items[1]?.detail).toContain('last tuesday');
  });

  it('throws the one-sentence problem when persistence.db is missing', () => {
    expect(() => snapshotStatus(atlas, NOW, 5)).toThrow(DbProblemError);
    const items = snapshotHealthItems(atlas, NOW, thresholds());
    expect(items[0]).toMatchObject({ key: 'snapshot_current', level: 'unknown' });
    expect(items[0]?.detail).toMatch(/persistence\.db not found/);
  });
});

describe('snapshotHealthItems and snapshotsReport', () => {
  it('is ok for a fresh current snapshot with a CID', () => {
    insertSnapshot(persistence(), { id: 'snap-fresh', ipfs_cid: 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi', created_at: isoAgo(3 * DAY) });
    const items = snapshotHealthItems(atlas, NOW, thresholds());
    expect(items.map((i) => [i.key, i.level, i.value])).toEqual([
      ['snapshot_current', 'ok', null],
      ['snapshot_age', 'ok', 3],
    ]);
    const report = snapshotsReport(snapshotStatus(atlas, NOW, 5), thresholds());
    expect(report.level).toBe('ok');
    expect(report.headline).toBe('current snapshot snap-fresh is 3 d old, CID bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi');
    expect(report.sections[0]?.lines).toContain('IPFS CID: bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi');
  });

  it('is crit when the current snapshot has no CID', () => {
    insertSnapshot(persistence(), { id: 'snap-nocid', ipfs_cid: '', created_at: isoAgo(3 * DAY) });
    const items = snapshotHealthItems(atlas, NOW, thresholds());
    expect(items[0]).toMatchObject({ level: 'crit', detail: 'snap-nocid has NO IPFS CID (not uploaded)' });
    const report = snapshotsReport(snapshotStatus(atlas, NOW, 5), thresholds());
    expect(report.level).toBe('crit');
    expect(report.headline).toBe('current snapshot snap-nocid is 3 d old but has NO IPFS CID');
  });

  it('warns after snapshotWarnAgeDays and is crit after snapshotCritAgeDays', () => {
    const db = persistence();
    insertSnapshot(db, { id: 'snap-45d', ipfs_cid: 'bafy-45', created_at: isoAgo(45 * DAY) });
    expect(snapshotHealthItems(atlas, NOW, thresholds())[1]).toMatchObject({ level: 'warn', value: 45, target: '≤ 30 d', alert: '> 90 d' });
    expect(snapshotsReport(snapshotStatus(atlas, NOW, 5), thresholds()).headline).toBe('current snapshot snap-45d is 45 d old (warn after 30 d), CID bafy-45');
    db.prepare('UPDATE snapshots SET created_at = ?').run(isoAgo(100 * DAY));
    expect(snapshotHealthItems(atlas, NOW, thresholds())[1]).toMatchObject({ level: 'crit', value: 100 });
    const report = snapshotsReport(snapshotStatus(atlas, NOW, 5), thresholds());
    expect(report.level).toBe('crit');
    expect(report.headline).toContain('(crit after 90 d)');
  });

  it('is crit when no snapshot is active, and when there are none', () => {
    const db = persistence();
    expect(snapshotHealthItems(atlas, NOW, thresholds())[0]).toMatchObject({ level: 'crit', detail: 'no snapshots at all' });
    insertSnapshot(db, { id: 'snap-dep', ipfs_cid: 'bafy-d', created_at: isoAgo(10 * DAY), deprecated_at: isoAgo(DAY) });
    insertSnapshot(db, { id: 'snap-arch', ipfs_cid: 'bafy-a', created_at: isoAgo(20 * DAY), archived_at: isoAgo(DAY) });
    const items = snapshotHealthItems(atlas, NOW, thresholds());
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ level: 'crit', detail: 'no active snapshot: all 2 are deprecated or archived' });
    const report = snapshotsReport(snapshotStatus(atlas, NOW, 5), thresholds());
    expect(report.headline).toBe('NO active snapshot: all 2 snapshots are deprecated or archived');
  });
});
