import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { StateDb } from '../db/state-db.js';
import { getAlert } from '../alerts/alert-store.js';
import { currentOnCall } from '../oncall/rotation.js';
import { enqueue } from '../slack/outbox.js';
import { nudgeMessage, TIMER_KIND_TEXT, type Nudge } from '../templates/nudge-messages.js';
import { hhmm } from '../templates/slack-time.js';
import { formatDuration } from '../time/atlas-time.js';
import { addEvent, getIncident, IncidentError } from './incident-store.js';
import { iso, type AlertRecord, type Incident, type TimerKind, type TimerRow } from './incident-types.js';
import { SEVERITY_POLICIES } from './severity-matrix.js';
import { scheduleTimer } from './timer-plan.js';

const MIN = 60_000;

/** A timer whose sweep keeps throwing is given up after this many tries (and logged each time). */
export const MAX_TIMER_ATTEMPTS = 5;

const ALERT_KINDS: ReadonlySet<TimerKind> = new Set(['ack-reminder', 'ack-secondary']);
const INCIDENT_KINDS: ReadonlySet<TimerKind> = new Set(['update-due', 'escalate-tech-lead', 'escalate-cto', 'handoff-suggest']);
const KNOWN_KINDS: ReadonlySet<string> = new Set([...ALERT_KINDS, ...INCIDENT_KINDS, 'review-reminder']);

/** What the sweeper and snooze need; a subset of CommandDeps. */
export interface TimerDeps {
  state: StateDb;
  clock: Clock;
  config: Pick<Config, 'rotation' | 'escalation'>;
  logger: Logger;
}

export interface SweepResult {
  /** Pending rows whose time had come. */
  due: number;
  /** Nudges enqueued (one per timer kind and incident/alert, however many rows were overdue). */
  fired: number;
  /** Overdue rows folded into a nudge of the same kind fired in this sweep. */
  collapsed: number;
  /** Rows that no longer mattered (alert acknowledged, incident resolved, review done). */
  cancelled: number;
  /** Rows whose sweep failed; retried on the next sweep. */
  failed: number;
  nudges: Array<{ timerId: number; kind: TimerKind; incidentId: string | null; alertKey: string | null }>;
}

/** Where a timer belongs: an incident, or an alert nobody has acknowledged yet. */
function targetOf(t: Pick<TimerRow, 'kind' | 'incident_id' | 'alert_key'>): string {
  return ALERT_KINDS.has(t.kind) && !t.incident_id ? `alert:${t.alert_key ?? ''}` : `incident:${t.incident_id ?? ''}`;
}

/** A nudge before it knows which timer row speaks for it. */
type NudgeBody = Nudge extends infer N ? (N extends Nudge ? Omit<N, 'timerId'> : never) : never;

type Relevance = { relevant: false; why: string } | { relevant: true; nudge: NudgeBody };

