/**
 * The one way an alert enters the bot, whichever source reported it (metrics.db, the webhook,
 * Alertmanager, the alert file, PagerDuty, the watchdog). Alerts are deduplicated by name: one
 * row, one Slack message per firing, however many sources or repeats report it.
 *
 * Resolution is per source: an alert resolves when every source that reported its current firing
 * has resolved it, or when an engineer resolves it (recorded with their name). A resolution from a
 * source that never reported the alert changes nothing, so a webhook cannot resolve what
 * metrics.db still reports firing.
 */
import { z } from 'zod';
import { alertKey, type AlertRecord, type AlertSource } from '../db/state/state-records.js';
import type { AlertFiring } from '../db/state/alert-store.js';
import { bySources } from '../db/state/resolved-by.js';
import type { InTransaction } from '../db/state/state-store.js';
import type { DomainDeps } from '../incidents/incident-deps.js';
import { startAlertClock, stopTimers } from '../incidents/timer-plan.js';
import { classifyAlert, severityKnownColumn, type SeverityHint } from './alert-classify.js';
import { groupOf, namesProvider, providerOfGroup, providerSlug, type GroupFacts } from './alert-group.js';

export const MAX_ALERT_NAME = 200;
export const MAX_ALERT_MESSAGE = 3000;
/** Alertmanager fingerprints kept per alert: enough to trace, bounded against a runaway sender. */
const MAX_FINGERPRINTS = 20;

export interface AlertReport {
  name: string;
  status: 'firing' | 'resolved';
  message: string;
  firedAt?: Date;
  resolvedAt?: Date;
  source: AlertSource;
  /** Alertmanager's fingerprint of the label set. */
  fingerprint?: string;
  severityHint?: SeverityHint;
  runbookUrl?: string;
  /** metrics.db's fired_at text, exactly as read: a different value is a new firing. */
  sourceFiredAt?: string;
  /**
   * Set on a resolution made by a person (db/state/resolved-by.ts: `byPerson`, `byPagerDutyPerson`):
   * it resolves the alert whatever its sources say.
   */
  resolvedBy?: string;
  /** What the source said the alert is about (provider, Alertmanager groupKey, labels): see alert-group.ts. */
  groupFacts?: GroupFacts;
}

/**
 * new: first firing, posted. refired: a resolved alert fires again, posted as a new message.
 * duplicate: already firing, nothing posted. resolved: the posted message is updated.
 * source-resolved: this source resolved it, another that reported it still has it firing: it stays firing.
 * not-a-source: a resolution from a source that never reported the alert's current firing: nothing changes.
 * already-resolved: nothing to do (a repeat of a resolution, or a metrics.db firing already seen and resolved).
 * unknown-resolved: a resolution for an alert the bot never saw.
 */
export type IngestAction =
  | 'new'
  | 'refired'
  | 'joined-group'
  | 'duplicate'
  | 'resolved'
  | 'source-resolved'
  | 'not-a-source'
  | 'already-resolved'
  | 'unknown-resolved';

export interface IngestOutcome {
  action: IngestAction;
  /** The row after the change; null for unknown-resolved. */
  alert: AlertRecord | null;
  /** One sentence when the report changed less than it asked (source-resolved, not-a-source). */
  note?: string;
}

/** A source's fired_at more than this far ahead of the bot's clock is not believed (a small skew is clamped silently). */
export const FIRED_AT_FUTURE_TOLERANCE_MS = 5 * 60_000;
/**
 * A source's fired_at more than this long before the report arrived is not believed either: the
 * bot shows the time it received the alert, and says so. Seven days: longer than any outage the
 * on-call guide expects to run unnoticed, shorter than a wrong year or a zero time.
 */
export const FIRED_AT_PAST_BOUND_MS = 7 * 24 * 3_600_000;

/** With the rotation, a posted alert is recorded as a page of the on-call primary (night pages, `oncall load`). */
export type IngestDeps = Pick<DomainDeps, 'state' | 'clock' | 'config' | 'events'> & Partial<Pick<DomainDeps, 'rotation'>>;

/** Inside the report's transaction; `onCall` is who the rotation had on call as the report came (read before it). */
type IngestTx = InTransaction<Omit<IngestDeps, 'rotation'>> & { primaryOnCall: string | null };

