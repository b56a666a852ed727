import type { Kysely } from 'kysely';
import type { PeopleStore } from '../people-store.js';
import { iso } from '../state-records.js';
import type { StateDb } from './state-db.js';

/** people-store.ts, written once for SQLite and PostgreSQL. */
export function kyselyPeopleStore(db: Kysely<StateDb>): PeopleStore {
  return {
    get: async (userId) => (await db.selectFrom('people').select(['user_id', 'name', 'fetched_at']).where('user_id', '=', userId).executeTakeFirst()) ?? null,
    async put(userId, name, now) {
      await db
        .insertInto('people')
        .values({ user_id: userId, name, fetched_at: iso(now) })
        .onConflict((oc) => oc.column('user_id').doUpdateSet((eb) => ({ name: eb.ref('excluded.name'), fetched_at: eb.ref('excluded.fetched_at') })))
        .execute();
    },
  };
}
