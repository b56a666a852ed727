import { allowEveryone } from '../helpers/authorizers.js';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataCommands } from '../../src/commands/data-commands.js';
import { acknowledgeAlert } from '../../src/incidents/acknowledge.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import type { JobListing } from '../../src/checks/jobs.js';
import { createAtlasFiles, tempDir, testDeps } from '../helpers/test-deps.js';
import { insertAlert, insertJobRow, insertSnapshot, isoAgo, jobFileObject, writeJobFile } from '../checks/data-fixtures.js';

let dir: string;
let cleanup: () => void;
let ctx: ReturnType<typeof testDeps> | undefined;
const opened: Database.Database[] = [];
const registry = new CommandRegistry(dataCommands, allowEveryone);
const actor = { source: 'cli' as const, userId: 't' };

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});

afterEach(async () => {
  await ctx?.close();
  ctx = undefined;
  for (const db of opened.splice(0)) db.close();
  cleanup();
});

function atlasFiles() {
  const files = createAtlasFiles(dir);
  opened.push(files.metrics, files.persistence);
  files.persistence.pragma('foreign_keys = OFF');
  return files;
}

/** Runs one invocation; the deps are built after the fixtures so the stores see them. */
async function run(...argv: string[]) {
  ctx ??= testDeps(dir);
  return registry.run(argv, actor, ctx.deps);
}

