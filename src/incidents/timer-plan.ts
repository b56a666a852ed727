import type { AlertRecord, Incident, TimerKind } from '../db/state/state-records.js';
import type { TimerStore } from '../db/state/timer-store.js';
import { SEVERITY_POLICIES, type Severity } from './severity-matrix.js';

const MIN = 60_000;

/** Not acknowledged after this long: a reminder in the channel, whatever the severity. */
export const ACK_REMINDER_MINUTES = 5;
/** An owner active this long on one incident is told to take a break (the guide's self-care rule). */
export const BREAK_NUDGE_MINUTES = 8 * 60;
/** After a resolution, the post-incident review is due within 48 h. */
export const REVIEW_REMINDER_MINUTES = 48 * 60;

export interface PlannedTimer {
  kind: TimerKind;
  due: Date;
}

export const plusMinutes = (at: string | Date, minutes: number) => new Date(new Date(at).getTime() + minutes * MIN);

/** The next update under the severity's cadence (its shorter bound: the guide's "every 30–60 min" means 30). */
export const cadenceDue = (severity: Severity, from: Date | string) => plusMinutes(from, SEVERITY_POLICIES[severity].updateEveryMinutes.min);

/**
 * Timers of a newly posted, unacknowledged alert, counted from when the bot posts it (an alert
 * that fired while the bot was down is not nagged about the minute it appears).
 */
export function planAlertTimers(alert: Pick<AlertRecord, 'severity'>, postedAt: Date): PlannedTimer[] {
  const policy = SEVERITY_POLICIES[alert.severity];
  const timers: PlannedTimer[] = [{ kind: 'ack-reminder', due: plusMinutes(postedAt, ACK_REMINDER_MINUTES) }];
  const secondary = policy.escalation.find((r) => r.to === 'secondary' && r.when === 'unacknowledged');
  if (secondary) timers.push({ kind: 'ack-secondary', due: plusMinutes(postedAt, secondary.afterMinutes) });
  return timers;
}

/**
 * The clock of an open incident under its current severity: the next update when it was promised
 * (an ETA given with the acknowledgement), else on the cadence; escalations; handoff.
 */
export function planIncidentTimers(incident: Incident): PlannedTimer[] {
  const policy = SEVERITY_POLICIES[incident.severity];
  const lastUpdate = incident.last_update_at ?? incident.acknowledged_at ?? incident.opened_at;
  const updateDue = incident.next_update_at ? new Date(incident.next_update_at) : plusMinutes(lastUpdate, policy.updateEveryMinutes.min);
  const timers: PlannedTimer[] = [{ kind: 'update-due', due: updateDue }];
  for (const rule of policy.escalation) {
    if (rule.when !== 'unresolved') continue;
    if (rule.to === 'techlead') timers.push({ kind: 'escalate-tech-lead', due: plusMinutes(incident.opened_at, rule.afterMinutes) });
    if (rule.to === 'cto') timers.push({ kind: 'escalate-cto', due: plusMinutes(incident.opened_at, rule.afterMinutes) });
  }
  timers.push({ kind: 'handoff-suggest', due: plusMinutes(incident.opened_at, policy.handoffAfterMinutes) });
  return timers;
}

/** Plans an unacknowledged alert's reminders afresh, counted from now (when it is posted). */
export async function startAlertClock(timers: TimerStore, alert: AlertRecord, now: Date): Promise<void> {
  await stopTimers(timers, { alertKey: alert.key }, now);
  for (const t of planAlertTimers(alert, now)) await timers.schedule({ kind: t.kind, due: t.due, alertKey: alert.key }, now);
}

/** Stops the pending timers of an incident (all but `keep`) or of an unacknowledged alert. */
export async function stopTimers(timers: TimerStore, scope: { incidentId: string } | { alertKey: string }, now: Date, keep: readonly TimerKind[] = []): Promise<void> {
  for (const t of await timers.pending(scope)) if (!keep.includes(t.kind)) await timers.cancel(t.id, now);
}

/**
 * Re-plans an open incident's clock after a change (acknowledge, update, severity): pending
 * timers are replaced; an escalation already sent is not planned again; one whose time has
 * passed under the new severity comes due at once. Runs inside the caller's transaction.
 */
export async function replanIncidentTimers(timers: TimerStore, incident: Incident, now: Date): Promise<void> {
  const fired = await timers.firedKinds(incident.id);
  const plan = incident.status === 'resolved' ? [] : planIncidentTimers(incident);
  const planned = new Set(plan.map((t) => t.kind));
  // A pending reminder of a kind that already fired is a snooze: it stays while the plan still has that kind.
  const snoozed = [...fired].filter((k) => k !== 'update-due' && planned.has(k));
  // The break nudge counts from when the owner took the incident, not from this change: it stays (an owner change restarts it).
  const open = incident.status !== 'resolved';
  await stopTimers(timers, { incidentId: incident.id }, now, ['review-reminder', ...snoozed, ...(open ? (['break-nudge'] as const) : [])]);
  for (const t of plan) {
    if (t.kind !== 'update-due' && fired.has(t.kind)) continue;
    await timers.schedule({ kind: t.kind, due: t.due < now ? now : t.due, incidentId: incident.id, alertKey: incident.alert_key }, now);
  }
  if (open && incident.owner_id && !fired.has('break-nudge') && !(await timers.pending({ incidentId: incident.id })).some((t) => t.kind === 'break-nudge')) {
    const due = plusMinutes(incident.acknowledged_at ?? incident.opened_at, BREAK_NUDGE_MINUTES);
    await timers.schedule({ kind: 'break-nudge', due: due < now ? now : due, incidentId: incident.id, alertKey: incident.alert_key }, now);
  }
}

/** A new owner: their break nudge counts from now (the previous owner's, fired or not, is over). */
export async function restartBreakNudge(timers: TimerStore, incident: Incident, now: Date): Promise<void> {
  await timers.cancelKind({ incidentId: incident.id }, 'break-nudge', now);
  if (incident.status === 'resolved' || !incident.owner_id) return;
  await timers.schedule({ kind: 'break-nudge', due: plusMinutes(now, BREAK_NUDGE_MINUTES), incidentId: incident.id, alertKey: incident.alert_key }, now);
}
