/**
 * The snapshot remediations' reads and writes of persistence.db's `snapshots` table: every
 * column of every row for a plan, and the two changes (`snapshot rollback` swaps
 * `deprecated_at`, `snapshot set-cid` sets `ipfs_cid`). A write is one immediate transaction on
 * its own connection, like src/db/atlas-writer.ts, that first reads the rows again and goes on
 * only if they are still exactly what the plan read (its fingerprint).
 */
import Database from 'better-sqlite3';
import { fingerprintOf } from './fingerprint.js';
import type { AtlasDatabase } from './atlas-database.js';
import { classifySqliteError, DbProblemError } from './sqlite-problem.js';

/** What the remediations need of `snapshots`; schema (B), the legacy adapter's, has no deprecated_at. */
export const SNAPSHOT_WRITE_NEEDS = { snapshots: ['id', 'ipfs_cid', 'created_at', 'deprecated_at', 'archived_at'] } as const;

/** One row of `snapshots`: the columns the remediations use, and every column as read (for the fingerprint). */
export interface SnapshotRecord {
  id: string;
  /** As stored; '' when not uploaded yet. */
  ipfsCid: string;
  createdAt: string | null;
  deprecatedAt: string | null;
  archivedAt: string | null;
  /** Every column, as SQLite gave it. */
  columns: Record<string, unknown>;
}

/** Every row, in id order (so that the fingerprint does not depend on the query plan). */
function readAll(db: Database.Database): Record<string, unknown>[] {
  return db.prepare('SELECT * FROM snapshots ORDER BY id').all() as Record<string, unknown>[];
}

const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toRecord(columns: Record<string, unknown>): SnapshotRecord {
  return {
    id: String(columns.id),
    ipfsCid: columns.ipfs_cid === null || columns.ipfs_cid === undefined ? '' : String(columns.ipfs_cid),
    createdAt: textOrNull(columns.created_at),
    deprecatedAt: textOrNull(columns.deprecated_at),
    archivedAt: textOrNull(columns.archived_at),
    columns,
  };
}

/** The fingerprint of rows as read: a plan's, and the check inside the write's transaction. */
export function snapshotsFingerprint(rows: readonly SnapshotRecord[]): string {
  return fingerprintOf(rows.map((r) => r.columns));
}

/**
 * Every row of `snapshots` through the bot's read-only connection; a missing table or column
 * (another schema variant) is named in `missing`.
 */
export function readSnapshotRecords(persistence: AtlasDatabase): { missing: string[]; rows: SnapshotRecord[] } {
  const missing = persistence.missing(SNAPSHOT_WRITE_NEEDS);
  if (missing.length > 0) return { missing, rows: [] };
  return { missing, rows: persistence.read((db) => readAll(db).map(toRecord)) };
}

/** The rows changed since the plan read them: nothing was written. */
export class SnapshotsChangedError extends Error {
  override name = 'SnapshotsChangedError';
}

export interface WriterOptions {
  /** How long to wait for the service's writer to let go, in all (default 3 s). */
  waitMs?: number;
  /** One attempt's SQLite busy timeout: it blocks the event loop, so it stays short (default 250 ms). */
  busyTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isBusy = (err: unknown) => {
  const code = typeof err === 'object' && err && 'code' in err ? String((err as { code: unknown }).code) : '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
};

/**
 * Runs `fn` in one immediate transaction on a connection of its own, after checking that the
 * rows are those the plan read. A lock held by the service's writer is waited out for at most
 * `waitMs`, in short attempts with the event loop free between them; then a DbProblemError
 * (kind `locked`) says so. Nothing is written unless everything in `fn` succeeds.
 */
export async function writeSnapshots<T>(
  persistence: AtlasDatabase,
  expectedFingerprint: string,
  fn: (db: Database.Database, rows: SnapshotRecord[]) => T,
  opts: WriterOptions = {},
): Promise<T> {
  if (!persistence.exists()) {
    throw new DbProblemError({ kind: 'missing', message: `${persistence.label} not found at ${persistence.file}; check ATLAS_DATA_DIR.` });
  }
  const waitMs = opts.waitMs ?? 3000;
  const started = Date.now();
  let db: Database.Database | null = null;
  try {
    db = new Database(persistence.file, { fileMustExist: true });
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 250))}`);
    const conn = db;
    // Immediate: the write lock is taken at BEGIN, before anything is read, so the check and the
    // change see the same data and a concurrent writer makes us wait instead of failing mid-way.
    const run = conn.transaction(() => {
      const rows = readAll(conn).map(toRecord);
      if (snapshotsFingerprint(rows) !== expectedFingerprint) throw new SnapshotsChangedError('the snapshots changed since the preview');
      return fn(conn, rows);
    });
    for (;;) {
      try {
        return run.immediate();
      } catch (err) {
        if (!isBusy(err) || Date.now() - started >= waitMs) throw err;
      }
      await sleep(100);
    }
  } catch (err) {
    if (err instanceof SnapshotsChangedError || err instanceof DbProblemError) throw err;
    const problem = classifySqliteError(err, persistence.label);
    if (problem?.kind === 'locked') {
      const waited = Math.round((Date.now() - started) / 100) / 10;
      throw new DbProblemError({ ...problem, message: `${persistence.label} is locked by another writer (the service?); waited ${waited} s, nothing was changed; try again in a minute.` });
    }
    throw problem ? new DbProblemError(problem) : err;
  } finally {
    db?.close();
  }
}

/**
 * The rollback's swap, inside writeSnapshots' transaction: `deprecated_at` set on the current
 * snapshot (when there is one) and cleared on the target. Each UPDATE must change exactly one row.
 */
export function swapDeprecated(db: Database.Database, swap: { currentId: string | null; targetId: string; deprecatedAt: string }): void {
  if (swap.currentId !== null) {
    const off = db.prepare('UPDATE snapshots SET deprecated_at = ? WHERE id = ? AND deprecated_at IS NULL AND archived_at IS NULL').run(swap.deprecatedAt, swap.currentId);
    if (off.changes !== 1) throw new SnapshotsChangedError(`snapshot ${swap.currentId} is no longer active`);
  }
  const on = db.prepare('UPDATE snapshots SET deprecated_at = NULL WHERE id = ? AND archived_at IS NULL').run(swap.targetId);
  if (on.changes !== 1) throw new SnapshotsChangedError(`snapshot ${swap.targetId} is gone or archived`);
}

/** `set-cid`'s change, inside writeSnapshots' transaction: the CID, only if it is still `before`. */
export function setCid(db: Database.Database, change: { id: string; before: string; cid: string }): void {
  const done = db.prepare('UPDATE snapshots SET ipfs_cid = ? WHERE id = ? AND ipfs_cid = ?').run(change.cid, change.id, change.before);
  if (done.changes !== 1) throw new SnapshotsChangedError(`snapshot ${change.id}'s CID changed`);
}

/** Every row as `db` sees it now (inside a write's transaction: after its changes). */
export function snapshotRowsIn(db: Database.Database): SnapshotRecord[] {
  return readAll(db).map(toRecord);
}