/** A report that cannot be taken (empty or overlong name); the message names the problem. */
export class AlertReportError extends Error {
  override name = 'AlertReportError';
}

const validDate = z.date().refine((d) => !Number.isNaN(d.getTime()));

/** Cuts text to `max` characters without splitting a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max - 1);
  return `${/[\uD800-\uDBFF]$/.test(head) ? head.slice(0, -1) : head}…`;
}

const reportSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'alert name is empty')
    .max(MAX_ALERT_NAME, `alert name is longer than ${MAX_ALERT_NAME} characters`)
    // A name is a key and a heading: line breaks and control characters have no place in it.
    .regex(/^[^\p{Cc}]+$/u, 'alert name contains control characters'),
  status: z.enum(['firing', 'resolved']),
  message: z
    .string()
    .catch('')
    .transform((m) => cut(m.replaceAll('\u0000', '').trim(), MAX_ALERT_MESSAGE)),
  firedAt: validDate.optional().catch(undefined),
  resolvedAt: validDate.optional().catch(undefined),
  source: z.enum(['metrics-db', 'atlas-webhook', 'alertmanager', 'watchdog', 'command', 'file', 'pagerduty']),
  fingerprint: z.string().trim().min(1).max(200).optional().catch(undefined),
  severityHint: z.enum(['critical', 'warning']).optional().catch(undefined),
  runbookUrl: z.url({ protocol: /^https?$/ }).max(2000).optional().catch(undefined),
  sourceFiredAt: z.string().max(64).optional().catch(undefined),
  resolvedBy: z.string().min(1).max(200).optional().catch(undefined),
  groupFacts: z
    .object({
      provider: z.string().trim().min(1).max(100).optional().catch(undefined),
      providerFrom: z.string().max(100).optional().catch(undefined),
      groupKey: z.string().min(1).max(300).optional().catch(undefined),
      labels: z.record(z.string(), z.string().max(200)).optional().catch(undefined),
    })
    .optional()
    .catch(undefined),
});

type ValidReport = z.infer<typeof reportSchema>;

const stringList = z.array(z.string()).catch([]);

function parseList(json: string): string[] {
  try {
    return stringList.parse(JSON.parse(json));
  } catch {
    return [];
  }
}

/** The sources that reported an alert's current firing. */
export function alertSources(alert: Pick<AlertRecord, 'sources'>): string[] {
  return parseList(alert.sources);
}

function merged(list: string[], item: string | undefined, max = Infinity): string[] {
  if (item === undefined || list.includes(item)) return list;
  return [...list, item].slice(-max);
}

/** The source's time, but never in the future: a skewed clock must not say "firing since in 3 min". */
function notAfter(at: Date | undefined, now: Date): Date {
  return at && at.getTime() <= now.getTime() ? at : now;
}

const SOURCE_WORDS: Record<string, string> = {
  'metrics-db': 'metrics.db',
  'atlas-webhook': 'the Shadow Atlas webhook',
  alertmanager: 'Alertmanager',
  watchdog: 'the watchdog',
  command: '/atlas',
  file: 'the alert file',
  pagerduty: 'PagerDuty',
};

/**
 * When the alert began, as the bot will show it: the source's time when believable; a time far in
 * the future (year 9999) or far in the past is clamped to when the bot received it, with a note
 * saying so, which the alert's message shows.
 */
export function clampFiredAt(firedAt: Date | undefined, source: string, now: Date): { firedAt: Date; note: string | null } {
  if (!firedAt) return { firedAt: now, note: null };
  const ahead = firedAt.getTime() - now.getTime();
  const from = SOURCE_WORDS[source] ?? source;
  if (ahead > FIRED_AT_FUTURE_TOLERANCE_MS) {
    return { firedAt: now, note: `${from} said it fired at ${firedAt.toISOString()}, more than ${FIRED_AT_FUTURE_TOLERANCE_MS / 60_000} min in the future; shown from when the bot received it.` };
  }
  if (-ahead > FIRED_AT_PAST_BOUND_MS) {
    return { firedAt: now, note: `${from} said it fired at ${firedAt.toISOString()}, more than ${FIRED_AT_PAST_BOUND_MS / 86_400_000} days before it arrived; shown from when the bot received it.` };
  }
  return { firedAt: notAfter(firedAt, now), note: null };
}

