/**
 * The incident lifecycle: acknowledge, declare, update, severity and owner changes, notes,
 * escalation, resolution and review. Every function validates its input, makes its change in
 * ONE chatops.db transaction (incident row, timeline event, timers, outbox messages) and
 * answers with one sentence for the person who acted. Bad input and impossible actions throw
 * IncidentError, whose message is what the user reads. Nothing here talks to Slack: messages
 * go to the outbox, which delivers them after the transaction commits.
 */
import { z } from 'zod';
import { alertKey, getAlert } from '../alerts/alert-store.js';
import type { CommandDeps } from '../commands/command-spec.js';
import { markAtlasAlertAcknowledged, resolveAtlasAlert } from '../db/atlas-writer.js';
import { DbProblemError } from '../db/sqlite-problem.js';
import type { StateDb } from '../db/state-db.js';
import { currentOnCall } from '../oncall/rotation.js';
import { enqueue, type PostPayload } from '../slack/outbox.js';
import {
  ackDetailsMessage,
  alertsResolvedMessage,
  attachedResultMessage,
  ESCALATE_TARGET_TEXT,
  escalationMessage,
  incidentClosedMessage,
  initialResponseMessage,
  noteMessage,
  ownerChangedMessage,
  postIncidentChecklistMessage,
  resolutionMessage,
  reviewDoneMessage,
  severityChangedMessage,
  statusUpdateMessage,
  userRef,
  type EscalateTarget,
  type IncidentMessage,
  type StatusUpdate,
} from '../templates/incident-messages.js';
import { dayTime, hhmm } from '../templates/slack-time.js';
import { formatDuration, parseDuration } from '../time/atlas-time.js';
import { addEvent, createIncident, findIncident, IncidentError, timeline, updateIncident } from './incident-store.js';
import { iso, INCIDENT_STATUSES, type AlertRecord, type Incident, type IncidentEvent, type IncidentStatus, type TimerKind, type TimerRow } from './incident-types.js';
import { findSymptom, SEVERITIES, SEVERITY_POLICIES, symptomById, type EscalationTarget, type Severity } from './severity-matrix.js';
import { cancelTimers, pendingTimers, REVIEW_REMINDER_MINUTES, replanIncidentTimers, scheduleTimer } from './timer-plan.js';

export type { EscalateTarget } from '../templates/incident-messages.js';

const MIN = 60_000;

/** Free text (notes, summaries, resolutions) longer than this is refused; shorter text is cut where it is shown. */
export const INCIDENT_TEXT_MAX = 5000;
/** Titles are kept to this length (cut, not refused): they head cards, lists and reviews. */
export const INCIDENT_TITLE_MAX = 150;
export const ESCALATE_TARGETS = Object.keys(ESCALATE_TARGET_TEXT) as EscalateTarget[];

/** An IncidentError about one input, so a modal can show it next to the right field. */
export class IncidentInputError extends IncidentError {
  override name = 'IncidentInputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface IncidentResult {
  incident: Incident;
  /** One sentence for whoever acted. */
  message: string;
}

// ---------------------------------------------------------------------------------------------
// Input

/** A Slack user ID, or the login name of a terminal user. Never markup. */
const actorSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._@-]+$/);

function actor(actorId: string): string {
  const parsed = actorSchema.safeParse(actorId);
  if (!parsed.success) throw new IncidentInputError('actor', 'That action needs a user: a Slack user ID such as U012ABC3DEF.');
  return parsed.data;
}

/** Trimmed free text; undefined when empty and optional; refused (naming the field) when too long. */
function text(fieldName: string, label: string, value: unknown, opts: { required: true; max?: number }): string;
function text(fieldName: string, label: string, value: unknown, opts?: { required?: false; max?: number }): string | undefined;
function text(fieldName: string, label: string, value: unknown, opts: { required?: boolean; max?: number } = {}): string | undefined {
  const max = opts.max ?? INCIDENT_TEXT_MAX;
  const parsed = z.string().optional().nullable().safeParse(value);
  if (!parsed.success) throw new IncidentInputError(fieldName, `The ${label} must be text.`);
  const trimmed = (parsed.data ?? '').trim();
  if (trimmed === '') {
    if (opts.required) throw new IncidentInputError(fieldName, `The ${label} is empty; say it in a few words.`);
    return undefined;
  }
  if (trimmed.length > max) {
    throw new IncidentInputError(fieldName, `The ${label} is ${trimmed.length.toLocaleString('en-US')} characters; at most ${max.toLocaleString('en-US')}.`);
  }
  return trimmed;
}

/** One line, at most INCIDENT_TITLE_MAX characters (cut with an ellipsis). */
function titleOf(raw: string): string {
  const flat = raw.replace(/\s+/g, ' ').trim();
  return flat.length > INCIDENT_TITLE_MAX ? `${flat.slice(0, INCIDENT_TITLE_MAX - 1).replace(/[\uD800-\uDBFF]$/, '')}…` : flat;
}

function severityOf(value: unknown): Severity {
  const s = typeof value === 'string' ? value.trim().toUpperCase() : '';
  const found = SEVERITIES.find((x) => x === s);
  if (!found) throw new IncidentInputError('severity', `Severity is one of ${SEVERITIES.join(', ')}${s ? ` (got "${s.slice(0, 10)}")` : ''}.`);
  return found;
}

const ETA_MAX_MS = 7 * 86_400_000;

/**
 * When the next update comes, as people type it: "30 min", "2 h", "1h30m", "in 45 minutes",
 * or a UTC time of day "14:30" (the next one to come). Null when it is not a time or is more
 * than a week away.
 */
