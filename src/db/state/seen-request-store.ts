import type Database from 'better-sqlite3';
import { iso } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

/** How often, at most, expired rows are deleted (by the process that happens to take a request). */
const PRUNE_EVERY_MS = 60_000;

/**
 * Signed Slack requests already taken, so that a replay of one within its window is refused:
 * kept in chatops.db, so two bot processes on one state agree on what was seen.
 */
export interface SeenRequestStore {
  /**
   * Records `signatureHash` until `expiresAt` and answers true, or answers false when it is
   * already recorded and not yet expired: a replay. One statement, so two processes taking the
   * same request at the same instant cannot both see it first.
   */
  firstSight(signatureHash: string, expiresAt: Date, now: Date): Promise<boolean>;
  /** Deletes expired rows; answers how many. */
  prune(now: Date): Promise<number>;
}

export function seenRequestStore(db: Database.Database): Synchronous<SeenRequestStore> {
  const sql = statements(db);
  let lastPruneMs = -Infinity;
  const prune = (now: Date) => sql('DELETE FROM seen_slack_requests WHERE expires_at <= ?').run(iso(now)).changes;
  return {
    firstSight(signatureHash, expiresAt, now) {
      if (now.getTime() - lastPruneMs >= PRUNE_EVERY_MS) {
        lastPruneMs = now.getTime();
        prune(now);
      }
      // Inserted, or an expired row taken over: one change. A live row: no change, a replay.
      const taken = sql(
        `INSERT INTO seen_slack_requests (signature_hash, expires_at) VALUES (?, ?)
         ON CONFLICT (signature_hash) DO UPDATE SET expires_at = excluded.expires_at
         WHERE seen_slack_requests.expires_at <= ?`,
      ).run(signatureHash, iso(expiresAt), iso(now)).changes;
      return taken === 1;
    },
    prune,
  };
}
