import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { buildConfig } from '../../src/config.js';
import { openAtlasStores, type AtlasStores } from '../../src/db/atlas-database.js';
import { jobHealthItems, listJobs, MAX_JOB_FILES_READ, noJobSource, stuckJobs } from '../../src/checks/jobs.js';
import { createAtlasFiles, tempDir } from '../helpers/test-deps.js';
import { NOW, insertJobRow, isoAgo, jobFileObject, sqlAgo, writeJobFile } from './data-fixtures.js';

let dir: string;
let cleanup: () => void;
let stores: AtlasStores;
const opened: Database.Database[] = [];

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  stores = openAtlasStores(dir);
});

afterEach(() => {
  stores.close();
  for (const db of opened.splice(0)) db.close();
  cleanup();
});

/** persistence.db with the service's schema, writable for fixtures. */
function persistence(): Database.Database {
  const files = createAtlasFiles(dir);
  opened.push(files.metrics, files.persistence);
  return files.persistence;
}

const thresholds = () => buildConfig(dir).thresholds;

describe('listJobs', () => {
  it('lists jobs from the table only, newest first, with progress and ages, leaving archived ones out', async () => {
    const db = persistence();
    insertJobRow(db, { id: 'job-old', status: 'completed', created_at: isoAgo(48), updated_at: isoAgo(47), total_tasks: 4, completed_tasks: 4 });
    insertJobRow(db, { id: 'job-new', status: 'partial', created_at: isoAgo(3), updated_at: isoAgo(2), total_tasks: 10, completed_tasks: 6, failed_tasks: 2 });
    insertJobRow(db, { id: 'job-archived', status: 'completed', created_at: isoAgo(1), updated_at: isoAgo(1), archived_at: isoAgo(1) });

    const listing = await listJobs(stores, NOW, { limit: 10 });
    expect(listing.jobs.map((j) => j.id)).toEqual(['job-new', 'job-old']);
    const [newest] = listing.jobs;
    expect(newest).toMatchObject({ source: 'table', status: 'partial', completedTasks: 6, failedTasks: 2, totalTasks: 10, percent: 80 });
    expect(newest?.ageMs).toBe(3 * 3_600_000);
    expect(newest?.sinceUpdateMs).toBe(2 * 3_600_000);
    expect(listing.sources.table).toEqual({ ok: true, rows: 2, problem: null });
    expect(listing.sources.files.folderMissing).toBe(true);
    expect(listing.counts).toMatchObject({ partial: 1, completed: 1, running: 0 });
  });

  it('lists jobs from files only, with not-configured tasks and the current task', async () => {
    persistence();
    writeJobFile(
      dir,
      'job-a.json',
      jobFileObject({
        jobId: 'job-a',
        notConfiguredTasks: [{ state: 'WY', layer: 'city', reason: 'state_not_in_registry', checkedAt: isoAgo(1) }],
        progress: { totalTasks: 3, completedTasks: 1, failedTasks: 1, currentTask: 'TX-congressional' },
      }),
    );
    writeJobFile(dir, 'job-b.json', jobFileObject({ jobId: 'job-b', createdAt: isoAgo(5), status: 'pending' }));

    const listing = await listJobs(stores, NOW, { limit: 10 });
    expect(listing.jobs.map((j) => [j.id, j.source])).toEqual([
      ['job-a', 'file'],
      ['job-b', 'file'],
    ]);
    expect(listing.jobs[0]).toMatchObject({ notConfiguredTasks: 1, currentTask: 'TX-congressional', percent: 66.7 });
    expect(listing.sources.files).toMatchObject({ ok: true, folderMissing: false, found: 2, read: 2 });
  });

  it('shows one row per id when both sources have it, taking the fresher update', async () => {
    const db = persistence();
    // The file moved on after the table: the file wins.
    insertJobRow(db, { id: 'job-both-1', status: 'running', created_at: isoAgo(10), updated_at: isoAgo(9), total_tasks: 2 });
    writeJobFile(dir, 'job-both-1.json', jobFileObject({ jobId: 'job-both-1', createdAt: isoAgo(10), updatedAt: isoAgo(1), status: 'completed', progress: { totalTasks: 2, completedTasks: 2, failedTasks: 0 } }));
    // The table was updated later (a remediation wrote it): the table wins.
    insertJobRow(db, { id: 'job-both-2', status: 'cancelled', created_at: isoAgo(20), updated_at: isoAgo(0.1), total_tasks: 2 });
    writeJobFile(dir, 'job-both-2.json', jobFileObject({ jobId: 'job-both-2', createdAt: isoAgo(20), updatedAt: isoAgo(19), status: 'running' }));

    const listing = await listJobs(stores, NOW, { limit: 10 });
    expect(listing.matched).toBe(2);
    expect(listing.jobs.map((j) => [j.id, j.status, j.source])).toEqual([
      ['job-both-1', 'completed', 'file+table'],
      ['job-both-2', 'cancelled', 'file+table'],
    ]);
  });

  it('skips invalid JSON and wrong-shape files by name, lists the rest, and ignores other files', async () => {
    persistence();
    writeJobFile(dir, 'job-good.json', jobFileObject({ jobId: 'job-good' }));
    writeJobFile(dir, 'job-broken.json', '{"jobId": "job-broken", "status": ');
    writeJobFile(dir, 'job-shape.json', { jobId: 'job-shape', status: 'running' });
    writeJobFile(dir, 'job-good.json.tmp', '{ half written');
    writeJobFile(dir, 'README.txt', 'not a job');
    mkdirSync(path.join(dir, 'jobs', 'sub.json'));

    const listing = await listJobs(stores, NOW, { limit: 10 });
    expect(listing.jobs.map((j) => j.id)).toEqual(['job-good']);
    expect(listing.skipped.count).toBe(2);
    const reasons = Object.fromEntries(listing.skipped.files.map((f) => [f.name, f.reason]));
    expect(reasons['job-broken.json']).toBe('not valid JSON');
    expect(reasons['job-shape.json']).toMatch(/^createdAt: /);
  });

  it('flags a running job as stuck once it has been silent for stuckHours (moving the clock)', async () => {
    persistence();
    writeJobFile(dir, 'job-slow.json', jobFileObject({ jobId: 'job-slow', createdAt: isoAgo(20), updatedAt: isoAgo(11) }));
    writeJobFile(dir, 'job-done.json', jobFileObject({ jobId: 'job-done', createdAt: isoAgo(30), updatedAt: isoAgo(29), status: 'completed' }));
    const clock = manualClock(NOW);

    const before = await listJobs(stores, clock(), { limit: 10, stuckHours: 12 });
    expect(before.jobs.find((j) => j.id === 'job-slow')?.stuck).toBe(false);
    expect(before.stuckCount).toBe(0);

    clock.advance(3_600_000);
    const after = await listJobs(stores, clock(), { limit: 10, stuckHours: 12 });
    expect(after.jobs.find((j) => j.id === 'job-slow')?.stuck).toBe(true);
    // A completed job is never stuck, however old.
    expect(after.jobs.find((j) => j.id === 'job-done')?.stuck).toBe(false);
    expect(after.stuckCount).toBe(1);
  });

  it('applies --limit after sorting and --status across both sources', async () => {
    const db = persistence();
    insertJobRow(db, { id: 'job-t1', status: 'failed', created_at: isoAgo(1), updated_at: isoAgo(1) });
    insertJobRow(db, { id: 'job-t2', status: 'completed', created_at: isoAgo(2), updated_at: isoAgo(2) });
    writeJobFile(dir, 'job-f1.json', jobFileObject({ jobId: 'job-f1', status: 'failed', createdAt: isoAgo(3), updatedAt: isoAgo(3) }));
    writeJobFile(dir, 'job-f2.json', jobFileObject({ jobId: 'job-f2', status: 'running', createdAt: isoAgo(4), updatedAt: isoAgo(1) }));

    const limited = await listJobs(stores, NOW, { limit: 2 });
    expect(limited.jobs.map((j) => j.id)).toEqual(['job-t1', 'job-t2']);
    expect(limited.matched).toBe(4);

    const failed = await listJobs(stores, NOW, { limit: 10, status: 'failed' });
    expect(failed.jobs.map((j) => j.id)).toEqual(['job-t1', 'job-f1']);
    expect(failed.counts).toMatchObject({ failed: 2, running: 0, completed: 0 });
    expect(failed.status).toBe('failed');
  });

  it('orders mixed timestamp formats by time, not by text', async () => {
    const db = persistence();
    // Same UTC day: as text 'YYYY-MM-DD 11:..' sorts before 'YYYY-MM-DDT09:..' although it is later.
    insertJobRow(db, { id: 'job-sql-later', status: 'completed', created_at: sqlAgo(1), updated_at: sqlAgo(1) });
    insertJobRow(db, { id: 'job-iso-earlier', status: 'completed', created_at: isoAgo(3), updated_at: isoAgo(3) });
    const listing = await listJobs(stores, NOW, { limit: 10 });
    expect(listing.jobs.map((j) => j.id)).toEqual(['job-sql-later', 'job-iso-earlier']);
    expect(listing.jobs[0]?.ageMs).toBe(3_600_000);
  });

  it('still lists the files when persistence.db is missing, and says so', async () => {
    writeJobFile(dir, 'job-only-file.json', jobFileObject({ jobId: 'job-only-file' }));
    const listing = await listJobs(stores, NOW, { limit: 10 });
    expect(listing.jobs.map((j) => j.id)).toEqual(['job-only-file']);
    expect(listing.sources.table.ok).toBe(false);
    expect(listing.sources.table.problem).toMatch(/persistence\.db not found/);
    expect(noJobSource(listing.sources)).toBe(false);
  });

  it('reports no source at all when persistence.db and the jobs folder are both missing', async () => {
    const listing = await listJobs(stores, NOW, { limit: 10 });
    expect(listing.jobs).toEqual([]);
    expect(noJobSource(listing.sources)).toBe(true);
  });

  it('names the missing columns of a jobs table from another schema variant and lists the files', async () => {
    const db = new Database(path.join(dir, 'persistence.db'));
    db.exec('CREATE TABLE jobs (job_id TEXT PRIMARY KEY, status TEXT, created_at TEXT, updated_at TEXT)');
    db.close();
    writeJobFile(dir, 'job-x.json', jobFileObject({ jobId: 'job-x' }));
    const listing = await listJobs(stores, NOW, { limit: 10 });
    expect(listing.jobs.map((j) => j.id)).toEqual(['job-x']);
    expect(listing.sources.table.problem).toContain('jobs.id');
    expect(listing.sources.table.problem).toContain('jobs.total_tasks');
  });

  it('skips table rows with an unknown status and says how many', async () => {
    const db = new Database(path.join(dir, 'persistence.db'));
    db.exec(`CREATE TABLE jobs (id TEXT PRIMARY KEY, status TEXT, created_at TEXT, updated_at TEXT,
      total_tasks INTEGER, completed_tasks INTEGER, failed_tasks INTEGER)`);
    db.prepare('INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?)').run('job-ok', 'running', isoAgo(1), isoAgo(1), 1, 0, 0);
    db.prepare('INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?)').run('job-weird', 'paused', isoAgo(1), isoAgo(1), 1, 0, 0);
    db.prepare('INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?)').run('job-nulls', 'pending', isoAgo(2), null, null, null, null);
    db.close();
    const listing = await listJobs(stores, NOW, { limit: 10 });
    expect(listing.jobs.map((j) => j.id)).toEqual(['job-ok', 'job-nulls']);
    expect(listing.jobs[1]).toMatchObject({ totalTasks: 0, percent: null, sinceUpdateMs: 2 * 3_600_000 });
    expect(listing.sources.table.problem).toMatch(/^1 row\(s\) .* unknown status/);
  });

  it('says so when the jobs folder cannot be read', async () => {
    persistence();
    writeFileSync(path.join(dir, 'jobs'), 'a file where the folder should be');
    const listing = await listJobs(stores, NOW, { limit: 10 });
    expect(listing.sources.files.ok).toBe(false);
    expect(listing.sources.files.problem).toMatch(/jobs\/ folder cannot be read \(ENOTDIR\)/);
  });

  it(`reads only the newest ${MAX_JOB_FILES_READ} files by modification time`, async () => {
    persistence();
    const extra = 5;
    for (let i = 0; i < MAX_JOB_FILES_READ + extra; i++) {
      const id = `job-n${String(i).padStart(4, '0')}`;
      // Higher i = modified longer ago; the last `extra` ones must be left out.
      writeJobFile(dir, `${id}.json`, jobFileObject({ jobId: id, status: 'completed' }), i);
    }
    const listing = await listJobs(stores, NOW, { limit: 1000 });
    expect(listing.sources.files).toMatchObject({ found: MAX_JOB_FILES_READ + extra, read: MAX_JOB_FILES_READ });
    expect(listing.matched).toBe(MAX_JOB_FILES_READ);
    expect(listing.jobs.some((j) => j.id === `job-n${String(MAX_JOB_FILES_READ + extra - 1).padStart(4, '0')}`)).toBe(false);
    expect(listing.jobs.some((j) => j.id === 'job-n0000')).toBe(true);
  });
});