export function parseEta(textValue: string, now: Date): Date | null {
  const t = textValue
    .trim()
    .toLowerCase()
    .replace(/^in\s+/, '')
    .replace(/\s*(utc|z)$/, '');
  let at: Date | null = null;
  const clock = /^(\d{1,2}):(\d{2})$/.exec(t);
  if (clock) {
    const h = Number(clock[1]);
    const m = Number(clock[2]);
    if (h > 23 || m > 59) return null;
    at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), h, m));
    if (at <= now) at = new Date(at.getTime() + 86_400_000);
  } else {
    const words = /^(\d+(?:\.\d+)?)\s*(m|min|mins|minutes?|h|hr|hrs|hours?|d|days?)$/.exec(t);
    if (words) {
      const n = Number(words[1]);
      const unit = words[2]!.startsWith('m') ? MIN : words[2]!.startsWith('h') ? 60 * MIN : 1440 * MIN;
      at = new Date(now.getTime() + Math.round(n * unit));
    } else {
      const ms = parseDuration(t.replace(/\s+/g, ''));
      if (ms !== null) at = new Date(now.getTime() + ms);
    }
  }
  if (!at || at <= now || at.getTime() - now.getTime() > ETA_MAX_MS) return null;
  return at;
}

function etaOf(value: string, now: Date): Date {
  const at = parseEta(value, now);
  if (!at) {
    throw new IncidentInputError(
      'eta',
      `"${value.slice(0, 30)}" is not a time for the next update: give minutes ("30 min"), hours ("2 h") or a UTC time ("14:30"), within a week.`,
    );
  }
  return at;
}

// ---------------------------------------------------------------------------------------------
// Shared steps

const plusMinutes = (at: Date | string, minutes: number) => new Date(new Date(at).getTime() + minutes * MIN);

/** The next update under the severity's cadence (its shorter bound: the guide's "every 30–60 min" means 30). */
const cadenceDue = (severity: Severity, from: Date | string) => plusMinutes(from, SEVERITY_POLICIES[severity].updateEveryMinutes.min);

function post(db: StateDb, incident: Incident, message: IncidentMessage, now: Date, extra: Partial<PostPayload> = {}): void {
  enqueue(db, 'thread-post', incident.id, { text: message.text, blocks: message.blocks, ...extra }, now);
}

function refreshCard(db: StateDb, incident: Incident, now: Date): void {
  enqueue(db, 'incident-card', incident.id, null, now);
}

/** An incident reference as given: an id, or empty for "the only open one". */
function refOf(ref: unknown): string | undefined {
  const parsed = z.string().max(60).optional().nullable().safeParse(ref);
  if (!parsed.success) throw new IncidentInputError('incident', 'That is not an incident id; they look like INC-20261126-1.');
  return parsed.data?.trim() || undefined;
}

function withIncident<T>(deps: CommandDeps, ref: string | undefined, opts: { mustBeOpen: boolean }, fn: (incident: Incident, now: Date) => T): T {
  const id = refOf(ref);
  const now = deps.clock();
  return deps.state.transaction(() => fn(findIncident(deps.state, id, opts), now))();
}

/** The first sentence-ish of an alert message, for the incident title. */
function messageHead(message: string): string {
  const line = message.split(/\r?\n/).find((l) => l.trim() !== '')?.trim() ?? '';
  const sentence = /^(.{20,}?[.!?])\s/.exec(line)?.[1] ?? line;
  return sentence.length > 90 ? `${sentence.slice(0, 89)}…` : sentence;
}

function immediateEscalationText(symptomId: string | null | undefined): string | undefined {
  const symptom = symptomId ? symptomById(symptomId) : undefined;
  return symptom && symptom.immediateEscalation.length > 0 ? symptom.title : undefined;
}

