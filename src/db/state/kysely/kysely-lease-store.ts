import type { Kysely } from 'kysely';
import type { Fence, LeaseRow, LeaseStore } from '../lease-store.js';
import { iso } from '../state-records.js';
import type { StateDialect } from './state-dialect.js';
import type { StateDb } from './state-db.js';

/** lease-store.ts, written once for SQLite and PostgreSQL. */
export function kyselyLeaseStore(db: Kysely<StateDb>, dialect: StateDialect): LeaseStore {
  return {
    async acquire(name, holder, now, ttlMs) {
      const at = iso(now);
      const row = await db
        .insertInto('leases')
        .values({ name, holder, fencing_token: 1, expires_at: iso(new Date(now.getTime() + ttlMs)) })
        .onConflict((oc) =>
          oc
            .column('name')
            .doUpdateSet((eb) => ({
              // Still ours: the same token. Expired (ours or another's): the next one.
              fencing_token: eb
                .case()
                .when(eb.and([eb('leases.holder', '=', eb.ref('excluded.holder')), eb('leases.expires_at', '>', at)]))
                .then(eb.ref('leases.fencing_token'))
                .else(eb('leases.fencing_token', '+', 1))
                .end(),
              holder: eb.ref('excluded.holder'),
              expires_at: eb.ref('excluded.expires_at'),
            }))
            .where((eb) => eb.or([eb('leases.holder', '=', eb.ref('excluded.holder')), eb('leases.expires_at', '<=', at)])),
        )
        .returning('fencing_token')
        .executeTakeFirst();
      return row ? { name, holder, token: row.fencing_token } : null;
    },
    async holds(fence: Fence, now) {
      const row = await dialect
        .rowLock(db.selectFrom('leases').select(['holder', 'fencing_token', 'expires_at']).where('name', '=', fence.name))
        .executeTakeFirst();
      return row !== undefined && row.holder === fence.holder && row.fencing_token === fence.token && row.expires_at > iso(now);
    },
    async release(name, holder, now) {
      await db.updateTable('leases').set({ expires_at: iso(now) }).where('name', '=', name).where('holder', '=', holder).where('expires_at', '>', iso(now)).execute();
    },
    list: async () => (await db.selectFrom('leases').selectAll().orderBy('name').execute()) as LeaseRow[],
  };
}