describe('stuckJobs', () => {
  it('lists running jobs silent for stuckHours, longest silent first, as a suspicion', async () => {
    const db = persistence();
    insertJobRow(db, { id: 'job-table-stuck', status: 'running', created_at: isoAgo(80), updated_at: isoAgo(72) });
    insertJobRow(db, { id: 'job-table-fresh', status: 'running', created_at: isoAgo(2), updated_at: isoAgo(1) });
    writeJobFile(
      dir,
      'job-file-stuck.json',
      jobFileObject({
        jobId: 'job-file-stuck',
        createdAt: isoAgo(20),
        updatedAt: isoAgo(14),
        notConfiguredTasks: [
          { state: 'WY', layer: 'city', reason: 'state_not_in_registry', checkedAt: isoAgo(20) },
          { state: 'AK', layer: 'city', reason: 'layer_not_configured', checkedAt: isoAgo(20) },
        ],
      }),
    );

    const result = await stuckJobs(stores, NOW, 12);
    expect(result.running).toBe(3);
    expect(result.stuck.map((s) => s.job.id)).toEqual(['job-table-stuck', 'job-file-stuck']);
    expect(result.stuck[0]?.hoursSinceUpdate).toBe(72);
    expect(result.stuck[0]?.detail).toContain('no update for 3 d');
    expect(result.stuck[0]?.detail).toContain('is the orchestrator alive? has updatedAt moved?');
    expect(result.stuck[0]?.detail).not.toContain('not-configured');
    expect(result.stuck[1]?.detail).toContain("2 not-configured task(s): such jobs end as 'running' although nothing runs");
  });

  it('uses the threshold it is given', async () => {
    persistence();
    writeJobFile(dir, 'job-a.json', jobFileObject({ jobId: 'job-a', createdAt: isoAgo(8), updatedAt: isoAgo(6) }));
    expect((await stuckJobs(stores, NOW, 12)).stuck).toHaveLength(0);
    expect((await stuckJobs(stores, NOW, 6)).stuck).toHaveLength(1);
  });
});

