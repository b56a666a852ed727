/**
 * Issue 18 §7, where only processes can show it: a remediation confirmed in the terminal
 * (`atlas job resume <id> --yes`, the terminal's Confirm) whose commands.resumeJob runs long is
 * SIGKILLed mid-way. The audit log already holds "confirmed — starting" (committed before the
 * command started); a bot started afterwards reports the run as "outcome unknown: check …" in
 * the incident channel (through the outbox) and in `atlas audit`, once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSlackStandIn, type SlackStandIn } from '../src/sandbox/slack-stand-in.js';
import { insertJobRow, isoAgo, jobFileObject, writeJobFile } from './checks/data-fixtures.js';
import { startBotProcess, writeBotConfig, type BotProcess } from './helpers/bot-process.js';
import { eventually } from './helpers/slack-harness.js';
import { createAtlasFiles, tempDir } from './helpers/test-deps.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHANNEL = 'C0INCIDENT';
const JOB = 'job-crash-1';
const MARKER = `atlas-crash-test-${process.pid}`;

let slack: SlackStandIn;
let dataDir: string;
let configFile: string;
let callLog: string;
let cleanup: () => void;
const bots: BotProcess[] = [];
const children: ChildProcess[] = [];

beforeEach(async () => {
  const t = tempDir();
  cleanup = t.cleanup;

  dataDir = path.join(t.dir, '.shadow-atlas');
  const files = createAtlasFiles(dataDir);
  writeJobFile(dataDir, `${JOB}.json`, jobFileObject({ jobId: JOB, status: 'partial', createdAt: isoAgo(2, new Date()), updatedAt: isoAgo(1, new Date()) }));
  insertJobRow(files.persistence, { id: JOB, status: 'partial', created_at: isoAgo(2, new Date()), updated_at: isoAgo(1, new Date()) });
  files.persistence.close();
  files.metrics.close();
  // The resume command records that it started (with its pid), then runs until it is killed.
  callLog = path.join(t.dir, 'calls.log');
  const script = path.join(t.dir, 'slow-resume.cjs');
  writeFileSync(script, `require('node:fs').appendFileSync(${JSON.stringify(callLog)}, JSON.stringify({ pid: process.pid, args: process.argv.slice(2) }) + '\\n');\nsetInterval(() => {}, 1000);\n`);
  configFile = writeBotConfig(path.join(t.dir, 'atlas.config.yml'), { commands: { resumeJob: [process.execPath, script, '{jobId}'], orchestratorProcess: MARKER, timeoutSeconds: 600 } });
  slack = await startSlackStandIn();
});

afterEach(async () => {
  for (const bot of bots.splice(0)) {
    if (bot.child.exitCode === null && bot.child.signalCode === null) bot.child.kill('SIGKILL');
    await bot.exited;
  }
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  // The resume command outlives the terminal that started it (its own process group): stop it.
  if (existsSync(callLog)) {
    for (const line of readFileSync(callLog, 'utf8').split('\n').filter(Boolean)) {
      try {
        process.kill((JSON.parse(line) as { pid: number }).pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
  await slack.close();
  cleanup();
});

/** The terminal, `atlas <args>`, as its own process. */
function terminal(args: string[]): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, USER: 'ann', ATLAS_DATA_DIR: dataDir, ATLAS_CONFIG: configFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { child, out: () => out, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
}

function auditRows(): { id: number; command: string; outcome: string; result: string | null }[] {
  const db = new Database(path.join(dataDir, 'chatops.db'), { readonly: true });
  try {
    return db.prepare('SELECT id, command, outcome, result FROM audit_log ORDER BY id').all() as { id: number; command: string; outcome: string; result: string | null }[];
  } finally {
    db.close();
  }
}

describe('a remediation killed mid-way', () => {
  it('leaves "confirmed — starting" in the audit log, and the next bot reports "outcome unknown: check …" in the channel and in audit, once', async () => {
    const run = terminal(['job', 'resume', JOB, '--yes']);
    // The command is running: the start was committed before it.
    await eventually(() => existsSync(callLog) && readFileSync(callLog, 'utf8').includes(JOB), 'the resume command running', 60_000);
    expect(auditRows().map((r) => [r.command, r.outcome, r.result])).toEqual([['job resume', 'started', 'confirmed — starting']]);
    run.child.kill('SIGKILL');
    await run.exited;

    const bot = await startBotProcess({ dataDir, configFile, apiUrl: slack.apiUrl, token: slack.token });
    bots.push(bot);
    const told = await eventually(() => slack.workspace.messages(CHANNEL).find((m) => m.text.includes('outcome unknown')), 'the channel told', 90_000);
    expect(told.text).toMatch(/^`job resume`: outcome unknown: check `jobs` \(is the job running again\?\) and the orchestrator's process and log/);
    const rows = auditRows();
    expect(rows.map((r) => r.outcome)).toEqual(['started', 'unknown']);
    expect(rows[1]!.result).toMatch(/^check `jobs` .*audit #1; the bot stopped before its outcome was written\)$/);

    const listed = terminal(['audit']);
    await listed.exited;
    expect(listed.out()).toContain('outcome unknown');
    // Once: later sweeps do not report it again.
    await eventually(() => bot.logs.filter((l) => l.msg === 'scheduled job failed; the next tick tries again').length === 0 && slack.workspace.messages(CHANNEL).length >= 1, 'settled', 5000);
    expect(slack.workspace.messages(CHANNEL).filter((m) => m.text.includes('outcome unknown'))).toHaveLength(1);
  }, 180_000);
});
