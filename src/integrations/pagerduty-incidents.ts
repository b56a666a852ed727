/**
 * PagerDuty incidents coming in (v3 webhooks): a triggered incident becomes a bot alert (one per
 * name, whatever else reported it), an acknowledgement made in PagerDuty acknowledges the bot's
 * alert, a resolution resolves it. Deliveries repeat and arrive out of order: each event id is
 * applied once, and an event older than the last one applied to its incident changes nothing.
 * Every event is taken in one chatops.db transaction: recorded and applied together, or neither.
 */
import { alertSources, ingestAlert, MAX_ALERT_NAME, type IngestAction } from '../alerts/alert-ingest.js';
import { byPagerDutyPerson, byPerson } from '../db/state/resolved-by.js';
import type { SeverityHint } from '../alerts/alert-classify.js';
import { alertKey, type AlertRecord } from '../db/state/state-records.js';
import type { StateTransaction } from '../db/state/state-store.js';
import { acknowledgeAlert } from '../incidents/acknowledge.js';
import type { DomainDeps } from '../incidents/incident-deps.js';
import { IncidentError } from '../incidents/incident-errors.js';

/** The three incident events the bot applies; others are answered and left alone. */
export const PAGERDUTY_APPLIED_EVENTS = ['incident.triggered', 'incident.acknowledged', 'incident.resolved'] as const;
export type PagerDutyAppliedEvent = (typeof PAGERDUTY_APPLIED_EVENTS)[number];

/** Who did it in PagerDuty: a user reference, or null for automation. */
export interface PagerDutyAgent {
  id: string;
  /** PagerDuty's display name (the reference's `summary`). */
  name: string;
}

/** One v3 webhook event about an incident, as the webhook parsed it. */
export interface PagerDutyIncidentEvent {
  id: string;
  type: PagerDutyAppliedEvent;
  occurredAt: Date;
  agent: PagerDutyAgent | null;
  incident: {
    id: string;
    number: number | null;
    title: string;
    htmlUrl: string | null;
    urgency: string | null;
    /** The priority's summary (P1 … P5), when the account uses priorities. */
    priority: string | null;
    service: string | null;
    createdAt: Date | null;
    /** The Events API dedup key the incident was raised with: the bot's own for an alert it paged. */
    incidentKey?: string | null;
  };
}

/** The Slack user an acknowledgement made in PagerDuty is attributed to; null when none matches. */
export type AgentMatch = { slackUserId: string | null };

/**
 * duplicate: this event id was applied before (a redelivery). stale: older than the last event
 * applied to its incident (arrived out of order). unknown-incident: acknowledged or resolved for
 * a PagerDuty incident the bot never raised (recorded, nothing else).
 */
export type PagerDutyAction =
  | 'duplicate'
  | 'stale'
  | 'unknown-incident'
  | `alert-${IngestAction}`
  /** The incident the bot's own page raised: linked to its alert, which is already in Slack. */
  | 'linked-to-page'
  | 'acknowledged'
  | 'already-acknowledged'
  | 'already-resolved';

export interface PagerDutyOutcome {
  action: PagerDutyAction;
  alertName: string | null;
  incidentId: string | null;
}

/** The bot's own actor when an acknowledgement made in PagerDuty matches no Slack user. */
export const BOT_ACTOR = 'bot';

/** A one-line alert name from the incident's title: no control characters, at most MAX_ALERT_NAME. */
export function alertNameOf(incident: PagerDutyIncidentEvent['incident']): string {
  const flat = incident.title.replace(/\p{Cc}+/gu, ' ').replace(/\s+/g, ' ').trim();
  const name = flat !== '' ? flat : `PagerDuty incident ${incident.number ?? incident.id}`;
  return name.length <= MAX_ALERT_NAME ? name : `${name.slice(0, MAX_ALERT_NAME - 1).replace(/[\uD800-\uDBFF]$/, '')}…`;
}

