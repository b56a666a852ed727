/** Changes to an open incident: status updates, severity, owner, notes and attached results. */
import { z } from 'zod';
import { isSlackUserId } from '../ids.js';
import { INCIDENT_STATUSES, iso, type Incident, type IncidentStatus } from '../db/state/state-records.js';
import type { StatusUpdate } from './domain-events.js';
import { AlreadyOwnerError, IncidentError, IncidentInputError } from './incident-errors.js';
import type { DomainDeps } from './incident-deps.js';
import { actorOf, parseEta, severityOf, textOf } from './incident-input.js';
import { withIncident } from './find-incident.js';
import type { Severity } from './severity-matrix.js';
import { cadenceDue, replanIncidentTimers, restartBreakNudge } from './timer-plan.js';

const statusSchema = z.enum(INCIDENT_STATUSES.filter((s) => s !== 'resolved') as [IncidentStatus, ...IncidentStatus[]]);

/** The guide's "Incident Update [HH:MM UTC]" in the thread; the update-due reminder moves to the ETA given, else the cadence. */
export async function postStatusUpdate(
  deps: DomainDeps,
  incidentRef: string,
  update: { summary: string; completed?: string; inProgress?: string; blocked?: string; nextSteps?: string; eta?: string; status?: IncidentStatus },
  actorId: string,
): Promise<Incident> {
  const who = actorOf(actorId);
  const summary = textOf('summary', 'summary', update.summary, { required: true });
  const fields: StatusUpdate = {
    summary,
    completed: textOf('completed', 'completed list', update.completed),
    inProgress: textOf('inProgress', 'in-progress list', update.inProgress),
    blocked: textOf('blocked', 'blocked list', update.blocked),
    nextSteps: textOf('nextSteps', 'next steps', update.nextSteps),
    eta: textOf('eta', 'ETA', update.eta, { max: 200 }),
  };
  let status: IncidentStatus | undefined;
  if (update.status !== undefined) {
    if (update.status === 'resolved') throw new IncidentInputError('status', 'An update cannot resolve an incident; `/atlas resolve` does, with the resolution.');
    const parsed = statusSchema.safeParse(update.status);
    if (!parsed.success) throw new IncidentInputError('status', `Status is one of ${statusSchema.options.join(', ')}.`);
    status = parsed.data;
  }
  return await withIncident(deps, incidentRef, { mustBeOpen: true }, async (tx, found, now) => {
    const changed = status && status !== found.status ? status : undefined;
    // "Next update: 30 min" / --eta 30m is a promise: the reminder comes then. An ETA that is
    // not a time (the guide's "ETA: investigating") stays words, and the cadence sets the reminder.
    const promised = fields.eta ? parseEta(fields.eta, now) : null;
    const incident = (await tx.incidents.update(found.id, {
      ...(changed ? { status: changed } : {}),
      last_update_at: iso(now),
      next_update_at: iso(promised ?? cadenceDue(found.severity, now)),
    }))!;
    await replanIncidentTimers(tx.timers, incident, now);
    await deps.events.record(tx, { type: 'status-updated', incident, update: { ...fields, ...(changed ? { status: changed } : {}) }, previousStatus: found.status, actor: who }, now);
    return incident;
  });
}

/** A new severity: new cadence and escalation deadlines (those already past come due at once). */
export async function changeSeverity(deps: DomainDeps, incidentRef: string, severity: Severity, actorId: string): Promise<{ incident: Incident; from: Severity }> {
  const who = actorOf(actorId);
  const to = severityOf(severity);
  return await withIncident(deps, incidentRef, { mustBeOpen: true }, async (tx, found, now) => {
    if (found.severity === to) throw new IncidentError(`${found.id} is already ${to}.`);
    const incident = (await tx.incidents.update(found.id, { severity: to, next_update_at: iso(cadenceDue(to, found.last_update_at ?? found.opened_at)) }))!;
    await replanIncidentTimers(tx.timers, incident, now);
    await deps.events.record(tx, { type: 'severity-changed', incident, from: found.severity, actor: who }, now);
    return { incident, from: found.severity };
  });
}

/**
 * Hands the incident to someone else. The new owner is a Slack user ID (a mention); from the
 * terminal, whoever runs it may also take it under their login name. A bare name from Slack is
 * refused: nobody would be told, and nobody could be reminded.
 */
export async function changeOwner(deps: DomainDeps, incidentRef: string, ownerId: string, actorId: string): Promise<{ incident: Incident; previous: string | null }> {
  const who = actorOf(actorId);
  const owner = String(ownerId ?? '').trim();
  if (!isSlackUserId(owner) && owner !== who) {
    throw new IncidentInputError('owner', `"${owner.slice(0, 30)}" is not a Slack user: mention them (@name) or give their user ID (U012ABC3DEF).`);
  }
  return await withIncident(deps, incidentRef, { mustBeOpen: true }, async (tx, found, now) => {
    if (found.owner_id === owner) throw new AlreadyOwnerError(found.id, owner);
    const incident = (await tx.incidents.update(found.id, { owner_id: owner }))!;
    await replanIncidentTimers(tx.timers, incident, now);
    await restartBreakNudge(tx.timers, incident, now);
    await deps.events.record(tx, { type: 'owner-changed', incident, previous: found.owner_id, actor: who }, now);
    return { incident, previous: found.owner_id };
  });
}

/** A note on the timeline and in the thread; taken after the resolution too (it feeds the review). */
export async function addNote(deps: DomainDeps, incidentRef: string, note: string, actorId: string): Promise<Incident> {
  const who = actorOf(actorId);
  const body = textOf('note', 'note', note, { required: true });
  return await withIncident(deps, incidentRef, { mustBeOpen: false }, async (tx, incident, now) => {
    if (incident.status !== 'resolved') await replanIncidentTimers(tx.timers, incident, now);
    await deps.events.record(tx, { type: 'note-added', incident, text: body, actor: who }, now);
    return incident;
  });
}

/** A diagnostic's answer on the timeline and in the thread ("Add to INC-…"); taken after the resolution too. */
export async function attachToTimeline(deps: DomainDeps, incidentRef: string, result: { headline: string; command: string }, actorId: string): Promise<{ incident: Incident; command: string }> {
  const who = actorOf(actorId);
  const headline = textOf('headline', 'result', result.headline, { required: true });
  const command = textOf('command', 'command', result.command, { required: true, max: 200 });
  const shown = command.startsWith('/') ? command : `/atlas ${command}`;
  return await withIncident(deps, incidentRef, { mustBeOpen: false }, async (tx, incident, now) => {
    await deps.events.record(tx, { type: 'result-attached', incident, command: shown, headline, actor: who }, now);
    return { incident, command: shown };
  });
}

