import type { StateDb } from '../db/state-db.js';
import { iso, type AlertRecord, type Incident, type TimerKind, type TimerRow } from './incident-types.js';
import { SEVERITY_POLICIES } from './severity-matrix.js';

const MIN = 60_000;

/** Not acknowledged after this long: a reminder in the channel, whatever the severity. */
export const ACK_REMINDER_MINUTES = 5;
/** After a resolution, the post-incident review is due within 48 h. */
export const REVIEW_REMINDER_MINUTES = 48 * 60;

export interface PlannedTimer {
  kind: TimerKind;
  due: Date;
}

const plus = (at: string | Date, minutes: number) => new Date(new Date(at).getTime() + minutes * MIN);

/**
 * Timers of a newly posted, unacknowledged alert, counted from when the bot posts it (an alert
 * that fired while the bot was down is not nagged about the minute it appears).
 */
export function planAlertTimers(alert: AlertRecord, postedAt: Date): PlannedTimer[] {
  const policy = SEVERITY_POLICIES[alert.severity];
  const timers: PlannedTimer[] = [{ kind: 'ack-reminder', due: plus(postedAt, ACK_REMINDER_MINUTES) }];
  const secondary = policy.escalation.find((r) => r.to === 'secondary-oncall' && r.when === 'unacknowledged');
  if (secondary) timers.push({ kind: 'ack-secondary', due: plus(postedAt, secondary.afterMinutes) });
  return timers;
}

/** The clock of an open incident under its current severity: update cadence, escalations, handoff. */
export function planIncidentTimers(incident: Incident): PlannedTimer[] {
  const policy = SEVERITY_POLICIES[incident.severity];
  const lastUpdate = incident.last_update_at ?? incident.acknowledged_at ?? incident.opened_at;
  const timers: PlannedTimer[] = [{ kind: 'update-due', due: plus(lastUpdate, policy.updateEveryMinutes.min) }];
  for (const rule of policy.escalation) {
    if (rule.when !== 'unresolved') continue;
    if (rule.to === 'tech-lead') timers.push({ kind: 'escalate-tech-lead', due: plus(incident.opened_at, rule.afterMinutes) });
    if (rule.to === 'cto') timers.push({ kind: 'escalate-cto', due: plus(incident.opened_at, rule.afterMinutes) });
  }
  timers.push({ kind: 'handoff-suggest', due: plus(incident.opened_at, policy.handoffAfterMinutes) });
  return timers;
}

export function scheduleTimer(
  db: StateDb,
  timer: { kind: TimerKind; due: Date; incidentId?: string | null; alertKey?: string | null },
  now: Date,
): number {
  const info = db
    .prepare('INSERT INTO timers (incident_id, alert_key, kind, due_at, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(timer.incidentId ?? null, timer.alertKey ?? null, timer.kind, iso(timer.due), iso(now));
  return Number(info.lastInsertRowid);
}

export function pendingTimers(db: StateDb, filter: { incidentId?: string; alertKey?: string }): TimerRow[] {
  if (filter.incidentId) {
    return db
      .prepare('SELECT * FROM timers WHERE incident_id = ? AND fired_at IS NULL AND cancelled_at IS NULL ORDER BY due_at, id')
      .all(filter.incidentId) as TimerRow[];
  }
  return db
    .prepare('SELECT * FROM timers WHERE alert_key = ? AND incident_id IS NULL AND fired_at IS NULL AND cancelled_at IS NULL ORDER BY due_at, id')
    .all(filter.alertKey ?? '') as TimerRow[];
}

/** Stops the pending timers of an incident (all but `keep`) or of an unacknowledged alert. */
export function cancelTimers(
  db: StateDb,
  filter: { incidentId?: string; alertKey?: string },
  now: Date,
  keep: readonly TimerKind[] = [],
): void {
  for (const t of pendingTimers(db, filter)) {
    if (!keep.includes(t.kind)) db.prepare('UPDATE timers SET cancelled_at = ? WHERE id = ?').run(iso(now), t.id);
  }
}

/**
 * Re-plans an open incident's clock after a change (acknowledge, update, severity): pending
 * timers are replaced; an escalation already sent is not planned again; one whose time has
 * passed under the new severity comes due at once.
 */
export function replanIncidentTimers(db: StateDb, incident: Incident, now: Date): void {
  db.transaction(() => {
    const fired = new Set(
      (db.prepare('SELECT DISTINCT kind FROM timers WHERE incident_id = ? AND fired_at IS NOT NULL').all(incident.id) as { kind: TimerKind }[]).map(
        (r) => r.kind,
      ),
    );
    const plan = incident.status === 'resolved' ? [] : planIncidentTimers(incident);
    const planned = new Set(plan.map((t) => t.kind));
    // A pending reminder of a kind that already fired is a snooze: it stays while the plan still has that kind.
    const snoozed = [...fired].filter((k) => k !== 'update-due' && planned.has(k));
    cancelTimers(db, { incidentId: incident.id }, now, ['review-reminder', ...snoozed]);
    for (const t of plan) {
      if (t.kind !== 'update-due' && fired.has(t.kind)) continue;
      scheduleTimer(db, { kind: t.kind, due: t.due < now ? now : t.due, incidentId: incident.id, alertKey: incident.alert_key }, now);
    }
  })();
}
