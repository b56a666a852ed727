/**
 * `snapshot rollback [<id>]` in the terminal and as a spec: which snapshot, both rows in the
 * preview, the refusals (no CID, archived, current already, another would win, hostile ids),
 * the backup first, the swap in the service's ISO format, the undo that really undoes it, a
 * stale plan refused inside the transaction, a locked database waited on for a bounded time,
 * and a process killed in the middle of the swap leaving the old state.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { createRegistry } from '../../src/commands/index.js';
import type { CommandRegistry } from '../../src/commands/registry.js';
import { snapshotsFingerprint, readSnapshotRecords } from '../../src/db/snapshot-writes.js';
import { RemediationRefusal, type RemediationPlan } from '../../src/remediation/remediation-plan.js';
import { snapshotRollback } from '../../src/remediation/snapshot-rollback.js';
import { renderPlainText } from '../../src/templates/plain-text.js';
import { createAtlasFiles, tempDir, TEST_NOW, testDeps, type TestEnv } from '../helpers/test-deps.js';
import { allRows, backups, deprecation, HOSTILE_IDS, insertSnapshots } from './snapshot-fixtures.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = { source: 'cli' as const, userId: 'alice' };

let dir: { dir: string; cleanup: () => void };
let dataDir: string;
let atlas: { metrics: Database.Database; persistence: Database.Database };
let env: TestEnv;
let registry: CommandRegistry;

/** bad (current, newest), good (deprecated when bad came), old (deprecated), gone (archived), nocid (deprecated, never uploaded). */
function standard(): void {
  insertSnapshots(atlas.persistence, [
    { id: 'snap-bad', created: '2026-11-20T09:00:00.000Z' },
    { id: 'snap-good', created: '2026-08-15T09:00:00.000Z', deprecated: '2026-11-20T09:05:00.000Z' },
    { id: 'snap-old', created: '2026-05-15 09:00:00', deprecated: '2026-08-15T09:05:00.000Z' },
    { id: 'snap-gone', created: '2026-02-15T09:00:00Z', deprecated: '2026-05-15T09:05:00.000Z', archived: '2026-06-01T00:00:00.000Z' },
    { id: 'snap-nocid', cid: '', created: '2026-04-15T09:00:00.000Z', deprecated: '2026-04-16T09:00:00.000Z' },
  ]);
}

beforeEach(() => {
  dir = tempDir();
  dataDir = path.join(dir.dir, '.shadow-atlas');
  atlas = createAtlasFiles(dataDir);
  env = testDeps(dataDir);
  registry = createRegistry(createAuthorizer(env.deps.config));
});

afterEach(async () => {
  await env.close();
  atlas.metrics.close();
  atlas.persistence.close();
  dir.cleanup();
});

const run = (...words: string[]) => registry.run(['snapshot', 'rollback', ...words], CLI, env.deps);
const auditOutcomes = () => (env.db.prepare('SELECT outcome FROM audit_log ORDER BY id').all() as { outcome: string }[]).map((r) => r.outcome);