function validate(report: AlertReport): ValidReport {
  const parsed = reportSchema.safeParse(report);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AlertReportError(`${issue?.path.join('.') || 'report'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** What a firing report sets: the classification, the link (the report's own, else the configured one). */
function firingOf(deps: IngestTx, report: ValidReport, fingerprints: string[], now: Date): AlertFiring {
  const cls = classifyAlert(report.name, report.message, report.severityHint);
  const configured = deps.config.runbooks;
  const clamped = clampFiredAt(report.firedAt, report.source, now);
  return {
    name: report.name,
    severity: cls.severity,
    severityBasis: severityKnownColumn(cls),
    symptomId: cls.symptomId,
    message: report.message,
    sources: [report.source],
    fingerprints,
    runbookUrl: report.runbookUrl ?? (cls.runbookKey ? configured[cls.runbookKey] : undefined) ?? (cls.symptomId ? configured[cls.symptomId] : undefined) ?? null,
    firedAt: clamped.firedAt,
    sourceFiredAt: report.sourceFiredAt ?? null,
    firedAtNote: clamped.note,
    groupKey: null,
    groupReason: null,
    groupLead: null,
  };
}

/** Where a firing belongs: its group, and the open group's lead whose message and page it joins (null: it leads). */
async function placeInGroup(deps: IngestTx, report: ValidReport, key: string, now: Date): Promise<Pick<AlertFiring, 'groupKey' | 'groupReason' | 'groupLead'>> {
  const { alerts } = deps.state;
  let group = groupOf(report, deps.config.alerts.groupBy);
  if (!group) {
    // A message that names the provider of an open provider group ("Census TIGER health checks failing").
    const text = `${report.name} ${report.message}`;
    const open = (await alerts.openProviderGroups()).find((g) => namesProvider(text, providerOfGroup(g) ?? ''));
    if (open) group = { key: open, reason: `about provider ${providerOfGroup(open)} (its name or message names it)` };
    // Or names a provider of the config's `providers` list.
    const known = open ? undefined : deps.config.providers.find((p) => namesProvider(text, providerSlug(p.name)));
    if (known) group = { key: `provider:${providerSlug(known.name)}`, reason: `about provider ${providerSlug(known.name)} (its message names ${known.name}, from providers in the config)` };
  }
  if (!group) return { groupKey: null, groupReason: null, groupLead: null };
  let lead = await alerts.openGroupLead(group.key, key);
  const provider = providerOfGroup(group.key);
  if (!lead && provider) {
    // An alert already firing whose message named this provider before anyone said "provider": it leads the group.
    const named = (await alerts.ungroupedFiring()).find((a) => a.key !== key && namesProvider(`${a.name} ${a.message}`, provider));
    if (named) {
      await alerts.setGroup(named.key, group.key, `about provider ${provider} (its name or message names it)`, null, now);
      lead = await alerts.get(named.key);
    }
  }
  return { groupKey: group.key, groupReason: group.reason, groupLead: lead?.key ?? null };
}

/**
 * A firing that joined an open group: no message, page or reminders of its own. Linked to the
 * group's open incident when there is one; the lead's message and thread say it joined.
 */
async function joined(deps: IngestTx, key: string, now: Date): Promise<AlertRecord> {
  const { state } = deps;
  let alert = (await state.alerts.get(key))!;
  const lead = (await state.alerts.get(alert.group_lead!))!;
  const open = lead.incident_id ? await state.incidents.get(lead.incident_id) : null;
  const incident = open && open.status !== 'resolved' ? open : null;
  if (incident && await state.alerts.linkIncident(key, incident.id, lead.acknowledged_by ?? incident.owner_id ?? 'bot', now)) alert = (await state.alerts.get(key))!;
  const stillFiring = (await state.alerts.firingInGroup(alert.group_key!)).map((a) => a.name);
  await deps.events.record(deps.state, { type: 'alert-group-changed', change: 'joined', alert, lead, stillFiring, incident }, now);
  return alert;
}

/** A new firing: its message, and its acknowledgement reminders counted from now. */
async function raised(deps: IngestTx, key: string, now: Date): Promise<AlertRecord> {
  const alert = (await deps.state.alerts.get(key))!;
  await startAlertClock(deps.state.timers, alert, now);
  const primary = deps.primaryOnCall;
  if (primary) await deps.state.pages.record({ userId: primary, at: now, kind: 'posted', alertKey: key });
  await deps.events.record(deps.state, { type: 'alert-raised', alert }, now);
  return alert;
}

/**
 * Another report of a firing alert: remember who else reported it (a source that had resolved it
 * and reports it firing again has it firing again); nothing is posted.
 */
async function noteDuplicate(deps: IngestTx, report: ValidReport, alert: AlertRecord, now: Date): Promise<AlertRecord> {
  const sources = merged(parseList(alert.sources), report.source);
  const resolvedSources = parseList(alert.resolved_sources).filter((s) => s !== report.source);
  const fingerprints = merged(parseList(alert.fingerprints), report.fingerprint, MAX_FINGERPRINTS);
  const sourceFiredAt = report.sourceFiredAt ?? alert.source_fired_at;
  const runbookUrl = alert.runbook_url ?? report.runbookUrl ?? null;
  const changed =
    JSON.stringify(sources) !== alert.sources ||
    JSON.stringify(resolvedSources) !== alert.resolved_sources ||
    JSON.stringify(fingerprints) !== alert.fingerprints ||
    sourceFiredAt !== alert.source_fired_at ||
    runbookUrl !== alert.runbook_url;
  if (!changed) return alert;
  await deps.state.alerts.noteReport(alert.key, { sources, resolvedSources, fingerprints, sourceFiredAt, runbookUrl }, now);
  return (await deps.state.alerts.get(alert.key))!;
}

/** The sources that resolved the current firing. */
export function resolvedSourcesOf(alert: Pick<AlertRecord, 'resolved_sources'>): string[] {
  return parseList(alert.resolved_sources);
}

/**
 * A resolution of a firing alert: by a person it resolves the alert; by a source, only that
 * source's report counts, and only if it reported the alert: the alert resolves once every
 * source that reported it has resolved it.
 */
async function takeResolution(deps: IngestTx, report: ValidReport, existing: AlertRecord, now: Date): Promise<IngestOutcome> {
  const { state } = deps;
  const sources = parseList(existing.sources);
  let resolvedBy = report.resolvedBy ?? null;
  if (resolvedBy === null) {
    if (!sources.includes(report.source)) {
      const from = SOURCE_WORDS[report.source] ?? report.source;
      return {
        action: 'not-a-source',
        alert: existing,
        note: `${from} never reported ${existing.name} firing (reported by ${sources.map((s) => SOURCE_WORDS[s] ?? s).join(', ') || 'nobody'}); its resolution changes nothing.`,
      };
    }
    const resolvedSources = merged(parseList(existing.resolved_sources), report.source);
    const stillFiring = sources.filter((s) => !resolvedSources.includes(s));
    if (stillFiring.length > 0) {
      await state.alerts.noteReport(
        existing.key,
        { sources, resolvedSources, fingerprints: parseList(existing.fingerprints), sourceFiredAt: existing.source_fired_at, runbookUrl: existing.runbook_url },
        now,
      );
      return {
        action: 'source-resolved',
        alert: await state.alerts.get(existing.key),
        note: `${existing.name} stays firing: ${stillFiring.map((s) => SOURCE_WORDS[s] ?? s).join(', ')} still report${stillFiring.length === 1 ? 's' : ''} it.`,
      };
    }
    resolvedBy = bySources(sources);
  }
  const firedAt = new Date(existing.fired_at);
  const at = report.resolvedAt && report.resolvedAt >= firedAt ? notAfter(report.resolvedAt, now) : now;
  if (!await state.alerts.resolve(existing.key, at, now, resolvedBy)) return { action: 'already-resolved', alert: await state.alerts.get(existing.key) };
  await stopTimers(state.timers, { alertKey: existing.key }, now);
  const alert = (await state.alerts.get(existing.key))!;
  await noteResolved(deps, alert, now);
  return { action: 'resolved', alert };
}

/**
 * Tells a resolution: an alert with its own message has it updated; an alert of a group is told in
 * the lead's thread, with what of the group still fires (nothing: the group is resolved).
 */
async function noteResolved(deps: IngestTx, alert: AlertRecord, now: Date): Promise<void> {
  const { state } = deps;
  if (!alert.group_lead) await deps.events.record(deps.state, { type: 'alert-resolved', alert }, now);
  if (!alert.group_key) return;
  const leadKey = alert.group_lead ?? alert.key;
  const lead = await state.alerts.get(leadKey);
  if (!lead) return;
  // A lead alone in its group needs no group note: its own message says it resolved.
  if (!alert.group_lead && (await state.alerts.membersOf(leadKey)).length === 0) return;
  const open = lead.incident_id ? await state.incidents.get(lead.incident_id) : null;
  const stillFiring = (await state.alerts.firingInGroup(alert.group_key)).map((a) => a.name);
  await deps.events.record(deps.state, { type: 'alert-group-changed', change: 'resolved', alert, lead, stillFiring, incident: open && open.status !== 'resolved' ? open : null }, now);
}

async function ingestValid(deps: IngestTx, report: ValidReport, now: Date): Promise<IngestOutcome> {
  const { state } = deps;
  const key = alertKey(report.name);
  const existing = await state.alerts.get(key);

  if (report.status === 'resolved') {
    if (!existing) return { action: 'unknown-resolved', alert: null };
    if (existing.status === 'resolved') return { action: 'already-resolved', alert: existing };
    return await takeResolution(deps, report, existing, now);
  }

  if (!existing) {
    const firing = { ...firingOf(deps, report, report.fingerprint ? [report.fingerprint] : [], now), ...await placeInGroup(deps, report, key, now) };
    if (!await state.alerts.insert(key, firing, now)) {
      return { action: 'duplicate', alert: await state.alerts.get(key) };
    }
    if (firing.groupLead) return { action: 'joined-group', alert: await joined(deps, key, now) };
    return { action: 'new', alert: await raised(deps, key, now) };
  }
  if (existing.status === 'firing') return { action: 'duplicate', alert: await noteDuplicate(deps, report, existing, now) };
  // metrics.db keeps one row per name: the same fired_at after a resolution is the firing already handled.
  if (report.sourceFiredAt !== undefined && report.sourceFiredAt === existing.source_fired_at) {
    return { action: 'already-resolved', alert: existing };
  }
  // A resolved alert fires again: a new firing with its own message (the old one keeps showing
  // how the last firing ended), its own acknowledgement and its own reminders.
  const fingerprints = merged(parseList(existing.fingerprints), report.fingerprint, MAX_FINGERPRINTS);
  const refiring = { ...firingOf(deps, report, fingerprints, now), ...await placeInGroup(deps, report, key, now) };
  if (!await state.alerts.refire(key, refiring, now)) return { action: 'duplicate', alert: await state.alerts.get(key) };
  if (refiring.groupLead) return { action: 'joined-group', alert: await joined(deps, key, now) };
  const previous = existing.incident_id ? await state.incidents.get(existing.incident_id) : null;
  const alert = await raised(deps, key, now);
  if (previous && previous.status !== 'resolved') await deps.events.record(deps.state, { type: 'alert-refired', incident: previous, alert }, now);
  return { action: 'refired', alert };
}

/**
 * Takes one report of an alert in one chatops.db transaction: the row, its Slack message (through
 * the events) and its reminders change together or not at all. Check-and-set updates make a
 * repeat or a concurrent report (another process included) a duplicate, never a second post.
 * Throws AlertReportError for a report without a usable name.
 */
export async function ingestAlert(deps: IngestDeps, report: AlertReport, known?: { primaryOnCall: string | null }): Promise<IngestOutcome> {
  const valid = validate(report);
  const now = deps.clock();
  // Who is on call is read before the transaction (the rotation reads the outer store), or given
  // by a caller that reads it before its own transaction (a PagerDuty event).
  const primaryOnCall = known ? known.primaryOnCall : ((await deps.rotation?.at(now))?.primary ?? null);
  const { rotation: _rotation, ...rest } = deps;
  return await deps.state.transaction(async (tx) => await ingestValid({ ...rest, state: tx, primaryOnCall }, valid, now));
}
