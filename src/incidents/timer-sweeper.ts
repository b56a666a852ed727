import type { Incident, TimerKind, TimerRow } from '../db/state/state-records.js';
import type { StateTransaction } from '../db/state/state-store.js';
import type { Reminder } from './domain-events.js';
import type { OnCallAt } from '../oncall/rotation-source.js';
import type { DomainDeps } from './incident-deps.js';
import { SEVERITY_POLICIES } from './severity-matrix.js';
import { plusMinutes } from './timer-plan.js';
import { offerDebrief } from './debrief.js';

/** A timer whose sweep keeps throwing is given up after this many tries (and logged each time). */
export const MAX_TIMER_ATTEMPTS = 5;

export const ALERT_TIMER_KINDS: ReadonlySet<TimerKind> = new Set(['ack-reminder', 'ack-secondary']);
const INCIDENT_KINDS: ReadonlySet<TimerKind> = new Set(['update-due', 'escalate-tech-lead', 'escalate-cto', 'handoff-suggest', 'break-nudge']);
export const KNOWN_TIMER_KINDS: ReadonlySet<string> = new Set([...ALERT_TIMER_KINDS, ...INCIDENT_KINDS, 'review-reminder']);

export type TimerDeps = Pick<DomainDeps, 'state' | 'clock' | 'config' | 'logger' | 'events' | 'rotation'>;

export interface SweepResult {
  /** Pending rows whose time had come. */
  due: number;
  /** Reminders sent (one per timer kind and incident/alert, however many rows were overdue). */
  fired: number;
  /** Overdue rows folded into a reminder of the same kind fired in this sweep. */
  collapsed: number;
  /** Rows that no longer mattered (alert acknowledged, incident resolved, review done). */
  cancelled: number;
  /** Rows whose sweep failed; retried on the next sweep. */
  failed: number;
  reminders: Array<{ timerId: number; kind: TimerKind; incidentId: string | null; alertKey: string | null }>;
}

/** Where a timer belongs: an incident, or an alert nobody has acknowledged yet. */
function targetOf(t: Pick<TimerRow, 'kind' | 'incident_id' | 'alert_key'>): string {
  return ALERT_TIMER_KINDS.has(t.kind) && !t.incident_id ? `alert:${t.alert_key ?? ''}` : `incident:${t.incident_id ?? ''}`;
}

/** A reminder before it knows which timer row speaks for it. */
type ReminderBody = Reminder extends infer R ? (R extends Reminder ? Omit<R, 'timerId'> : never) : never;

type Relevance = { relevant: false; why: string } | { relevant: true; reminder: ReminderBody };

/** Whether a due timer still has something to say, and what. */
async function relevance(state: StateTransaction, deps: TimerDeps, onCall: OnCallAt | null, t: TimerRow): Promise<Relevance> {
  if (!KNOWN_TIMER_KINDS.has(t.kind)) return { relevant: false, why: `unknown timer kind ${t.kind}` };
  if (ALERT_TIMER_KINDS.has(t.kind)) {
    const alert = t.alert_key ? await state.alerts.get(t.alert_key) : null;
    if (!alert) return { relevant: false, why: 'alert gone' };
    if (alert.status !== 'firing') return { relevant: false, why: 'alert resolved' };
    if (alert.incident_id || alert.acknowledged_at) return { relevant: false, why: 'alert acknowledged' };
    if (t.kind === 'ack-reminder') return { relevant: true, reminder: { kind: 'ack-reminder', alert } };
    return { relevant: true, reminder: { kind: 'ack-secondary', alert, secondary: onCall?.secondary ?? null } };
  }
  const incident = t.incident_id ? await state.incidents.get(t.incident_id) : null;
  if (!incident) return { relevant: false, why: 'incident gone' };
  if (t.kind === 'review-reminder') {
    if (incident.status !== 'resolved') return { relevant: false, why: 'incident reopened' };
    if (incident.review_done_at) return { relevant: false, why: 'review done' };
    return { relevant: true, reminder: { kind: 'review-reminder', incident } };
  }
  if (incident.status === 'resolved') return { relevant: false, why: 'incident resolved' };
  switch (t.kind) {
    case 'update-due': {
      const lastUpdateAt = incident.last_update_at ?? incident.acknowledged_at ?? incident.opened_at;
      // An update that came after this reminder was planned answers it, re-plan or not.
      if (incident.last_update_at && incident.last_update_at > t.created_at) return { relevant: false, why: 'updated since' };
      return { relevant: true, reminder: { kind: 'update-due', incident, lastUpdateAt } };
    }
    case 'escalate-tech-lead':
      return { relevant: true, reminder: { kind: t.kind, incident, contact: deps.config.escalation.techLead ?? null } };
    case 'escalate-cto':
      return { relevant: true, reminder: { kind: t.kind, incident, contact: deps.config.escalation.cto ?? null } };
    case 'break-nudge': {
      if (!incident.owner_id) return { relevant: false, why: 'nobody owns it' };
      const ownerSince = await ownerSinceOf(state, incident);
      return { relevant: true, reminder: { kind: 'break-nudge', incident, owner: incident.owner_id, ownerSince, secondary: onCall?.secondary ?? null } };
    }
    default:
      return { relevant: true, reminder: { kind: 'handoff-suggest', incident, onCallPrimary: onCall?.primary ?? null } };
  }
}

