/**
 * The rows of the bot's own state (chatops.db), as the stores read and write them. Timestamps
 * are ISO-8601 UTC with milliseconds, so text order is time order.
 */

export type Severity = 'P0' | 'P1' | 'P2' | 'P3';

export type IncidentStatus = 'investigating' | 'identified' | 'monitoring' | 'resolved';
export const INCIDENT_STATUSES: readonly IncidentStatus[] = ['investigating', 'identified', 'monitoring', 'resolved'];

export interface Incident {
  id: string;
  day: string;
  seq: number;
  title: string;
  severity: Severity;
  status: IncidentStatus;
  owner_id: string | null;
  created_by: string;
  alert_key: string | null;
  /**
   * The Slack message that is the incident's status card, by name: the alert's message when the
   * incident came from an alert (`alert:<key>:<firing>`), else `incident:<id>`. Its thread is the
   * incident's thread.
   */
  anchor: string;
  /** When the problem started: the alert's fired_at, or the declaration. */
  opened_at: string;
  acknowledged_at: string | null;
  ack_seconds: number | null;
  impact: string | null;
  next_update_at: string | null;
  last_update_at: string | null;
  resolved_at: string | null;
  resolution: string | null;
  review_done_at: string | null;
}

/** One line of an incident's timeline. */
export interface TimelineEntry {
  id: number;
  incident_id: string;
  at: string;
  /** Slack user ID, a terminal login name, or "bot". */
  actor: string;
  kind: string;
  text: string;
  /** JSON, or null. */
  data: string | null;
}

export type AlertSource = 'metrics-db' | 'atlas-webhook' | 'alertmanager' | 'watchdog' | 'command' | 'file' | 'pagerduty';

/** A row of `alerts`: one per alert name, whatever reported it. */
export interface AlertRecord {
  key: string;
  name: string;
  status: 'firing' | 'resolved';
  severity: Severity;
  /** How the severity was decided: 0 P2 by default, 1 the severity matrix, 2 the source's own severity (alerts/alert-classify.ts). */
  severity_known: number;
  symptom_id: string | null;
  message: string;
  /** JSON array of AlertSource. */
  sources: string;
  /** JSON array of Alertmanager fingerprints seen. */
  fingerprints: string;
  runbook_url: string | null;
  fired_at: string;
  resolved_at: string | null;
  /** metrics.db's fired_at as last seen, to tell a re-fire from the same firing. */
  source_fired_at: string | null;
  /** Which firing this is (1, 2, …): each firing has its own Slack message. */
  fire_count: number;
  incident_id: string | null;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
  updated_at: string;
  /** JSON array of the sources (of `sources`) that have resolved the current firing. */
  resolved_sources: string;
  /** Who or what resolved it (db/state/resolved-by.ts): `sources:<a>,<b>`, `user:<Slack id>`, `pagerduty:<name>`. */
  resolved_by: string | null;
  /** Set when the source's fired_at was clamped to the time the bot received the alert, saying why. */
  fired_at_note: string | null;
  /** What the alert is about (alerts/alert-group.ts), e.g. `provider:census-tiger`; null when nothing says. */
  group_key: string | null;
  /** Why it is in that group, in words (shown by `alerts --explain`). */
  group_reason: string | null;
  /** The key of the group's first alert, whose message and page this alert joined; null for that first alert. */
  group_lead: string | null;
}

export type TimerKind =
  | 'ack-reminder'
  | 'ack-secondary'
  | 'update-due'
  | 'escalate-tech-lead'
  | 'escalate-cto'
  | 'handoff-suggest'
  | 'break-nudge'
  | 'review-reminder';

export interface TimerRow {
  id: number;
  incident_id: string | null;
  alert_key: string | null;
  kind: TimerKind;
  due_at: string;
  created_at: string;
  fired_at: string | null;
  cancelled_at: string | null;
  attempts: number;
  last_error: string | null;
}

export const iso = (d: Date): string => d.toISOString();

/** The name of the Slack message of one firing of an alert (its status card once acknowledged). */
export const alertAnchor = (alert: Pick<AlertRecord, 'key' | 'fire_count'>): string => `alert:${alert.key}:${alert.fire_count}`;

/** The dedupe key of an alert: its name, case-insensitively, whichever source reported it. */
export const alertKey = (name: string): string => name.trim().toLowerCase();
