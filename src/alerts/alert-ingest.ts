/**
 * The one way an alert enters the bot, whichever source reported it (metrics.db, the webhook,
 * Alertmanager, the watchdog). Alerts are deduplicated by name: one row, one Slack message per
 * firing, however many sources or repeats report it.
 */
import { z } from 'zod';
import type { CommandDeps } from '../commands/command-spec.js';
import { addEvent, getIncident } from '../incidents/incident-store.js';
import { iso, type AlertRecord, type AlertSource } from '../incidents/incident-types.js';
import { cancelTimers, planAlertTimers, scheduleTimer } from '../incidents/timer-plan.js';
import { enqueue } from '../slack/outbox.js';
import { safeMrkdwn } from '../templates/block-kit.js';
import { hhmm } from '../templates/slack-time.js';
import { alertKey, getAlert } from './alert-store.js';
import { classifyAlert, severityKnownColumn, type AlertClass, type SeverityHint } from './alert-classify.js';

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
}

/**
 * new: first firing, posted. refired: a resolved alert fires again, posted as a new message.
 * duplicate: already firing, nothing posted. resolved: the posted message is updated.
 * already-resolved: nothing to do (a repeat of a resolution, or a metrics.db firing already seen and resolved).
 * unknown-resolved: a resolution for an alert the bot never saw.
 */
export type IngestAction = 'new' | 'refired' | 'duplicate' | 'resolved' | 'already-resolved' | 'unknown-resolved';

export interface IngestOutcome {
  action: IngestAction;
  /** The row after the change; null for unknown-resolved. */
  alert: AlertRecord | null;
}

export type IngestDeps = Pick<CommandDeps, 'state' | 'clock' | 'config'>;

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
  source: z.enum(['metrics-db', 'atlas-webhook', 'alertmanager', 'watchdog', 'command']),
  fingerprint: z.string().trim().min(1).max(200).optional().catch(undefined),
  severityHint: z.enum(['critical', 'warning']).optional().catch(undefined),
  runbookUrl: z.url({ protocol: /^https?$/ }).max(2000).optional().catch(undefined),
  sourceFiredAt: z.string().max(64).optional().catch(undefined),
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