/** Whether a due timer still has something to say, and what. */
function relevance(deps: TimerDeps, t: TimerRow, now: Date): Relevance {
  const { state } = deps;
  if (!KNOWN_KINDS.has(t.kind)) return { relevant: false, why: `unknown timer kind ${t.kind}` };
  if (ALERT_KINDS.has(t.kind)) {
    const alert: AlertRecord | null = t.alert_key ? getAlert(state, t.alert_key) : null;
    if (!alert) return { relevant: false, why: 'alert gone' };
    if (alert.status !== 'firing') return { relevant: false, why: 'alert resolved' };
    if (alert.incident_id || alert.acknowledged_at) return { relevant: false, why: 'alert acknowledged' };
    if (t.kind === 'ack-reminder') return { relevant: true, nudge: { kind: 'ack-reminder', alert } };
    return { relevant: true, nudge: { kind: 'ack-secondary', alert, secondary: currentOnCall(deps.config.rotation, now)?.secondary ?? null } };
  }
  const incident: Incident | null = t.incident_id ? getIncident(state, t.incident_id) : null;
  if (!incident) return { relevant: false, why: 'incident gone' };
  if (t.kind === 'review-reminder') {
    if (incident.status !== 'resolved') return { relevant: false, why: 'incident reopened' };
    if (incident.review_done_at) return { relevant: false, why: 'review done' };
    return { relevant: true, nudge: { kind: 'review-reminder', incident } };
  }
  if (incident.status === 'resolved') return { relevant: false, why: 'incident resolved' };
  switch (t.kind) {
    case 'update-due': {
      const lastUpdateAt = incident.last_update_at ?? incident.acknowledged_at ?? incident.opened_at;
      // An update that came after this reminder was planned answers it, re-plan or not.
      if (incident.last_update_at && incident.last_update_at > t.created_at) return { relevant: false, why: 'updated since' };
      return { relevant: true, nudge: { kind: 'update-due', incident, lastUpdateAt } };
    }
    case 'escalate-tech-lead':
      return { relevant: true, nudge: { kind: t.kind, incident, contact: deps.config.escalation.techLead ?? null } };
    case 'escalate-cto':
      return { relevant: true, nudge: { kind: t.kind, incident, contact: deps.config.escalation.cto ?? null } };
    default:
      return { relevant: true, nudge: { kind: 'handoff-suggest', incident, onCallPrimary: currentOnCall(deps.config.rotation, now)?.primary ?? null } };
  }
}

/** The timeline line for a nudge: plain text, no mentions. */
function timelineText(nudge: Nudge, now: Date): string {
  switch (nudge.kind) {
    case 'update-due':
      return `Reminder: no status update for ${formatDuration(now.getTime() - new Date(nudge.lastUpdateAt).getTime())}`;
    case 'escalate-tech-lead':
      return `Reminder: escalate to the tech lead${nudge.contact ? '' : ' (none configured)'}`;
    case 'escalate-cto':
      return `Reminder: escalate to the CTO${nudge.contact ? '' : ' (none configured)'}`;
    case 'handoff-suggest':
      return 'Reminder: open past 4 h, consider a handoff';
    case 'review-reminder':
      return 'Reminder: post-incident review not marked done';
    default:
      return `Reminder: ${TIMER_KIND_TEXT[nudge.kind]}`;
  }
}

const stillPending = (state: StateDb, id: number) =>
  state.prepare('SELECT 1 FROM timers WHERE id = ? AND fired_at IS NULL AND cancelled_at IS NULL').get(id) !== undefined;

type GroupOutcome = { kind: 'fired'; timer: TimerRow; collapsed: number } | { kind: 'cancelled'; count: number } | { kind: 'gone' };

/**
 * One transaction for one kind of timer on one incident or alert: re-checks that the rows are
 * still pending (a snooze or a re-plan may have won), decides whether the reminder still matters,
 * and either cancels the rows or marks them fired, enqueues ONE nudge, notes it on the timeline,
 * and re-arms the update reminder.
 */
