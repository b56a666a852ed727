import Database from 'better-sqlite3';
import { classifySqliteError, DbProblemError } from './sqlite-problem.js';
import { toSqlTime } from '../time/atlas-time.js';
import type { AtlasDatabase } from './atlas-database.js';

/**
 * The only writes the bot makes to metrics.db outside a confirmed remediation: the alert
 * status changes the on-call guide itself does by hand (acknowledge, resolve). Each write is
 * one short transaction on its own connection; the lock wait is short because better-sqlite3
 * blocks the event loop while it waits.
 */
function withWriter<T>(metrics: AtlasDatabase, fn: (db: Database.Database) => T): T {
  if (!metrics.exists()) {
    throw new DbProblemError({ kind: 'missing', message: `${metrics.label} not found at ${metrics.file}; check ATLAS_DATA_DIR.` });
  }
  let db: Database.Database | null = null;
  try {
    db = new Database(metrics.file, { fileMustExist: true });
    db.pragma('busy_timeout = 250');
    // Immediate: the write lock is taken at the start, so a concurrent writer makes it wait, not fail mid-way.
    return db.transaction(() => fn(db!)).immediate();
  } catch (err) {
    const problem = classifySqliteError(err, metrics.label);
    throw problem ? new DbProblemError(problem) : err;
  } finally {
    db?.close();
  }
}

/** Sets acknowledged_at on a firing alert row (metrics.db keeps one row per name); true when a row changed. */
export function markAtlasAlertAcknowledged(metrics: AtlasDatabase, name: string, at: Date): boolean {
  if (!metrics.hasColumn('alerts', 'acknowledged_at')) return false;
  return withWriter(metrics, (db) =>
    db.prepare("UPDATE alerts SET acknowledged_at = ? WHERE name = ? AND status = 'firing' AND acknowledged_at IS NULL").run(toSqlTime(at), name).changes > 0,
  );
}

/** The guide's "clear stuck alerts": resolves a firing row; true when a row changed. */
export function resolveAtlasAlert(metrics: AtlasDatabase, name: string, at: Date): boolean {
  if (!metrics.hasColumn('alerts', 'resolved_at')) return false;
  return withWriter(metrics, (db) =>
    db.prepare("UPDATE alerts SET status = 'resolved', resolved_at = ? WHERE name = ? AND status = 'firing'").run(toSqlTime(at), name).changes > 0,
  );
}