function problemText(err: unknown): string {
  if (err instanceof DbProblemError) return err.problem.message;
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------
// Acknowledge

function alertByRef(db: StateDb, ref: string): AlertRecord {
  if (ref === '') {
    const waiting = db
      .prepare("SELECT * FROM alerts WHERE status = 'firing' AND incident_id IS NULL ORDER BY fired_at DESC")
      .all() as AlertRecord[];
    if (waiting.length === 1) return waiting[0]!;
    if (waiting.length === 0) throw new IncidentError('No firing alert is waiting for an acknowledgement. `/atlas alerts` lists them.');
    const names = waiting.slice(0, 5).map((a) => a.name);
    throw new IncidentError(`${waiting.length} alerts are firing unacknowledged (${names.join(', ')}${waiting.length > 5 ? ', …' : ''}); say which one.`);
  }
  const alert = getAlert(db, alertKey(ref));
  if (!alert) throw new IncidentError(`No alert named "${ref.slice(0, 80)}". \`/atlas alerts\` lists the firing ones.`);
  return alert;
}

function alreadyAcknowledged(db: StateDb, alert: AlertRecord): IncidentError {
  const by = alert.acknowledged_by ? ` by ${userRef(alert.acknowledged_by)}` : '';
  const when = alert.acknowledged_at ? ` at ${hhmm(alert.acknowledged_at)}` : '';
  const incident = alert.incident_id ? findIncidentOrNull(db, alert.incident_id) : null;
  const state = incident?.status === 'resolved' ? ', since resolved' : '';
  return new IncidentError(`${alert.name} is already acknowledged${by} as ${alert.incident_id}${when}${state}.`);
}

function findIncidentOrNull(db: StateDb, id: string): Incident | null {
  try {
    return findIncident(db, id);
  } catch {
    return null;
  }
}

/**
 * Acknowledges a firing alert: opens its incident (owner = whoever acknowledged), links the
 * alert with a check-and-set so two simultaneous clicks make one incident, stops the alert's
 * reminders, starts the incident's clock and posts the initial response in its thread. The
 * acknowledgement is then written to metrics.db; a failure there is noted, never fatal.
 */
export async function acknowledgeAlert(deps: CommandDeps, alertRef: string, actorId: string): Promise<IncidentResult & { alertName: string }> {
  const who = actor(actorId);
  const ref = text('alert', 'alert name', alertRef, { max: 200 }) ?? '';
  const now = deps.clock();
  const db = deps.state;
  const { incident, alert } = db.transaction(() => {
    const found = alertByRef(db, ref);
    if (found.incident_id) throw alreadyAcknowledged(db, found);
    if (found.status === 'resolved') {
      throw new IncidentError(`${found.name} already resolved${found.resolved_at ? ` at ${hhmm(found.resolved_at)}` : ''}; there is nothing to acknowledge.`);
    }
    const firedAt = new Date(found.fired_at);
    const head = found.message ? messageHead(found.message) : '';
    const created = createIncident(
      db,
      {
        title: titleOf(head && head.toLowerCase() !== found.name.toLowerCase() ? `${found.name}: ${head}` : found.name),
        severity: found.severity,
        createdBy: who,
        ownerId: who,
        alertKey: found.key,
        channelId: found.channel_id,
        rootTs: found.message_ts,
        openedAt: firedAt,
        acknowledgedAt: now < firedAt ? firedAt : now,
      },
      now,
    );
    // The check-and-set: whoever links the alert first owns it; the loser's incident rolls back.
    const linked = db
      .prepare('UPDATE alerts SET incident_id = ?, acknowledged_by = ?, acknowledged_at = ?, updated_at = ? WHERE key = ? AND incident_id IS NULL')
      .run(created.id, who, iso(now), iso(now), found.key);
    if (linked.changes === 0) throw alreadyAcknowledged(db, getAlert(db, found.key) ?? found);
    cancelTimers(db, { alertKey: found.key }, now);
    const ackAfter = formatDuration((created.ack_seconds ?? 0) * 1000);
    addEvent(db, created.id, {
      at: firedAt,
      actor: 'bot',
      kind: 'alert-fired',
      text: `Alert ${found.name} fired${found.message ? `: ${found.message.slice(0, 500)}` : ''}`,
      data: { alertKey: found.key, severity: found.severity },
    });
    addEvent(db, created.id, { at: now, actor: who, kind: 'acknowledged', text: `Acknowledged after ${ackAfter}; incident opened (${created.severity})` });
    const incident = updateIncident(db, created.id, { last_update_at: iso(now), next_update_at: iso(cadenceDue(created.severity, now)) });
    replanIncidentTimers(db, incident, now);
    refreshCard(db, incident, now);
    post(db, incident, initialResponseMessage({ incident, how: 'ack', alertName: found.name, immediateEscalation: immediateEscalationText(found.symptom_id) }), now);
    return { incident, alert: found };
  })();

  try {
    markAtlasAlertAcknowledged(deps.atlas.metrics, alert.name, now);
  } catch (err) {
    const problem = problemText(err);
    deps.logger.warn({ err, incidentId: incident.id, alert: alert.name }, 'could not mark the alert acknowledged in metrics.db');
    addEvent(db, incident.id, { at: now, actor: 'bot', kind: 'bot-note', text: `metrics.db not updated (acknowledged_at): ${problem}` });
  }
  const ackAfter = formatDuration((incident.ack_seconds ?? 0) * 1000);
  return {
    incident,
    alertName: alert.name,
    message: `${alert.name} acknowledged after ${ackAfter}: ${incident.id} (${incident.severity}) is open and yours; the initial response is in its thread.`,
  };
}

/**
 * The acknowledge modal's answers: impact and when the next update comes. Both optional;
 * skipping both keeps the defaults (impact being assessed, next update on the cadence).
 */
export async function setAckDetails(
  deps: CommandDeps,
  incidentId: string,
  details: { impact?: string; eta?: string },
  actorId: string,
): Promise<IncidentResult> {
  const who = actor(actorId);
  const impact = text('impact', 'impact', details.impact);
  const etaText = text('eta', 'ETA', details.eta, { max: 40 });
  return withIncident(deps, incidentId, { mustBeOpen: true }, (found, now) => {
    const eta = etaText ? etaOf(etaText, now) : undefined;
    if (!impact && !eta) {
      const next = found.next_update_at ? hhmm(found.next_update_at) : 'on the cadence';
      return { incident: found, message: `Kept the defaults for ${found.id}: impact ${found.impact ?? 'being assessed'}, next update ${next}.` };
    }
    const incident = updateIncident(deps.state, found.id, {
      ...(impact ? { impact } : {}),
      ...(eta ? { next_update_at: iso(eta) } : {}),
    });
    addEvent(deps.state, found.id, {
      at: now,
      actor: who,
      kind: 'ack-details',
      text: [impact ? `Impact: ${impact}` : '', eta ? `next update ${hhmm(eta)}` : ''].filter(Boolean).join(' · '),
    });
    post(deps.state, incident, ackDetailsMessage(incident, who), now);
    refreshCard(deps.state, incident, now);
    return { incident, message: `${incident.id}: impact ${impact ? 'recorded' : 'unchanged'}${eta ? `, next update ${hhmm(eta)}` : ''}.` };
  });
}

// ---------------------------------------------------------------------------------------------
// Declare

/** Opens an incident without an alert; whoever declares it owns it, acknowledged at once. */
export async function declareIncident(
  deps: CommandDeps,
  input: { title: string; severity?: Severity; actorId: string; channelId?: string },
): Promise<IncidentResult> {
  const who = actor(input.actorId);
  const rawTitle = text('title', 'title', input.title, { required: true });
  const channel = input.channelId === undefined ? undefined : z.string().regex(/^[CG][A-Z0-9]{2,}$/).safeParse(input.channelId);
  if (channel && !channel.success) throw new IncidentInputError('channel', 'Incidents go to a channel such as C012ABC3DEF.');
  const symptom = findSymptom(rawTitle);
  const severity = input.severity === undefined ? (symptom?.symptom.severity ?? 'P2') : severityOf(input.severity);
  const why = input.severity !== undefined ? 'as declared' : symptom ? `matches "${symptom.symptom.title}"` : 'no symptom matched: P2 by default';
  const now = deps.clock();
  const db = deps.state;
  const incident = db.transaction(() => {
    const created = createIncident(
      db,
      { title: titleOf(rawTitle), severity, createdBy: who, ownerId: who, channelId: channel?.data ?? null, openedAt: now, acknowledgedAt: now },
      now,
    );
    addEvent(db, created.id, { at: now, actor: who, kind: 'declared', text: `Declared ${severity} (${why}): ${rawTitle.slice(0, 500)}` });
    const incident = updateIncident(db, created.id, { last_update_at: iso(now), next_update_at: iso(cadenceDue(severity, now)) });
    replanIncidentTimers(db, incident, now);
    refreshCard(db, incident, now);
    post(db, incident, initialResponseMessage({ incident, how: 'declare', immediateEscalation: immediateEscalationText(symptom?.symptom.id) }), now);
    return incident;
  })();
  return { incident, message: `Declared ${incident.id} (${severity}, ${why}); it is yours, and the initial response is in its thread.` };
}

// ---------------------------------------------------------------------------------------------
// Updates, severity, owner, notes

const statusSchema = z.enum(INCIDENT_STATUSES.filter((s) => s !== 'resolved') as [IncidentStatus, ...IncidentStatus[]]);

/** The guide's "Incident Update [HH:MM UTC]" in the thread; the update-due nudge moves with it. */
export async function postStatusUpdate(
  deps: CommandDeps,
  incidentId: string,
  update: { summary: string; completed?: string; inProgress?: string; blocked?: string; nextSteps?: string; eta?: string; status?: IncidentStatus },
  actorId: string,
): Promise<IncidentResult> {
  const who = actor(actorId);
  const summary = text('summary', 'summary', update.summary, { required: true });
  const fields: StatusUpdate = {
    summary,
    completed: text('completed', 'completed list', update.completed),
    inProgress: text('inProgress', 'in-progress list', update.inProgress),
    blocked: text('blocked', 'blocked list', update.blocked),
    nextSteps: text('nextSteps', 'next steps', update.nextSteps),
    eta: text('eta', 'ETA', update.eta, { max: 200 }),
  };
  let status: IncidentStatus | undefined;
  if (update.status !== undefined) {
    if (update.status === 'resolved') throw new IncidentInputError('status', 'An update cannot resolve an incident; `/atlas resolve` does, with the resolution.');
    const parsed = statusSchema.safeParse(update.status);
    if (!parsed.success) throw new IncidentInputError('status', `Status is one of ${statusSchema.options.join(', ')}.`);
    status = parsed.data;
  }
  return withIncident(deps, incidentId, { mustBeOpen: true }, (found, now) => {
    const changed = status && status !== found.status ? status : undefined;
    const incident = updateIncident(deps.state, found.id, {
      ...(changed ? { status: changed } : {}),
      last_update_at: iso(now),
      next_update_at: iso(cadenceDue(found.severity, now)),
    });
    addEvent(deps.state, found.id, {
      at: now,
      actor: who,
      kind: 'status-update',
      text: `Update: ${summary.slice(0, 500)}${changed ? ` (status ${found.status} → ${changed})` : ''}`,
      data: { ...fields, ...(changed ? { status: changed } : {}) },
    });
    replanIncidentTimers(deps.state, incident, now);
    post(deps.state, incident, statusUpdateMessage(incident, { ...fields, ...(changed ? { status: changed } : {}) }, now, who), now);
    refreshCard(deps.state, incident, now);
    return { incident, message: `Update posted in ${incident.id}'s thread; the next one is due by ${hhmm(incident.next_update_at!)}.` };
  });
}

/** A new severity: new cadence and escalation deadlines (those already past come due at once). */
export async function changeSeverity(deps: CommandDeps, incidentId: string, severity: Severity, actorId: string): Promise<IncidentResult> {
  const who = actor(actorId);
  const to = severityOf(severity);
  return withIncident(deps, incidentId, { mustBeOpen: true }, (found, now) => {
    if (found.severity === to) throw new IncidentError(`${found.id} is already ${to}.`);
    const from = found.severity;
    const incident = updateIncident(deps.state, found.id, {
      severity: to,
      next_update_at: iso(cadenceDue(to, found.last_update_at ?? found.opened_at)),
    });
    addEvent(deps.state, found.id, { at: now, actor: who, kind: 'severity', text: `Severity ${from} → ${to}`, data: { from, to } });
    replanIncidentTimers(deps.state, incident, now);
    post(deps.state, incident, severityChangedMessage(incident, from, who), now);
    refreshCard(deps.state, incident, now);
    return { incident, message: `${incident.id} is now ${to} (was ${from}); updates ${SEVERITY_POLICIES[to].updateText}, timers re-planned.` };
  });
}

const ownerSchema = z
  .string()
  .trim()
  .regex(/^(?:[UW][A-Z0-9]{2,}|[A-Za-z_][A-Za-z0-9._-]{0,31})$/);

/** Hands the incident to someone else (a Slack user ID; a login name from the terminal). */
export async function changeOwner(deps: CommandDeps, incidentId: string, ownerId: string, actorId: string): Promise<IncidentResult> {
  const who = actor(actorId);
  const parsed = ownerSchema.safeParse(ownerId);
  if (!parsed.success) throw new IncidentInputError('owner', `"${String(ownerId).slice(0, 30)}" is not a user; mention them (@name) or give their user ID.`);
  const owner = parsed.data;
  return withIncident(deps, incidentId, { mustBeOpen: true }, (found, now) => {
    if (found.owner_id === owner) throw new IncidentError(`${userRef(owner)} already owns ${found.id}.`);
    const previous = found.owner_id;
    const incident = updateIncident(deps.state, found.id, { owner_id: owner });
    addEvent(deps.state, found.id, { at: now, actor: who, kind: 'owner', text: `Owner ${previous ?? 'nobody'} → ${owner}`, data: { from: previous, to: owner } });
    replanIncidentTimers(deps.state, incident, now);
    post(deps.state, incident, ownerChangedMessage(incident, previous, who), now);
    refreshCard(deps.state, incident, now);
    return { incident, message: `${userRef(owner)} now owns ${incident.id}.` };
  });
}

/**
 * A note on the timeline and in the thread. Notes are also taken after the resolution: they
 * feed the review's action items.
 */
export async function addNote(deps: CommandDeps, incidentId: string, note: string, actorId: string): Promise<IncidentResult> {
  const who = actor(actorId);
  const body = text('note', 'note', note, { required: true });
  return withIncident(deps, incidentId, { mustBeOpen: false }, (incident, now) => {
    addEvent(deps.state, incident.id, { at: now, actor: who, kind: 'note', text: body });
    if (incident.status !== 'resolved') replanIncidentTimers(deps.state, incident, now);
    post(deps.state, incident, noteMessage(incident, body, who), now);
    refreshCard(deps.state, incident, now);
    return { incident, message: `Note added to ${incident.id}'s timeline.` };
  });
}

/**
 * A diagnostic's answer added to the timeline and the thread (the "Add to INC-…" button).
 * Taken after the resolution too, for the review.
 */
export async function attachToTimeline(
  deps: CommandDeps,
  incidentId: string,
  result: { headline: string; command: string },
  actorId: string,
): Promise<IncidentResult> {
  const who = actor(actorId);
  const headline = text('headline', 'result', result.headline, { required: true });
  const command = text('command', 'command', result.command, { required: true, max: 200 });
  const shown = command.startsWith('/') ? command : `/atlas ${command}`;
  return withIncident(deps, incidentId, { mustBeOpen: false }, (incident, now) => {
    addEvent(deps.state, incident.id, { at: now, actor: who, kind: 'attached', text: `${shown}: ${headline.slice(0, 1000)}`, data: { command: shown, headline } });
    post(deps.state, incident, attachedResultMessage(incident, { headline, command: shown }, who), now);
    return { incident, message: `Added \`${shown}\` to ${incident.id}'s timeline.` };
  });
}

// ---------------------------------------------------------------------------------------------
// Escalation

const CONTACT: Record<EscalateTarget, { configKey: string; rule?: EscalationTarget; timer?: TimerKind }> = {
  techlead: { configKey: 'escalation.techLead', rule: 'tech-lead', timer: 'escalate-tech-lead' },
  cto: { configKey: 'escalation.cto', rule: 'cto', timer: 'escalate-cto' },
  secondary: { configKey: 'rotation.secondary', rule: 'secondary-oncall' },
  db: { configKey: 'escalation.dbExpert' },
  security: { configKey: 'escalation.security', rule: 'security' },
};

function contactOf(deps: CommandDeps, target: EscalateTarget, now: Date): string | null {
  const e = deps.config.escalation;
  switch (target) {
    case 'techlead':
      return e.techLead ?? null;
    case 'cto':
      return e.cto ?? null;
    case 'db':
      return e.dbExpert ?? null;
    case 'security':
      return e.security ?? null;
    case 'secondary':
      return currentOnCall(deps.config.rotation, now)?.secondary ?? null;
  }
}

const updateData = z.object({ completed: z.string().optional(), blocked: z.string().optional(), summary: z.string().optional() });

function parseJson(value: string | null): unknown {
  if (value === null) return null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return null;
  }
}

