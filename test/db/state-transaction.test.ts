import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openStateStore, type SqliteStateStore } from '../../src/db/state/sqlite-state-store.js';
import { STATE_MIGRATIONS } from '../../src/db/state/state-migrations.js';
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
