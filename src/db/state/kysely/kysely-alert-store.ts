import type { ExpressionBuilder, Kysely } from 'kysely';
import type { AlertFiring, AlertFiringRecord, AlertStore } from '../alert-store.js';
import { iso, type AlertRecord } from '../state-records.js';
import { atomically } from './atomically.js';
import type { StateDialect } from './state-dialect.js';
import type { StateDb } from './state-db.js';

/** A firing's columns as insert and refire both set them (name … group_lead, with updated_at). */
function firingColumns(f: AlertFiring, now: Date) {
  return {
    name: f.name,
    severity: f.severity,
    severity_known: f.severityBasis,
    symptom_id: f.symptomId,
    message: f.message,
    sources: JSON.stringify(f.sources),
    fingerprints: JSON.stringify(f.fingerprints),
    runbook_url: f.runbookUrl,
    fired_at: iso(f.firedAt),
    updated_at: iso(now),
    fired_at_note: f.firedAtNote ?? null,
    group_key: f.groupKey ?? null,
    group_reason: f.groupReason ?? null,
    group_lead: f.groupLead ?? null,
  };
}

/**
 * `column` starts with `prefix`, exactly (case and all), on both engines: SQLite's `GLOB 'p*'`
 * has no PostgreSQL twin, and LIKE ignores case on SQLite.
 */
function startsWith(eb: ExpressionBuilder<StateDb, 'alerts'>, column: 'key' | 'group_key', prefix: string) {
  return eb(eb.fn('substr', [eb.ref(column), eb.val(1), eb.fn('length', [eb.cast(eb.val(prefix), 'text')])]), '=', prefix);
}

/**
 * alert-store.ts, written once for SQLite and PostgreSQL. Two replicas reading the same alert from
 * metrics.db post it once because the state decides, not timing: a first firing is an INSERT
 * `ON CONFLICT (key) DO NOTHING` (the loser, on PostgreSQL after waiting for the winner's commit,
 * inserts nothing and answers false), and every other check-and-set (refire, resolve,
 * linkIncident) is one UPDATE whose WHERE PostgreSQL re-checks on the row as the winner left it.
 * Each change and the copy of its firing into alert_firings are one (`atomically`).
 */