/** PagerDuty's urgency (high → critical → P1, low → warning → P2); the priority when there is no urgency. */
export function severityHintOf(incident: PagerDutyIncidentEvent['incident']): SeverityHint | undefined {
  if (incident.urgency === 'high') return 'critical';
  if (incident.urgency === 'low') return 'warning';
  if (incident.priority && /^P[12]$/i.test(incident.priority)) return 'critical';
  if (incident.priority && /^P\d$/i.test(incident.priority)) return 'warning';
  return undefined;
}

/** The alert's message: what PagerDuty says of the incident, and its link. */
export function alertMessageOf(incident: PagerDutyIncidentEvent['incident']): string {
  const facts = [incident.service ? `service ${incident.service}` : null, incident.urgency ? `${incident.urgency} urgency` : null, incident.priority ? `priority ${incident.priority}` : null].filter(
    (f): f is string => f !== null,
  );
  const head = `PagerDuty incident ${incident.number !== null ? `#${incident.number}` : incident.id}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
  return incident.htmlUrl ? `${head}: ${incident.htmlUrl}` : head;
}

function agentName(agent: PagerDutyAgent | null): string {
  return agent ? agent.name.replace(/\p{Cc}+/gu, ' ').trim().slice(0, 100) || agent.id : 'PagerDuty (no person: an automation or rule)';
}

type Deps = DomainDeps;

function outcome(action: PagerDutyAction, alert: AlertRecord | null): PagerDutyOutcome {
  return { action, alertName: alert?.name ?? null, incidentId: alert?.incident_id ?? null };
}

async function triggered(tx: StateTransaction, deps: Deps, ev: PagerDutyIncidentEvent, primaryOnCall: string | null): Promise<{ result: PagerDutyOutcome; alert: AlertRecord | null }> {
  const page = ev.incident.incidentKey ? await tx.pagerduty.pageByDedupKey(ev.incident.incidentKey) : null;
  const paged = page ? await tx.alerts.get(page.alert_key) : null;
  if (paged) return { result: outcome('linked-to-page', paged), alert: paged };
  const hint = severityHintOf(ev.incident);
  const ingested = await ingestAlert(deps, {
    name: alertNameOf(ev.incident),
    status: 'firing',
    message: alertMessageOf(ev.incident),
    firedAt: ev.incident.createdAt ?? ev.occurredAt,
    source: 'pagerduty',
    ...(hint ? { severityHint: hint } : {}),
  }, { primaryOnCall });
  return { result: outcome(`alert-${ingested.action}`, ingested.alert), alert: ingested.alert };
}

async function note(tx: StateTransaction, deps: Deps, incidentId: string, text: string, actor: string, now: Date): Promise<void> {
  const incident = await tx.incidents.get(incidentId);
  if (incident) await deps.events.record(tx, { type: 'note-added', incident, text, actor }, now);
}

async function acknowledged(tx: StateTransaction, deps: Deps, ev: PagerDutyIncidentEvent, alert: AlertRecord, match: AgentMatch): Promise<PagerDutyOutcome> {
  if (alert.status === 'resolved') return outcome('already-resolved', alert);
  if (alert.incident_id) return outcome('already-acknowledged', alert);
  const actor = match.slackUserId ?? BOT_ACTOR;
  try {
    const { incident, alert: after } = await acknowledgeAlert(deps, alert.name, actor);
    const unmatched = match.slackUserId === null && ev.agent !== null ? ' (no Slack user matches them: map them in pagerduty.users)' : '';
    await note(tx, deps, incident.id, `Acknowledged in PagerDuty by ${agentName(ev.agent)}${unmatched}.`, actor, deps.clock());
    return outcome('acknowledged', after);
  } catch (err) {
    // Someone acknowledged in Slack at the same moment: theirs stands.
    if (err instanceof IncidentError) return outcome('already-acknowledged', await tx.alerts.get(alert.key));
    throw err;
  }
}

