import type { Kysely } from 'kysely';
import { iso, type TimerKind, type TimerRow } from '../state-records.js';
import type { TimerScope, TimerStore } from '../timer-store.js';
import type { StateDb } from './state-db.js';

/** timer-store.ts, written once for SQLite and PostgreSQL; the same rows and answers on both. */
export function kyselyTimerStore(db: Kysely<StateDb>): TimerStore {
  const pendingTimers = () => db.selectFrom('timers').where('fired_at', 'is', null).where('cancelled_at', 'is', null);
  const pending = async (scope: TimerScope): Promise<TimerRow[]> => {
    const query = 'incidentId' in scope ? pendingTimers().where('incident_id', '=', scope.incidentId) : pendingTimers().where('alert_key', '=', scope.alertKey).where('incident_id', 'is', null);
    return (await query.selectAll().orderBy('due_at').orderBy('id').execute()) as TimerRow[];
  };
  const cancel = async (id: number, now: Date, why?: string) => {
    await db
      .updateTable('timers')
      .set((eb) => ({ cancelled_at: iso(now), last_error: eb.fn.coalesce(eb.val(why ?? null), eb.ref('last_error')) }))
      .where('id', '=', id)
      .where('fired_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .execute();
  };
  return {
    async schedule(t, now) {
      const row = await db
        .insertInto('timers')
        .values({ incident_id: t.incidentId ?? null, alert_key: t.alertKey ?? null, kind: t.kind, due_at: iso(t.due), created_at: iso(now) })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },
    get: async (id) => ((await db.selectFrom('timers').selectAll().where('id', '=', id).executeTakeFirst()) as TimerRow | undefined) ?? null,
    pending,
    firedKinds: async (incidentId) =>
      new Set(
        (await db.selectFrom('timers').select('kind').distinct().where('incident_id', '=', incidentId).where('fired_at', 'is not', null).execute()).map(
          (r) => r.kind as TimerKind,
        ),
      ),
    due: async (now) => (await pendingTimers().selectAll().where('due_at', '<=', iso(now)).orderBy('due_at').orderBy('id').execute()) as TimerRow[],
    isPending: async (id) => (await pendingTimers().select('id').where('id', '=', id).executeTakeFirst()) !== undefined,
    async markFired(id, now) {
      await db
        .updateTable('timers')
        .set((eb) => ({ fired_at: iso(now), attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id)
        .execute();
    },
    cancel,
    async cancelKind(scope, kind, now) {
      for (const t of await pending(scope)) if (t.kind === kind) await cancel(t.id, now);
    },
    async settle(incidentId, alertKey, kind, now) {
      const settled = await db
        .updateTable('timers')
        .set({ fired_at: iso(now) })
        .where('incident_id', '=', incidentId)
        .where('kind', '=', kind)
        .where('fired_at', 'is', null)
        .where('cancelled_at', 'is', null)
        .executeTakeFirst();
      if (settled.numUpdatedRows === 0n) {
        await db
          .insertInto('timers')
          .values({ incident_id: incidentId, alert_key: alertKey, kind, due_at: iso(now), created_at: iso(now), fired_at: iso(now) })
          .execute();
      }
    },
    async recordFailure(id, message, maxAttempts, now) {
      await db
        .updateTable('timers')
        .set((eb) => ({
          attempts: eb('attempts', '+', 1),
          last_error: message.slice(0, 500),
          cancelled_at: eb
            .case()
            .when(eb('attempts', '+', 1), '>=', maxAttempts)
            .then(iso(now))
            .else(eb.ref('cancelled_at'))
            .end(),
        }))
        .where('id', '=', id)
        .where('fired_at', 'is', null)
        .where('cancelled_at', 'is', null)
        .execute();
    },
  };
}
