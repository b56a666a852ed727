/**
 * job cancel / mark-partial / resume and stop-jobs through the registry in the terminal (preview,
 * then --yes): the orchestrator's lifecycle rules, both places a job lives, the ids that are not
 * ids, a hanging command, a locked database, data that changed after the preview.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/commands/command-spec.js';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { createRegistry } from '../../src/commands/index.js';
import type { CommandRegistry } from '../../src/commands/registry.js';
import { tokenize } from '../../src/commands/tokenize.js';
import { jobRemediations } from '../../src/remediation/job-remediations.js';
import { RemediationRefusal } from '../../src/remediation/remediation-plan.js';
import { insertJobRow, isoAgo, jobFileObject, writeJobFile } from '../checks/data-fixtures.js';
import { createAtlasFiles, tempDir, TEST_NOW, testDeps, type TestEnv } from '../helpers/test-deps.js';
import { eventually } from '../helpers/slack-harness.js';

const terminal: Actor = { source: 'cli', userId: 'ann' };
const node = process.execPath;
const MARKER = `atlas-orch-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

let dir: { dir: string; cleanup: () => void };
let dataDir: string;
let atlas: { metrics: Database.Database; persistence: Database.Database };
let env: TestEnv;
let registry: CommandRegistry;
const children: ChildProcess[] = [];

async function setup(commands: Record<string, unknown> = {}) {
  await env?.close();
  env = testDeps(dataDir, { file: { commands: { orchestratorProcess: MARKER, ...commands } } });
  registry = createRegistry(createAuthorizer(env.deps.config));
}

beforeEach(async () => {
  dir = tempDir();
  dataDir = path.join(dir.dir, '.shadow-atlas');
  atlas = createAtlasFiles(dataDir);
  await setup();
});

afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await env.close();
  atlas.metrics.close();
  atlas.persistence.close();
  dir.cleanup();
});

const run = async (text: string) => (await registry.run(tokenize(text), terminal, env.deps)).report;
const fileText = (id: string) => readFileSync(path.join(dataDir, 'jobs', `${id}.json`), 'utf8');
const row = (id: string) => atlas.persistence.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as Record<string, unknown>;
const everything = () => JSON.stringify([readdirSync(path.join(dataDir, 'jobs')).map((n) => [n, readFileSync(path.join(dataDir, 'jobs', n), 'utf8')]), atlas.persistence.prepare('SELECT * FROM jobs ORDER BY id').all()]);

/** A fake orchestrator: a process whose command line holds the configured pattern. */
async function fakeOrchestrator(): Promise<ChildProcess> {
  const child = spawn(node, ['-e', 'setInterval(() => {}, 1000)', MARKER], { stdio: 'ignore' });
  children.push(child);
  // Running once its command line (what the bot looks for) is there to read.
  await eventually(() => {
    try {
      return readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').includes(MARKER);
    } catch {
      return false;
    }
  }, 'the fake orchestrator running');
  return child;
}

