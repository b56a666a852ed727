import type { Kysely } from 'kysely';
import type { PagerDutyIncidentLink, PagerDutyPage, PagerDutyProblem, PagerDutyStore } from '../pagerduty-store.js';
import { iso } from '../state-records.js';
import type { StateDb } from './state-db.js';

/**
 * pagerduty-store.ts, written once for SQLite and PostgreSQL. Every write is one statement: a
 * delivery recorded once by its id's key (`ON CONFLICT DO NOTHING`, so of two replicas receiving
 * the same redelivery one records it), links, pages and problems upserted by their keys.
 */
export function kyselyPagerDutyStore(db: Kysely<StateDb>): PagerDutyStore {
  const byAlert = async (key: string) =>
    ((await db.selectFrom('pagerduty_incidents').selectAll().where('alert_key', '=', key).orderBy('last_event_at', 'desc').limit(1).executeTakeFirst()) as
      | PagerDutyIncidentLink
      | undefined) ?? null;
  return {
    async recordEvent(e, now) {
      const r = await db
        .insertInto('pagerduty_events')
        .values({ event_id: e.eventId, event_type: e.eventType, pd_incident_id: e.pdIncidentId, occurred_at: iso(e.occurredAt), received_at: iso(now) })
        .onConflict((oc) => oc.column('event_id').doNothing())
        .executeTakeFirst();
      return r.numInsertedOrUpdatedRows === 1n;
    },
    seen: async (eventId) => (await db.selectFrom('pagerduty_events').select('event_id').where('event_id', '=', eventId).executeTakeFirst()) !== undefined,
    incident: async (id) => ((await db.selectFrom('pagerduty_incidents').selectAll().where('pd_incident_id', '=', id).executeTakeFirst()) as PagerDutyIncidentLink | undefined) ?? null,
    byAlert,
    async currentLink(alert) {
      const link = await byAlert(alert.key);
      return link && (link.status !== 'resolved' || alert.status === 'resolved') ? link : null;
    },
    async saveIncident(l) {
      await db
        .insertInto('pagerduty_incidents')
        .values({
          pd_incident_id: l.pdIncidentId,
          alert_key: l.alertKey,
          incident_id: l.incidentId,
          status: l.status,
          html_url: l.htmlUrl,
          last_event_at: iso(l.lastEventAt),
          incident_key: l.incidentKey,
        })
        .onConflict((oc) =>
          oc.column('pd_incident_id').doUpdateSet((eb) => ({
            alert_key: eb.ref('excluded.alert_key'),
            incident_id: eb.ref('excluded.incident_id'),
            status: eb.ref('excluded.status'),
            html_url: eb.ref('excluded.html_url'),
            last_event_at: eb.ref('excluded.last_event_at'),
            // The dedup key PagerDuty opened it for is kept when a later event does not say it.
            incident_key: eb.fn.coalesce('excluded.incident_key', 'pagerduty_incidents.incident_key'),
          })),
        )
        .execute();
    },
    async setIncidentStatus(id, status) {
      await db.updateTable('pagerduty_incidents').set({ status }).where('pd_incident_id', '=', id).execute();
    },
    page: async (key, fireCount) =>
      ((await db.selectFrom('pagerduty_pages').selectAll().where('alert_key', '=', key).where('fire_count', '=', fireCount).executeTakeFirst()) as PagerDutyPage | undefined) ?? null,
    pageByDedupKey: async (dedupKey) =>
      ((await db.selectFrom('pagerduty_pages').selectAll().where('dedup_key', '=', dedupKey).orderBy('fire_count', 'desc').limit(1).executeTakeFirst()) as PagerDutyPage | undefined) ??
      null,
    async savePage(p) {
      await db
        .insertInto('pagerduty_pages')
        .values({ alert_key: p.alert_key, fire_count: p.fire_count, dedup_key: p.dedup_key, status: p.status })
        .onConflict((oc) => oc.columns(['alert_key', 'fire_count']).doUpdateSet((eb) => ({ status: eb.ref('excluded.status') })))
        .execute();
    },
    problem: async (anchor) => ((await db.selectFrom('pagerduty_problems').selectAll().where('anchor', '=', anchor).executeTakeFirst()) as PagerDutyProblem | undefined) ?? null,
    async setProblem(p, now) {
      // INSERT OR REPLACE of the better-sqlite3 store: the row is the new one whole.
      await db
        .insertInto('pagerduty_problems')
        .values({ anchor: p.anchor, action: p.action, problem: p.problem, html_url: p.html_url, at: iso(now) })
        .onConflict((oc) =>
          oc.column('anchor').doUpdateSet((eb) => ({ action: eb.ref('excluded.action'), problem: eb.ref('excluded.problem'), html_url: eb.ref('excluded.html_url'), at: eb.ref('excluded.at') })),
        )
        .execute();
    },
    async clearProblem(anchor) {
      const r = await db.deleteFrom('pagerduty_problems').where('anchor', '=', anchor).executeTakeFirst();
      return r.numDeletedRows > 0n;
    },
  };
}
