/**
 * Issue 17 §6, "a preview runs nothing", for EVERY remediation the bot offers (enumerated from
 * the list the registry is built from, so a new one fails here until it has a case): through
 * signed Slack requests against the real app, with every configured external command
 * (commands.stopJobs, resumeJob, uploadSnapshot) replaced by a recording script. The preview
 * must make no external call and write nothing; Confirm then makes exactly the calls the
 * remediation runs (one for those that run a command, none for the others).
 *
 * "Writes nothing" precisely: every file under the data directory is compared by content hash,
 * size and mtime (persistence.db and metrics.db with their -wal files, jobs/, backups/), except
 * chatops.db and SQLite's -shm index files (a reader may create or touch a -shm file; it holds
 * no data); chatops.db is compared table by table, every row, except the preview's own
 * bookkeeping: its confirmation (remediation_confirmations: the stored plan Confirm applies),
 * its "previewed" audit row (audit_log, its sqlite_sequence entry and the head file beside
 * chatops.db), the registry's trail of commands run (command_runs) and the HTTP edge's memory of
 * the signed request that asked for it (seen_slack_requests, the replay guard). Anything else a preview
 * wrote (an incident, an alert, an outbox message, a timer) fails the test.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { REMEDIATIONS } from '../../src/commands/remediation-list.js';
import { REMEDIATION_CONFIRM_ACTION } from '../../src/templates/remediation-messages.js';
import { insertAlert, insertJobRow, isoAgo, jobFileObject, sqlAgo, writeJobFile } from '../checks/data-fixtures.js';
import { confirmButton, startSlackEnv, type SlackEnv } from '../helpers/slack-env.js';
import { eventually, TEST_USER } from '../helpers/slack-harness.js';
import { tempDir } from '../helpers/test-deps.js';
import { cidOf, insertSnapshots } from './snapshot-fixtures.js';

const CHANNEL = 'C0INCIDENT';
const MARKER = `atlas-preview-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const UPLOADED = cidOf('uploaded by the recorder');
/** chatops.db tables a preview writes by design (see the header). */
const PREVIEW_BOOKKEEPING = new Set(['remediation_confirmations', 'audit_log', 'command_runs', 'seen_slack_requests']);

interface Case {
  /** What is typed after /atlas. */
  text: string;
  /** Fills the Atlas files so the preview is a plan, not a refusal. */
  seed?: (atlas: SlackEnv['atlas'], dataDir: string) => void;
  /** External calls Confirm makes (by config key). */
  calls: string[];
}

const JOB = 'job-preview-1';
const runningJob = (atlas: SlackEnv['atlas'], dataDir: string, status = 'running') => {
  writeJobFile(dataDir, `${JOB}.json`, jobFileObject({ jobId: JOB, status }));
  insertJobRow(atlas.persistence, { id: JOB, status, created_at: isoAgo(2), updated_at: isoAgo(1) });
};
const snapshots = (atlas: SlackEnv['atlas']) =>
  insertSnapshots(atlas.persistence, [
    { id: 'snap-bad', created: '2026-11-20T09:00:00.000Z' },
    { id: 'snap-good', created: '2026-08-15T09:00:00.000Z', deprecated: '2026-11-20T09:05:00.000Z' },
    { id: 'snap-nocid', cid: '', created: '2026-05-15T09:00:00.000Z', deprecated: '2026-08-15T09:05:00.000Z' },
  ]);

/** One case per remediation; a remediation missing here fails the enumeration below. */
const CASES: Record<string, Case> = {
  'alert clear': { text: 'alert clear HighErrorRate', seed: (a) => insertAlert(a.metrics, { name: 'HighErrorRate', status: 'firing', fired_at: sqlAgo(30) }), calls: [] },
  'alert ack': { text: 'alert ack HighErrorRate', seed: (a) => insertAlert(a.metrics, { name: 'HighErrorRate', status: 'firing', fired_at: sqlAgo(30) }), calls: [] },
  'job cancel': { text: `job cancel ${JOB}`, seed: (a, d) => runningJob(a, d), calls: [] },
  'job mark-partial': { text: `job mark-partial ${JOB} --force`, seed: (a, d) => runningJob(a, d), calls: [] },
  'job resume': { text: `job resume ${JOB}`, seed: (a, d) => runningJob(a, d, 'partial'), calls: ['resumeJob'] },
  'stop-jobs': { text: 'stop-jobs', calls: ['stopJobs'] },
  backup: { text: 'backup persistence --reason "preview test"', calls: [] },
  'backup restore': {
    text: 'backup restore persistence-2026-11-25T00-00-00Z.db',
    seed: (a, d) => {
      snapshots(a);
      a.persistence.exec(`VACUUM INTO '${path.join(d, 'backups', 'persistence-2026-11-25T00-00-00Z.db').replaceAll("'", "''")}'`);
    },
    calls: [],
  },
  'snapshot rollback': { text: 'snapshot rollback', seed: (a) => snapshots(a), calls: [] },
  'snapshot set-cid': { text: `snapshot set-cid snap-nocid ${cidOf('set by hand')}`, seed: (a) => snapshots(a), calls: [] },
  'snapshot upload': { text: 'snapshot upload snap-nocid', seed: (a) => snapshots(a), calls: ['uploadSnapshot'] },
  'emergency corruption': { text: 'emergency corruption --reason "preview test"', calls: ['stopJobs'] },
};

