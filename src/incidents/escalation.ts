import { z } from 'zod';
import type { Incident } from '../db/state/state-records.js';
import type { EscalationReason } from './domain-events.js';
import { ESCALATION_CONTACTS, escalationContact, pagerdutyContactOf } from './escalation-contacts.js';
import { IncidentInputError } from './incident-errors.js';
import type { DomainDeps } from './incident-deps.js';
import { actorOf, textOf } from './incident-input.js';
import { withIncident } from './find-incident.js';
import { ESCALATION_TARGETS, findSymptom, SEVERITY_POLICIES, type EscalationTarget } from './severity-matrix.js';

const MIN = 60_000;

/** Why now, when the person escalating did not say: the guide's thresholds. */
function reasonFor(incident: Incident, target: EscalationTarget, ageMs: number): EscalationReason {
  const match = findSymptom(incident.title);
  const symptom = match?.whole ? match.symptom : undefined;
  if (symptom && symptom.immediateEscalation.includes(target)) return { kind: 'immediate', symptom: symptom.title };
  const threshold = SEVERITY_POLICIES[incident.severity].escalation.find((r) => r.to === target && r.when === 'unresolved');
  if (threshold) {
    return { kind: 'threshold', severity: incident.severity, afterMinutes: threshold.afterMinutes, reached: ageMs >= threshold.afterMinutes * MIN, ageMs };
  }
  return { kind: 'judgement', severity: incident.severity, target };
}

export interface Escalated {
  incident: Incident;
  target: EscalationTarget;
  contactId: string | null;
  /** Paged through PagerDuty too. */
  pagedInPagerDuty: boolean;
}

/**
 * The guide's "good escalation message" in the thread, mentioning the contact (broadcast to the
 * channel for a P0). An escalation to the tech lead or CTO also settles that reminder.
 */
export async function escalate(deps: DomainDeps, incidentRef: string, target: EscalationTarget, details: { need?: string; why?: string }, actorId: string): Promise<Escalated> {
  const who = actorOf(actorId);
  const parsed = z.enum(ESCALATION_TARGETS as [EscalationTarget, ...EscalationTarget[]]).safeParse(typeof target === 'string' ? target.toLowerCase() : target);
  if (!parsed.success) throw new IncidentInputError('target', `Escalate to one of ${ESCALATION_TARGETS.join(', ')}.`);
  const to = parsed.data;
  const need = textOf('need', 'immediate need', details.need) ?? null;
  const why = textOf('why', 'reason', details.why);
  // Who is on call is read before the transaction: the rotation reads the outer store.
  const contactId = await escalationContact(deps, to, deps.clock());
  return await withIncident(deps, incidentRef, { mustBeOpen: true }, async (tx, incident, now) => {
    const ageMs = now.getTime() - new Date(incident.opened_at).getTime();
    const history = await tx.timeline.list(incident.id);
    const timer = ESCALATION_CONTACTS[to].timer;
    // Done by hand: the reminder to do it must not fire, now or after a severity change.
    if (timer) await tx.timers.settle(incident.id, incident.alert_key, timer, now);
    const reason: EscalationReason = why ? { kind: 'given', text: why } : reasonFor(incident, to, ageMs);
    const pagedInPagerDuty = pagerdutyContactOf(deps.config, to) !== null;
    await deps.events.record(tx, { type: 'escalated', incident, target: to, contactId, reason, need, history, actor: who, pagedInPagerDuty }, now);
    return { incident, target: to, contactId, pagedInPagerDuty };
  });
}