describe('job cancel', () => {
  it('previews, then rewrites the file atomically keeping every other field, and the row', async () => {
    const id = 'job-mbx3k2a1-1a2b3c4d';
    writeJobFile(dataDir, `${id}.json`, jobFileObject({ jobId: id, extra: { kept: [1, 2, 3] } }));
    insertJobRow(atlas.persistence, { id, status: 'running', created_at: isoAgo(2), updated_at: isoAgo(1) });
    const before = everything();

    const preview = await run(`job cancel ${id}`);
    expect(preview.headline).toBe(`Preview of \`job cancel\`: job ${id} → cancelled. Nothing changed: run \`atlas job cancel ${id} --yes\` to apply it.`);
    expect(preview.sections[0]!.lines).toEqual([
      `writes jobs/${id}.json (status running → cancelled, updatedAt ${isoAgo(0.5)} → ${TEST_NOW}; every other field kept; temp file, fsync, rename)`,
      `persistence.db jobs ${id}: status: running, updated_at: ${isoAgo(1)} → status: cancelled, updated_at: ${TEST_NOW}`,
    ]);
    expect(everything()).toBe(before);

    const applied = await run(`job cancel ${id} --yes`);
    expect(applied.level).toBe('ok');
    expect(applied.headline).toMatch(/^Job job-mbx3k2a1-1a2b3c4d cancelled/);
    const original = JSON.parse(JSON.stringify(jobFileObject({ jobId: id, extra: { kept: [1, 2, 3] } }))) as Record<string, unknown>;
    expect(fileText(id)).toBe(JSON.stringify({ ...original, status: 'cancelled', updatedAt: TEST_NOW }, null, 2));
    expect(row(id)).toMatchObject({ status: 'cancelled', updated_at: TEST_NOW, created_at: isoAgo(2) });
    expect(readdirSync(path.join(dataDir, 'jobs'))).toEqual([`${id}.json`]);
  });

  it('refuses a job that is not running or pending, in one sentence, changing nothing', async () => {
    writeJobFile(dataDir, 'job-done.json', jobFileObject({ jobId: 'job-done', status: 'completed' }));
    insertJobRow(atlas.persistence, { id: 'job-table', status: 'cancelled', created_at: isoAgo(2), updated_at: isoAgo(1) });
    const before = everything();
    expect((await run('job cancel job-done --yes')).headline).toBe('Job job-done is completed; `job cancel` takes only a running or pending job. Nothing was changed.');
    expect((await run('job cancel job-table --yes')).headline).toBe('Job job-table is cancelled; `job cancel` takes only a running or pending job (it is cancelled already). Nothing was changed.');
    expect((await run('job cancel job-nowhere --yes')).headline).toBe('No job job-nowhere in jobs/ or the jobs table; `/atlas jobs` lists them. Nothing was changed.');
    expect(everything()).toBe(before);
  });

  it('refuses ids with quotes, SQL, shell metacharacters, separators, .., unicode or 10,000 characters: one sentence, nothing changed', async () => {
    writeJobFile(dataDir, 'job-a.json', jobFileObject({ jobId: 'job-a' }));
    insertJobRow(atlas.persistence, { id: 'job-a', status: 'running', created_at: isoAgo(2), updated_at: isoAgo(1) });
    const before = everything();
    const evil = [`"job-a'`, `job-a' OR '1'='1`, "job-a'; DROP TABLE jobs; --", 'job-a;rm -rf /', 'job-a$(id)', 'job-a|cat', '../jobs/job-a', 'job-a/../../etc', '..', '.job-a', 'jöb-ä', 'job-a\u202e', 'x'.repeat(10_000)];
    for (const id of evil) {
      for (const verb of ['cancel', 'mark-partial', 'resume']) {
        const report = (await registry.run(['job', verb, id, '--yes'], terminal, env.deps)).report;
        expect(report.level).toBe('error');
        expect(report.headline.split(/(?<=\.) (?=[A-Z])/).length, report.headline).toBeLessThanOrEqual(2);
        expect(report.headline).not.toContain('DROP TABLE');
      }
      // Past the registry (a stored confirmation, a button): the plan refuses the same way.
      for (const entry of jobRemediations) {
        await expect(entry.spec.plan({ id, force: false }, env.deps)).rejects.toThrow(RemediationRefusal);
      }
    }
    expect(everything()).toBe(before);
    expect(row('job-a')).toBeDefined();
  });

  it('refuses at apply when the file changed after the preview, writing nothing', async () => {
    const id = 'job-moving';
    writeJobFile(dataDir, `${id}.json`, jobFileObject({ jobId: id }));
    const entry = jobRemediations.find((e) => e.spec.name === 'job cancel')!;
    const plan = await entry.spec.plan({ id, force: false }, env.deps);
    writeJobFile(dataDir, `${id}.json`, jobFileObject({ jobId: id, progress: { totalTasks: 2, completedTasks: 2, failedTasks: 0 } }));
    const moved = fileText(id);
    await expect(entry.spec.apply({ id, force: false }, plan, env.deps, terminal)).rejects.toThrow(/changed since the preview, so nothing was changed/);
    expect(fileText(id)).toBe(moved);
  });

  it('waits a few seconds for the service\'s writer, then says the file is locked and changes nothing', async () => {
    insertJobRow(atlas.persistence, { id: 'job-locked', status: 'running', created_at: isoAgo(2), updated_at: isoAgo(1) });
    atlas.persistence.exec('BEGIN IMMEDIATE');
    try {
      // The lock is held until after the answer: the answer coming at all is the wait giving up,
      // after its bound (a lower bound, which a busy machine only makes longer).
      const started = Date.now();
      const report = await run('job cancel job-locked --yes');
      const took = Date.now() - started;
      expect(report.headline).toBe('Job job-locked was not cancelled: persistence.db stayed locked by another writer (the service?) for 3 s; try again in a minute. Nothing was changed.');
      expect(took).toBeGreaterThanOrEqual(2900);
    } finally {
      atlas.persistence.exec('ROLLBACK');
    }
    expect(row('job-locked')).toMatchObject({ status: 'running' });
  });
});