let se: SlackEnv | null = null;
let recorderDir: { dir: string; cleanup: () => void } | null = null;
afterEach(async () => {
  await se?.close();
  se = null;
  recorderDir?.cleanup();
  recorderDir = null;
});

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Every file under `dir` but chatops.db's own and SQLite's -shm files: content hash, size, mtime. */
function files(dir: string, root = dir): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    const rel = path.relative(root, full);
    if (/^chatops(\.db(-wal|-shm|-journal)?|-audit-head\.json)$/.test(rel) || name.endsWith('-shm')) continue;
    const st = statSync(full);
    if (st.isDirectory()) Object.assign(out, files(full, root));
    else out[rel] = `${sha(readFileSync(full))} ${st.size} ${st.mtimeMs}`;
  }
  return out;
}

/** chatops.db, every row of every table, but the preview's own bookkeeping. */
function stateRows(db: Database.Database): Record<string, string> {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
  const out: Record<string, string> = {};
  for (const t of tables) {
    if (PREVIEW_BOOKKEEPING.has(t)) continue;
    const rows = db.prepare(`SELECT * FROM "${t}"`).all() as Record<string, unknown>[];
    const kept = t === 'sqlite_sequence' ? rows.filter((r) => !PREVIEW_BOOKKEEPING.has(String(r.name))) : rows;
    out[t] = sha(JSON.stringify(kept.map((r) => JSON.stringify(r)).sort()));
  }
  return out;
}

/** A script that records each call (its config key and arguments) in `log`; the uploader prints a CID. */
function recorder(dir: string): { log: string; commands: Record<string, string[]> } {
  const log = path.join(dir, 'calls.log');
  const script = path.join(dir, 'record-call.cjs');
  writeFileSync(
    script,
    `const fs = require('node:fs');
const [log, key, ...args] = process.argv.slice(2);
fs.appendFileSync(log, JSON.stringify({ key, args }) + '\\n');
if (key === 'uploadSnapshot') process.stdout.write('pinned: ${UPLOADED}\\n');
`,
  );
  const call = (key: string, ...rest: string[]) => [process.execPath, script, log, key, ...rest];
  return { log, commands: { stopJobs: call('stopJobs'), resumeJob: call('resumeJob', '{jobId}'), uploadSnapshot: call('uploadSnapshot', '{snapshotId}') } };
}

const calls = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { key: string }).key) : []);

describe('a preview runs nothing', () => {
  it('every remediation the bot offers has a case here (a new one must be added)', () => {
    const offered = REMEDIATIONS.map((e) => e.spec.name).sort();
    expect(Object.keys(CASES).sort()).toEqual(offered);
  });

  for (const entry of REMEDIATIONS) {
    const name = entry.spec.name;
    it(`${name}: the preview makes no external call and writes nothing; Confirm makes exactly its calls`, async () => {
      const c = CASES[name];
      expect(c, `a case for ${name}`).toBeDefined();
      recorderDir = tempDir('atlas-recorder-');
      const rec = recorder(recorderDir.dir);
      se = await startSlackEnv({
        file: {
          channels: { incidents: CHANNEL },
          responders: { users: [TEST_USER] },
          commands: { ...rec.commands, orchestratorProcess: MARKER, timeoutSeconds: 30 },
        },
        seed: (atlas, dataDir) => {
          // backups/ exists for every case (a backup to restore goes there).
          const backups = path.join(dataDir, 'backups');
          mkdirSync(backups, { recursive: true });
          c!.seed?.(atlas, dataDir);
        },
      });
      const { dataDir, env, h } = se;
      const filesBefore = files(dataDir);
      const stateBefore = stateRows(env.db);

      const cmd = await h.command(c!.text, { channel: CHANNEL });
      const preview = await eventually(() => cmd.answers().find((a) => confirmButton(a.blocks)), `the preview of ${name} with its Confirm button`, 30_000);
      expect(preview.text ?? '').toContain(`Preview of \`${name}\``);

      expect(calls(rec.log), 'external calls before Confirm').toEqual([]);
      expect(files(dataDir), 'files before Confirm').toEqual(filesBefore);
      expect(stateRows(env.db), 'chatops.db before Confirm (besides the preview\'s own bookkeeping)').toEqual(stateBefore);

      const press = await h.press(REMEDIATION_CONFIRM_ACTION, confirmButton(preview.blocks)!.value, { channel: CHANNEL });
      await eventually(() => (env.db.prepare("SELECT outcome FROM audit_log WHERE outcome IN ('applied', 'failed', 'refused') AND command = ?").get(name) as { outcome: string } | undefined), `${name}'s outcome`, 60_000);
      const outcome = (env.db.prepare('SELECT outcome, result FROM audit_log WHERE command = ? ORDER BY id DESC LIMIT 1').get(name) as { outcome: string; result: string });
      expect(outcome, `${name} applied`).toMatchObject({ outcome: 'applied' });
      expect(calls(rec.log), 'external calls after Confirm').toEqual(c!.calls);
      expect(press).toBeDefined();
    }, 120_000);
  }
});