/** "✅ …" lines from the timeline: what was done, for the escalation message. */
function actionsTaken(events: readonly IncidentEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.kind === 'status-update') {
      const d = updateData.safeParse(parseJson(e.data));
      if (!d.success) continue;
      const lines = (s?: string) => (s ?? '').split(/\r?\n/).map((l) => l.replace(/^\s*[-*•]\s+/, '').trim()).filter(Boolean);
      out.push(...lines(d.data.completed).map((l) => `✅ ${l}`), ...lines(d.data.blocked).map((l) => `❌ ${l}`));
      if (!d.data.completed && !d.data.blocked && d.data.summary) out.push(`🔄 ${d.data.summary}`);
    } else if (e.kind === 'attached') {
      out.push(`✅ ran ${e.text}`);
    } else if (e.kind === 'note') {
      out.push(`📝 ${e.text}`);
    } else if (e.kind === 'severity' || e.kind === 'escalated' || e.kind === 'owner') {
      out.push(`• ${e.text}`);
    }
  }
  return out;
}

/** Why now, when the person escalating did not say: the guide's thresholds. */
function defaultWhy(incident: Incident, target: EscalateTarget, ageMs: number): string {
  const symptomOf = findSymptom(incident.title);
  const symptom = symptomOf?.whole ? symptomOf.symptom : undefined;
  const rule = CONTACT[target].rule;
  if (symptom && rule && symptom.immediateEscalation.includes(rule)) return `${symptom.title}: the guide sends it straight to the CTO and security`;
  const threshold = SEVERITY_POLICIES[incident.severity].escalation.find((r) => r.to === rule && r.when === 'unresolved');
  if (threshold) {
    const after = formatDuration(threshold.afterMinutes * MIN);
    return ageMs >= threshold.afterMinutes * MIN
      ? `${after} threshold for a ${incident.severity} reached (open ${formatDuration(ageMs)})`
      : `judgement call of the responder, before the ${after} threshold for a ${incident.severity}`;
  }
  return `judgement call of the responder (no ${ESCALATE_TARGET_TEXT[target]} deadline for a ${incident.severity})`;
}