describe('snapshot rollback: the preview', () => {
  it('picks the snapshot before the current one and shows both rows before and after, the backup and the undo; nothing changes', async () => {
    standard();
    const before = allRows(atlas.persistence);
    const { report, outcome } = await run();
    expect(outcome).toBe('info');
    expect(report.headline).toBe('Preview of `snapshot rollback`: snap-good becomes the current snapshot instead of snap-bad. Nothing changed: run `atlas snapshot rollback --yes` to apply it.');
    const plan = (report.data as { plan: RemediationPlan }).plan;
    expect(plan.changes).toEqual([
      { kind: 'file', path: 'backups/persistence-<UTC time of Confirm>.db', note: expect.stringContaining('a verified backup of persistence.db first') },
      { kind: 'space', what: 'the backup in backups/', needBytes: expect.any(Number), freeBytes: expect.any(Number) },
      {
        kind: 'row',
        what: expect.stringMatching(/^snapshots snap-bad \(current now; created 2026-11-20T09:00:00.000Z, CID bafkrei/),
        before: { deprecated_at: null, archived_at: null },
        after: { deprecated_at: TEST_NOW, archived_at: null },
      },
      {
        kind: 'row',
        what: expect.stringMatching(/^snapshots snap-good \(current after; created 2026-08-15T09:00:00.000Z, CID bafkrei/),
        before: { deprecated_at: '2026-11-20T09:05:00.000Z', archived_at: null },
        after: { deprecated_at: null, archived_at: null },
      },
    ]);
    expect(plan.undo).toBe('snapshot rollback snap-bad');
    expect(plan.warnings).toEqual(['snap-good was deprecated at 2026-11-20T09:05:00.000Z; the undo deprecates it again with the time of the undo (the backup keeps the old value).']);
    expect(plan.fingerprint).toBe(snapshotsFingerprint(readSnapshotRecords(env.deps.atlas.persistence).rows));
    const text = renderPlainText(report);
    expect(text).toContain('snapshots snap-bad (current now;');
    expect(text).toContain('deprecated_at: null, archived_at: null → deprecated_at: 2026-11-26T12:00:00.000Z, archived_at: null');
    expect(text).toContain('snapshot rollback snap-bad');
    expect(allRows(atlas.persistence)).toEqual(before);
    expect(backups(dataDir)).toEqual([]);
    expect(auditOutcomes()).toEqual(['previewed']);
  });

  it('orders snapshots by time across the three timestamp formats, not as text', async () => {
    // Same day: as text 'T' sorts after ' ', so the SQL-format row would look older than it is.
    insertSnapshots(atlas.persistence, [
      { id: 'snap-cur', created: '2026-11-20 18:00:00' },
      { id: 'snap-prev-iso', created: '2026-11-20T06:00:00.000Z', deprecated: '2026-11-20T18:01:00.000Z' },
      { id: 'snap-older', created: '2026-11-19T06:00:00Z', deprecated: '2026-11-20T06:01:00.000Z' },
    ]);
    const { report } = await run();
    expect(report.headline).toContain('snap-prev-iso becomes the current snapshot instead of snap-cur');
  });

  it('takes a given snapshot, also a newer one than the current (the undo of a rollback)', async () => {
    standard();
    const { report } = await run('snap-old');
    expect(report.headline).toContain('snap-old becomes the current snapshot instead of snap-bad');
  });

  it.each([
    ['snap-nocid', 'snap-nocid has no IPFS CID, so proofs could not fetch it; record it first with `snapshot set-cid snap-nocid <cid>` or `snapshot upload snap-nocid`, then roll back. Nothing was changed.'],
    ['snap-gone', 'snap-gone is archived (at 2026-06-01T00:00:00.000Z); a rollback moves only between snapshots that are not archived, nothing was changed.'],
    ['snap-bad', 'snap-bad is the current snapshot already; nothing to change.'],
    ['snap-nothere', 'No snapshot has id snap-nothere; `snapshots` lists them. Nothing was changed.'],
  ])('refuses %s in one sentence, changing nothing', async (id, sentence) => {
    standard();
    const before = allRows(atlas.persistence);
    for (const words of [[id], [id, '--yes']]) {
      const { report, outcome } = await run(...words);
      expect(outcome).toBe('error');
      expect(report.headline).toBe(sentence);
    }
    expect(allRows(atlas.persistence)).toEqual(before);
    expect(backups(dataDir)).toEqual([]);
    expect(auditOutcomes()).toEqual(['refused', 'refused']);
  });

  it('refuses a target older than another active snapshot, which would be current instead', async () => {
    insertSnapshots(atlas.persistence, [
      { id: 'snap-c', created: '2026-11-20T09:00:00.000Z' },
      { id: 'snap-b', created: '2026-10-20T09:00:00.000Z' },
      { id: 'snap-a', created: '2026-09-20T09:00:00.000Z', deprecated: '2026-10-20T09:00:00.000Z' },
    ]);
    const { report } = await run('snap-a');
    expect(report.headline).toBe('snap-b is active and newer than snap-a, so it would be current instead; roll back to snap-b first (`snapshot rollback snap-b`), then to snap-a. Nothing was changed.');
    // Without an id, "the previous" is that older active one: only the current one is deprecated.
    const plain = await run();
    expect(plain.report.headline).toContain('snap-b becomes the current snapshot instead of snap-c');
  });

  it('with no current snapshot, needs an id; with one, makes it current and says the undo is the backup', async () => {
    insertSnapshots(atlas.persistence, [
      { id: 'snap-x', created: '2026-11-20T09:00:00.000Z', deprecated: '2026-11-21T09:00:00.000Z' },
      { id: 'snap-y', created: '2026-10-20T09:00:00.000Z', deprecated: '2026-11-20T09:00:00.000Z' },
    ]);
    expect((await run()).report.headline).toBe(
      'No snapshot is current (every one is deprecated or archived), so there is no previous one; name the snapshot to make current: `snapshot rollback <id>` (`snapshots` lists them).',
    );
    const { report } = await run('snap-y');
    const plan = (report.data as { plan: RemediationPlan }).plan;
    expect(plan.summary).toBe('snap-y becomes the current snapshot (none is current now)');
    expect(plan.changes.filter((c) => c.kind === 'row')).toHaveLength(1);
    expect(plan.undo).toBeNull();
    expect(plan.warnings).toContain('No snapshot is current now, so there is none to go back to: the undo is to restore the pre-rollback backup.');
    await run('snap-y', '--yes');
    expect(deprecation(atlas.persistence)['snap-y']).toBeNull();
  });

  it('refuses on the legacy schema, which has no deprecated_at', async () => {
    atlas.persistence.exec('DROP INDEX idx_snapshots_latest; ALTER TABLE snapshots DROP COLUMN deprecated_at');
    env.deps.atlas.persistence.close();
    const { report } = await run();
    expect(report.headline).toBe("persistence.db lacks snapshots.deprecated_at (the service's legacy schema has no snapshot activation); this cannot be done here, nothing was changed.");
  });

  it.each(HOSTILE_IDS.map((id) => [id.length > 40 ? `${id.slice(0, 20)}… (${id.length} chars)` : id, id]))('refuses the id %s in one sentence, changing nothing', async (_label, id) => {
    standard();
    const before = allRows(atlas.persistence);
    for (const words of [[id], [id, '--yes']]) {
      const { report, outcome } = await run(...words);
      expect(outcome).toBe('usage');
      expect(report.sections).toEqual([]);
      // One sentence: no line breaks, no stack, the usage after it.
      expect(report.headline).not.toMatch(/\n/);
      expect(report.headline.length).toBeLessThan(400);
      expect(report.headline).toMatch(/is not a snapshot id|takes at most 1000|unknown flag/);
    }
    expect(allRows(atlas.persistence)).toEqual(before);
    expect(backups(dataDir)).toEqual([]);
    expect(env.db.prepare("SELECT count(*) AS n FROM audit_log WHERE outcome = 'applied'").get()).toEqual({ n: 0 });
  });
});

describe('snapshot rollback: applying', () => {
  it('backs up first, swaps deprecated_at in the ISO format the service writes, and its undo restores the current snapshot', async () => {
    standard();
    const { report, outcome } = await run('--yes');
    expect(outcome).toBe('ok');
    expect(report.headline).toBe('snap-good is the current snapshot instead of snap-bad (no incident channel is configured to tell)');
    const after = deprecation(atlas.persistence);
    expect(after['snap-bad']).toBe(TEST_NOW);
    expect(after['snap-good']).toBeNull();
    expect(after['snap-old']).toBe('2026-08-15T09:05:00.000Z');
    expect(report.sections.flatMap((s) => s.lines ?? [])).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Backup before the change: backups\/persistence-2026-11-26T12-00-00Z\.db \(\d+\.\d MB\)$/), 'snapshot rollback snap-bad']),
    );

    // The backup holds the state before the change.
    // The shared engine's verified backup, with its manifest.
    expect(backups(dataDir)).toEqual(['manifest-2026-11-26T12-00-00Z.json', 'persistence-2026-11-26T12-00-00Z.db']);
    const copy = new Database(path.join(dataDir, 'backups', 'persistence-2026-11-26T12-00-00Z.db'), { readonly: true });
    expect(deprecation(copy)['snap-bad']).toBeNull();
    expect(deprecation(copy)['snap-good']).toBe('2026-11-20T09:05:00.000Z');
    copy.close();

    // The undo named in the result does undo it; its own backup never overwrites the first.
    env.clock.advance(60_000);
    const undo = await registry.run(['snapshot', 'rollback', 'snap-bad', '--yes'], CLI, env.deps);
    expect(undo.report.headline).toContain('snap-bad is the current snapshot instead of snap-good');
    expect(deprecation(atlas.persistence)['snap-bad']).toBeNull();
    expect(deprecation(atlas.persistence)['snap-good']).toBe('2026-11-26T12:01:00.000Z');
    expect(backups(dataDir).filter((n) => n.endsWith('.db'))).toEqual(['persistence-2026-11-26T12-00-00Z.db', 'persistence-2026-11-26T12-01-00Z.db']);
    expect(auditOutcomes()).toEqual(['started', 'applied', 'started', 'applied']);
  });

  it('refuses "the previous" snapshot when it has no CID, naming the newest one before it that has one', async () => {
    insertSnapshots(atlas.persistence, [
      { id: 'snap-new', created: '2026-11-20T09:00:00.000Z' },
      { id: 'snap-upload-failed', cid: '', created: '2026-10-20T09:00:00.000Z', deprecated: '2026-11-20T09:00:00.000Z' },
      { id: 'snap-prev', created: '2026-08-20T09:00:00.000Z', deprecated: '2026-10-20T09:00:00.000Z' },
    ]);
    const { report } = await run();
    expect(report.headline).toBe(
      'snap-upload-failed has no IPFS CID, so proofs could not fetch it; record it first with `snapshot set-cid snap-upload-failed <cid>` or `snapshot upload snap-upload-failed`, then roll back, or roll back further to snap-prev, the newest before it with a CID (`snapshot rollback snap-prev`). Nothing was changed.',
    );
  });

  it('names the set-cid in the undo when the snapshot rolled back from has no CID', async () => {
    insertSnapshots(atlas.persistence, [
      { id: 'snap-new', cid: '', created: '2026-11-20T09:00:00.000Z' },
      { id: 'snap-prev', created: '2026-08-20T09:00:00.000Z', deprecated: '2026-11-20T09:00:00.000Z' },
    ]);
    const { report } = await run();
    expect((report.data as { plan: RemediationPlan }).plan.undo).toBe(
      'snapshot rollback snap-new, after `snapshot set-cid snap-new <cid>` (it has no CID, and rollback refuses a target without one)',
    );
  });

  it('refuses a plan whose rows changed since it was read, checked inside the transaction, whatever column changed', async () => {
    standard();
    const args = { target: null };
    const plan = await snapshotRollback.spec.plan(args, env.deps);
    atlas.persistence.pragma('foreign_keys = OFF');
    const columns = Object.keys(allRows(atlas.persistence)[0]!).filter((c) => c !== 'id');
    expect(columns).toEqual(['job_id', 'merkle_root', 'ipfs_cid', 'boundary_count', 'regions', 'created_at', 'published_at', 'deprecated_at', 'archived_at']);
    for (const column of columns) {
      // A change to any column of any row, even one the rollback does not touch, is a changed plan.
      const old = atlas.persistence.prepare(`SELECT ${column} AS v FROM snapshots WHERE id = 'snap-old'`).get() as { v: unknown };
      const value = column === 'boundary_count' ? 436 : `${String(old.v ?? '')}-changed`;
      atlas.persistence.prepare(`UPDATE snapshots SET ${column} = ? WHERE id = 'snap-old'`).run(value);
      const fresh = await snapshotRollback.spec.plan(args, env.deps);
      expect(fresh.fingerprint, column).not.toBe(plan.fingerprint);
      await expect(snapshotRollback.spec.apply(args, plan, env.deps, CLI)).rejects.toThrow(RemediationRefusal);
      atlas.persistence.prepare(`UPDATE snapshots SET ${column} = ? WHERE id = 'snap-old'`).run(old.v);
    }
    expect(deprecation(atlas.persistence)['snap-bad']).toBeNull();
    expect(backups(dataDir)).toEqual([]);
  });

  it('waits a bounded time for the service holding the write lock, then says so; nothing is swapped', async () => {
    standard();
    // The service's writer: its own connection in a write transaction.
    const service = new Database(path.join(dataDir, 'persistence.db'));
    service.pragma('busy_timeout = 5000');
    service.exec('BEGIN IMMEDIATE');
    service.prepare("UPDATE jobs SET updated_at = '2026-11-26T11:59:59.000Z'").run();
    const started = Date.now();
    const { report, outcome } = await run('--yes');
    const took = Date.now() - started;
    service.exec('ROLLBACK');
    service.close();
    expect(outcome).toBe('error');
    expect(report.headline).toMatch(/^persistence\.db is locked by another writer \(the service\?\); waited 3(\.\d)? s, nothing was changed; try again in a minute\. \(The backup persistence-2026-11-26T12-00-00Z\.db was made\.\)$/);
    // Waited its bound (a lower bound, which a busy machine only makes longer); the writer holds
    // the lock until after the answer, so the answer coming at all is the wait giving up.
    expect(took).toBeGreaterThanOrEqual(2900);
    expect(deprecation(atlas.persistence)['snap-bad']).toBeNull();
    expect(deprecation(atlas.persistence)['snap-good']).toBe('2026-11-20T09:05:00.000Z');
    expect(auditOutcomes()).toEqual(['started', 'refused']);
  });

  it('applies once the writer lets go within the wait', async () => {
    standard();
    const service = new Database(path.join(dataDir, 'persistence.db'));
    service.exec('BEGIN IMMEDIATE');
    setTimeout(() => service.exec('COMMIT'), 800);
    const { outcome } = await run('--yes');
    service.close();
    expect(outcome).toBe('ok');
    expect(deprecation(atlas.persistence)['snap-good']).toBeNull();
  });
});

