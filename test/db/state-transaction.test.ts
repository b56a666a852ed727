import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openStateStore, type SqliteStateStore } from '../../src/db/state/kysely/sqlite-state-store.js';
import { STATE_MIGRATIONS } from '../../src/db/state/state-migrations.js';
import type { StateTransaction } from '../../src/db/state/state-store.js';
import { tempDir } from '../helpers/test-deps.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OPENER = fileURLToPath(new URL('../fixtures/open-state-store.ts', import.meta.url));

describe('state transactions', () => {
  let cleanup: () => void;
  let file: string;
  let state: SqliteStateStore;
  let other: Database.Database;

  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    file = path.join(t.dir, 'chatops.db');
    state = openStateStore(file);
    other = new Database(file);
    other.pragma('busy_timeout = 0');
  });
  afterEach(async () => {
    other.close();
    await state.close();
    cleanup();
  });

  it('take the write lock when they begin, so a writer in another process never fails them half-way (SQLITE_BUSY_SNAPSHOT)', async () => {
    let otherWrite: unknown = null;
    await state.transaction(async (tx) => {
      // Only a read so far; a deferred transaction would not hold the lock yet.
      await tx.incidents.open();
      try {
        other.exec("INSERT INTO command_runs (at, source, user_id, command, args, outcome, summary, duration_ms) VALUES ('x', 'cli', 'u', 'c', '[]', 'ok', 's', 0)");
      } catch (err) {
        otherWrite = err;
      }
    });
    expect((otherWrite as { code?: string } | null)?.code).toBe('SQLITE_BUSY');
  });

  const NOW = new Date('2026-11-26T12:00:00.000Z');
  const incident = (title: string) => ({ title, severity: 'P2' as const, createdBy: 'U0A', ownerId: 'U0A', openedAt: NOW });
  const titles = async () => (await state.incidents.open()).map((i) => i.title);
  /** A promise and the function that settles it: a transaction held open until the test lets it go. */
  const gate = () => {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    return { opened, open };
  };

  it('from concurrent requests of one process run one after another, never interleaved on the one connection', async () => {
    const steps: string[] = [];
    const first = gate();
    const a = state.transaction(async (tx) => {
      steps.push('a begins');
      await tx.incidents.create(incident('a'), NOW);
      await first.opened;
      steps.push('a ends');
    });
    const b = state.transaction(async (tx) => {
      steps.push('b begins');
      await tx.incidents.create(incident('b'), NOW);
      steps.push('b ends');
    });
    // b is queued behind a for as long as a is open, however long that is.
    await new Promise((resolve) => setImmediate(resolve));
    expect(steps).toEqual(['a begins']);
    first.open();
    await Promise.all([a, b]);
    expect(steps).toEqual(['a begins', 'a ends', 'b begins', 'b ends']);
    expect(await titles()).toEqual(['a', 'b']);
  });

  it('a store call outside any transaction waits for the open one, so it neither sees nor is rolled back with its writes', async () => {
    const held = gate();
    const failing = state.transaction(async (tx) => {
      await tx.incidents.create(incident('rolled back'), NOW);
      await held.opened;
      throw new Error('the change failed');
    });
    let seen: string[] | null = null;
    const outside = state.incidents.open().then((open) => (seen = open.map((i) => i.title)));
    const written = state.incidents.create(incident('outside'), NOW);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toBeNull();
    held.open();
    await expect(failing).rejects.toThrow('the change failed');
    await outside;
    await written;
    expect(seen).toEqual([]);
    expect(await titles()).toEqual(['outside']);
  });

  it('roll back every write when fn throws, and the next transaction runs normally', async () => {
    await expect(
      state.transaction(async (tx) => {
        await tx.incidents.create(incident('half'), NOW);
        await tx.timeline.add('INC-20261126-1', { at: NOW, kind: 'note', actor: 'U0A', text: 'x' });
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    expect(await titles()).toEqual([]);
    expect(state.db.inTransaction).toBe(false);
    await state.transaction(async (tx) => void (await tx.incidents.create(incident('whole'), NOW)));
    expect(await titles()).toEqual(['whole']);
  });

  it('refuse a call on the outer store from inside a transaction (it would wait for the transaction that waits for it)', async () => {
    await expect(
      state.transaction(async (tx) => {
        await tx.incidents.create(incident('inside'), NOW);
        await state.incidents.open();
      }),
    ).rejects.toThrow(/use the stores of fn's tx/);
    expect(await titles()).toEqual([]);
  });

  it('refuse the stores of a transaction used after it ended', async () => {
    let kept: StateTransaction | null = null;
    await state.transaction(async (tx) => {
      kept = tx;
    });
    await expect(kept!.incidents.open()).rejects.toThrow(/after the transaction ended/);
  });

  it('begun inside another in the same flow, is a savepoint of it: its failure undoes only its own writes', async () => {
    await state.transaction(async (tx) => {
      await tx.incidents.create(incident('outer'), NOW);
      await expect(
        state.transaction(async (inner) => {
          await inner.incidents.create(incident('inner, undone'), NOW);
          throw new Error('inner failed');
        }),
      ).rejects.toThrow('inner failed');
      await state.transaction(async (inner) => void (await inner.incidents.create(incident('inner, kept'), NOW)));
    });
    expect(await titles()).toEqual(['outer', 'inner, kept']);
  });

  it('a deferred transaction that read before another process wrote fails with SQLITE_BUSY_SNAPSHOT (what immediate ones avoid)', () => {
    const deferred = new Database(file);
    try {
      deferred.exec('BEGIN');
      deferred.prepare('SELECT COUNT(*) FROM incidents').get();
      other.exec("INSERT INTO command_runs (at, source, user_id, command, args, outcome, summary, duration_ms) VALUES ('x', 'cli', 'u', 'c', '[]', 'ok', 's', 0)");
      expect(() => deferred.exec("INSERT INTO command_runs (at, source, user_id, command, args, outcome, summary, duration_ms) VALUES ('y', 'cli', 'u', 'c', '[]', 'ok', 's', 0)")).toThrow(
        expect.objectContaining({ code: 'SQLITE_BUSY_SNAPSHOT' }),
      );
    } finally {
      deferred.close();
    }
  });
});

describe('migrations', () => {
  // One such race in about fifty ended in "database is locked" while switching the new file to WAL.
  it('eight processes opening each of 20 new chatops.db files at the same moment all end at the newest version', async () => {
    const t = tempDir();
    const files = 20;
    try {
      const startAt = Date.now() + 1500;
      const runs = Array.from({ length: 8 }, () =>
        new Promise<{ code: number | null; out: string }>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', OPENER, t.dir, String(startAt), String(files)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          child.stdout.on('data', (c: Buffer) => (out += c.toString()));
          child.stderr.on('data', (c: Buffer) => (out += c.toString()));
          child.on('exit', (code) => resolve({ code, out }));
        }),
      );
      const results = await Promise.all(runs);
      const latest = STATE_MIGRATIONS.length;
      expect(results).toEqual(results.map(() => ({ code: 0, out: `${latest}\n`.repeat(files) })));
    } finally {
      t.cleanup();
    }
  });
});