function validate(report: AlertReport): ValidReport {
  const parsed = reportSchema.safeParse(report);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AlertReportError(`${issue?.path.join('.') || 'report'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** The report's own link, else the configured one for its runbook or its matrix row (as `runbook` looks them up). */
function runbookFor(deps: IngestDeps, report: ValidReport, cls: AlertClass): string | null {
  const configured = deps.config.runbooks;
  return report.runbookUrl ?? (cls.runbookKey ? configured[cls.runbookKey] : undefined) ?? (cls.symptomId ? configured[cls.symptomId] : undefined) ?? null;
}

/** Plans the unacknowledged alert's reminders, counted from now (when it is posted). */
function startAlertClock(deps: IngestDeps, alert: AlertRecord, now: Date): void {
  cancelTimers(deps.state, { alertKey: alert.key }, now);
  for (const t of planAlertTimers(alert, now)) scheduleTimer(deps.state, { kind: t.kind, due: t.due, alertKey: alert.key }, now);
}

function threadNote(deps: IngestDeps, incidentId: string, text: string, mrkdwn: string, kind: string, now: Date): void {
  enqueue(deps.state, 'thread-post', incidentId, { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', verbatim: true, text: mrkdwn } }] }, now);
  addEvent(deps.state, incidentId, { at: now, actor: 'bot', kind, text });
}

function insertNew(deps: IngestDeps, report: ValidReport, key: string, now: Date): AlertRecord | null {
  const cls = classifyAlert(report.name, report.message, report.severityHint);
  const info = deps.state
    .prepare(
      `INSERT INTO alerts (key, name, status, severity, severity_known, symptom_id, message, sources, fingerprints, runbook_url,
         fired_at, source_fired_at, fire_count, updated_at)
       VALUES (?, ?, 'firing', ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
       ON CONFLICT (key) DO NOTHING`,
    )
    .run(
      key,
      report.name,
      cls.severity,
      severityKnownColumn(cls),
      cls.symptomId,
      report.message,
      JSON.stringify([report.source]),
      JSON.stringify(report.fingerprint ? [report.fingerprint] : []),
      runbookFor(deps, report, cls),
      iso(notAfter(report.firedAt, now)),
      report.sourceFiredAt ?? null,
      iso(now),
    );
  return info.changes === 1 ? getAlert(deps.state, key) : null;
}

/**
 * A resolved alert fires again: a new firing with its own message (the old one keeps showing
 * how the last firing ended), its own acknowledgement and its own reminders.
 */
function refire(deps: IngestDeps, report: ValidReport, old: AlertRecord, now: Date): AlertRecord | null {
  const cls = classifyAlert(report.name, report.message, report.severityHint);
  const info = deps.state
    .prepare(
      `UPDATE alerts SET status = 'firing', name = ?, severity = ?, severity_known = ?, symptom_id = ?, message = ?, sources = ?,
         fingerprints = ?, runbook_url = ?, fired_at = ?, resolved_at = NULL, source_fired_at = ?, fire_count = fire_count + 1,
         channel_id = NULL, message_ts = NULL, incident_id = NULL, acknowledged_by = NULL, acknowledged_at = NULL, updated_at = ?
       WHERE key = ? AND status = 'resolved'`,
    )
    .run(
      report.name,
      cls.severity,
      severityKnownColumn(cls),
      cls.symptomId,
      report.message,
      JSON.stringify([report.source]),
      JSON.stringify(merged(parseList(old.fingerprints), report.fingerprint, MAX_FINGERPRINTS)),
      runbookFor(deps, report, cls),
      iso(notAfter(report.firedAt, now)),
      report.sourceFiredAt ?? old.source_fired_at,
      iso(now),
      old.key,
    );
  if (info.changes !== 1) return null;
  const previous = old.incident_id ? getIncident(deps.state, old.incident_id) : null;
  if (previous && previous.status !== 'resolved') {
    threadNote(
      deps,
      previous.id,
      `Alert ${old.name} fired again at ${hhmm(now)}; posted as a new alert.`,
      `🔁 Alert *${safeMrkdwn(old.name, 150)}* fired again at ${hhmm(now)}; posted as a new alert.`,
      'alert-refired',
      now,
    );
  }
  return getAlert(deps.state, old.key);
}

/** Another report of a firing alert: remember who else reported it; nothing is posted. */
function noteDuplicate(deps: IngestDeps, report: ValidReport, alert: AlertRecord, now: Date): AlertRecord {
  const sources = merged(parseList(alert.sources), report.source);
  const fingerprints = merged(parseList(alert.fingerprints), report.fingerprint, MAX_FINGERPRINTS);
  const sourceFiredAt = report.sourceFiredAt ?? alert.source_fired_at;
  const runbook = alert.runbook_url ?? report.runbookUrl ?? null;
  const changed =
    JSON.stringify(sources) !== alert.sources ||
    JSON.stringify(fingerprints) !== alert.fingerprints ||
    sourceFiredAt !== alert.source_fired_at ||
    runbook !== alert.runbook_url;
  if (!changed) return alert;
  deps.state
    .prepare('UPDATE alerts SET sources = ?, fingerprints = ?, source_fired_at = ?, runbook_url = ?, updated_at = ? WHERE key = ?')
    .run(JSON.stringify(sources), JSON.stringify(fingerprints), sourceFiredAt, runbook, iso(now), alert.key);
  return getAlert(deps.state, alert.key)!;
}

function resolve(deps: IngestDeps, report: ValidReport, alert: AlertRecord, now: Date): AlertRecord | null {
  const firedAt = new Date(alert.fired_at);
  const at = report.resolvedAt && report.resolvedAt >= firedAt ? notAfter(report.resolvedAt, now) : now;
  const info = deps.state
    .prepare("UPDATE alerts SET status = 'resolved', resolved_at = ?, updated_at = ? WHERE key = ? AND status = 'firing'")
    .run(iso(at), iso(now), alert.key);
  if (info.changes !== 1) return null;
  cancelTimers(deps.state, { alertKey: alert.key }, now);
  // Rendered at send time: the alert's own message, or the incident card when it has one.
  enqueue(deps.state, 'alert-message', alert.key, null, now);
  if (alert.incident_id) {
    threadNote(
      deps,
      alert.incident_id,
      `Alert ${alert.name} resolved at ${hhmm(at)}.`,
      `✅ Alert *${safeMrkdwn(alert.name, 150)}* resolved at ${hhmm(at)}.`,
      'alert-resolved',
      now,
    );
  }
  return getAlert(deps.state, alert.key);
}

function ingestValid(deps: IngestDeps, report: ValidReport, now: Date): IngestOutcome {
  const key = alertKey(report.name);
  const existing = getAlert(deps.state, key);

  if (report.status === 'resolved') {
    if (!existing) return { action: 'unknown-resolved', alert: null };
    if (existing.status === 'resolved') return { action: 'already-resolved', alert: existing };
    const resolved = resolve(deps, report, existing, now);
    return resolved ? { action: 'resolved', alert: resolved } : { action: 'already-resolved', alert: getAlert(deps.state, key) };
  }

  if (!existing) {
    const created = insertNew(deps, report, key, now);
    if (!created) return { action: 'duplicate', alert: getAlert(deps.state, key) };
    enqueue(deps.state, 'alert-message', key, null, now);
    startAlertClock(deps, created, now);
    return { action: 'new', alert: created };
  }
  if (existing.status === 'firing') return { action: 'duplicate', alert: noteDuplicate(deps, report, existing, now) };
  // metrics.db keeps one row per name: the same fired_at after a resolution is the firing already handled.
  if (report.sourceFiredAt !== undefined && report.sourceFiredAt === existing.source_fired_at) {
    return { action: 'already-resolved', alert: existing };
  }
  const again = refire(deps, report, existing, now);
  if (!again) return { action: 'duplicate', alert: getAlert(deps.state, key) };
  enqueue(deps.state, 'alert-message', key, null, now);
  startAlertClock(deps, again, now);
  return { action: 'refired', alert: again };
}

/**
 * Takes one report of an alert in one chatops.db transaction: the row, its Slack message (through
 * the outbox) and its reminders change together or not at all. Check-and-set updates make a
 * repeat or a concurrent report a duplicate, never a second post.
 * Throws AlertReportError for a report without a usable name.
 */
export function ingestAlert(deps: IngestDeps, report: AlertReport): IngestOutcome {
  const valid = validate(report);
  const now = deps.clock();
  return deps.state.transaction(() => ingestValid(deps, valid, now)).immediate();
}
