import type Database from 'better-sqlite3';
import { iso } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

/** Who snoozed an unacknowledged alert's reminder, until when, and the timer that brings it back. */
export interface AlertSnooze {
  alert_key: string;
  /** The firing it was snoozed in: a later firing has a message (and reminders) of its own. */
  fire_count: number;
  timer_id: number;
  snoozed_by: string;
  until: string;
  snoozed_at: string;
}

export interface AlertSnoozeStore {
  /** The alert's latest snooze replaces any earlier one. */
  set(s: Omit<AlertSnooze, 'snoozed_at' | 'until'> & { until: Date }, now: Date): Promise<void>;
  get(alertKey: string): Promise<AlertSnooze | null>;
}

export function alertSnoozeStore(db: Database.Database): Synchronous<AlertSnoozeStore> {
  const sql = statements(db);
  return {
    set(s, now) {
      sql(
        `INSERT INTO alert_snoozes (alert_key, fire_count, timer_id, snoozed_by, until, snoozed_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (alert_key) DO UPDATE SET fire_count = excluded.fire_count, timer_id = excluded.timer_id, snoozed_by = excluded.snoozed_by, until = excluded.until, snoozed_at = excluded.snoozed_at`,
      ).run(s.alert_key, s.fire_count, s.timer_id, s.snoozed_by, iso(s.until), iso(now));
    },
    get: (alertKey) => (sql('SELECT * FROM alert_snoozes WHERE alert_key = ?').get(alertKey) as AlertSnooze | undefined) ?? null,
  };
}