/**
 * The guide's "good escalation message" in the thread, mentioning the contact (broadcast to
 * the channel for a P0). An escalation to the tech lead or CTO also settles that reminder.
 */
export async function escalate(
  deps: CommandDeps,
  incidentId: string,
  target: EscalateTarget,
  details: { need?: string; why?: string },
  actorId: string,
): Promise<IncidentResult & { contactId: string | null }> {
  const who = actor(actorId);
  const targetParsed = z.enum(ESCALATE_TARGETS as [EscalateTarget, ...EscalateTarget[]]).safeParse(typeof target === 'string' ? target.toLowerCase() : target);
  if (!targetParsed.success) throw new IncidentInputError('target', `Escalate to one of ${ESCALATE_TARGETS.join(', ')}.`);
  const to = targetParsed.data;
  const need = text('need', 'immediate need', details.need);
  const whyText = text('why', 'reason', details.why);
  return withIncident(deps, incidentId, { mustBeOpen: true }, (incident, now) => {
    const contactId = contactOf(deps, to, now);
    const { configKey, timer } = CONTACT[to];
    const whoText = ESCALATE_TARGET_TEXT[to];
    const ageMs = now.getTime() - new Date(incident.opened_at).getTime();
    const message = escalationMessage({
      incident,
      target: to,
      contactId,
      configKey,
      durationMs: ageMs,
      actionsTaken: actionsTaken(timeline(deps.state, incident.id)),
      why: whyText ?? defaultWhy(incident, to, ageMs),
      need: need ?? 'eyes on the incident: see the thread',
      actorId: who,
    });
    addEvent(deps.state, incident.id, {
      at: now,
      actor: who,
      kind: 'escalated',
      text: `Escalated to the ${whoText}${contactId ? ` (${contactId})` : ' (not configured)'}${need ? `: ${need.slice(0, 300)}` : ''}`,
      data: { target: to, contactId },
    });
    if (timer) {
      // Done by hand: the reminder to do it must not fire, now or after a severity change.
      const settled = deps.state
        .prepare('UPDATE timers SET fired_at = ? WHERE incident_id = ? AND kind = ? AND fired_at IS NULL AND cancelled_at IS NULL')
        .run(iso(now), incident.id, timer);
      if (settled.changes === 0) {
        deps.state
          .prepare('INSERT INTO timers (incident_id, alert_key, kind, due_at, created_at, fired_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(incident.id, incident.alert_key, timer, iso(now), iso(now), iso(now));
      }
    }
    post(deps.state, incident, message, now, incident.severity === 'P0' ? { broadcast: true } : {});
    refreshCard(deps.state, incident, now);
    const result = contactId
      ? `Escalated ${incident.id} to the ${whoText}, ${userRef(contactId)}, in its thread.`
      : `Escalated ${incident.id} in its thread, but no ${whoText} is configured (\`${configKey}\`): page them by hand.`;
    return { incident, contactId, message: result };
  });
}

// ---------------------------------------------------------------------------------------------
// Resolution and review

function firingAlertNames(db: StateDb, incidentId: string): { key: string; name: string }[] {
  return db.prepare("SELECT key, name FROM alerts WHERE incident_id = ? AND status = 'firing' ORDER BY key").all(incidentId) as { key: string; name: string }[];
}

/**
 * Closes the incident: the guide's resolution message and post-incident checklist in the
 * thread, the channel told, all timers stopped and the review reminder set for 48 h later.
 * Alerts of the incident still firing are named in the result, for a "resolve them" button.
 */
export async function resolveIncident(
  deps: CommandDeps,
  incidentId: string,
  details: { resolution: string; impact?: string },
  actorId: string,
): Promise<IncidentResult & { firingAlerts: string[] }> {
  const who = actor(actorId);
  const resolution = text('resolution', 'resolution', details.resolution, { required: true });
  const impact = text('impact', 'impact', details.impact);
  return withIncident(deps, incidentId, { mustBeOpen: true }, (found, now) => {
    const db = deps.state;
    const claimed = db.prepare("UPDATE incidents SET status = 'resolved' WHERE id = ? AND status <> 'resolved'").run(found.id);
    if (claimed.changes === 0) throw new IncidentError(`${found.id} is already resolved.`);
    const incident = updateIncident(db, found.id, {
      resolved_at: iso(now),
      resolution,
      next_update_at: null,
      ...(impact ? { impact } : {}),
    });
    cancelTimers(db, { incidentId: incident.id }, now);
    const reviewDue = plusMinutes(now, REVIEW_REMINDER_MINUTES);
    scheduleTimer(db, { kind: 'review-reminder', due: reviewDue, incidentId: incident.id, alertKey: incident.alert_key }, now);
    const duration = formatDuration(now.getTime() - new Date(incident.opened_at).getTime());
    addEvent(db, incident.id, { at: now, actor: who, kind: 'resolved', text: `Resolved after ${duration}: ${resolution.slice(0, 500)}` });
    const firing = firingAlertNames(db, incident.id).map((a) => a.name);
    post(db, incident, resolutionMessage(incident, reviewDue, who), now);
    post(db, incident, postIncidentChecklistMessage(incident, firing, reviewDue), now);
    const closed = incidentClosedMessage(incident);
    // Same ref as the thread posts, so the announcement follows the resolution in order.
    enqueue(db, 'channel-post', incident.id, { text: closed.text, blocks: closed.blocks, ...(incident.channel_id ? { channel: incident.channel_id } : {}) }, now);
    refreshCard(db, incident, now);
    const still = firing.length > 0 ? ` ${firing.length} alert${firing.length === 1 ? ' is' : 's are'} still firing: ${firing.join(', ')}.` : '';
    return {
      incident,
      firingAlerts: firing,
      message: `${incident.id} resolved after ${duration}; review due by ${dayTime(reviewDue)}.${still}`,
    };
  });
}

/** Resolves the incident's alerts that still fire, in metrics.db and in the bot's own view. */
export async function resolveFiringAlerts(deps: CommandDeps, incidentId: string, actorId: string): Promise<IncidentResult & { resolved: string[] }> {
  const who = actor(actorId);
  const now = deps.clock();
  const incident = findIncident(deps.state, refOf(incidentId));
  const firing = firingAlertNames(deps.state, incident.id);
  if (firing.length === 0) throw new IncidentError(`No alert of ${incident.id} is firing any more.`);
  // metrics.db first: it is the service's truth, and the bot's view should not claim more.
  const notWritten: { name: string; problem: string }[] = [];
  for (const a of firing) {
    try {
      resolveAtlasAlert(deps.atlas.metrics, a.name, now);
    } catch (err) {
      deps.logger.warn({ err, incidentId: incident.id, alert: a.name }, 'could not resolve the alert in metrics.db');
      notWritten.push({ name: a.name, problem: problemText(err) });
    }
  }
  const resolved = deps.state.transaction(() => {
    const done: string[] = [];
    for (const a of firing) {
      const changed = deps.state
        .prepare("UPDATE alerts SET status = 'resolved', resolved_at = ?, updated_at = ? WHERE key = ? AND status = 'firing'")
        .run(iso(now), iso(now), a.key);
      if (changed.changes === 0) continue;
      done.push(a.name);
      enqueue(deps.state, 'alert-message', a.key, null, now);
    }
    if (done.length === 0) throw new IncidentError(`No alert of ${incident.id} is firing any more.`);
    addEvent(deps.state, incident.id, { at: now, actor: who, kind: 'alerts-resolved', text: `Resolved firing alerts: ${done.join(', ')}` });
    for (const n of notWritten) {
      addEvent(deps.state, incident.id, { at: now, actor: 'bot', kind: 'bot-note', text: `metrics.db not updated for ${n.name}: ${n.problem}` });
    }
    post(deps.state, incident, alertsResolvedMessage(incident, done, notWritten.map((n) => n.name), who), now);
    return done;
  })();
  const warning = notWritten.length > 0 ? ` metrics.db could not be updated (${notWritten[0]!.problem})` : '';
  return {
    incident,
    resolved,
    message: `Resolved ${resolved.length} alert${resolved.length === 1 ? '' : 's'} of ${incident.id}: ${resolved.join(', ')}.${warning}`,
  };
}

const cellText = (s: string) => s.replace(/\r?\n+/g, ' ').replace(/\|/g, '\\|').trim();

/**
 * A post-incident review draft in markdown for a GitHub issue, after the guide's incident
 * report template: facts from the record, placeholders where the team must think.
 */
export function reviewDraft(deps: CommandDeps, incidentId: string): string {
  const incident = findIncident(deps.state, refOf(incidentId));
  const events = timeline(deps.state, incident.id);
  const end = incident.resolved_at ? new Date(incident.resolved_at) : deps.clock();
  const duration = formatDuration(end.getTime() - new Date(incident.opened_at).getTime());
  const spansDays = incident.opened_at.slice(0, 10) !== iso(end).slice(0, 10);
  const when = (at: string) => (spansDays ? `${at.slice(0, 10)} ${at.slice(11, 16)}` : at.slice(11, 16));
  const person = (id: string | null) => (id === null ? 'nobody' : id === 'bot' ? 'bot' : id);
  const notes = events.filter((e) => e.kind === 'note');
  const escalations = events.filter((e) => e.kind === 'escalated').map((e) => e.text);
  const todo = '_(for the team)_';
  const md = [
    `# Incident Report: ${incident.id} ${cellText(incident.title)}`,
    '',
    `**Date**: ${incident.opened_at.slice(0, 10)}`,
    `**Severity**: ${incident.severity}`,
    `**Duration**: ${when(incident.opened_at)} UTC - ${incident.resolved_at ? `${when(incident.resolved_at)} UTC` : 'still open'} (${duration})`,
    `**Owner**: ${person(incident.owner_id)}`,
    `**Author**: ${todo}`,
    '',
    '## Summary',
    '',
    `${todo} 2-3 sentences: what happened, impact, resolution.`,
    incident.resolution ? `Resolution recorded: ${cellText(incident.resolution)}` : '',
    '',
    '## Impact',
    '',
    `**Recorded impact**: ${incident.impact ? cellText(incident.impact) : 'not recorded'}`,
    `**Users Affected**: ${todo}`,
    `**Data Loss**: ${todo}`,
    `**Downtime**: ${duration}`,
    `**Time to acknowledge**: ${incident.ack_seconds !== null ? formatDuration(incident.ack_seconds * 1000) : 'not recorded'}`,
    '',
    '## Timeline (UTC)',
    '',
    '| Time | Who | Event |',
    '|------|-----|-------|',
    ...events.map((e) => `| ${when(e.at)} | ${person(e.actor)} | ${cellText(e.text.slice(0, 500))} |`),
    '',
    '## Root Cause',
    '',
    `**Immediate Cause**: ${todo}`,
    `**Contributing Factors**: ${todo}`,
    `**Why it wasn't detected earlier**: ${todo}`,
    '',
    '## Resolution',
    '',
    incident.resolution ? cellText(incident.resolution) : `${todo} (not resolved yet)`,
    escalations.length > 0 ? `Escalations: ${escalations.map(cellText).join('; ')}` : 'Escalations: none',
    '',
    '## Lessons Learned',
    '',
    '**What Went Well**:',
    `- ${todo}`,
    '',
    '**What Could Be Improved**:',
    `- ${todo}`,
    '',
    '## Action Items',
    '',
    ...(notes.length > 0
      ? notes.map((n) => `- [ ] ${cellText(n.text.slice(0, 500))} (noted by ${person(n.actor)}, ${when(n.at)} UTC)`)
      : [`- [ ] ${todo}`]),
  ];
  return `${md.filter((line, i, all) => !(line === '' && all[i - 1] === '')).join('\n')}\n`;
}

/** The review is done: recorded, and the 48 h reminder stops. */
export async function markReviewDone(deps: CommandDeps, incidentId: string, actorId: string): Promise<IncidentResult> {
  const who = actor(actorId);
  return withIncident(deps, incidentId, { mustBeOpen: false }, (found, now) => {
    if (found.status !== 'resolved') throw new IncidentError(`${found.id} is still open; resolve it first, then review it.`);
    if (found.review_done_at) throw new IncidentError(`The review of ${found.id} was already marked done (${dayTime(found.review_done_at)}).`);
    const incident = updateIncident(deps.state, found.id, { review_done_at: iso(now) });
    cancelTimers(deps.state, { incidentId: incident.id }, now);
    addEvent(deps.state, incident.id, { at: now, actor: who, kind: 'review-done', text: 'Post-incident review marked done' });
    post(deps.state, incident, reviewDoneMessage(incident, who), now);
    refreshCard(deps.state, incident, now);
    return { incident, message: `Review of ${incident.id} marked done; the reminder is off.` };
  });
}

// ---------------------------------------------------------------------------------------------
// Reading

const DEADLINE_TEXT: Record<TimerKind, string> = {
  'ack-reminder': 'acknowledge reminder',
  'ack-secondary': 'secondary on-call paged',
  'update-due': 'status update due',
  'escalate-tech-lead': 'tech lead escalation',
  'escalate-cto': 'CTO escalation',
  'handoff-suggest': 'handoff suggested',
  'review-reminder': 'review due',
};

/** The earliest pending timer of an incident. */
export function nextDeadline(db: StateDb, incidentId: string): TimerRow | null {
  return pendingTimers(db, { incidentId })[0] ?? null;
}

/** "status update due 12:30 UTC (in 25 min)", for the status card and the incident list. */
export function nextDeadlineText(db: StateDb, incidentId: string, now: Date): string | undefined {
  const timer = nextDeadline(db, incidentId);
  if (!timer) return undefined;
  const due = new Date(timer.due_at);
  const left = due.getTime() - now.getTime();
  const at = left > 86_400_000 ? dayTime(due) : hhmm(due);
  const rel = left > 30_000 ? `in ${formatDuration(left)}` : left < -30_000 ? `overdue ${formatDuration(-left)}` : 'now';
  return `${DEADLINE_TEXT[timer.kind]} ${at} (${rel})`;
}

export interface IncidentSummary {
  id: string;
  severity: Severity;
  status: IncidentStatus;
  title: string;
  ownerId: string | null;
  openedAt: string;
  ageMs: number;
  nextDeadline?: string;
}

/** The open incidents, most severe first, then oldest first. */
export function listIncidents(deps: CommandDeps): IncidentSummary[] {
  const now = deps.clock();
  const rows = deps.state.prepare("SELECT * FROM incidents WHERE status <> 'resolved' ORDER BY severity, opened_at").all() as Incident[];
  return rows.map((i) => ({
    id: i.id,
    severity: i.severity,
    status: i.status,
    title: i.title,
    ownerId: i.owner_id,
    openedAt: i.opened_at,
    ageMs: now.getTime() - new Date(i.opened_at).getTime(),
    nextDeadline: nextDeadlineText(deps.state, i.id, now),
  }));
}

/** The incident a command means: an id in any case, or the only open one. */
export function lookupIncident(deps: CommandDeps, ref: string | undefined, opts: { mustBeOpen?: boolean } = {}): Incident {
  return findIncident(deps.state, refOf(ref), opts);
}

/** One incident and everything on its timeline, in order. */
export function incidentTimeline(deps: CommandDeps, incidentId: string | undefined): { incident: Incident; events: IncidentEvent[] } {
  const incident = findIncident(deps.state, refOf(incidentId));
  return { incident, events: timeline(deps.state, incident.id) };
}
