import type { Kysely } from 'kysely';
import type { OnCallRole, OverrideRow, OverrideStore } from '../override-store.js';
import { iso } from '../state-records.js';
import { atomically } from './atomically.js';
import type { StateDialect } from './state-dialect.js';
import type { StateDb } from './state-db.js';

/**
 * override-store.ts, written once for SQLite and PostgreSQL. Adding is a check-and-insert with no
 * row to lock yet: two replicas adding overlapping overrides at once must not both win, so the
 * check runs under `dialect.serialize` (PostgreSQL: an advisory lock; SQLite: its immediate transaction).
 */
export function kyselyOverrideStore(db: Kysely<StateDb>, dialect: StateDialect): OverrideStore {
  const overlapping = async (on: Kysely<StateDb>, role: OnCallRole | null, from: Date, to: Date) =>
    (await on
      .selectFrom('oncall_overrides')
      .selectAll()
      .where('removed_at', 'is', null)
      .where('from_at', '<', iso(to))
      .where('until_at', '>', iso(from))
      .$if(role !== null, (q) => q.where('role', '=', role!))
      .orderBy('from_at')
      .orderBy('id')
      .execute()) as OverrideRow[];
  return {
    add: (o, now) =>
      atomically(db, async (tx) => {
        await dialect.serialize(tx, 'oncall_overrides');
        const clash = (await overlapping(tx, o.role, o.from, o.until))[0];
        if (clash) return { overlaps: clash };
        const row = await tx
          .insertInto('oncall_overrides')
          .values({ user_id: o.user, role: o.role, from_at: iso(o.from), until_at: iso(o.until), created_by: o.createdBy, created_at: iso(now), authority: o.authority })
          .returning('id')
          .executeTakeFirstOrThrow();
        return { id: row.id };
      }),
    async remove(id, by, now) {
      const r = await db
        .updateTable('oncall_overrides')
        .set({ removed_by: by, removed_at: iso(now) })
        .where('id', '=', id)
        .where('removed_at', 'is', null)
        .where('until_at', '>', iso(now))
        .executeTakeFirst();
      return r.numUpdatedRows === 1n;
    },
    get: async (id) => ((await db.selectFrom('oncall_overrides').selectAll().where('id', '=', id).executeTakeFirst()) as OverrideRow | undefined) ?? null,
    overlapping: (from, to) => overlapping(db, null, from, to),
  };
}