describe('jobHealthItems', () => {
  it('rates active jobs (running + pending) against the band, lower is better', async () => {
    const db = persistence();
    for (let i = 0; i < 4; i++) insertJobRow(db, { id: `job-r${i}`, status: 'running', created_at: isoAgo(1), updated_at: isoAgo(0.5) });
    for (let i = 0; i < 2; i++) writeJobFile(dir, `job-p${i}.json`, jobFileObject({ jobId: `job-p${i}`, status: 'pending' }));
    writeJobFile(dir, 'job-c.json', jobFileObject({ jobId: 'job-c', status: 'completed' }));

    const [active, stuck] = await jobHealthItems(stores, NOW, thresholds());
    expect(active).toMatchObject({ key: 'active_jobs', level: 'warn', value: 6, detail: '4 running, 2 pending', target: '≤ 5', alert: '> 10' });
    expect(stuck).toMatchObject({ key: 'stuck_jobs', level: 'ok', value: 0 });
  });

  it('is ok under the target and crit over the alert', async () => {
    const db = persistence();
    insertJobRow(db, { id: 'job-one', status: 'running', created_at: isoAgo(1), updated_at: isoAgo(0.5) });
    expect((await jobHealthItems(stores, NOW, thresholds()))[0]?.level).toBe('ok');
    for (let i = 0; i < 11; i++) writeJobFile(dir, `job-q${i}.json`, jobFileObject({ jobId: `job-q${i}`, status: 'pending' }));
    expect((await jobHealthItems(stores, NOW, thresholds()))[0]).toMatchObject({ level: 'crit', value: 12 });
  });

  it('warns about stuck jobs, naming them', async () => {
    persistence();
    writeJobFile(dir, 'job-zombie.json', jobFileObject({ jobId: 'job-zombie', createdAt: isoAgo(30), updatedAt: isoAgo(13) }));
    const [, stuck] = await jobHealthItems(stores, NOW, thresholds());
    expect(stuck?.level).toBe('warn');
    expect(stuck?.value).toBe(1);
    expect(stuck?.detail).toContain('job-zombie (13 h)');
    expect(stuck?.detail).toContain('a suspicion');
  });

  it('notes a missing persistence.db but still counts the files', async () => {
    writeJobFile(dir, 'job-a.json', jobFileObject({ jobId: 'job-a' }));
    const [active] = await jobHealthItems(stores, NOW, thresholds());
    expect(active?.value).toBe(1);
    expect(active?.detail).toContain('persistence.db not found');
  });

  it('is unknown when neither source can be read', async () => {
    const items = await jobHealthItems(stores, NOW, thresholds());
    expect(items.map((i) => [i.key, i.level])).toEqual([
      ['active_jobs', 'unknown'],
      ['stuck_jobs', 'unknown'],
    ]);
    expect(items[0]?.detail).toContain('persistence.db not found');
    expect(items[0]?.detail).toContain('no jobs/ folder');
  });
});