async function resolved(tx: StateTransaction, deps: Deps, ev: PagerDutyIncidentEvent, alert: AlertRecord, match: AgentMatch, primaryOnCall: string | null): Promise<PagerDutyOutcome> {
  if (alert.status === 'resolved') return outcome('already-resolved', alert);
  // PagerDuty's own alert resolves as its source; the bot's page resolved there by a person is that
  // person resolving it. An automation resolving the page of an alert other sources still report changes nothing.
  const person = alertSources(alert).includes('pagerduty') || ev.agent === null ? undefined : match.slackUserId ? byPerson(match.slackUserId) : byPagerDutyPerson(agentName(ev.agent));
  const ingested = await ingestAlert(deps, { name: alert.name, status: 'resolved', message: '', resolvedAt: ev.occurredAt, source: 'pagerduty', ...(person ? { resolvedBy: person } : {}) }, { primaryOnCall });
  const after = ingested.alert ?? alert;
  // The alert's resolution is told in the thread; who did it, and where, goes on the timeline too.
  if (ingested.action === 'resolved' && after.incident_id) await note(tx, deps, after.incident_id, `Resolved in PagerDuty by ${agentName(ev.agent)}.`, BOT_ACTOR, deps.clock());
  return outcome(ingested.action === 'already-resolved' || ingested.action === 'unknown-resolved' ? 'already-resolved' : `alert-${ingested.action}`, after);
}

/**
 * Applies one event: recorded by its id (a repeat is `duplicate`), ignored when older than the
 * last one applied to the same PagerDuty incident (`stale`), else applied. `match` is who the
 * PagerDuty agent is in Slack (looked up before, outside the transaction). Throws only for a
 * failure of the bot's own state; the event is then not recorded, so PagerDuty's retry applies it.
 */
export async function applyPagerDutyEvent(deps: Deps, ev: PagerDutyIncidentEvent, match: AgentMatch = { slackUserId: null }): Promise<PagerDutyOutcome> {
  const now = deps.clock();
  const { state } = deps;
  // Who is on call is read before the transaction: the rotation reads the outer store.
  const primaryOnCall = (await deps.rotation.at(now))?.primary ?? null;
  return await state.transaction(async (tx) => {
    if (!(await tx.pagerduty.recordEvent({ eventId: ev.id, eventType: ev.type, pdIncidentId: ev.incident.id, occurredAt: ev.occurredAt }, now))) {
      return outcome('duplicate', null);
    }
    const link = await tx.pagerduty.incident(ev.incident.id);
    const linked = link?.alert_key ? await tx.alerts.get(link.alert_key) : null;
    if (link && new Date(link.last_event_at).getTime() > ev.occurredAt.getTime()) return outcome('stale', linked);
    // What PagerDuty did is known before the change it causes here, so that change is not sent back to it.
    if (link) await tx.pagerduty.setIncidentStatus(ev.incident.id, ev.type.slice('incident.'.length));

    let result: PagerDutyOutcome;
    let alert: AlertRecord | null = linked;
    if (ev.type === 'incident.triggered') {
      ({ result, alert } = await triggered(tx, deps, ev, primaryOnCall));
    } else if (!linked) {
      result = outcome('unknown-incident', null);
    } else if (ev.type === 'incident.acknowledged') {
      result = await acknowledged(tx, deps, ev, linked, match);
    } else {
      result = await resolved(tx, deps, ev, linked, match, primaryOnCall);
    }
    const current = alert ? (await tx.alerts.get(alert.key) ?? alert) : null;
    await tx.pagerduty.saveIncident({
      pdIncidentId: ev.incident.id,
      alertKey: current?.key ?? (link?.alert_key ?? null),
      incidentId: current?.incident_id ?? link?.incident_id ?? null,
      status: ev.type.slice('incident.'.length),
      htmlUrl: ev.incident.htmlUrl ?? link?.html_url ?? null,
      lastEventAt: ev.occurredAt,
      incidentKey: ev.incident.incidentKey ?? null,
    });
    return result;
  });
}

/** The alert key a PagerDuty incident would be raised under (for tests and the outbound direction). */
export const pagerdutyAlertKey = (incident: PagerDutyIncidentEvent['incident']): string => alertKey(alertNameOf(incident));
