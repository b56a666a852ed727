import type Database from 'better-sqlite3';
import { iso, type TimerKind, type TimerRow } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

/** The timers of one incident, or of one alert nobody has acknowledged yet. */
export type TimerScope = { incidentId: string } | { alertKey: string };

export interface TimerStore {
  schedule(timer: { kind: TimerKind; due: Date; incidentId?: string | null; alertKey?: string | null }, now: Date): Promise<number>;
  get(id: number): Promise<TimerRow | null>;
  /** Pending (not fired, not cancelled) timers of a scope, earliest first. */
  pending(scope: TimerScope): Promise<TimerRow[]>;
  /** Kinds of the incident's timers that have fired. */
  firedKinds(incidentId: string): Promise<Set<TimerKind>>;
  /** Pending timers whose time has come, earliest first. */
  due(now: Date): Promise<TimerRow[]>;
  isPending(id: number): Promise<boolean>;
  markFired(id: number, now: Date): Promise<void>;
  cancel(id: number, now: Date, why?: string): Promise<void>;
  /** Cancels the scope's pending timers of one kind. */
  cancelKind(scope: TimerScope, kind: TimerKind, now: Date): Promise<void>;
  /**
   * Done by hand (an escalation sent without waiting for its reminder): the pending timer of
   * that kind counts as fired, or a fired one is recorded, so it is not planned again.
   */
  settle(incidentId: string, alertKey: string | null, kind: TimerKind, now: Date): Promise<void>;
  /** Counts a failed attempt; the timer is given up (cancelled) after `maxAttempts`. */
  recordFailure(id: number, message: string, maxAttempts: number, now: Date): Promise<void>;
}

export function timerStore(db: Database.Database): Synchronous<TimerStore> {
  const sql = statements(db);
  const schedule: Synchronous<TimerStore>['schedule'] = (t, now) =>
    Number(
      sql('INSERT INTO timers (incident_id, alert_key, kind, due_at, created_at) VALUES (?, ?, ?, ?, ?)').run(
        t.incidentId ?? null,
        t.alertKey ?? null,
        t.kind,
        iso(t.due),
        iso(now),
      ).lastInsertRowid,
    );
  const pending = (scope: TimerScope): TimerRow[] =>
    'incidentId' in scope
      ? (sql('SELECT * FROM timers WHERE incident_id = ? AND fired_at IS NULL AND cancelled_at IS NULL ORDER BY due_at, id').all(scope.incidentId) as TimerRow[])
      : (sql('SELECT * FROM timers WHERE alert_key = ? AND incident_id IS NULL AND fired_at IS NULL AND cancelled_at IS NULL ORDER BY due_at, id').all(
          scope.alertKey,
        ) as TimerRow[]);
  const cancel = (id: number, now: Date, why?: string) => {
    sql('UPDATE timers SET cancelled_at = ?, last_error = COALESCE(?, last_error) WHERE id = ? AND fired_at IS NULL AND cancelled_at IS NULL').run(iso(now), why ?? null, id);
  };
  return {
    schedule,
    get: (id) => (sql('SELECT * FROM timers WHERE id = ?').get(id) as TimerRow | undefined) ?? null,
    pending,
    firedKinds: (incidentId) =>
      new Set((sql('SELECT DISTINCT kind FROM timers WHERE incident_id = ? AND fired_at IS NOT NULL').all(incidentId) as { kind: TimerKind }[]).map((r) => r.kind)),
    due: (now) => sql('SELECT * FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= ? ORDER BY due_at, id').all(iso(now)) as TimerRow[],
    isPending: (id) => sql('SELECT 1 FROM timers WHERE id = ? AND fired_at IS NULL AND cancelled_at IS NULL').get(id) !== undefined,
    markFired(id, now) {
      sql('UPDATE timers SET fired_at = ?, attempts = attempts + 1 WHERE id = ?').run(iso(now), id);
    },
    cancel,
    cancelKind(scope, kind, now) {
      for (const t of pending(scope)) if (t.kind === kind) cancel(t.id, now);
    },
    settle(incidentId, alertKey, kind, now) {
      const settled = sql('UPDATE timers SET fired_at = ? WHERE incident_id = ? AND kind = ? AND fired_at IS NULL AND cancelled_at IS NULL').run(
        iso(now),
        incidentId,
        kind,
      );
      if (settled.changes === 0) {
        sql('INSERT INTO timers (incident_id, alert_key, kind, due_at, created_at, fired_at) VALUES (?, ?, ?, ?, ?, ?)').run(
          incidentId,
          alertKey,
          kind,
          iso(now),
          iso(now),
          iso(now),
        );
      }
    },
    recordFailure(id, message, maxAttempts, now) {
      sql(
        `UPDATE timers SET attempts = attempts + 1, last_error = ?,
           cancelled_at = CASE WHEN attempts + 1 >= ? THEN ? ELSE cancelled_at END
         WHERE id = ? AND fired_at IS NULL AND cancelled_at IS NULL`,
      ).run(message.slice(0, 500), maxAttempts, iso(now), id);
    },
  };
}
