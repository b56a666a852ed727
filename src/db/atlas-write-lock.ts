/**
 * One confirmed write to a Shadow Atlas database: an immediate transaction on a connection of
 * its own, so the whole change commits or none of it does (a process killed mid-way leaves the
 * old state). When the service's writer holds the lock, it waits at most `lockWaitMs`, in short
 * tries with the event loop free between them (better-sqlite3 blocks while it waits), then
 * says the file is locked.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { AtlasDatabase } from './atlas-database.js';
import { classifySqliteError, DbProblemError } from './sqlite-problem.js';

/** The default wait for the service's writer: a few seconds, then the answer says so. */
export const ATLAS_LOCK_WAIT_MS = 3000;
/** Each try's own wait inside SQLite; the event loop is blocked only this long at a time. */
const TRY_BUSY_MS = 100;
const BETWEEN_TRIES_MS = 150;

function isBusy(err: unknown): boolean {
  const code = typeof err === 'object' && err && 'code' in err ? String((err as { code: unknown }).code) : '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

/**
 * Runs `fn` in an immediate transaction on `target` (read-write, the file must exist). `fn` may
 * throw to roll back (e.g. when the row is no longer what the plan read); that error is rethrown
 * as it is. A lock held past `lockWaitMs` becomes DbProblemError 'locked'; other file problems
 * become DbProblemError too.
 */
export async function withAtlasWrite<T>(target: AtlasDatabase, fn: (db: Database.Database) => T, opts: { lockWaitMs?: number } = {}): Promise<T> {
  const lockWaitMs = opts.lockWaitMs ?? ATLAS_LOCK_WAIT_MS;
  if (!target.exists()) {
    throw new DbProblemError({ kind: 'missing', message: `${target.label} not found at ${target.file}; check ATLAS_DATA_DIR.` });
  }
  const deadline = performance.now() + lockWaitMs;
  let db: Database.Database;
  try {
    db = new Database(target.file, { fileMustExist: true });
    db.pragma(`busy_timeout = ${TRY_BUSY_MS}`);
  } catch (err) {
    const problem = classifySqliteError(err, target.label);
    throw problem ? new DbProblemError(problem) : err;
  }
  try {
    for (;;) {
      try {
        return db.transaction(() => fn(db)).immediate();
      } catch (err) {
        if (isBusy(err) && performance.now() < deadline) {
          await sleep(BETWEEN_TRIES_MS);
          continue;
        }
        if (isBusy(err)) {
          throw new DbProblemError({
            kind: 'locked',
            message: `${target.label} stayed locked by another writer (the service?) for ${(lockWaitMs / 1000).toFixed(0)} s; try again in a minute`,
            detail: err instanceof Error ? err.message : String(err),
          });
        }
        const problem = classifySqliteError(err, target.label);
        throw problem ? new DbProblemError(problem) : err;
      }
    }
  } finally {
    db.close();
  }
}
