/**
 * `backup restore`: refused while an orchestrator process runs (unless --force with a reason),
 * verifies the backup first (a damaged one is refused), backs up the current file first, restores
 * through the backup API into the live WAL file; bad names are refused in one sentence.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { backupReadCommands, backupRemediations } from '../../src/commands/backup-commands.js';
import type { Actor } from '../../src/commands/command-spec.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import { remediationCommands } from '../../src/commands/remediation-commands.js';
import { procOrchestratorProbe } from '../../src/remediation/orchestrator-process.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';
import { startFakeOrchestrator } from './backup-helpers.js';

const OP: Actor = { source: 'cli', userId: 'op' };
let dir: { dir: string; cleanup: () => void };
let dataDir: string;
let env: TestEnv;
let reg: CommandRegistry;
/** Unique to this run, so another test's stand-in orchestrator is never seen here. */
let marker: string;
const stops: (() => Promise<void>)[] = [];

const rows = () => {
  const db = new Database(path.join(dataDir, 'persistence.db'), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM load').get() as { n: number }).n;
  } finally {
    db.close();
  }
};
const insert = (n: number) => {
  const db = new Database(path.join(dataDir, 'persistence.db'));
  db.prepare('INSERT INTO load (body) SELECT randomblob(100) FROM (WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?) SELECT i FROM k)').run(n);
  db.close();
};
const backups = () => readdirSync(path.join(dataDir, 'backups')).filter((n) => n.endsWith('.db')).sort();

beforeEach(async () => {
  dir = tempDir('atlas-restore-');
  dataDir = path.join(dir.dir, '.shadow-atlas');
  const atlas = createAtlasFiles(dataDir);
  atlas.persistence.exec('CREATE TABLE load (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  atlas.persistence.close();
  atlas.metrics.close();
  insert(100);
  env = testDeps(dataDir);
  marker = `batch-orchestrator-test-${randomBytes(6).toString('hex')}`;
  reg = new CommandRegistry(
    [...backupReadCommands, ...remediationCommands(backupRemediations({ orchestrator: () => procOrchestratorProbe(marker), busyTimeoutMs: 1000 }))],
    createAuthorizer(env.deps.config),
  );
  // The backup to restore from: 100 rows.
  const taken = await reg.run(['backup', 'persistence', '--reason', 'fixture', '--yes'], OP, env.deps);
  expect(taken.report.level).toBe('ok');
  env.clock.advance(60_000);
  insert(50);
});

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await env.close();
  dir.cleanup();
});

const NAME = 'persistence-2026-11-26T12-00-00Z.db';

describe('backup restore', () => {
  it('previews, then verifies the backup, backs up the current file and restores through the backup API', async () => {
    expect(rows()).toBe(150);
    const preview = await reg.run(['backup', 'restore', NAME], OP, env.deps);
    expect(preview.report.headline).toContain(`Preview of \`backup restore\`: persistence.db restored from ${NAME}`);
    expect(rows()).toBe(150);
    // The bot's own read connection is open on the live file meanwhile.
    env.deps.atlas.persistence.read((db) => db.prepare('SELECT COUNT(*) FROM load').get());
    const applied = await reg.run(['backup', 'restore', NAME, 'persistence', '--yes'], OP, env.deps);
    expect(applied.report.level, applied.report.headline).toBe('ok');
    expect(applied.report.headline).toContain(`Restored persistence.db from ${NAME}`);
    expect(rows()).toBe(100);
    expect(backups()).toEqual([NAME, 'persistence-2026-11-26T12-01-00Z.db']);
    const text = JSON.stringify(applied.report);
    expect(text).toContain('the file as it was: persistence-2026-11-26T12-01-00Z.db (verified)');
    expect(text).toContain('quick_check of persistence.db ok');
    expect(text).toContain('/atlas backup restore persistence-2026-11-26T12-01-00Z.db persistence');
    // Still a WAL database, read by the bot's connection after the restore.
    const db = new Database(path.join(dataDir, 'persistence.db'), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    expect(env.deps.atlas.persistence.read((d) => (d.prepare('SELECT COUNT(*) AS n FROM load').get() as { n: number }).n)).toBe(100);
    // The pre-restore backup holds the 150 rows: the undo works.
    const undo = await reg.run(['backup', 'restore', 'persistence-2026-11-26T12-01-00Z.db', '--yes'], OP, env.deps);
    expect(undo.report.level, undo.report.headline).toBe('ok');
    expect(rows()).toBe(150);
  });

  it('is refused while an orchestrator process is alive; allowed with --force and a reason', async () => {
    const orchestrator = await startFakeOrchestrator(marker);
    stops.push(orchestrator.stop);
    const refused = await reg.run(['backup', 'restore', NAME, '--yes'], OP, env.deps);
    expect(refused.report.level).toBe('error');
    expect(refused.report.headline).toBe(
      `A restore needs writes stopped, and the batch orchestrator is running (pid ${orchestrator.pid}): stop it first (\`stop-jobs\`), or add \`--force --reason "why"\` if you are sure nothing writes.`,
    );
    const noReason = await reg.run(['backup', 'restore', NAME, '--force', '--yes'], OP, env.deps);
    expect(noReason.report.headline).toContain('`--force` needs `--reason "why"`');
    expect(rows()).toBe(150);
    const forced = await reg.run(['backup', 'restore', NAME, '--force', '--reason', 'orchestrator is hung', '--yes'], OP, env.deps);
    expect(forced.report.level, forced.report.headline).toBe('ok');
    expect(rows()).toBe(100);
  });

  it('refuses a damaged backup and changes nothing', async () => {
    const file = path.join(dataDir, 'backups', NAME);
    const bytes = readFileSync(file);
    bytes.fill(0x41, 4096 * 2, 4096 * 4); // two pages of the table overwritten
    writeFileSync(file, bytes);
    const r = await reg.run(['backup', 'restore', NAME, '--yes'], OP, env.deps);
    expect(r.report.level).toBe('error');
    expect(r.report.headline).toMatch(new RegExp(`^${NAME.replaceAll('.', '\\.')} (is damaged|cannot be read as a database|is not the file its manifest describes)`));
    expect(r.report.headline).toContain('nothing was changed');
    expect(rows()).toBe(150);
    expect(backups()).toEqual([NAME]);
  });

  it.each([
    ['../persistence.db', 'without folders or ".."'],
    ['backups/x.db', 'without folders or ".."'],
    ['/etc/passwd', 'without folders or ".."'],
    ['"x.db"', 'letters, digits'],
    ["x'.db", 'letters, digits'],
    // The registry refuses input this long before any command reads it.
    ['x'.repeat(10_000), 'characters'],
    ['x'.repeat(300), 'at most 200 characters'],
    ['.persistence-2026-11-26T12-00-00Z.db.partial', 'letters, digits'],
    ['nosuch.db', 'There is no backup named nosuch.db'],
  ])('refuses bad name %# in one sentence and changes nothing', async (name, says) => {
    const r = await reg.run(['backup', 'restore', name, '--yes'], OP, env.deps);
    expect(r.report.level).toBe('error');
    expect(r.report.headline).toContain(says);
    expect(r.report.headline.length).toBeLessThan(300);
    expect(r.report.headline.split(/[.!?] [A-Z]/).length).toBeLessThanOrEqual(2);
    expect(rows()).toBe(150);
    expect(backups()).toEqual([NAME]);
    expect(existsSync(path.join(dataDir, 'persistence.db'))).toBe(true);
  });
});
