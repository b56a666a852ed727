import { iso, type Incident } from '../db/state/state-records.js';
import type { DeclaredSeverity } from './domain-events.js';
import type { DomainDeps } from './incident-deps.js';
import { actorOf, severityOf, textOf, titleOf } from './incident-input.js';
import { immediateEscalationOf } from './immediate-escalation.js';
import { findSymptom, type Severity } from './severity-matrix.js';
import { cadenceDue, replanIncidentTimers } from './timer-plan.js';

export interface Declared {
  incident: Incident;
  basis: DeclaredSeverity;
}

/** Opens an incident without an alert; whoever declares it owns it, acknowledged at once. */
export async function declareIncident(deps: DomainDeps, input: { title: string; severity?: Severity; actorId: string }): Promise<Declared> {
  const who = actorOf(input.actorId);
  const rawTitle = textOf('title', 'title', input.title, { required: true });
  const symptom = findSymptom(rawTitle);
  const severity = input.severity === undefined ? (symptom?.symptom.severity ?? 'P2') : severityOf(input.severity);
  const basis: DeclaredSeverity = input.severity !== undefined ? { kind: 'given' } : symptom ? { kind: 'symptom', title: symptom.symptom.title } : { kind: 'default' };
  const now = deps.clock();
  const { state } = deps;
  const incident = await state.transaction(async (tx) => {
    const created = await tx.incidents.create({ title: titleOf(rawTitle), severity, createdBy: who, ownerId: who, openedAt: now, acknowledgedAt: now }, now);
    const incident = (await tx.incidents.update(created.id, { last_update_at: iso(now), next_update_at: iso(cadenceDue(severity, now)) }))!;
    await replanIncidentTimers(tx.timers, incident, now);
    await deps.events.record(tx, { type: 'incident-opened', how: 'declare', incident, basis, immediateEscalation: immediateEscalationOf(symptom?.symptom.id) }, now);
    return incident;
  });
  return { incident, basis };
}
