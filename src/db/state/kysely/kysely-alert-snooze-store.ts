import type { Kysely } from 'kysely';
import type { AlertSnooze, AlertSnoozeStore } from '../alert-snooze-store.js';
import { iso } from '../state-records.js';
import type { StateDb } from './state-db.js';

/** alert-snooze-store.ts, written once for SQLite and PostgreSQL. */
export function kyselyAlertSnoozeStore(db: Kysely<StateDb>): AlertSnoozeStore {
  return {
    async set(s, now) {
      await db
        .insertInto('alert_snoozes')
        .values({ alert_key: s.alert_key, fire_count: s.fire_count, timer_id: s.timer_id, snoozed_by: s.snoozed_by, until: iso(s.until), snoozed_at: iso(now) })
        .onConflict((oc) =>
          oc.column('alert_key').doUpdateSet((eb) => ({
            fire_count: eb.ref('excluded.fire_count'),
            timer_id: eb.ref('excluded.timer_id'),
            snoozed_by: eb.ref('excluded.snoozed_by'),
            until: eb.ref('excluded.until'),
            snoozed_at: eb.ref('excluded.snoozed_at'),
          })),
        )
        .execute();
    },
    get: async (alertKey): Promise<AlertSnooze | null> => (await db.selectFrom('alert_snoozes').selectAll().where('alert_key', '=', alertKey).executeTakeFirst()) ?? null,
  };
}
