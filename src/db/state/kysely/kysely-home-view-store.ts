import type { Kysely } from 'kysely';
import type { HomeViewStore } from '../home-view-store.js';
import { iso } from '../state-records.js';
import { atomically } from './atomically.js';
import type { StateDialect } from './state-dialect.js';
import type { StateDb } from './state-db.js';

/** home-view-store.ts, written once for SQLite and PostgreSQL; claims skip rows another replica's open claim holds. */
export function kyselyHomeViewStore(db: Kysely<StateDb>, dialect: StateDialect): HomeViewStore {
  return {
    async opened(user, now) {
      await db
        .insertInto('home_views')
        .values({ user_id: user, opened_at: iso(now) })
        .onConflict((oc) => oc.column('user_id').doUpdateSet((eb) => ({ opened_at: eb.ref('excluded.opened_at') })))
        .execute();
    },
    async markStale(now) {
      await db
        .updateTable('home_views')
        .set((eb) => ({ stale_at: eb.fn.coalesce('stale_at', eb.val(iso(now))) }))
        .execute();
    },
    claimStale: (o) =>
      atomically(db, async (tx) => {
        const stale = tx
          .selectFrom('home_views')
          .select('user_id')
          .where('opened_at', '>=', iso(o.openSince))
          .where('stale_at', 'is not', null)
          .where((eb) => eb.or([eb('published_at', 'is', null), eb('published_at', '<', iso(o.publishedBefore))]))
          .orderBy('stale_at')
          .limit(o.limit);
        const users = (await dialect.claimLock(stale, 'home_views').execute()).map((r) => r.user_id);
        for (const user of users) await tx.updateTable('home_views').set({ stale_at: null, published_at: iso(o.now) }).where('user_id', '=', user).execute();
        return users;
      }),
    async published(user, now) {
      await db.updateTable('home_views').set({ published_at: iso(now) }).where('user_id', '=', user).execute();
    },
  };
}
