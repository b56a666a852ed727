import type { Kysely, Updateable } from 'kysely';
import { PATCHABLE, type IncidentPatch, type IncidentStore } from '../incident-store.js';
import { iso, type Incident } from '../state-records.js';
import { atomically } from './atomically.js';
import type { StateDialect } from './state-dialect.js';
import type { IncidentsTable, StateDb } from './state-db.js';

/**
 * incident-store.ts, written once for SQLite and PostgreSQL. Numbering is a check-and-insert with
 * no row to lock: two replicas creating an incident on the same UTC day would both read the same
 * `MAX(seq)` under PostgreSQL's READ COMMITTED and one would fail on the key, so the read and the
 * insert run under `dialect.serialize` of that day (SQLite: its immediate transaction).
 * `markResolved` is one conditional UPDATE, which PostgreSQL re-checks on the row it waited for.
 */
export function kyselyIncidentStore(db: Kysely<StateDb>, dialect: StateDialect): IncidentStore {
  const get = async (on: Kysely<StateDb>, id: string) =>
    ((await on.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst()) as Incident | undefined) ?? null;
  return {
    create: (input, now) =>
      atomically(db, async (tx) => {
        const day = iso(now).slice(0, 10).replaceAll('-', '');
        await dialect.serialize(tx, `incidents:${day}`);
        const { next } = await tx
          .selectFrom('incidents')
          .select((eb) => eb(eb.fn.coalesce(eb.fn.max('seq'), eb.lit(0)), '+', 1).as('next'))
          .where('day', '=', day)
          .executeTakeFirstOrThrow();
        const id = `INC-${day}-${next}`;
        const ackAt = input.acknowledgedAt ?? null;
        await tx
          .insertInto('incidents')
          .values({
            id,
            day,
            seq: next,
            title: input.title,
            severity: input.severity,
            status: 'investigating',
            owner_id: input.ownerId,
            created_by: input.createdBy,
            alert_key: input.alertKey ?? null,
            anchor: input.anchor ?? `incident:${id}`,
            opened_at: iso(input.openedAt),
            acknowledged_at: ackAt ? iso(ackAt) : null,
            ack_seconds: ackAt ? Math.max(0, Math.round((ackAt.getTime() - input.openedAt.getTime()) / 1000)) : null,
            impact: input.impact ?? null,
            last_update_at: null,
          })
          .execute();
        return (await get(tx, id))!;
      }),
    get: (id) => get(db, id),
    byAnchor: async (anchor) =>
      ((await db.selectFrom('incidents').selectAll().where('anchor', '=', anchor).orderBy('opened_at', 'desc').limit(1).executeTakeFirst()) as Incident | undefined) ?? null,
    // Ties in opened_at in creation order (day, seq), as SQLite's scan in insertion order left them.
    open: async () =>
      (await db.selectFrom('incidents').selectAll().where('status', '<>', 'resolved').orderBy('opened_at').orderBy('day').orderBy('seq').execute()) as Incident[],
    async update(id, patch) {
      const keys = (Object.keys(patch) as (keyof IncidentPatch)[]).filter((k) => PATCHABLE.has(k));
      if (keys.length === 0) return await get(db, id);
      // Column names come from the fixed PATCHABLE set, never from input; a key given as undefined clears its column.
      const set = Object.fromEntries(keys.map((k) => [k, patch[k] ?? null])) as Updateable<IncidentsTable>;
      return ((await db.updateTable('incidents').set(set).where('id', '=', id).returningAll().executeTakeFirst()) as Incident | undefined) ?? null;
    },
    async markResolved(id) {
      const r = await db.updateTable('incidents').set({ status: 'resolved' }).where('id', '=', id).where('status', '<>', 'resolved').executeTakeFirst();
      return r.numUpdatedRows === 1n;
    },
    openedBetween: async (from, to) =>
      (await db.selectFrom('incidents').selectAll().where('opened_at', '>=', iso(from)).where('opened_at', '<', iso(to)).orderBy('opened_at').orderBy('id').execute()) as Incident[],
    reviewsOpen: async () =>
      (await db.selectFrom('incidents').selectAll().where('status', '=', 'resolved').where('review_done_at', 'is', null).orderBy('resolved_at').orderBy('id').execute()) as Incident[],
  };
}