describe('job mark-partial', () => {
  it('takes a running job silent past thresholds.stuckJobHours when no orchestrator is alive', async () => {
    writeJobFile(dataDir, 'job-stuck.json', jobFileObject({ jobId: 'job-stuck', updatedAt: isoAgo(13) }));
    const preview = await run('job mark-partial job-stuck');
    expect(preview.headline).toContain('job job-stuck running → partial (no orchestrator process, silent 13 h');
    const applied = await run('job mark-partial job-stuck --yes');
    expect(applied.level).toBe('ok');
    expect(JSON.parse(fileText('job-stuck'))).toMatchObject({ status: 'partial', updatedAt: TEST_NOW });
  });

  it('refuses a recently updated job without --force, and takes it with --force', async () => {
    writeJobFile(dataDir, 'job-fresh.json', jobFileObject({ jobId: 'job-fresh', updatedAt: isoAgo(2) }));
    const refused = await run('job mark-partial job-fresh --yes');
    expect(refused.headline).toBe('Job job-fresh was updated 2 h ago; stuck means no update for 12 h (thresholds.stuckJobHours). Add --force if you are sure nothing runs it. Nothing was changed.');
    expect(JSON.parse(fileText('job-fresh')).status).toBe('running');
    const preview = await run('job mark-partial job-fresh --force');
    expect(preview.headline).toContain('run `atlas job mark-partial job-fresh --force --yes`');
    expect(preview.sections.find((s) => s.title === 'Warnings')!.lines).toContain('--force: job job-fresh was updated 2 h ago, under the 12 h stuck threshold.');
    expect((await run('job mark-partial job-fresh --force --yes')).level).toBe('ok');
    expect(JSON.parse(fileText('job-fresh')).status).toBe('partial');
  });

  it('refuses while an orchestrator process is alive, even with --force', async () => {
    writeJobFile(dataDir, 'job-live.json', jobFileObject({ jobId: 'job-live', updatedAt: isoAgo(20) }));
    const orchestrator = await fakeOrchestrator();
    const report = await run('job mark-partial job-live --force --yes');
    expect(report.headline).toMatch(new RegExp(`^The orchestrator is alive \\(pid ${orchestrator.pid}: .*${MARKER}\\), so job job-live may still be running; stop it first \\(\`stop-jobs\`\\) or wait\\. Nothing was changed\\.$`));
    expect(JSON.parse(fileText('job-live')).status).toBe('running');
  });

  it('refuses a job that is not running', async () => {
    insertJobRow(atlas.persistence, { id: 'job-p', status: 'partial', created_at: isoAgo(20), updated_at: isoAgo(19) });
    expect((await run('job mark-partial job-p --yes')).headline).toBe('Job job-p is partial; `job mark-partial` takes only a running job. Nothing was changed.');
  });
});

