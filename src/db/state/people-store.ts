import type Database from 'better-sqlite3';
import { iso } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

/** A person's name as Slack last gave it, and when it asked. */
export interface KnownPerson {
  user_id: string;
  name: string;
  fetched_at: string;
}

/** People's names (users.info), remembered so that the terminal, which has no Slack, still names who it has seen. */
export interface PeopleStore {
  get(userId: string): Promise<KnownPerson | null>;
  put(userId: string, name: string, now: Date): Promise<void>;
}

export function peopleStore(db: Database.Database): Synchronous<PeopleStore> {
  const sql = statements(db);
  return {
    get: (userId) => (sql('SELECT user_id, name, fetched_at FROM people WHERE user_id = ?').get(userId) as KnownPerson | undefined) ?? null,
    put(userId, name, now) {
      sql('INSERT INTO people (user_id, name, fetched_at) VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, fetched_at = excluded.fetched_at').run(
        userId,
        name,
        iso(now),
      );
    },
  };
}