export function kyselyAlertStore(db: Kysely<StateDb>, dialect: StateDialect): AlertStore {
  const get = async (key: string) => ((await db.selectFrom('alerts').selectAll().where('key', '=', key).executeTakeFirst()) as AlertRecord | undefined) ?? null;
  const firing = () => db.selectFrom('alerts').selectAll().where('status', '=', 'firing');
  /** Each firing is kept, so the handoff can count them; written with the alert's own change. */
  const recordFiring = async (tx: Kysely<StateDb>, key: string) => {
    await tx
      .insertInto('alert_firings')
      .columns(['alert_key', 'firing', 'name', 'severity', 'fired_at', 'resolved_at', 'acknowledged_at'])
      .expression(tx.selectFrom('alerts').select(['key', 'fire_count', 'name', 'severity', 'fired_at', 'resolved_at', 'acknowledged_at']).where('key', '=', key))
      .onConflict((oc) =>
        oc.columns(['alert_key', 'firing']).doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          severity: eb.ref('excluded.severity'),
          fired_at: eb.ref('excluded.fired_at'),
          resolved_at: eb.ref('excluded.resolved_at'),
          acknowledged_at: eb.ref('excluded.acknowledged_at'),
        })),
      )
      .execute();
  };
  /** A check-and-set of the alert's row (`change` answers how many rows it wrote), its firing recorded when it wrote one. */
  const changed = (key: string, change: (tx: Kysely<StateDb>) => Promise<bigint | undefined>) =>
    atomically(db, async (tx) => {
      const done = (await change(tx)) === 1n;
      if (done) await recordFiring(tx, key);
      return done;
    });
  const firings = () => db.selectFrom('alert_firings').selectAll();
  return {
    get,
    getForChange: async (key) => ((await dialect.rowLock(db.selectFrom('alerts').selectAll().where('key', '=', key)).executeTakeFirst()) as AlertRecord | undefined) ?? null,
    firing: async () => (await firing().orderBy('fired_at').orderBy('key').execute()) as AlertRecord[],
    awaitingAck: async () => (await firing().where('incident_id', 'is', null).orderBy('fired_at', 'desc').orderBy('key').execute()) as AlertRecord[],
    firingOf: async (incidentId) =>
      await db.selectFrom('alerts').select(['key', 'name']).where('incident_id', '=', incidentId).where('status', '=', 'firing').orderBy('key').execute(),
    firingNamesWithPrefix: async (prefix) =>
      // The wildcards GLOB would have read are dropped, as before: a prefix is matched as written.
      (await db.selectFrom('alerts').select('name').where('status', '=', 'firing').where((eb) => startsWith(eb, 'key', prefix.replace(/[*?[]/g, ''))).orderBy('key').execute()).map(
        (r) => r.name,
      ),
    insert: (key, f, now) =>
      changed(key, async (tx) =>
        (await tx
          .insertInto('alerts')
          .values({ key, ...firingColumns(f, now), status: 'firing', source_fired_at: f.sourceFiredAt, fire_count: 1, resolved_sources: '[]', resolved_by: null })
          .onConflict((oc) => oc.column('key').doNothing())
          .executeTakeFirst()).numInsertedOrUpdatedRows,
      ),
    refire: (key, f, now) =>
      changed(key, async (tx) =>
        (await tx
          .updateTable('alerts')
          .set((eb) => ({
            ...firingColumns(f, now),
            status: 'firing',
            resolved_at: null,
            source_fired_at: eb.fn.coalesce(eb.val(f.sourceFiredAt), eb.ref('source_fired_at')),
            fire_count: eb('fire_count', '+', 1),
            incident_id: null,
            acknowledged_by: null,
            acknowledged_at: null,
            resolved_sources: '[]',
            resolved_by: null,
          }))
          .where('key', '=', key)
          .where('status', '=', 'resolved')
          .executeTakeFirst()).numUpdatedRows,
      ),
    async noteReport(key, f, now) {
      await db
        .updateTable('alerts')
        .set({
          sources: JSON.stringify(f.sources),
          resolved_sources: JSON.stringify(f.resolvedSources),
          fingerprints: JSON.stringify(f.fingerprints),
          source_fired_at: f.sourceFiredAt,
          runbook_url: f.runbookUrl,
          updated_at: iso(now),
        })
        .where('key', '=', key)
        .execute();
    },
    resolve: (key, at, now, resolvedBy) =>
      changed(key, async (tx) =>
        (await tx
          .updateTable('alerts')
          .set({ status: 'resolved', resolved_at: iso(at), resolved_by: resolvedBy ?? null, updated_at: iso(now) })
          .where('key', '=', key)
          .where('status', '=', 'firing')
          .executeTakeFirst()).numUpdatedRows,
      ),
    resolvedSince: async (since) =>
      (await db.selectFrom('alerts').selectAll().where('status', '=', 'resolved').where('resolved_at', '>=', iso(since)).orderBy('resolved_at', 'desc').orderBy('key').execute()) as AlertRecord[],
    async openGroupLead(groupKey, exceptKey) {
      const row = await db
        .selectFrom('alerts as a')
        .leftJoin('incidents as i', 'i.id', 'a.incident_id')
        .select((eb) => eb.fn.coalesce('a.group_lead', 'a.key').as('lead'))
        .where('a.group_key', '=', groupKey)
        .where('a.key', '!=', exceptKey)
        .where((eb) => eb.or([eb('a.status', '=', 'firing'), eb.and([eb('i.id', 'is not', null), eb('i.status', '!=', 'resolved')])]))
        // Alerts that lead (no group_lead) first: false before true on both engines.
        .orderBy((eb) => eb('a.group_lead', 'is not', null))
        .orderBy('a.fired_at')
        .orderBy('a.key')
        .limit(1)
        .executeTakeFirst();
      if (!row || row.lead === exceptKey) return null;
      return await get(row.lead);
    },
    membersOf: async (leadKey) => (await db.selectFrom('alerts').selectAll().where('group_lead', '=', leadKey).orderBy('fired_at').orderBy('key').execute()) as AlertRecord[],
    openProviderGroups: async () =>
      (
        await db
          .selectFrom('alerts')
          .select('group_key')
          .distinct()
          .where('status', '=', 'firing')
          .where((eb) => startsWith(eb, 'group_key', 'provider:'))
          .orderBy('group_key')
          .execute()
      ).map((r) => r.group_key!),
    ungroupedFiring: async () => (await firing().where('group_key', 'is', null).orderBy('fired_at').orderBy('key').execute()) as AlertRecord[],
    async setGroup(key, groupKey, reason, lead, now) {
      await db.updateTable('alerts').set({ group_key: groupKey, group_reason: reason, group_lead: lead, updated_at: iso(now) }).where('key', '=', key).execute();
    },
    firingInGroup: async (groupKey) => (await firing().where('group_key', '=', groupKey).orderBy('fired_at').orderBy('key').execute()) as AlertRecord[],
    linkIncident: (key, incidentId, by, now) =>
      changed(key, async (tx) =>
        (await tx
          .updateTable('alerts')
          .set({ incident_id: incidentId, acknowledged_by: by, acknowledged_at: iso(now), updated_at: iso(now) })
          .where('key', '=', key)
          .where('incident_id', 'is', null)
          .executeTakeFirst()).numUpdatedRows,
      ),
    firingsSince: async (since) =>
      (await firings()
        .where((eb) => eb.or([eb('fired_at', '>=', iso(since)), eb('resolved_at', 'is', null), eb('resolved_at', '>=', iso(since))]))
        .orderBy('fired_at')
        .orderBy('alert_key')
        .orderBy('firing')
        .execute()) as AlertFiringRecord[],
    firingsBetween: async (from, to) =>
      (await firings().where('fired_at', '>=', iso(from)).where('fired_at', '<', iso(to)).orderBy('fired_at').orderBy('alert_key').orderBy('firing').execute()) as AlertFiringRecord[],
  };
}
