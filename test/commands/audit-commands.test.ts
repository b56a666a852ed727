import { rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { createAuthorizer } from '../../src/commands/authorize.js';
import type { Actor } from '../../src/commands/command-spec.js';
import { createRegistry } from '../../src/commands/index.js';
import type { CommandRegistry } from '../../src/commands/registry.js';
import type { NewAuditEntry } from '../../src/db/state/audit-store.js';
import { openStateStore } from '../../src/db/state/kysely/sqlite-state-store.js';
import { renderedAnswer } from '../helpers/rendered-answer.js';
import { createAtlasFiles, tempDir, testDeps, TEST_NOW, type TestEnv } from '../helpers/test-deps.js';

const LEAD = 'U0LEAD';
const BOB = 'U0BOB';
const READER = 'U0READER';
const CHANNEL = 'C0INCIDENT';
const NOW = new Date(TEST_NOW);
const minutes = (n: number) => new Date(NOW.getTime() - n * 60_000);

let cleanup: () => void;
let dataDir: string;
let env: TestEnv;
let registry: CommandRegistry;

beforeEach(() => {
  const t = tempDir();
  cleanup = t.cleanup;
  dataDir = path.join(t.dir, '.shadow-atlas');
  env = testDeps(dataDir, { file: { responders: { users: [LEAD, BOB] } } });
  registry = createRegistry(createAuthorizer(env.deps.config));
});

afterEach(async () => {
  await env.close();
  cleanup();
});

const slack = (userId = LEAD): Actor => ({ source: 'slack', userId, channelId: CHANNEL });
const terminal: Actor = { source: 'cli', userId: 'ann' };

const run = (text: string, actor: Actor = slack()) => renderedAnswer(registry, env.deps, text, actor);

const entry = (over: Partial<NewAuditEntry>): NewAuditEntry => ({
  source: 'slack',
  userId: LEAD,
  channelId: CHANNEL,
  command: 'snapshot rollback',
  args: JSON.stringify({ snapshot: 'snap-2' }),
  outcome: 'applied',
  plan: JSON.stringify({ summary: 'roll back' }),
  result: 'Rolled back to snap-2',
  undo: '/atlas snapshot rollback snap-3',
  ...over,
});

/** A short history: a preview, its application, a refusal, a terminal cancel. */
async function history(state = env.deps.state) {
  await state.audit.append(entry({ outcome: 'previewed', result: null }), minutes(40));
  await state.audit.append(entry({}), minutes(38));
  await state.audit.append(entry({ userId: BOB, command: 'job cancel', args: JSON.stringify({ _: ['job-7'] }), outcome: 'refused', plan: null, result: 'job-7 already finished at 11:02 UTC; nothing to cancel.', undo: null }), minutes(20));
  await state.audit.append(
    entry({ source: 'cli', userId: 'ann', channelId: null, command: 'alert clear', args: JSON.stringify({ alert: 'disk_low', yes: true }), result: 'Cleared disk_low', undo: 'Re-raise it with `/atlas alert raise disk_low`' }),
    minutes(5),
  );
}

describe('/atlas audit', () => {
  it('lists the newest entries first, one short line each in Slack', async () => {
    await history();
    const r = await run('audit');
    expect(r.outcome).toBe('info');
    expect(r.headline).toBe('Audit log: 4 entries, newest first');
    expect(r.slack.split('\n').slice(1, 5)).toEqual([
      '#4 · 2026-11-26 11:55 UTC · ann (terminal) · alert clear alert=disk_low --yes · applied · undo: Re-raise it with `/atlas alert raise disk_low`',
      '#3 · 2026-11-26 11:40 UTC · <@U0BOB> · job cancel job-7 · refused: job-7 already finished at 11:02 UTC; nothing to cancel.',
      '#2 · 2026-11-26 11:22 UTC · <@U0LEAD> · snapshot rollback snapshot=snap-2 · applied · undo: `/atlas snapshot rollback snap-3`',
      '#1 · 2026-11-26 11:20 UTC · <@U0LEAD> · snapshot rollback snapshot=snap-2 · previewed · undo: `/atlas snapshot rollback snap-3`',
    ]);
    expect(r.slack).toContain('Check the hash chain: `/atlas audit verify`');
    expect(r.slack).not.toContain('```');
  });

  it('in a terminal, aligned columns', async () => {
    await history();
    const r = await run('audit --limit 2', terminal);
    expect(r.text.split('\n')).toEqual([
      '[INFO] Audit log: the latest 2 of 4 entries, newest first',
      '',
      '  id  at (UTC)          who     where        command                           outcome  undo                                            result',
      '  --  ----------------  ------  -----------  --------------------------------  -------  ----------------------------------------------  -------------------------------------------------------',
      '  #4  2026-11-26 11:55  ann     terminal     alert clear alert=disk_low --yes  applied  Re-raise it with `/atlas alert raise disk_low`  Cleared disk_low',
      '  #3  2026-11-26 11:40  @U0BOB  #C0INCIDENT  job cancel job-7                  refused  —                                               job-7 already finished at 11:02 UTC; nothing to cancel.',
      '',
      'Older ones: `atlas audit --limit 200`. Check the hash chain: `atlas audit verify`',
      '',
    ]);
  });

  it('--user shows one person’s entries, by mention or ID; anything else is one sentence', async () => {
    await history();
    const byMention = await run('audit --user <@U0BOB|bob>');
    expect(byMention.headline).toBe('Audit log: 1 entry by <@U0BOB>, newest first');
    expect(byMention.slack).toContain('#3 · ');
    expect(byMention.slack).not.toContain('#2 · ');
    expect((await run('audit --user U0LEAD --limit 1')).headline).toBe('Audit log: the latest 1 of 2 entries by <@U0LEAD>, newest first');
    expect((await run('audit --user <@U0NOBODY>')).headline).toBe('No audit entries by <@U0NOBODY>.');
    const bad = await run('audit --user bob');
    expect(bad.outcome).toBe('usage');
    expect(bad.headline).toBe('--user: "bob" is not a Slack user: mention them (@name) or give their user ID (U012ABC3DEF). Usage: `/atlas audit [--limit N] [--user @user]`');
  });

  it('--limit takes 1 to 200, 20 by default', async () => {
    for (let i = 0; i < 25; i++) await env.deps.state.audit.append(entry({ result: `run ${i}` }), minutes(60 - i));
    expect((await run('audit')).headline).toBe('Audit log: the latest 20 of 25 entries, newest first');
    expect((await run('audit --limit 200')).headline).toBe('Audit log: 25 entries, newest first');
    const bad = await run('audit --limit 500');
    expect(bad.outcome).toBe('usage');
    expect(bad.headline).toMatch(/^--limit: takes a whole number from 1 to 200 \(got "500"\)/);
    const stray = await run('audit everything');
    expect(stray.headline).toMatch(/^takes no arguments besides its flags/);
  });

  it('an empty log says so', async () => {
    expect((await run('audit')).headline).toBe('The audit log is empty: no remediation has been previewed, applied or refused yet.');
  });

  it('is for responders: a reader is refused and shown nothing, and the refusal is recorded', async () => {
    await history();
    for (const text of ['audit', 'audit verify']) {
      const r = await run(text, slack(READER));
      expect(r.outcome).toBe('denied');
      expect(r.headline).toBe(`\`${text}\` is for responders; ask the on-call lead to add you in the bot's config.`);
      expect(r.slack).not.toContain('#1');
    }
    const runs = env.db.prepare("SELECT command, outcome FROM command_runs WHERE user_id = 'U0READER' ORDER BY id").all();
    expect(runs).toEqual([
      { command: 'audit', outcome: 'denied' },
      { command: 'audit verify', outcome: 'denied' },
    ]);
    const help = await run('help', slack(READER));
    expect(help.text).not.toContain('/atlas audit');
  });

  it('Slack stays within its limits with 200 long entries', async () => {
    const long = 'x'.repeat(400);
    for (let i = 0; i < 200; i++) await env.deps.state.audit.append(entry({ outcome: 'failed', result: long, undo: long }), minutes(300 - i));
    const r = await run('audit --limit 200');
    expect(r.slack).toMatch(/… \d+ more lines/);
  });
});

describe('/atlas audit verify', () => {
  it('in Slack: intact, with the latest hash to note', async () => {
    await history();
    const r = await run('audit verify');
    expect(r.outcome).toBe('ok');
    expect(r.headline).toBe('Audit log intact: 4 rows, hash chain verified, against 1 head kept outside the table');
    const last = (await env.deps.state.audit.latest({ limit: 1 }))[0]!;
    expect(r.slack).toContain(`Latest row #4 (2026-11-26 11:55 UTC), hash ${last.hash}`);
    expect(r.slack).toContain('Checked against the last row the bot wrote (its head file): row #4 holds and ends the log.');
  });

  it('in Slack: broken, naming the first bad row', async () => {
    await history();
    const hand = new Database(path.join(dataDir, 'chatops.db'));
    hand.prepare("UPDATE audit_log SET outcome = 'previewed' WHERE id = 2").run();
    hand.close();
    const r = await run('audit verify');
    expect(r.outcome).toBe('crit');
    expect(r.headline).toBe('Audit log broken at row #2: its content was changed or forged (its hash does not match what it holds); rows after it cannot be trusted');
    expect(r.slack).toContain('Row #1 verified; compare the rest with a backup of chatops.db and the audit heads posted in the handoff channel.');
  });
});

describe('atlas audit verify (terminal)', () => {
  async function atlas(root: string, argv: string[]) {
    let stdout = '';
    const code = await runCli(argv, { env: { ATLAS_DATA_DIR: '.shadow-atlas' }, cwd: root, stdout: (s) => (stdout += s), stderr: () => undefined });
    return { code, stdout };
  }

  it('exits 0 when intact and 2 naming the row when a row was deleted or edited', async () => {
    const t = tempDir();
    try {
      const dir = path.join(t.dir, '.shadow-atlas');
      const files = createAtlasFiles(dir);
      files.metrics.close();
      files.persistence.close();
      const state = openStateStore(path.join(dir, 'chatops.db'));
      await history(state);
      await state.close();

      const intact = await atlas(t.dir, ['audit', 'verify']);
      expect(intact.code).toBe(0);
      expect(intact.stdout).toMatch(/^\[OK\] Audit log intact: 4 rows, hash chain verified, against 1 head kept outside the table\n\n {2}Latest row #4 \(2026-11-26 11:55 UTC\), hash [0-9a-f]{64}\n/);

      const hand = new Database(path.join(dir, 'chatops.db'));
      hand.prepare('DELETE FROM audit_log WHERE id = 2').run();
      const deleted = await atlas(t.dir, ['audit', 'verify']);
      expect(deleted.code).toBe(2);
      expect(deleted.stdout.split('\n')[0]).toBe('[CRIT] Audit log broken at row #3: row #2 before it is missing; rows after it cannot be trusted');

      hand.prepare("UPDATE audit_log SET user_id = 'U0MALLORY' WHERE id = 1").run();
      hand.close();
      const edited = await atlas(t.dir, ['audit', 'verify', '--json']);
      expect(edited.code).toBe(2);
      expect(JSON.parse(edited.stdout)).toMatchObject({ level: 'crit', data: { ok: false, rowId: 1, verified: 0 } });

      const listed = await atlas(t.dir, ['audit']);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toContain('[INFO] Audit log: 3 entries, newest first');
    } finally {
      t.cleanup();
    }
  });

  it('checks against a head given as seen in Slack, and exits 2 for an emptied log and for a dropped table, naming it', async () => {
    const t = tempDir();
    try {
      const dir = path.join(t.dir, '.shadow-atlas');
      const files = createAtlasFiles(dir);
      files.metrics.close();
      files.persistence.close();
      const state = openStateStore(path.join(dir, 'chatops.db'));
      await history(state);
      const head = await state.audit.head();
      await state.close();

      const ok = await atlas(t.dir, ['audit', 'verify', '--head', `${head.seq}:${head.hash.slice(0, 12)}`]);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain(`Checked against the head given (--head 4:${head.hash.slice(0, 12)}…): row #4 holds.`);
      const bad = await atlas(t.dir, ['audit', 'verify', '--head', 'four:abc']);
      expect(bad.code).not.toBe(0);
      expect(bad.stdout + '').not.toContain('Audit log intact');

      // Emptied, sqlite_sequence too, and the head file removed: the head from Slack still tells.
      const hand = new Database(path.join(dir, 'chatops.db'));
      hand.exec("DELETE FROM audit_log; DELETE FROM sqlite_sequence WHERE name = 'audit_log'");
      rmSync(path.join(dir, 'chatops-audit-head.json'));
      const emptied = await atlas(t.dir, ['audit', 'verify', '--head', `${head.seq}:${head.hash}`]);
      expect(emptied.code).toBe(2);
      expect(emptied.stdout.split('\n')[0]).toBe(`[CRIT] Audit log broken at row #1: the head given (--head 4:${head.hash.slice(0, 12)}…) is row #4, and the log ends at #0: rows #1–#4 were removed; rows after it cannot be trusted`);

      hand.exec('DROP TABLE audit_log');
      hand.close();
      const dropped = await atlas(t.dir, ['audit', 'verify']);
      expect(dropped.code).toBe(2);
      expect(dropped.stdout.split('\n')[0]).toBe('[CRIT] Audit log damaged: the audit_log table is missing from chatops.db (dropped); nothing in it can be verified');
      const listed = await atlas(t.dir, ['audit']);
      expect(listed.code).toBe(2);
      expect(listed.stdout.split('\n')[0]).toBe('[CRIT] Audit log damaged: the audit_log table is missing from chatops.db (dropped); nothing in it can be verified');
    } finally {
      t.cleanup();
    }
  });

  it('says there is no log, and exits 1, where chatops.db does not exist', async () => {
    const t = tempDir();
    try {
      const r = await atlas(t.dir, ['audit', 'verify']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe(`[UNKNOWN] No audit log here: ${path.join(t.dir, '.shadow-atlas', 'chatops.db')} does not exist; set ATLAS_DATA_DIR to the bot's data directory.\n`);
    } finally {
      t.cleanup();
    }
  });
});
