import type Database from 'better-sqlite3';
import { iso } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

export interface HomeViewStore {
  /** Someone opened the bot's Home tab (app_home_opened). */
  opened(user: string, now: Date): Promise<void>;
  /** Something the Home tab shows changed: every Home tab is stale until it is published again. */
  markStale(now: Date): Promise<void>;
  /**
   * Claims the Home tabs to publish again: opened since `openSince`, stale, and last published
   * before `publishedBefore` (at most one publish per person per interval). Two processes never claim one twice.
   */
  claimStale(opts: { openSince: Date; publishedBefore: Date; now: Date; limit: number }): Promise<string[]>;
  /** A Home tab was published from the state as of `now`. */
  published(user: string, now: Date): Promise<void>;
}

export function homeViewStore(db: Database.Database): Synchronous<HomeViewStore> {
  const sql = statements(db);
  const claim = db.transaction((o: { openSince: Date; publishedBefore: Date; now: Date; limit: number }): string[] => {
    const users = (
      sql(
        `SELECT user_id FROM home_views
         WHERE opened_at >= ? AND stale_at IS NOT NULL AND (published_at IS NULL OR published_at < ?)
         ORDER BY stale_at LIMIT ?`,
      ).all(iso(o.openSince), iso(o.publishedBefore), o.limit) as { user_id: string }[]
    ).map((r) => r.user_id);
    for (const user of users) sql('UPDATE home_views SET stale_at = NULL, published_at = ? WHERE user_id = ?').run(iso(o.now), user);
    return users;
  });
  return {
    opened: (user, now) =>
      void sql('INSERT INTO home_views (user_id, opened_at) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET opened_at = excluded.opened_at').run(user, iso(now)),
    markStale: (now) => void sql('UPDATE home_views SET stale_at = COALESCE(stale_at, ?)').run(iso(now)),
    claimStale: (o) => claim.immediate(o),
    published: (user, now) => void sql('UPDATE home_views SET published_at = ? WHERE user_id = ?').run(iso(now), user),
  };
}