describe('jobs', () => {
  it('lists both sources, newest first, with the counts in the headline', async () => {
    const { persistence } = atlasFiles();
    insertJobRow(persistence, { id: 'job-table', status: 'completed', created_at: isoAgo(5), updated_at: isoAgo(4), total_tasks: 4, completed_tasks: 4 });
    writeJobFile(dir, 'job-file.json', jobFileObject({ jobId: 'job-file', createdAt: isoAgo(1), updatedAt: isoAgo(0.5) }));
    writeJobFile(dir, 'job-pend.json', jobFileObject({ jobId: 'job-pend', status: 'pending', createdAt: isoAgo(2), updatedAt: isoAgo(2) }));

    const { report, outcome } = await run('jobs');
    expect(outcome).toBe('info');
    expect(report.headline).toBe('3 jobs: 1 pending, 1 running, 1 completed');
    const table = report.sections[0]?.table;
    expect(table?.columns).toEqual(['job', 'status', 'progress', 'age', 'updated', 'source']);
    expect(table?.rows).toEqual([
      ['job-file', 'running', '1/2 (50 %)', '1 h', '30 min ago', 'file'],
      ['job-pend', 'pending', '1/2 (50 %)', '2 h', '2 h ago', 'file'],
      ['job-table', 'completed', '4/4 (100 %)', '5 h', '4 h ago', 'table'],
    ]);
    expect((report.data as JobListing).matched).toBe(3);
  });

  it('filters by --status and cuts at --limit, saying how many are not shown', async () => {
    const { persistence } = atlasFiles();
    for (let i = 1; i <= 3; i++) {
      insertJobRow(persistence, { id: `job-f${i}`, status: 'failed', created_at: isoAgo(i), updated_at: isoAgo(i), total_tasks: 2, failed_tasks: 2 });
    }
    insertJobRow(persistence, { id: 'job-ok', status: 'completed', created_at: isoAgo(0.5), updated_at: isoAgo(0.5) });

    const failed = await run('jobs', '--status', 'FAILED', '--limit', '2');
    expect(failed.report.headline).toBe('3 failed jobs');
    expect(failed.report.sections[0]?.table?.rows.map((r) => r[0])).toEqual(['job-f1', 'job-f2']);
    expect(failed.report.sections[0]?.table?.rows[0]?.[2]).toBe('0/2, 2 failed (100 %)');
    expect(failed.report.footer).toContain('Showing the newest 2 of 3');

    const none = await run('jobs', '--status', 'cancelled');
    expect(none.report.headline).toBe('no cancelled jobs');
  });

  it('refuses an unknown --status with the six it takes, and a hostile one leaves the table alone', async () => {
    const { persistence } = atlasFiles();
    insertJobRow(persistence, { id: 'job-keep', status: 'running', created_at: isoAgo(1), updated_at: isoAgo(1) });

    const bad = await run('jobs', '--status', 'paused');
    expect(bad.outcome).toBe('usage');
    expect(bad.report.headline).toContain('--status: takes one of pending, running, partial, completed, failed, cancelled (got "paused")');

    const hostile = await run('jobs', '--status', "'; DROP TABLE jobs;--");
    expect(hostile.outcome).toBe('usage');
    expect(hostile.report.headline).toMatch(/^--status: takes one of .* \(got "'; DROP TABLE jobs;-"\)/); // quoted, cut at 20 characters
    expect((persistence.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n).toBe(1);
  });

  it('refuses bad --limit values and stray words', async () => {
    atlasFiles();
    for (const argv of [
      ['jobs', '--limit', '0'],
      ['jobs', '--limit', '1e3'],
      ['jobs', '--limit', '101'],
      ['jobs', 'everything'],
      ['jobs', 'stuck', 'stuck'],
      ['jobs', 'stuck', '--status', 'running'],
      ['jobs', '--verbose'],
    ]) {
      const { outcome, report } = await run(...argv);
      expect(outcome, argv.join(' ')).toBe('usage');
      expect(report.headline).toContain('Usage: `atlas jobs [stuck]');
    }
  });

  it('still lists the files when persistence.db is missing, and says so', async () => {
    writeJobFile(dir, 'job-lonely.json', jobFileObject({ jobId: 'job-lonely' }));
    writeJobFile(dir, 'job-broken.json', '{ not json');
    const { report, outcome } = await run('jobs');
    expect(outcome).toBe('info');
    expect(report.headline).toBe('1 job: 1 running');
    const titles = report.sections.map((s) => s.title);
    expect(titles).toContain('1 job file skipped (unreadable or invalid)');
    const sources = report.sections.find((s) => s.title === 'Sources');
    expect(sources?.lines?.[0]).toMatch(/^persistence\.db not found at .*; check ATLAS_DATA_DIR\.$/);
  });

  it('answers unknown, not "no jobs", when there is no source at all', async () => {
    const { report, outcome } = await run('jobs');
    expect(outcome).toBe('unknown');
    expect(report.headline).toMatch(/^cannot list jobs: persistence\.db not found at .* no jobs\/ folder$/);
  });
});

describe('jobs stuck', () => {
  it('names the stuck job and how long it has been silent, then clears when it moves on', async () => {
    atlasFiles();
    writeJobFile(dir, 'job-mbx3k2a1-1a2b3c4d.json', jobFileObject({ jobId: 'job-mbx3k2a1-1a2b3c4d', createdAt: isoAgo(20), updatedAt: isoAgo(14) }));

    const stuck = await run('jobs', 'stuck');
    expect(stuck.outcome).toBe('warn');
    expect(stuck.report.headline).toBe('1 job looks stuck: job-mbx3k2a1-1a2b3c4d running, no update for 14 h');
    expect(stuck.report.footer).toContain('A suspicion, not a proof');

    // The listing marks it too.
    const listing = await run('jobs');
    expect(listing.report.headline).toBe('1 job: 1 running; 1 looks stuck');
    expect(listing.report.sections[0]?.table?.rows[0]?.[1]).toBe('running (stuck?)');

    writeJobFile(dir, 'job-mbx3k2a1-1a2b3c4d.json', jobFileObject({ jobId: 'job-mbx3k2a1-1a2b3c4d', createdAt: isoAgo(20), updatedAt: isoAgo(0.1) }));
    const fine = await run('jobs', 'STUCK');
    expect(fine.outcome).toBe('ok');
    expect(fine.report.headline).toBe('no stuck jobs: none of 1 running job silent for 12 h or more');
  });

  it('moves with the clock and the configured threshold', async () => {
    atlasFiles();
    writeJobFile(dir, 'job-a.json', jobFileObject({ jobId: 'job-a', createdAt: isoAgo(20), updatedAt: isoAgo(5) }));
    writeJobFile(
      dir,
      'job-b.json',
      jobFileObject({ jobId: 'job-b', createdAt: isoAgo(30), updatedAt: isoAgo(9), notConfiguredTasks: [{ state: 'WY', layer: 'city', reason: 'state_not_in_registry', checkedAt: isoAgo(30) }] }),
    );
    ctx = testDeps(dir, { file: { thresholds: { stuckJobHours: 6 } } });
    expect((await run('jobs', 'stuck')).report.headline).toBe('1 job looks stuck: job-b running, no update for 9 h');
    ctx.clock.advance(2 * 3_600_000);
    const two = await run('jobs', 'stuck');
    expect(two.report.headline).toBe('2 jobs look stuck: job-b (11 h), job-a (7 h)');
    expect(two.report.sections[0]?.table?.rows[0]?.[4]).toBe("1 not-configured task: may never leave 'running'");
  });
});

describe('snapshots', () => {
  it('gives the verdict on the current snapshot and lists the previous ones', async () => {
    const { persistence } = atlasFiles();
    insertSnapshot(persistence, { id: 'snap-cur', ipfs_cid: '', created_at: isoAgo(72) });
    insertSnapshot(persistence, { id: 'snap-prev', ipfs_cid: 'bafy-prev', created_at: isoAgo(24 * 40), deprecated_at: isoAgo(72) });
    insertSnapshot(persistence, { id: 'snap-prev2', ipfs_cid: 'bafy-prev2', created_at: isoAgo(24 * 80), deprecated_at: isoAgo(24 * 40) });

    const { report, outcome } = await run('snapshots', '--limit', '1');
    expect(outcome).toBe('crit');
    expect(report.headline).toBe('current snapshot snap-cur is 3 d old but has NO IPFS CID');
    const previous = report.sections.find((s) => s.title === 'Before it');
    expect(previous?.table?.rows).toEqual([['snap-prev', 'deprecated', '40 d', 'bafy-prev', '435']]);
  });

  it('answers with the one sentence when persistence.db is missing', async () => {
    const { report, outcome } = await run('snapshots');
    expect(outcome).toBe('error');
    expect(report.headline).toMatch(/^persistence\.db not found at .*; check ATLAS_DATA_DIR\.$/);
  });

  it('takes no words besides its flags', async () => {
    atlasFiles();
    expect((await run('snapshots', 'latest')).outcome).toBe('usage');
    expect((await run('snapshots', '--limit', '51')).outcome).toBe('usage');
  });
});

describe('alerts', () => {
  it('counts firing and unacknowledged alerts from the bot\'s list, metrics.db brought in first; --all adds the recently resolved and by what', async () => {
    const { metrics } = atlasFiles();
    insertAlert(metrics, { name: 'provider_down', status: 'firing', fired_at: isoAgo(1), message: 'Census TIGER' });
    insertAlert(metrics, { name: 'slow_queries', status: 'firing', fired_at: isoAgo(3) });
    insertAlert(metrics, { name: 'ipfs_down', status: 'firing', fired_at: isoAgo(6) });
    expect((await run('alerts')).report.headline).toBe('3 firing alerts, 3 not acknowledged');
    await acknowledgeAlert(ctx!.deps, 'slow_queries', 'U0ONCALL1');
    metrics.prepare("UPDATE alerts SET status = 'resolved', resolved_at = ? WHERE name = 'ipfs_down'").run(isoAgo(0));

    const firing = await run('alerts');
    expect(firing.outcome).toBe('crit');
    expect(firing.report.headline).toBe('2 firing alerts, 1 not acknowledged');
    expect(firing.report.sections[0]?.table?.rows.map((r) => r[0])).toEqual(['provider_down', 'slow_queries']);

    const all = await run('alerts', '--all');
    expect(all.report.headline).toBe('2 firing alerts, 1 not acknowledged; 1 resolved in the last 24 h');
    expect(all.report.sections[1]?.table?.rows[0]?.slice(0, 3)).toEqual(['ipfs_down', '0 s ago', 'metrics.db']);
  });

  it('says "no firing alerts" and refuses unknown flags', async () => {
    atlasFiles();
    expect((await run('alerts')).report.headline).toBe('no firing alerts');
    const bad = await run('alerts', '--severity', 'critical');
    expect(bad.outcome).toBe('usage');
    expect(bad.report.headline).toContain('unknown flag');
  });

  it('says in one sentence when metrics.db is missing: its alerts may be missing from the list', async () => {
    const { report, outcome } = await run('alerts');
    expect(outcome).toBe('unknown');
    expect(report.headline).toBe('no firing alerts');
    expect(report.sections[0]?.lines?.[0]).toMatch(/^metrics\.db not found at .*Alerts from metrics\.db may be missing or out of date here\.$/);
  });
});