/** When the current owner took the incident: the newest owner change on its timeline, else the acknowledgement. */
export async function ownerSinceOf(state: StateTransaction, incident: Incident): Promise<string> {
  const changes = (await state.timeline.list(incident.id)).filter((e) => e.kind === 'owner');
  return changes.at(-1)?.at ?? incident.acknowledged_at ?? incident.opened_at;
}

type GroupOutcome = { kind: 'fired'; timer: TimerRow; collapsed: number } | { kind: 'cancelled'; count: number } | { kind: 'gone' };

/**
 * One transaction for one kind of timer on one incident or alert: re-checks that the rows are
 * still pending (a snooze, a re-plan or another process may have won), decides whether the
 * reminder still matters, and either cancels the rows or marks them fired and records ONE
 * reminder, re-arming the update reminder.
 */
async function fireGroup(deps: TimerDeps, rows: TimerRow[], now: Date): Promise<GroupOutcome> {
  const { state } = deps;
  // Who is on call is read before the transaction: the rotation reads the outer store.
  const onCall = await deps.rotation.at(now);
  return await state.transaction(async (tx): Promise<GroupOutcome> => {
    const live: TimerRow[] = [];
    for (const r of rows) if (await tx.timers.isPending(r.id)) live.push(r);
    if (live.length === 0) return { kind: 'gone' };
    // The latest row speaks for all: a bot that was down for hours sends one reminder, not one per missed slot.
    const timer = live[live.length - 1]!;
    const decision = await relevance(tx, deps, onCall, timer);
    if (!decision.relevant) {
      for (const r of live) await tx.timers.cancel(r.id, now, decision.why);
      return { kind: 'cancelled', count: live.length };
    }
    for (const r of live) await tx.timers.markFired(r.id, now);
    const reminder = { ...decision.reminder, timerId: timer.id } as Reminder;
    await deps.events.record(tx, { type: 'reminder-fired', reminder }, now);
    if (reminder.kind === 'review-reminder') await offerDebrief(tx, deps, reminder.incident, now);
    if (reminder.kind === 'update-due') {
      const { incident } = reminder;
      // Until an update comes (which re-plans), the reminder repeats at the cadence.
      if (!(await tx.timers.pending({ incidentId: incident.id })).some((t) => t.kind === 'update-due')) {
        const every = SEVERITY_POLICIES[incident.severity].updateEveryMinutes.min;
        await tx.timers.schedule({ kind: 'update-due', due: plusMinutes(now, every), incidentId: incident.id, alertKey: incident.alert_key }, now);
      }
    }
    return { kind: 'fired', timer, collapsed: live.length - 1 };
  });
}

/**
 * Fires every timer whose time has come. Reminders that no longer matter are cancelled; several
 * overdue rows of one kind for one incident or alert become one reminder. Never throws for one
 * bad timer. Synchronous and short: each group is one small transaction.
 */
export async function sweepTimers(deps: TimerDeps): Promise<SweepResult> {
  const now = deps.clock();
  const result: SweepResult = { due: 0, fired: 0, collapsed: 0, cancelled: 0, failed: 0, reminders: [] };
  const due = await deps.state.timers.due(now);
  result.due = due.length;
  const groups = new Map<string, TimerRow[]>();
  for (const t of due) {
    const key = `${t.kind}|${targetOf(t)}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  for (const rows of groups.values()) {
    try {
      const outcome = await fireGroup(deps, rows, now);
      if (outcome.kind === 'fired') {
        result.fired += 1;
        result.collapsed += outcome.collapsed;
        const t = outcome.timer;
        result.reminders.push({ timerId: t.id, kind: t.kind, incidentId: t.incident_id, alertKey: t.alert_key });
        deps.logger.info({ timerId: t.id, kind: t.kind, incidentId: t.incident_id, alertKey: t.alert_key, collapsed: outcome.collapsed }, 'timer fired');
      } else if (outcome.kind === 'cancelled') {
        result.cancelled += outcome.count;
      }
    } catch (err) {
      result.failed += rows.length;
      deps.logger.error({ err, timerIds: rows.map((r) => r.id), kind: rows[0]?.kind }, 'could not fire a timer; will retry');
      try {
        const message = err instanceof Error ? err.message : String(err);
        await deps.state.transaction(async (tx) => {
          for (const r of rows) await tx.timers.recordFailure(r.id, message, MAX_TIMER_ATTEMPTS, now);
        });
      } catch (writeErr) {
        // chatops.db itself is failing (locked, disk full): the next sweep tries again.
        deps.logger.error({ err: writeErr }, 'could not record a timer failure');
      }
    }
  }
  return result;
}