function fireGroup(deps: TimerDeps, rows: TimerRow[], now: Date): GroupOutcome {
  const { state } = deps;
  const tx = state.transaction((): GroupOutcome => {
    const live = rows.filter((r) => stillPending(state, r.id));
    if (live.length === 0) return { kind: 'gone' };
    // The latest row speaks for all: a bot that was down for hours sends one nudge, not one per missed slot.
    const timer = live[live.length - 1]!;
    const at = iso(now);
    const decision = relevance(deps, timer, now);
    if (!decision.relevant) {
      for (const r of live) state.prepare('UPDATE timers SET cancelled_at = ?, last_error = ? WHERE id = ?').run(at, decision.why, r.id);
      return { kind: 'cancelled', count: live.length };
    }
    for (const r of live) state.prepare('UPDATE timers SET fired_at = ?, attempts = attempts + 1 WHERE id = ?').run(at, r.id);
    const nudge = { ...decision.nudge, timerId: timer.id } as Nudge;
    const rendered = nudgeMessage(nudge, now);
    if (nudge.kind === 'ack-reminder' || nudge.kind === 'ack-secondary') {
      enqueue(state, 'channel-post', nudge.alert.key, { channel: nudge.alert.channel_id ?? undefined, text: rendered.text, blocks: rendered.blocks }, now);
    } else {
      const { incident } = nudge;
      enqueue(state, 'thread-post', incident.id, { text: rendered.text, blocks: rendered.blocks }, now);
      // The card shows the next deadline, which just moved.
      enqueue(state, 'incident-card', incident.id, null, now);
      addEvent(state, incident.id, { at: now, actor: 'bot', kind: 'reminder', text: timelineText(nudge, now), data: { timer: timer.kind, timerId: timer.id } });
      if (nudge.kind === 'update-due') {
        const pending = state
          .prepare("SELECT 1 FROM timers WHERE incident_id = ? AND kind = 'update-due' AND fired_at IS NULL AND cancelled_at IS NULL")
          .get(incident.id);
        // Until an update comes (the service re-plans then), the reminder repeats at the cadence.
        if (!pending) {
          const every = SEVERITY_POLICIES[incident.severity].updateEveryMinutes.min;
          scheduleTimer(state, { kind: 'update-due', due: new Date(now.getTime() + every * MIN), incidentId: incident.id, alertKey: incident.alert_key }, now);
        }
      }
    }
    return { kind: 'fired', timer, collapsed: live.length - 1 };
  });
  return tx.immediate();
}

/**
 * Fires every timer whose time has come: due = not fired, not cancelled, due_at <= now (ISO
 * text order is time order in chatops.db). Reminders that no longer matter are cancelled;
 * several overdue rows of one kind for one incident or alert become one nudge. Delivery is the
 * outbox's job (the scheduler flushes after the sweep). Never throws for one bad timer.
 */
