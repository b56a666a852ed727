import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { STATE_MIGRATIONS } from '../state-migrations.js';
import { queueOf } from '../sqlite-file-queue.js';
import { kyselyState, type KyselyState } from './kysely-state.js';
import { sqliteKysely } from './sqlite-kysely.js';
import { SQLITE_DIALECT } from './state-dialect.js';

/** The SQLite store; `db` is for migrations and tests, never for the bot's code. */
export type SqliteStateStore = KyselyState & { db: Database.Database };

/**
 * The audit chain's head file, beside chatops.db and not in it (see audit-store.ts): a truncated
 * or extended audit_log no longer ends where the bot wrote it last. None for a state in memory.
 */
export function auditHeadFileOf(stateFile: string): string | null {
  return stateFile === ':memory:' ? null : path.join(path.dirname(stateFile), 'chatops-audit-head.json');
}

/** How long opening waits, at most, for other processes switching the same new file to WAL. */
const WAL_SWITCH_WAIT_MS = 5_000;

/**
 * Switches the file to WAL. Two processes doing so to a new file at once (a rolling deploy)
 * can each hold a shared lock and want an exclusive one; SQLite then answers SQLITE_BUSY at
 * once instead of waiting (the busy timeout does not apply to a deadlock), so this tries again.
 */
function useWal(db: Database.Database): void {
  const deadline = Date.now() + WAL_SWITCH_WAIT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
      // Only while the bot opens its state, before it serves anything: a blocking pause is fine.
      Atomics.wait(pause, 0, 0, 10 + Math.floor(Math.random() * 40));
    }
  }
}

/**
 * Opens (creating if needed) chatops.db and brings it to the newest schema. Each migration runs
 * in its own transaction with `user_version`, so a crash leaves the file at a whole version.
 */
export function openStateStore(file: string, migrations: readonly string[] = STATE_MIGRATIONS): SqliteStateStore {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  useWal(db);
  // WAL with NORMAL survives a crash of the bot intact; only an OS crash can lose the newest
  // commits. FULL would fsync on every audit row, stalling every request behind the disk.
  db.pragma('synchronous = NORMAL');
  // Two processes (a rolling deploy) wait this long for each other's short write transactions.
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    db.close();
    throw new Error(`${file} is at schema version ${current}, newer than this bot knows (${migrations.length}); run a newer bot or restore a backup.`);
  }
  for (let version = current + 1; version <= migrations.length; version++) {
    // Foreign keys are checked at the end of a migration that rebuilds a table, not mid-way.
    db.pragma('foreign_keys = OFF');
    db.transaction(() => {
      // Another process starting at the same moment may have run it while this one waited for the lock.
      if ((db.pragma('user_version', { simple: true }) as number) >= version) return;
      db.exec(migrations[version - 1]!);
      db.pragma(`user_version = ${version}`);
    }).immediate();
    db.pragma('foreign_keys = ON');
  }
  return sqliteState(db, file, migrations.length);
}

/**
 * The state over chatops.db's one better-sqlite3 connection, through Kysely (kysely-state.ts):
 * transactions are BEGIN IMMEDIATE ... COMMIT around the awaited function, one at a time in this
 * process (the file's queue); a call outside a transaction waits its turn too, so it never joins
 * (and is never rolled back with) another request's open transaction. Between processes, the
 * busy timeout and the immediate transactions hold as before.
 */
function sqliteState(db: Database.Database, file: string, latest: number): SqliteStateStore {
  const { queue, release } = queueOf(file);
  const kysely = sqliteKysely(db);
  const state = kyselyState(kysely, {
    dialect: SQLITE_DIALECT,
    serially: (task) => queue.run(task),
    schemaVersion: async () => await Promise.resolve({ current: db.pragma('user_version', { simple: true }) as number, latest }),
    auditHeadFile: auditHeadFileOf(file),
    close: async () =>
      await queue.run(async () => {
        await kysely.destroy();
        db.close();
        release();
      }),
  });
  return Object.assign(state, { db });
}
