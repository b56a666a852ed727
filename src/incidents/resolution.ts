import { resolveAtlasAlert } from '../db/atlas-writer.js';
import { byPerson } from '../db/state/resolved-by.js';
import { iso, type Incident } from '../db/state/state-records.js';
import { atlasProblemText } from './atlas-problem.js';
import { IncidentError } from './incident-errors.js';
import type { DomainDeps } from './incident-deps.js';
import { actorOf, textOf } from './incident-input.js';
import { findIncident, withIncident } from './find-incident.js';
import { cadenceDue, plusMinutes, replanIncidentTimers, REVIEW_REMINDER_MINUTES, stopTimers } from './timer-plan.js';
import { offerDebrief } from './debrief.js';

export interface Resolved {
  incident: Incident;
  /** The incident's alerts still firing, for a "resolve them" offer. */
  firingAlerts: string[];
  reviewDue: Date;
}

/**
 * Closes the incident: the guide's resolution message and post-incident checklist in the
 * thread, the channel told, all timers stopped, the review reminder set for 48 h later, and the
 * debrief offered to the responders.
 */
export async function resolveIncident(deps: DomainDeps, incidentRef: string, details: { resolution: string; impact?: string }, actorId: string): Promise<Resolved> {
  const who = actorOf(actorId);
  const resolution = textOf('resolution', 'resolution', details.resolution, { required: true });
  const impact = textOf('impact', 'impact', details.impact);
  return await withIncident(deps, incidentRef, { mustBeOpen: true }, async (tx, found, now) => {
    if (!await tx.incidents.markResolved(found.id)) throw new IncidentError(`${found.id} is already resolved.`);
    const incident = (await tx.incidents.update(found.id, { resolved_at: iso(now), resolution, next_update_at: null, ...(impact ? { impact } : {}) }))!;
    await stopTimers(tx.timers, { incidentId: incident.id }, now);
    const reviewDue = plusMinutes(now, REVIEW_REMINDER_MINUTES);
    await tx.timers.schedule({ kind: 'review-reminder', due: reviewDue, incidentId: incident.id, alertKey: incident.alert_key }, now);
    const firingAlerts = (await tx.alerts.firingOf(incident.id)).map((a) => a.name);
    const link = await tx.githubIssues.get(incident.id);
    const reviewIssue = link?.state === 'created' && link.number !== null && link.html_url !== null ? { repo: link.repo, number: link.number, url: link.html_url } : null;
    await deps.events.record(tx, { type: 'incident-resolved', incident, firingAlerts, reviewDue, actor: who, reviewIssue }, now);
    // Offered now, so that the meeting can fall within the guide's 48 hours.
    await offerDebrief(tx, deps, incident, now);
    return { incident, firingAlerts, reviewDue };
  });
}

export interface AlertsResolved {
  incident: Incident;
  resolved: string[];
  notWritten: { name: string; problem: string }[];
}

/** Resolves the incident's alerts that still fire, in metrics.db and in the bot's own view. */
export async function resolveFiringAlerts(deps: DomainDeps, incidentRef: string, actorId: string): Promise<AlertsResolved> {
  const who = actorOf(actorId);
  const now = deps.clock();
  const incident = await findIncident(deps.state, incidentRef);
  const firing = await deps.state.alerts.firingOf(incident.id);
  if (firing.length === 0) throw new IncidentError(`No alert of ${incident.id} is firing any more.`);
  // metrics.db first: it is the service's truth, and the bot's view should not claim more.
  const notWritten: { name: string; problem: string }[] = [];
  for (const a of firing) {
    try {
      resolveAtlasAlert(deps.atlas.metrics, a.name, now);
    } catch (err) {
      deps.logger.warn({ err, incidentId: incident.id, alert: a.name }, 'could not resolve the alert in metrics.db');
      notWritten.push({ name: a.name, problem: atlasProblemText(err) });
    }
  }
  const resolved = await deps.state.transaction(async (tx) => {
    const done: string[] = [];
    for (const a of firing) {
      // One message for one action: the incident's 'alerts-resolved' says it, and refreshes the card the alert is on.
      if (await tx.alerts.resolve(a.key, now, now, byPerson(who))) done.push(a.name);
    }
    if (done.length === 0) throw new IncidentError(`No alert of ${incident.id} is firing any more.`);
    await deps.events.record(tx, { type: 'alerts-resolved', incident, names: done, notWritten, actor: who }, now);
    return done;
  });
  return { incident, resolved, notWritten };
}

/** The review is done: recorded, and the 48 h reminder stops. */
export async function markReviewDone(deps: DomainDeps, incidentRef: string, actorId: string): Promise<Incident> {
  const who = actorOf(actorId);
  return await withIncident(deps, incidentRef, { mustBeOpen: false }, async (tx, found, now) => {
    if (found.status !== 'resolved') throw new IncidentError(`${found.id} is still open; resolve it first, then review it.`);
    if (found.review_done_at) throw new IncidentError(`The review of ${found.id} was already marked done (${found.review_done_at.slice(0, 16).replace('T', ' ')} UTC).`);
    const incident = (await tx.incidents.update(found.id, { review_done_at: iso(now) }))!;
    await stopTimers(tx.timers, { incidentId: incident.id }, now);
    await deps.events.record(tx, { type: 'review-done', incident, actor: who }, now);
    return incident;
  });
}

/**
 * Opens a resolved incident again (it came back, or was resolved too soon): investigating, the
 * resolution and a review marked done are cleared, the review reminder stops and the clock of an
 * open incident starts again (the next update on the cadence from now; escalations already sent
 * are not sent again). The card and the thread say so.
 */
export async function reopenIncident(deps: DomainDeps, incidentRef: string, actorId: string): Promise<Incident> {
  const who = actorOf(actorId);
  return await withIncident(deps, incidentRef, { mustBeOpen: false }, async (tx, found, now) => {
    if (found.status !== 'resolved') throw new IncidentError(`${found.id} is not resolved; there is nothing to reopen.`);
    const incident = (await tx.incidents.update(found.id, {
      status: 'investigating',
      resolved_at: null,
      resolution: null,
      review_done_at: null,
      next_update_at: iso(cadenceDue(found.severity, now)),
    }))!;
    await stopTimers(tx.timers, { incidentId: incident.id }, now);
    await replanIncidentTimers(tx.timers, incident, now);
    await deps.events.record(tx, { type: 'incident-reopened', incident, resolvedAt: found.resolved_at, actor: who }, now);
    return incident;
  });
}
