import { mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diskHealthItems, diskItems, diskUsage, folderSize, formatBytes, GB, type DiskUsage } from '../../src/checks/disk.js';
import { buildConfig } from '../../src/config.js';
import { openAtlasStores, type AtlasStores } from '../../src/db/atlas-database.js';
import { createAtlasFiles, tempDir } from '../helpers/test-deps.js';

const thresholds = buildConfig('/nowhere').thresholds;

describe('disk usage', () => {
  let tmp: ReturnType<typeof tempDir>;
  let stores: AtlasStores;
  let writers: ReturnType<typeof createAtlasFiles>;

  beforeEach(() => {
    tmp = tempDir();
    writers = createAtlasFiles(tmp.dir);
    // Keep a write in the WAL of persistence.db so its -wal has a size.
    writers.persistence.pragma('wal_autocheckpoint = 0');
    writers.persistence
      .prepare("INSERT INTO jobs (id, scope_states, scope_layers, status, created_at, updated_at) VALUES ('j1', '[]', '[]', 'running', 'x', 'x')")
      .run();
    stores = openAtlasStores(tmp.dir);
  });
  afterEach(() => {
    stores.close();
    writers.metrics.close();
    writers.persistence.close();
    tmp.cleanup();
  });

  it('measures the filesystem, each database with its WAL, and backups/ recursively', async () => {
    mkdirSync(path.join(tmp.dir, 'backups', 'daily', '2026-11'), { recursive: true });
    writeFileSync(path.join(tmp.dir, 'backups', 'persistence-2026-11-25.db'), Buffer.alloc(10_000));
    writeFileSync(path.join(tmp.dir, 'backups', 'daily', '2026-11', 'metrics.db'), Buffer.alloc(2_500));
    // A link out of the folder must not be followed or counted.
    symlinkSync(path.join(tmp.dir, 'persistence.db'), path.join(tmp.dir, 'backups', 'link.db'));

    const usage = await diskUsage(stores, thresholds);
    expect(usage.filesystem).not.toBeNull();
    expect(usage.filesystem!.usedPct).toBeGreaterThanOrEqual(0);
    expect(usage.filesystem!.usedPct).toBeLessThanOrEqual(100);
    expect(usage.filesystem!.freeBytes).toBeLessThanOrEqual(usage.filesystem!.totalBytes);

    const persistence = usage.databases.find((d) => d.label === 'persistence.db');
    expect(persistence?.dbBytes).toBe(statSync(path.join(tmp.dir, 'persistence.db')).size);
    expect(persistence?.walBytes).toBe(statSync(path.join(tmp.dir, 'persistence.db-wal')).size);
    expect(persistence?.walBytes).toBeGreaterThan(0);
    const expectedTotal = ['persistence.db', 'persistence.db-wal', 'metrics.db'].reduce((n, f) => n + statSync(path.join(tmp.dir, f)).size, 0);
    expect(usage.databaseBytes).toBe(expectedTotal);

    expect(usage.backups).toEqual({ bytes: 12_500, files: 2, truncated: false });
    expect(usage.items.map((i) => i.key)).toEqual(['disk_usage', 'database_size']);
    expect(usage.items[0]?.value).toBe(usage.filesystem!.usedPct);
  });

  it('says when backups/ does not exist and when a database is missing', async () => {
    stores.close();
    writers.metrics.close();
    rmSync(path.join(tmp.dir, 'metrics.db'));
    const usage = await diskUsage(stores, thresholds);
    expect(usage.backups).toBeNull();
    expect(usage.backupsError).toMatch(/backups does not exist$/);
    expect(usage.databases.find((d) => d.label === 'metrics.db')).toMatchObject({ dbBytes: null, walBytes: null });
    expect(usage.items.find((i) => i.key === 'database_size')?.detail).toContain('metrics.db missing');
  });

  it('answers unknown, not an exception, when the data directory is missing', async () => {
    const gone = openAtlasStores(path.join(tmp.dir, 'missing'));
    const items = await diskHealthItems(gone, thresholds);
    expect(items.map((i) => [i.key, i.level])).toEqual([
      ['disk_usage', 'unknown'],
      ['database_size', 'unknown'],
    ]);
    expect(items[0]?.detail).toMatch(/missing does not exist$/);
  });

  it('bounds the walk of a huge backups folder', async () => {
    const dir = path.join(tmp.dir, 'many');
    mkdirSync(path.join(dir, 'a', 'b', 'c', 'd', 'e'), { recursive: true });
    for (let i = 0; i < 30; i++) writeFileSync(path.join(dir, `f${i}`), 'x');
    writeFileSync(path.join(dir, 'a', 'b', 'c', 'd', 'e', 'deep'), 'x');
    const bounded = await folderSize(dir, 10);
    expect(bounded.truncated).toBe(true);
    expect(bounded.files).toBeLessThanOrEqual(10);
    const shallow = await folderSize(path.join(dir, 'a'), 1000, 2);
    expect(shallow).toEqual({ bytes: 0, files: 0, truncated: true });
    expect(await folderSize(dir, 1000, 10)).toEqual({ bytes: 31, files: 31, truncated: false });
  });
});

describe('disk health items', () => {
  const base = (usedPct: number, databaseBytes: number): Omit<DiskUsage, 'items'> => ({
    dataDir: '/data',
    filesystem: { totalBytes: 100 * GB, freeBytes: (100 - usedPct) * GB, usedPct },
    filesystemError: null,
    databases: [
      { label: 'persistence.db', file: '/data/persistence.db', dbBytes: databaseBytes, walBytes: 0 },
      { label: 'metrics.db', file: '/data/metrics.db', dbBytes: 0, walBytes: 0 },
    ],
    databaseBytes,
    backups: { bytes: 0, files: 0, truncated: false },
    backupsError: null,
    backupsDir: '/data/backups',
  });

  it('uses the guide bands: disk > 80 % warn, > 90 % crit; databases > 5 GB warn, > 10 GB crit', () => {
    const level = (pct: number, bytes: number) => diskItems(base(pct, bytes), thresholds).map((i) => i.level);
    expect(level(50, 1 * GB)).toEqual(['ok', 'ok']);
    expect(level(85, 6 * GB)).toEqual(['warn', 'warn']);
    expect(level(91, 11 * GB)).toEqual(['crit', 'crit']);
    const [disk, db] = diskItems(base(91, 11 * GB), thresholds);
    expect(disk).toMatchObject({ value: 91, unit: '%', target: '≤ 80 %', alert: '> 90 %' });
    expect(db).toMatchObject({ value: 11, unit: 'GB', target: '≤ 5 GB', alert: '> 10 GB' });
  });

  it('follows configured thresholds', () => {
    const strict = buildConfig('/nowhere', { thresholds: { diskUsagePct: { target: 10, alert: 20 } } }).thresholds;
    expect(diskItems(base(15, 0), strict)[0]?.level).toBe('warn');
  });

  it('formats bytes for people', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(12 * GB)).toBe('12 GB');
    expect(formatBytes(340 * 1024 * 1024)).toBe('340 MB');
  });
});
