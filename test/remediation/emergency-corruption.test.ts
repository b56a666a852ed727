/**
 * `emergency corruption` end to end on real files: the guide's first five minutes as one flow.
 * A stop command that really runs (no shell), a verified backup of both databases, a full
 * integrity_check of each, the results, the runbook and the escalation in the P0 incident's
 * thread; a corrupt metrics.db is named; no room for a backup is said, not skipped silently.
 */
import { closeSync, openSync, readdirSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/commands/command-spec.js';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { ALL_COMMANDS } from '../../src/commands/index.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import { remediationCommands } from '../../src/commands/remediation-commands.js';
import { tokenize } from '../../src/commands/tokenize.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { emergencyCorruption, EMERGENCY_TITLE } from '../../src/remediation/emergency-corruption.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';

const CHANNEL = 'C0INCIDENT';
const terminal: Actor = { source: 'cli', userId: 'ann' };
const GB = 1024 ** 3;

let dir: { dir: string; cleanup: () => void };
let atlas: { metrics: Database.Database; persistence: Database.Database };
let env: TestEnv;
let free = 100 * GB;

function config(stop: boolean) {
  return {
    channels: { incidents: CHANNEL },
    responders: { users: ['U0ONCALL1'] },
    escalation: { cto: 'U0CTO', dbExpert: 'U0DBEXPERT' },
    ...(stop ? { commands: { stopJobs: [process.execPath, '-e', 'process.stdout.write("stopped")'] } } : {}),
  };
}

beforeEach(() => {
  free = 100 * GB;
  dir = tempDir();
  const dataDir = path.join(dir.dir, '.shadow-atlas');
  atlas = createAtlasFiles(dataDir);
  atlas.persistence.exec("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('a'), ('b');");
  env = testDeps(dataDir, { file: config(true) });
});

afterEach(async () => {
  await env.close();
  if (atlas.metrics.open) atlas.metrics.close();
  if (atlas.persistence.open) atlas.persistence.close();
  dir.cleanup();
});

const registry = () =>
  new CommandRegistry([...ALL_COMMANDS.filter((c) => c.name !== 'confirm' && c.name !== 'emergency corruption'), ...remediationCommands([emergencyCorruption({ freeSpace: async () => free })])], createAuthorizer(env.deps.config));
const run = async (text: string) => (await registry().run(tokenize(text), terminal, env.deps)).report;
const backups = () => readdirSync(env.deps.atlas.backupsDir).filter((n) => n.endsWith('.db') && !n.startsWith('.')).sort();
const threadOf = (incidentId: string) =>
  (env.db.prepare("SELECT payload FROM outbox WHERE op = 'reply' AND anchor = (SELECT anchor FROM incidents WHERE id = ?) ORDER BY id").all(incidentId) as { payload: string }[]).map(
    (r) => JSON.parse(r.payload) as { text: string; blocks: unknown[] },
  );

describe('emergency corruption', () => {
  it('previews the whole flow, then declares the P0, stops the writers, backs up, checks both databases and reports in the thread', async () => {
    const preview = await run('emergency corruption');
    expect(preview.headline).toBe(
      'Preview of `emergency corruption`: declares a P0 incident, stops the writers, takes a verified backup, checks both databases. Nothing changed: run `atlas emergency corruption --yes` to apply it.',
    );
    expect(preview.sections[0]!.lines![0]).toBe(`a new incident: (none) → title: ${EMERGENCY_TITLE}, severity: P0, owner: you`);
    expect(await env.deps.state.incidents.open()).toEqual([]);

    const applied = await run('emergency corruption --yes');
    const [incident] = await env.deps.state.incidents.open();
    expect(incident).toMatchObject({ severity: 'P0', title: EMERGENCY_TITLE });
    expect(applied.headline).toBe(`Emergency corruption flow for ${incident!.id}: both databases pass integrity_check (told in ${incident!.id}'s thread)`);
    const lines = applied.sections[0]!.lines!;
    expect(lines[0]).toBe(`1. Declared ${incident!.id} (P0), owned by ann.`);
    expect(lines[1]).toMatch(/^2\. Writers: commands\.stopJobs exit status 0 after [\d.]+ s; no orchestrator process is left\.$/);
    expect(lines[2]).toMatch(/^3\. Emergency backup, verified: metrics-.*\.db, persistence-.*\.db|^3\. Emergency backup, verified: persistence-.*\.db, metrics-.*\.db/);
    expect(lines.filter((l) => l.startsWith('4. '))).toEqual([expect.stringMatching(/^4\. persistence\.db: ok: integrity_check ok/), expect.stringMatching(/^4\. metrics\.db: ok: integrity_check ok/)]);
    expect(lines.at(-1)).toContain('Escalate to <@U0DBEXPERT> (database expert) now, and to <@U0CTO> (CTO) when every backup is corrupt');
    expect(backups()).toHaveLength(2);
    const thread = threadOf(incident!.id).map((m) => m.text).join('\n');
    expect(thread).toContain(`Emergency corruption flow for ${incident!.id}`);
    expect(env.db.prepare('SELECT outcome FROM audit_log ORDER BY id').all()).toEqual([{ outcome: 'previewed' }, { outcome: 'started' }, { outcome: 'applied' }]);
  });

  it('joins the open P0 and names a corrupt database', async () => {
    const { incident } = await declareIncident(env.deps, { title: 'Proofs failing', severity: 'P0', actorId: 'U0ONCALL1' });
    // Garbage over the second page of metrics.db: the file opens, its tables do not hold together.
    atlas.metrics.close();
    const file = env.deps.atlas.metrics.file;
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 4096);
    closeSync(fd);
    expect(statSync(file).size).toBeGreaterThan(4096);
    const applied = await run('emergency corruption --yes');
    expect(applied.headline).toContain(`Emergency corruption flow for ${incident.id}: metrics.db CORRUPT`);
    const lines = applied.sections[0]!.lines!;
    expect(lines[0]).toBe(`1. Joined ${incident.id} (P0).`);
    expect(lines.some((l) => l.startsWith('4. metrics.db: CORRUPT'))).toBe(true);
    expect(lines.some((l) => l.includes('`backup restore` the newest backup that passes integrity_check'))).toBe(true);
  });

  it('says there is no backup when there is no room, and still stops and checks', async () => {
    await env.close();
    env = testDeps(path.join(dir.dir, '.shadow-atlas'), { file: config(false) });
    free = 1024;
    const preview = await run('emergency corruption');
    expect(preview.sections.find((s) => s.title === 'Warnings')!.lines).toEqual(
      expect.arrayContaining([expect.stringContaining('commands.stopJobs is not set: stop the orchestrator by hand now'), expect.stringContaining('No emergency backup:')]),
    );
    const applied = await run('emergency corruption --yes');
    const lines = applied.sections[0]!.lines!;
    expect(lines[1]).toBe('2. Writers: commands.stopJobs is not set; stop the orchestrator by hand.');
    expect(lines[2]).toMatch(/^3\. NO BACKUP: /);
    expect(backups()).toEqual([]);
  });
});