export async function sweepTimers(deps: TimerDeps): Promise<SweepResult> {
  const now = deps.clock();
  const result: SweepResult = { due: 0, fired: 0, collapsed: 0, cancelled: 0, failed: 0, nudges: [] };
  const due = deps.state
    .prepare('SELECT * FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= ? ORDER BY due_at, id')
    .all(iso(now)) as TimerRow[];
  result.due = due.length;
  const groups = new Map<string, TimerRow[]>();
  for (const t of due) {
    const key = `${t.kind}|${targetOf(t)}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  for (const rows of groups.values()) {
    try {
      const outcome = fireGroup(deps, rows, now);
      if (outcome.kind === 'fired') {
        result.fired += 1;
        result.collapsed += outcome.collapsed;
        const t = outcome.timer;
        result.nudges.push({ timerId: t.id, kind: t.kind, incidentId: t.incident_id, alertKey: t.alert_key });
        deps.logger.info({ timerId: t.id, kind: t.kind, incidentId: t.incident_id, alertKey: t.alert_key, collapsed: outcome.collapsed }, 'timer fired');
      } else if (outcome.kind === 'cancelled') {
        result.cancelled += outcome.count;
      }
    } catch (err) {
      result.failed += rows.length;
      recordFailure(deps, rows, err, now);
    }
    // Let Slack requests and other listeners run between groups of a long sweep.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return result;
}

function recordFailure(deps: TimerDeps, rows: TimerRow[], err: unknown, now: Date): void {
  const message = err instanceof Error ? err.message : String(err);
  deps.logger.error({ err, timerIds: rows.map((r) => r.id), kind: rows[0]?.kind }, 'could not fire a timer; will retry');
  try {
    for (const r of rows) {
      deps.state
        .prepare(
          `UPDATE timers SET attempts = attempts + 1, last_error = ?,
             cancelled_at = CASE WHEN attempts + 1 >= ? THEN ? ELSE cancelled_at END
           WHERE id = ? AND fired_at IS NULL AND cancelled_at IS NULL`,
        )
        .run(message.slice(0, 500), MAX_TIMER_ATTEMPTS, iso(now), r.id);
    }
  } catch (writeErr) {
    // chatops.db itself is failing (locked, disk full): the next sweep tries again.
    deps.logger.error({ err: writeErr }, 'could not record a timer failure');
  }
}

export interface SnoozeResult {
  timerId: number;
  kind: TimerKind;
  incidentId: string | null;
  alertKey: string | null;
  until: Date;
  /** One sentence for the person who snoozed. */
  message: string;
}

export const MAX_SNOOZE_MINUTES = 24 * 60;

/**
 * Snoozes the reminder a nudge came from: in one transaction, pending timers of the same kind
 * for the same incident (or unacknowledged alert) are cancelled and one is scheduled at now +
 * minutes; the incident's timeline records who snoozed it. Throws IncidentError (a sentence for
 * the user) when the reminder is over: incident resolved, alert acknowledged, review done.
 */
export function snoozeTimer(deps: TimerDeps, timerId: number, minutes: number, actorId: string): SnoozeResult {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_SNOOZE_MINUTES) {
    throw new IncidentError(`A snooze lasts 1 to ${MAX_SNOOZE_MINUTES} minutes.`);
  }
  const { state } = deps;
  const now = deps.clock();
  const until = new Date(now.getTime() + minutes * MIN);
  const tx = state.transaction((): SnoozeResult => {
    const timer = state.prepare('SELECT * FROM timers WHERE id = ?').get(timerId) as TimerRow | undefined;
    if (!timer || !KNOWN_KINDS.has(timer.kind)) throw new IncidentError('That reminder no longer exists.');
    const what = TIMER_KIND_TEXT[timer.kind];
    let scope: { sql: string; params: unknown[]; incidentId: string | null; alertKey: string | null };
    if (ALERT_KINDS.has(timer.kind) && !timer.incident_id) {
      const alert = timer.alert_key ? getAlert(state, timer.alert_key) : null;
      if (!alert || alert.status !== 'firing') throw new IncidentError(`The alert is resolved; its reminders are over.`);
      if (alert.incident_id) throw new IncidentError(`The alert was acknowledged as ${alert.incident_id}; its reminders are over.`);
      scope = { sql: 'alert_key = ? AND incident_id IS NULL', params: [alert.key], incidentId: null, alertKey: alert.key };
    } else {
      const incident = timer.incident_id ? getIncident(state, timer.incident_id) : null;
      if (!incident) throw new IncidentError('That reminder no longer exists.');
      if (timer.kind === 'review-reminder') {
        if (incident.review_done_at) throw new IncidentError(`The review of ${incident.id} is already marked done; nothing to snooze.`);
      } else if (incident.status === 'resolved') {
        throw new IncidentError(`${incident.id} is resolved; its reminders are over.`);
      }
      scope = { sql: 'incident_id = ?', params: [incident.id], incidentId: incident.id, alertKey: incident.alert_key };
    }
    // scope.sql is one of the two fixed strings above, never input.
    state
      .prepare(`UPDATE timers SET cancelled_at = ? WHERE ${scope.sql} AND kind = ? AND fired_at IS NULL AND cancelled_at IS NULL`)
      .run(iso(now), ...scope.params, timer.kind);
    const id = scheduleTimer(state, { kind: timer.kind, due: until, incidentId: scope.incidentId, alertKey: scope.alertKey }, now);
    const span = minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
    if (scope.incidentId) {
      addEvent(state, scope.incidentId, {
        at: now,
        actor: actorId,
        kind: 'snooze',
        text: `${what} snoozed for ${span}, until ${hhmm(until)}`,
        data: { timer: timer.kind, from: timer.id, to: id, minutes },
      });
    }
    const subject = scope.incidentId ? `the ${scope.incidentId} ${what}` : `the ${what} of this alert`;
    return {
      timerId: id,
      kind: timer.kind,
      incidentId: scope.incidentId,
      alertKey: scope.alertKey,
      until,
      message: `Snoozed until ${hhmm(until)}: ${subject} comes back then.`,
    };
  });
  const result = tx.immediate();
  deps.logger.info({ timerId, kind: result.kind, incidentId: result.incidentId, alertKey: result.alertKey, minutes, actorId }, 'reminder snoozed');
  return result;
}
