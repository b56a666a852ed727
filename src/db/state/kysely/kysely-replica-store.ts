import type { Kysely } from 'kysely';
import type { ReplicaRow, ReplicaStore } from '../replica-store.js';
import { iso } from '../state-records.js';
import type { StateDb } from './state-db.js';

/** replica-store.ts, written once for SQLite and PostgreSQL. */
export function kyselyReplicaStore(db: Kysely<StateDb>): ReplicaStore {
  return {
    async report(replica, now) {
      const seen = iso(now);
      await db
        .insertInto('replicas')
        .values({ ...replica, seen_at: seen, stopped_at: null })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => ({ reaches_data: eb.ref('excluded.reaches_data'), seen_at: eb.ref('excluded.seen_at'), stopped_at: null })),
        )
        .execute();
    },
    async stopped(id, now) {
      await db.updateTable('replicas').set({ stopped_at: iso(now) }).where('id', '=', id).execute();
    },
    live: async (since) =>
      (await db.selectFrom('replicas').selectAll().where('stopped_at', 'is', null).where('seen_at', '>=', iso(since)).orderBy('name').orderBy('id').execute()) as ReplicaRow[],
    async prune(before) {
      const r = await db.deleteFrom('replicas').where('seen_at', '<', iso(before)).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
