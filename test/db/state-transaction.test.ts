import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStateStore, type SqliteStateStore } from '../../src/db/state/sqlite-state-store.js';
import { tempDir } from '../helpers/test-deps.js';

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
  afterEach(() => {
    other.close();
    state.close();
    cleanup();
  });

  it('take the write lock when they begin, so a writer in another process never fails them half-way (SQLITE_BUSY_SNAPSHOT)', () => {
    let otherWrite: unknown = null;
    state.transaction(() => {
      // Only a read so far; a deferred transaction would not hold the lock yet.
      state.incidents.open();
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
