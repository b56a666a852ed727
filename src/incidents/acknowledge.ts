import { markAtlasAlertAcknowledged } from '../db/atlas-writer.js';
import { alertAnchor, alertKey, iso, type AlertRecord, type Incident } from '../db/state/state-records.js';
import type { StateTransaction } from '../db/state/state-store.js';
import { atlasProblemText } from './atlas-problem.js';
import { AlreadyAcknowledgedError, IncidentError } from './incident-errors.js';
import type { DomainDeps } from './incident-deps.js';
import { actorOf, etaOf, textOf, titleOf } from './incident-input.js';
import { findIncident } from './find-incident.js';
import { immediateEscalationOf } from './immediate-escalation.js';
import { cadenceDue, replanIncidentTimers, stopTimers } from './timer-plan.js';

export interface Acknowledged {
  incident: Incident;
  alert: AlertRecord;
  /** Set when metrics.db could not be marked acknowledged (the incident is open regardless). */
  atlasProblem: string | null;
}

async function alertByRef(state: StateTransaction, ref: string): Promise<AlertRecord> {
  if (ref === '') {
    const waiting = await state.alerts.awaitingAck();
    if (waiting.length === 1) return waiting[0]!;
    if (waiting.length === 0) throw new IncidentError('No firing alert is waiting for an acknowledgement. `/atlas alerts` lists them.');
    const names = waiting.slice(0, 5).map((a) => a.name);
    throw new IncidentError(`${waiting.length} alerts are firing unacknowledged (${names.join(', ')}${waiting.length > 5 ? ', …' : ''}); say which one.`);
  }
  const alert = await state.alerts.get(alertKey(ref));
  if (!alert) throw new IncidentError(`No alert named "${ref.slice(0, 80)}". \`/atlas alerts\` lists the firing ones.`);
  return alert;
}

async function alreadyAcknowledged(state: StateTransaction, alert: AlertRecord): Promise<AlreadyAcknowledgedError> {
  const incident = alert.incident_id ? await state.incidents.get(alert.incident_id) : null;
  return new AlreadyAcknowledgedError(alert.name, alert.incident_id, alert.acknowledged_by, alert.acknowledged_at, incident?.status === 'resolved');
}

/** The first sentence-ish of an alert message, for the incident title. */
function messageHead(message: string): string {
  const line = message.split(/\r?\n/).find((l) => l.trim() !== '')?.trim() ?? '';
  const sentence = /^(.{20,}?[.!?])\s/.exec(line)?.[1] ?? line;
  return sentence.length > 90 ? `${sentence.slice(0, 89)}…` : sentence;
}

/**
 * Acknowledges a firing alert: opens its incident (owner = whoever acknowledged), links the
 * alert with a check-and-set so two simultaneous clicks make one incident, stops the alert's
 * reminders and starts the incident's clock. The alert's message becomes the incident's status
 * card. The acknowledgement is then written to metrics.db; a failure there is noted, never fatal.
 */
