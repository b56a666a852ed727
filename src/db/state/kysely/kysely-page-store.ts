import type { Kysely } from 'kysely';
import type { PageRow, PageStore } from '../page-store.js';
import { iso, type Incident } from '../state-records.js';
import type { StateDb } from './state-db.js';

/** page-store.ts, written once for SQLite and PostgreSQL. */
export function kyselyPageStore(db: Kysely<StateDb>): PageStore {
  return {
    async record(p) {
      await db.insertInto('pages').values({ user_id: p.userId, at: iso(p.at), kind: p.kind, alert_key: p.alertKey ?? null, incident_id: p.incidentId ?? null }).execute();
    },
    between: async (from, to, userId) =>
      (await db
        .selectFrom('pages')
        .selectAll()
        .$if(userId !== undefined, (q) => q.where('user_id', '=', userId!))
        .where('at', '>=', iso(from))
        .where('at', '<', iso(to))
        .orderBy('at')
        .orderBy('id')
        .execute()) as PageRow[],
    async markReliefSuggested(userId, shiftStart, nights, now) {
      const r = await db
        .insertInto('relief_suggestions')
        .values({ user_id: userId, shift_start: iso(shiftStart), nights, suggested_at: iso(now) })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return r.numInsertedOrUpdatedRows === 1n;
    },
    incidentsActive: async (from, to) =>
      (await db
        .selectFrom('incidents')
        .selectAll()
        .where('opened_at', '<', iso(to))
        .where((eb) => eb.or([eb('resolved_at', 'is', null), eb('resolved_at', '>=', iso(from))]))
        .orderBy('opened_at')
        .orderBy('id')
        .execute()) as Incident[],
  };
}