describe('snapshot rollback: a process killed in the middle of the swap', () => {
  /**
   * A child process runs the real rollback (plan, backup, transaction) on the fixture; with
   * `kill`, the first UPDATE of the swap is followed by SIGKILL before the second runs.
   */
  function child(kill: boolean): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
    const script = `
      import Database from 'better-sqlite3';
      import path from 'node:path';
      import pino from 'pino';
      import { buildConfig } from './src/config.js';
      import { createDeps } from './src/runtime.js';
      import { snapshotRollback } from './src/remediation/snapshot-rollback.js';
      const [dataDir, kill] = process.argv.slice(-2);
      if (kill === 'kill') {
        // Every prepared statement shares one prototype: after the swap's first UPDATE, die.
        const probe = new Database(':memory:');
        const proto = Object.getPrototypeOf(probe.prepare('SELECT 1'));
        probe.close();
        const run = proto.run;
        proto.run = function (...args) {
          const result = run.apply(this, args);
          if (/^UPDATE snapshots SET deprecated_at/.test(this.source)) process.kill(process.pid, 'SIGKILL');
          return result;
        };
      }
      const deps = createDeps(buildConfig(dataDir, {}), pino({ level: 'silent' }), { stateFile: null });
      const args = { target: null };
      const plan = await snapshotRollback.spec.plan(args, deps);
      await snapshotRollback.spec.apply(args, plan, deps, { source: 'cli', userId: 'crash-test' });
      process.exit(0);
    `;
    return new Promise((resolve) => {
      const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dataDir, kill ? 'kill' : 'live'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      c.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      c.on('exit', (code, signal) => resolve({ code, signal, stderr }));
    });
  }

  it('leaves the old state (both rows), never one of the two changes; the same child without the kill swaps both', async () => {
    standard();
    const before = deprecation(atlas.persistence);
    const killed = await child(true);
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    // The killed process took its backup first, then died inside the transaction.
    expect(backups(dataDir)).toEqual(expect.arrayContaining([expect.stringMatching(/^persistence-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\.db$/)]));
    // A fresh connection recovers the file: the first UPDATE was never committed.
    const after = new Database(path.join(dataDir, 'persistence.db'));
    expect(deprecation(after)).toEqual(before);
    expect(after.pragma('integrity_check', { simple: true })).toBe('ok');
    after.close();
    expect(existsSync(path.join(dataDir, 'backups', `${backups(dataDir)[0]!}.partial`))).toBe(false);

    const live = await child(false);
    expect(live.code, live.stderr).toBe(0);
    const done = deprecation(atlas.persistence);
    expect(done['snap-good']).toBeNull();
    expect(done['snap-bad']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });
});