export async function acknowledgeAlert(deps: DomainDeps, alertRef: string, actorId: string): Promise<Acknowledged> {
  const who = actorOf(actorId);
  const ref = textOf('alert', 'alert name', alertRef, { max: 200 }) ?? '';
  const now = deps.clock();
  const { state } = deps;
  const { incident, alert } = await state.transaction(async (tx) => {
    let found = await alertByRef(tx, ref);
    // An alert that joined a group is acknowledged with the group: its lead's incident is the one.
    if (found.group_lead && !found.incident_id) {
      const lead = await tx.alerts.get(found.group_lead);
      if (lead && lead.status === 'firing') found = lead;
    }
    // Read again with its row held: a replica acknowledging the same alert at once waits here,
    // then finds it acknowledged (without the hold, it would fail on the incident's anchor).
    found = (await tx.alerts.getForChange(found.key)) ?? found;
    if (found.incident_id) throw await alreadyAcknowledged(tx, found);
    if (found.status === 'resolved') {
      throw new IncidentError(`${found.name} already resolved${found.resolved_at ? ` at ${found.resolved_at.slice(11, 16)} UTC` : ''}; there is nothing to acknowledge.`);
    }
    const firedAt = new Date(found.fired_at);
    const head = found.message ? messageHead(found.message) : '';
    const created = await tx.incidents.create(
      {
        title: titleOf(head && head.toLowerCase() !== found.name.toLowerCase() ? `${found.name}: ${head}` : found.name),
        severity: found.severity,
        createdBy: who,
        ownerId: who,
        alertKey: found.key,
        anchor: alertAnchor(found),
        openedAt: firedAt,
        acknowledgedAt: now < firedAt ? firedAt : now,
      },
      now,
    );
    // The check-and-set: whoever links the alert first owns it; the loser's incident rolls back.
    if (!await tx.alerts.linkIncident(found.key, created.id, who, now)) throw await alreadyAcknowledged(tx, (await tx.alerts.get(found.key)) ?? found);
    await stopTimers(tx.timers, { alertKey: found.key }, now);
    for (const member of await tx.alerts.membersOf(found.key)) {
      if (member.status === 'firing' && member.incident_id === null) await tx.alerts.linkIncident(member.key, created.id, who, now);
    }
    const incident = (await tx.incidents.update(created.id, { last_update_at: iso(now), next_update_at: iso(cadenceDue(created.severity, now)) }))!;
    await replanIncidentTimers(tx.timers, incident, now);
    // A page is a person woken: an acknowledgement the bot makes for someone PagerDuty could not name is none.
    if (who !== 'bot') await tx.pages.record({ userId: who, at: now, kind: 'acknowledged', alertKey: found.key, incidentId: incident.id });
    const alert = (await tx.alerts.get(found.key))!;
    await deps.events.record(tx, { type: 'incident-opened', how: 'ack', incident, alert, immediateEscalation: immediateEscalationOf(found.symptom_id) }, now);
    return { incident, alert };
  });

  let atlasProblem: string | null = null;
  try {
    markAtlasAlertAcknowledged(deps.atlas.metrics, alert.name, now);
  } catch (err) {
    atlasProblem = atlasProblemText(err);
    deps.logger.warn({ err, incidentId: incident.id, alert: alert.name }, 'could not mark the alert acknowledged in metrics.db');
    await state.transaction(async (tx) => await deps.events.record(tx, { type: 'atlas-not-updated', incident, what: 'acknowledged_at', problem: atlasProblem! }, now));
  }
  return { incident, alert, atlasProblem };
}

export interface AckDetails {
  incident: Incident;
  /** False when nothing was given and the defaults stay. */
  changed: boolean;
  impact: string | null;
  eta: Date | null;
}

/**
 * The acknowledge form's answers: impact and when the next update comes. Both optional;
 * skipping both keeps the defaults (impact being assessed, next update on the cadence).
 */
export async function setAckDetails(deps: DomainDeps, incidentRef: string, details: { impact?: string; eta?: string }, actorId: string): Promise<AckDetails> {
  const who = actorOf(actorId);
  const impact = textOf('impact', 'impact', details.impact) ?? null;
  const etaText = textOf('eta', 'ETA', details.eta, { max: 40 });
  const now = deps.clock();
  const { state } = deps;
  return await state.transaction(async (tx) => {
    const found = await findIncident(tx, incidentRef, { mustBeOpen: true });
    const eta = etaText ? etaOf(etaText, now) : null;
    if (!impact && !eta) return { incident: found, changed: false, impact: null, eta: null };
    const incident = (await tx.incidents.update(found.id, { ...(impact ? { impact } : {}), ...(eta ? { next_update_at: iso(eta) } : {}) }))!;
    // The update reminder comes when the update was promised.
    if (eta) await replanIncidentTimers(tx.timers, incident, now);
    await deps.events.record(tx, { type: 'ack-details-set', incident, impact, eta, actor: who }, now);
    return { incident, changed: true, impact, eta };
  });
}
