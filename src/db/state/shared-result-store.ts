import type Database from 'better-sqlite3';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

export type SharedResultClaim = { kind: 'ok'; json: string; createdAt: string } | { kind: 'expired' } | { kind: 'not-yours' };

/** Answers kept for their "Post to channel" button, as opaque JSON. */
export interface SharedResultStore {
  /** Saves one, removing those created before `pruneBefore`. */
  save(row: { id: string; createdAt: string; userId: string; json: string }, pruneBefore: string): Promise<void>;
  /** Takes it out once (a double click must not post twice), if `userId`'s and created since `since`. */
  claim(id: string, userId: string, since: string): Promise<SharedResultClaim>;
  /** Returns a claimed one after a failed post. */
  putBack(row: { id: string; createdAt: string; userId: string; json: string }): Promise<void>;
}

export function sharedResultStore(db: Database.Database): Synchronous<SharedResultStore> {
  const sql = statements(db);
  const insert = (r: { id: string; createdAt: string; userId: string; json: string }) =>
    sql('INSERT OR IGNORE INTO shared_results (id, created_at, user_id, report_json) VALUES (?, ?, ?, ?)').run(r.id, r.createdAt, r.userId, r.json);
  return {
    save(row, pruneBefore) {
      db.transaction(() => {
        sql('DELETE FROM shared_results WHERE created_at < ?').run(pruneBefore);
        insert(row);
      }).immediate();
    },
    claim(id, userId, since) {
      const row = sql('DELETE FROM shared_results WHERE id = ? AND user_id = ? AND created_at >= ? RETURNING report_json, created_at').get(id, userId, since) as
        | { report_json: string; created_at: string }
        | undefined;
      if (row) return { kind: 'ok', json: row.report_json, createdAt: row.created_at };
      return sql('SELECT 1 FROM shared_results WHERE id = ? AND created_at >= ?').get(id, since) ? { kind: 'not-yours' } : { kind: 'expired' };
    },
    putBack(row) {
      insert(row);
    },
  };
}
