import { alertAnchor, type TimerKind } from '../db/state/state-records.js';
import type { TimerScope } from '../db/state/timer-store.js';
import { IncidentError } from './incident-errors.js';
import { actorOf } from './incident-input.js';
import { ALERT_TIMER_KINDS, KNOWN_TIMER_KINDS, type TimerDeps } from './timer-sweeper.js';
import { plusMinutes } from './timer-plan.js';

export const MAX_SNOOZE_MINUTES = 24 * 60;

export interface Snoozed {
  timerId: number;
  kind: TimerKind;
  incidentId: string | null;
  alertKey: string | null;
  until: Date;
}

/**
 * Snoozes the reminder a message came from: pending timers of the same kind for the same
 * incident (or unacknowledged alert) are replaced by one at now + minutes, in one transaction.
 * Refused (IncidentError) when the reminder is over: incident resolved, alert acknowledged,
 * review done.
 */
export async function snoozeTimer(deps: TimerDeps, timerId: number, minutes: number, actorId: string): Promise<Snoozed> {
  const who = actorOf(actorId);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_SNOOZE_MINUTES) {
    throw new IncidentError(`A snooze lasts 1 to ${MAX_SNOOZE_MINUTES} minutes.`);
  }
  const { state } = deps;
  const now = deps.clock();
  const until = plusMinutes(now, minutes);
  const result = await state.transaction(async (tx): Promise<Snoozed> => {
    const timer = await tx.timers.get(timerId);
    if (!timer || !KNOWN_TIMER_KINDS.has(timer.kind)) throw new IncidentError('That reminder no longer exists.');
    let scope: TimerScope;
    let incidentId: string | null = null;
    let alertKey: string | null;
    let anchor: string | null;
    if (ALERT_TIMER_KINDS.has(timer.kind) && !timer.incident_id) {
      const alert = timer.alert_key ? await tx.alerts.get(timer.alert_key) : null;
      if (!alert || alert.status !== 'firing') throw new IncidentError('The alert is resolved; its reminders are over.');
      if (alert.incident_id) throw new IncidentError(`The alert was acknowledged as ${alert.incident_id}; its reminders are over.`);
      scope = { alertKey: alert.key };
      alertKey = alert.key;
      anchor = alertAnchor(alert);
    } else {
      const incident = timer.incident_id ? await tx.incidents.get(timer.incident_id) : null;
      if (!incident) throw new IncidentError('That reminder no longer exists.');
      if (timer.kind === 'review-reminder') {
        if (incident.review_done_at) throw new IncidentError(`The review of ${incident.id} is already marked done; nothing to snooze.`);
      } else if (incident.status === 'resolved') {
        throw new IncidentError(`${incident.id} is resolved; its reminders are over.`);
      }
      scope = { incidentId: incident.id };
      incidentId = incident.id;
      alertKey = incident.alert_key;
      anchor = incident.anchor;
    }
    await tx.timers.cancelKind(scope, timer.kind, now);
    const id = await tx.timers.schedule({ kind: timer.kind, due: until, incidentId, alertKey }, now);
    // Shown on the alert's channel message while this timer is still to come (src/presenter/live-messages.ts).
    if (!incidentId && alertKey) {
      const alert = (await tx.alerts.get(alertKey))!;
      await tx.alertSnoozes.set({ alert_key: alertKey, fire_count: alert.fire_count, timer_id: id, snoozed_by: who, until }, now);
    }
    await deps.events.record(tx, { type: 'reminder-snoozed', incidentId, anchor, kind: timer.kind, from: timer.id, to: id, minutes, until, actor: who }, now);
    return { timerId: id, kind: timer.kind, incidentId, alertKey, until };
  });
  deps.logger.info({ timerId, kind: result.kind, incidentId: result.incidentId, alertKey: result.alertKey, minutes, actorId: who }, 'reminder snoozed');
  return result;
}
