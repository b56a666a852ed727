/**
 * `backup`: consistent while another process writes (the copy holds exactly the rows the backup's
 * snapshot held), verified before it takes its name, with a manifest and the job files; refused
 * when space is short or the writer keeps the lock; a killed backup's temporary file is never a backup.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupHealthItem, newestBackup } from '../../src/checks/backups.js';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { backupReadCommands, backupRemediations } from '../../src/commands/backup-commands.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import { remediationCommands } from '../../src/commands/remediation-commands.js';
import { openAtlasStores } from '../../src/db/atlas-database.js';
import { readBackupCatalog, manifestSchema } from '../../src/remediation/backup-catalog.js';
import { backupInWorker } from '../../src/remediation/backup-runner.js';
import { takeBackup } from '../../src/remediation/backup-take.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';
import { startLocker, startWriter } from './backup-helpers.js';
import { eventually } from '../helpers/slack-harness.js';

const logger = pino({ level: 'silent' });
const plenty = async () => 100 * 1024 ** 3;
let dir: { dir: string; cleanup: () => void };
let dataDir: string;
let env: TestEnv;
const stops: (() => Promise<void>)[] = [];

beforeEach(() => {
  dir = tempDir('atlas-backup-');
  dataDir = path.join(dir.dir, '.shadow-atlas');
  const atlas = createAtlasFiles(dataDir);
  // A table the writer fills, and enough pages that the copy takes many steps.
  atlas.persistence.exec('CREATE TABLE load (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  atlas.persistence.prepare('INSERT INTO load (body) SELECT randomblob(1024) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8000) SELECT i FROM n)').run();
  atlas.metrics.exec('CREATE TABLE load (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  atlas.persistence.close();
  atlas.metrics.close();
  mkdirSync(path.join(dataDir, 'jobs'));
  writeFileSync(path.join(dataDir, 'jobs', 'job-abc-12345678.json'), JSON.stringify({ jobId: 'job-abc-12345678', status: 'running' }));
  writeFileSync(path.join(dataDir, 'jobs', '.job-tmp.json'), 'partial');
  env = testDeps(dataDir, { file: { responders: { users: ['U0ONCALL1'] } } });
});

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await env.close();
  dir.cleanup();
});

const count = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n, MAX(id) AS max FROM load').get() as { n: number; max: number });
  } finally {
    db.close();
  }
};

describe('the online backup while another process writes', () => {
  it('copies one consistent snapshot: integrity ok and exactly the rows the backup saw', async () => {
    const file = path.join(dataDir, 'persistence.db');
    const writer = await startWriter(file);
    stops.push(writer.stop);
    await eventually(() => count(file).n > 0, 'the writer writing');
    const dest = path.join(dir.dir, 'copy.db');
    const steps: number[] = [];
    // Small steps: the writer commits between them many times.
    const r = await backupInWorker(file, dest, { stepPages: 64, onProgress: (p) => p.phase === 'copy' && steps.push(p.done) });
    const after = count(file);
    await writer.stop();
    expect(r.kind).toBe('backed-up');
    if (r.kind !== 'backed-up') return;
    expect(steps.length).toBeGreaterThan(20);
    expect(r.verification.ok).toBe(true);
    expect(r.verification.counts).toEqual(r.sourceCounts);
    const copy = count(dest);
    expect(copy.n).toBe(r.sourceCounts.load);
    // No gap and nothing half-there: the rows 1..n of one instant.
    expect(copy.max).toBe(copy.n);
    // The writer kept writing during the copy.
    expect(after.n).toBeGreaterThan(copy.n);
  });

  it('waits a few seconds for a writer that holds the lock, then says so and keeps nothing', async () => {
    const file = path.join(dataDir, 'metrics.db'); // rollback journal: an exclusive lock blocks readers
    const locker = await startLocker(file);
    stops.push(locker.stop);
    // The locker holds its lock for good: the refusal coming at all is the wait giving up.
    const atlas = openAtlasStores(dataDir);
    await expect(takeBackup('metrics', atlas, { reason: 't', who: { source: 'cli', userId: 'op' }, at: new Date(), freeSpace: plenty, logger, busyTimeoutMs: 1000 })).rejects.toThrow(
      /metrics\.db stayed locked by the service's writer for 1 s, so no backup was taken/,
    );
    atlas.close();
    expect(readdirSync(path.join(dataDir, 'backups'))).toEqual([]);
  });
});

describe('backup as a remediation', () => {
  const registry = () =>
    new CommandRegistry([...backupReadCommands, ...remediationCommands(backupRemediations({ freeSpace: plenty }))], createAuthorizer(env.deps.config));

  it('previews files, sizes and free space; --yes keeps a verified backup with its manifest and job files', async () => {
    const reg = registry();
    const preview = await reg.run(['backup', 'all', '--reason', 'before the upgrade'], { source: 'cli', userId: 'op' }, env.deps);
    const text = JSON.stringify(preview.report);
    expect(preview.report.headline).toContain('Preview of `backup`');
    expect(text).toContain('backups/persistence-<UTC time of Confirm>.db');
    expect(text).toContain('online backup of persistence.db');
    expect(text).toContain('copies of 1 jobs/*.json');
    expect(text).toMatch(/free space in .*: needs .* MB, 100\.0 GB free/);
    expect(existsSync(path.join(dataDir, 'backups'))).toBe(false);

    const applied = await reg.run(['backup', 'all', '--reason', 'before the upgrade', '--yes'], { source: 'cli', userId: 'op' }, env.deps);
    expect(applied.report.level).toBe('ok');
    expect(applied.report.headline).toMatch(/^Backed up persistence-2026-11-26T12-00-00Z\.db and metrics-2026-11-26T12-00-00Z\.db: verified, [\d.]+ (KB|MB|GB), \d+ s/);
    const names = readdirSync(path.join(dataDir, 'backups')).sort();
    expect(names).toEqual(['jobs-2026-11-26T12-00-00Z', 'manifest-2026-11-26T12-00-00Z.json', 'metrics-2026-11-26T12-00-00Z.db', 'persistence-2026-11-26T12-00-00Z.db']);
    expect(readdirSync(path.join(dataDir, 'backups', 'jobs-2026-11-26T12-00-00Z'))).toEqual(['job-abc-12345678.json']);
    const manifest = manifestSchema.parse(JSON.parse(readFileSync(path.join(dataDir, 'backups', 'manifest-2026-11-26T12-00-00Z.json'), 'utf8')));
    expect(manifest).toMatchObject({ reason: 'before the upgrade', who: { source: 'cli', userId: 'op' }, createdAt: '2026-11-26T12:00:00.000Z', jobs: { files: 1 } });
    const p = manifest.files.find((f) => f.database === 'persistence')!;
    expect(p.rowCounts.load).toBe(8000);
    expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(p.bytes).toBeGreaterThan(8_000_000);

    // Listed, newest first, with reason and verification; a second backup in the same second gets -2.
    await reg.run(['backup', 'metrics', '--yes'], { source: 'cli', userId: 'op' }, env.deps);
    const list = await reg.run(['backups'], { source: 'cli', userId: 'op' }, env.deps);
    const rows = list.report.sections[0]!.table!.rows;
    expect(rows[0]![0]).toBe('metrics-2026-11-26T12-00-00Z-2.db');
    expect(rows.map((r) => r[0]).sort()).toEqual(['metrics-2026-11-26T12-00-00Z-2.db', 'metrics-2026-11-26T12-00-00Z.db', 'persistence-2026-11-26T12-00-00Z.db']);
    const row = rows.find((r) => r[0] === 'persistence-2026-11-26T12-00-00Z.db')!;
    expect(row[3]).toBe('before the upgrade (op)');
    expect(row[4]).toMatch(/^integrity ok, rows = source \(8,000\)/);
  });

  it('is refused when free space is short, naming what it needs and what is free', async () => {
    const reg = new CommandRegistry([...remediationCommands(backupRemediations({ freeSpace: async () => 1024 * 1024 }))], createAuthorizer(env.deps.config));
    const r = await reg.run(['backup', 'persistence'], { source: 'cli', userId: 'op' }, env.deps);
    expect(r.report.level).toBe('error');
    expect(r.report.headline).toMatch(/^Not enough free space for the backup: it needs \d+\.\d MB and .* has 1\.0 MB free; free some space/);
    expect(existsSync(path.join(dataDir, 'backups'))).toBe(false);
  });

  it('a disk that fills mid-way: the partial copy is removed and nothing is listed', async () => {
    // The free-space check passed; then SQLite reports the disk full part-way through the copy.
    const atlas = openAtlasStores(dataDir);
    const workerUrl = new URL('./backup-failing-worker.js', import.meta.url);
    await expect(takeBackup('persistence', atlas, { reason: 't', who: { source: 'cli', userId: 'op' }, at: new Date(), freeSpace: plenty, logger, workerUrl })).rejects.toThrow(
      /^The disk filled up while persistence\.db was being copied; the partial copy was removed and nothing is listed as a backup/,
    );
    atlas.close();
    expect(readdirSync(path.join(dataDir, 'backups'))).toEqual([]);
    expect((await readBackupCatalog(path.join(dataDir, 'backups'), new Date())).entries).toEqual([]);
  });
});

describe('a backup killed mid-way', () => {
  it('leaves a temporary file that `backups` and health never count as a backup', async () => {
    const backups = path.join(dataDir, 'backups');
    mkdirSync(backups);
    writeFileSync(path.join(backups, 'persistence-2026-11-20.db'), Buffer.alloc(4096, 1));
    const old = new Date('2026-11-20T00:00:00Z');
    utimesSync(path.join(backups, 'persistence-2026-11-20.db'), old, old);
    // What a kill leaves: the temporary copy and SQLite's journal of it, newer than any backup.
    writeFileSync(path.join(backups, '.persistence-2026-11-26T11-59-00Z.db.partial'), Buffer.alloc(8192, 2));
    writeFileSync(path.join(backups, '.persistence-2026-11-26T11-59-00Z.db.partial-journal'), Buffer.alloc(512, 2));
    mkdirSync(path.join(backups, '.jobs-2026-11-26T11-59-00Z.partial'));
    const now = new Date('2026-11-26T12:00:00Z');
    const catalog = await readBackupCatalog(backups, now);
    expect(catalog.entries!.map((e) => e.name)).toEqual(['persistence-2026-11-20.db']);
    expect(catalog.temporary.map((t) => t.name).sort()).toEqual(['.jobs-2026-11-26T11-59-00Z.partial', '.persistence-2026-11-26T11-59-00Z.db.partial', '.persistence-2026-11-26T11-59-00Z.db.partial-journal']);
    const status = await newestBackup(backups, now);
    expect(status).toMatchObject({ kind: 'found', name: 'persistence-2026-11-20.db' });
    const item = await backupHealthItem(backups, now, env.deps.config.thresholds);
    expect(item.level).toBe('warn'); // 6 days old: the temporary file does not make it look fresh
    const listed = await new CommandRegistry(backupReadCommands, createAuthorizer(env.deps.config)).run(['backups'], { source: 'cli', userId: 'op' }, env.deps);
    expect(listed.report.headline).toContain('1 backup; newest persistence-2026-11-20.db');
    expect(JSON.stringify(listed.report.sections)).toContain('3 unfinished temporary file(s)');
  });
});
