import type { Kysely } from 'kysely';
import { iso } from '../state-records.js';
import type { TimelineStore } from '../timeline-store.js';
import type { StateDb } from './state-db.js';

/** timeline-store.ts, written once for SQLite and PostgreSQL. */
export function kyselyTimelineStore(db: Kysely<StateDb>): TimelineStore {
  return {
    async add(incidentId, e) {
      await db
        .insertInto('incident_events')
        .values({ incident_id: incidentId, at: iso(e.at), actor: e.actor, kind: e.kind, text: e.text, data: e.data === undefined ? null : JSON.stringify(e.data) })
        .execute();
    },
    list: async (incidentId) => await db.selectFrom('incident_events').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute(),
  };
}