describe('job resume', () => {
  it('says which key to set when commands.resumeJob is not configured', async () => {
    writeJobFile(dataDir, 'job-p.json', jobFileObject({ jobId: 'job-p', status: 'partial' }));
    expect((await run('job resume job-p')).headline).toBe(
      '`job resume` runs commands.resumeJob, which is not set; set it in the config file to the argument array that resumes a job, e.g. ["npx", "tsx", "scripts/resume-job.ts", "{jobId}"]. Nothing was run.',
    );
  });

  it('runs the configured command with the id as one argument; exit status and output tail in the result', async () => {
    await setup({ resumeJob: [node, '-e', 'console.log("resuming", process.argv[1]); console.error("warn: 3 tasks left"); process.exit(process.argv[1] === "job-p" ? 0 : 4)', '{jobId}'] });
    writeJobFile(dataDir, 'job-p.json', jobFileObject({ jobId: 'job-p', status: 'partial' }));
    const preview = await run('job resume job-p');
    expect(preview.sections[0]!.lines).toEqual([`runs ${JSON.stringify([node, '-e', env.deps.config.commands.resumeJob![2], 'job-p'])} (no shell; {jobId} is one argument; bound 120 s)`]);
    const applied = await run('job resume job-p --yes');
    expect(applied.headline).toMatch(/^job resume job-p: the resume command succeeded \(exit status 0 after \d+\.\d s\)/);
    expect(applied.sections[0]!.lines).toEqual([expect.stringMatching(/^ran \[/), 'output (last lines):', 'resuming job-p', 'warn: 3 tasks left']);
  });

  it('refuses running, cancelled and completed jobs', async () => {
    await setup({ resumeJob: [node, '-e', 'null', '{jobId}'] });
    writeJobFile(dataDir, 'job-c.json', jobFileObject({ jobId: 'job-c', status: 'cancelled' }));
    writeJobFile(dataDir, 'job-r.json', jobFileObject({ jobId: 'job-r', status: 'running' }));
    expect((await run('job resume job-c --yes')).headline).toBe('Job job-c is cancelled; `job resume` takes only a partial or failed job (a cancelled job is never resumed; start a new one). Nothing was run.');
    expect((await run('job resume job-r --yes')).headline).toBe('Job job-r is running; `job resume` takes only a partial or failed job (if it is stuck, `job mark-partial` first). Nothing was run.');
  });

  it('kills a resume command that hangs at commands.timeoutSeconds and says so', async () => {
    // A bound that leaves a busy machine time to start node; the command then hangs for good, so
    // the answer coming at all is the bound killing it.
    await setup({ resumeJob: [node, '-e', 'console.log("started", process.argv[1]); setInterval(() => {}, 1000)', '{jobId}'], timeoutSeconds: 10 });
    writeJobFile(dataDir, 'job-f.json', jobFileObject({ jobId: 'job-f', status: 'failed' }));
    const applied = await run('job resume job-f --yes');
    expect(applied.headline).toBe('job resume job-f: the resume command failed (killed with its process group at its 10 s time bound) (no incident channel is configured to tell)');
    expect(applied.sections[0]!.lines).toContain('started job-f');
  });
});

describe('stop-jobs', () => {
  it('says which key to set when commands.stopJobs is not configured', async () => {
    expect((await run('stop-jobs')).headline).toBe(
      '`stop-jobs` runs commands.stopJobs, which is not set; set it in the config file to the argument array that stops the orchestrator, e.g. ["systemctl", "stop", "shadow-atlas-orchestrator"]. Nothing was run.',
    );
  });

  it('runs the stop command, then confirms no orchestrator process is left', async () => {
    const orchestrator = await fakeOrchestrator();
    await setup({ stopJobs: [node, '-e', `process.kill(${orchestrator.pid}, 'SIGTERM'); console.log('stopped')`] });
    const preview = await run('stop-jobs');
    expect(preview.sections.find((s) => s.title === 'Warnings')?.lines?.[0]).toMatch(new RegExp(`^Running now: pid ${orchestrator.pid}: `));
    const applied = await run('stop-jobs --yes');
    expect(applied.headline).toMatch(/^stop-jobs: the stop command succeeded \(exit status 0 after \d+\.\d s\); no orchestrator process is left \(/);
  });

  it('says which orchestrator processes are still running when the command did not stop them', async () => {
    const orchestrator = await fakeOrchestrator();
    await setup({ stopJobs: [node, '-e', 'process.exit(1)'] });
    const applied = await run('stop-jobs --yes');
    expect(applied.headline).toMatch(new RegExp(`^stop-jobs: the stop command failed \\(exit status 1 after \\d+\\.\\d s\\); ⚠️ still running: pid ${orchestrator.pid}: `));
  });
});
