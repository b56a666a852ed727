/**
 * What is firing, from the one alert list behind every view: chatops.db `alerts`, where every
 * source (metrics.db, the webhook, Alertmanager, the alert file, PagerDuty, the watchdog) lands
 * through the ingest. `alerts`, `alerts --all` and `health` read it here; App Home, the ack picker
 * and the handoff read the same rows through the store.
 */
import type { AlertStore } from '../db/state/alert-store.js';
import type { AlertRecord, Severity } from '../db/state/state-records.js';
import { formatDuration } from '../time/atlas-time.js';
import type { CheckItem } from './check-item.js';

export interface AlertRow {
  key: string;
  name: string;
  status: 'firing' | 'resolved';
  message: string;
  severity: Severity;
  /** ISO-8601, as the bot shows it (clamped when the source's time was not believable: see `firedAtNote`). */
  firedAt: string;
  /** Since firedAt, ms. */
  firingForMs: number;
  resolvedAt: string | null;
  /** Who or what resolved it, as stored (db/state/resolved-by.ts); null while firing. */
  resolvedBy: string | null;
  /** Acknowledged: an incident was opened for it (or it joined one). */
  acknowledged: boolean;
  acknowledgedBy: string | null;
  incidentId: string | null;
  /** The sources that reported its current firing. */
  sources: string[];
  /** The sources among them that have resolved it. */
  resolvedSources: string[];
  /** Why the source's fired_at was clamped; null when it was taken as given. */
  firedAtNote: string | null;
  groupKey: string | null;
  groupReason: string | null;
  /** The alert whose message and page this one joined; null when it leads its group or has none. */
  groupLead: string | null;
}

export interface AlertListing {
  /** Newest first. */
  firing: AlertRow[];
  /** Resolved in the last `recentHours` (only with `all`), newest first. */
  recentlyResolved: AlertRow[];
  recentHours: number;
  all: boolean;
  /** Set when metrics.db's alerts could not be read into the list just now: its alerts may be missing. */
  metricsProblem?: string | null;
}

const list = (json: string): string[] => {
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
};

export function alertRowOf(a: AlertRecord, now: Date): AlertRow {
  return {
    key: a.key,
    name: a.name,
    status: a.status,
    message: a.message,
    severity: a.severity,
    firedAt: a.fired_at,
    firingForMs: Math.max(0, now.getTime() - new Date(a.fired_at).getTime()),
    resolvedAt: a.resolved_at,
    resolvedBy: a.resolved_by,
    acknowledged: a.incident_id !== null,
    acknowledgedBy: a.acknowledged_by,
    incidentId: a.incident_id,
    sources: list(a.sources),
    resolvedSources: list(a.resolved_sources),
    firedAtNote: a.fired_at_note,
    groupKey: a.group_key,
    groupReason: a.group_reason,
    groupLead: a.group_lead,
  };
}

/** `alerts`: firing alerts newest first; with `all`, also those resolved in the last `recentHours`. */
export async function listAlerts(alerts: Pick<AlertStore, 'firing' | 'resolvedSince'>, now: Date, opts: { all: boolean; recentHours: number }): Promise<AlertListing> {
  const firing = (await alerts.firing())
    .map((a) => alertRowOf(a, now))
    .sort((a, b) => b.firedAt.localeCompare(a.firedAt) || a.name.localeCompare(b.name));
  const recentlyResolved = opts.all ? (await alerts.resolvedSince(new Date(now.getTime() - opts.recentHours * 3_600_000))).map((a) => alertRowOf(a, now)) : [];
  return { firing, recentlyResolved, recentHours: opts.recentHours, all: opts.all };
}

export interface AlertExplanation {
  alert: AlertRow;
  /** The alert whose message and page the group shares (itself when it leads). */
  lead: AlertRow | null;
  /** The group's other alerts that joined the lead, firing or resolved. */
  members: AlertRow[];
  /** The configured `alerts.groupBy` labels. */
  groupBy: readonly string[];
}

/** `alerts --explain <name>`: the alert's group, why, and who shares its message and page; null for an unknown name. */
export async function explainAlert(
  alerts: Pick<AlertStore, 'get' | 'membersOf'>,
  name: string,
  now: Date,
  groupBy: readonly string[],
): Promise<AlertExplanation | null> {
  const found = await alerts.get(name.trim().toLowerCase());
  if (!found) return null;
  const leadRecord = found.group_key ? (found.group_lead ? await alerts.get(found.group_lead) : found) : null;
  const members = leadRecord ? await alerts.membersOf(leadRecord.key) : [];
  return {
    alert: alertRowOf(found, now),
    lead: leadRecord ? alertRowOf(leadRecord, now) : null,
    members: members.filter((m) => m.key !== found.key || found.group_lead !== null).map((m) => alertRowOf(m, now)),
    groupBy,
  };
}

/** P0 and P1 are crit, P2 and P3 warn. */
export function alertLevel(alert: Pick<AlertRow, 'severity'>): 'crit' | 'warn' {
  return alert.severity === 'P0' || alert.severity === 'P1' ? 'crit' : 'warn';
}

/** The verdict on a listing: one item per firing alert, or one ok item when none fires. */
export function alertItemsFrom(listing: AlertListing): CheckItem[] {
  if (listing.firing.length === 0) {
    return [{ key: 'alerts', label: 'Firing alerts', level: 'ok', value: 0, unit: 'count', detail: 'no firing alerts' }];
  }
  return listing.firing.map((a) => ({
    key: `alert:${a.name}`,
    label: `Alert ${a.name}`,
    level: alertLevel(a),
    // How long it fires is in the detail, in words; a bare "0.8 h" next to it would be noise.
    value: null,
    unit: '',
    detail: [
      `firing for ${formatDuration(a.firingForMs)}`,
      a.acknowledged ? `acknowledged (${a.incidentId})` : 'NOT acknowledged',
      a.severity,
      a.message || undefined,
    ]
      .filter(Boolean)
      .join(', '),
  }));
}

/** Health: each firing alert is crit (P0, P1) or warn (P2, P3); none firing is one ok item. */
export async function alertHealthItems(alerts: Pick<AlertStore, 'firing' | 'resolvedSince'>, now: Date): Promise<CheckItem[]> {
  return alertItemsFrom(await listAlerts(alerts, now, { all: false, recentHours: 24 }));
}
