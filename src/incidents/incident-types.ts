import type { Severity } from './severity-matrix.js';

export type IncidentStatus = 'investigating' | 'identified' | 'monitoring' | 'resolved';
export const INCIDENT_STATUSES: readonly IncidentStatus[] = ['investigating', 'identified', 'monitoring', 'resolved'];

/** A row of chatops.db `incidents`. Timestamps are ISO-8601 UTC. */
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
  channel_id: string | null;
  /** The incident's root message (its status card); the thread hangs under it. */
  root_ts: string | null;
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

export interface IncidentEvent {
  id: number;
  incident_id: string;
  at: string;
  /** Slack user ID, or "bot". */
  actor: string;
  kind: string;
  text: string;
  data: string | null;
}

export type AlertSource = 'metrics-db' | 'atlas-webhook' | 'alertmanager' | 'watchdog' | 'command';

/** A row of chatops.db `alerts`: one per alert name, whatever reported it. */
export interface AlertRecord {
  key: string;
  name: string;
  status: 'firing' | 'resolved';
  severity: Severity;
  /** 0 when the name matched nothing in the severity matrix and P2 was assumed. */
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
  fire_count: number;
  channel_id: string | null;
  message_ts: string | null;
  incident_id: string | null;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
  updated_at: string;
}

export type TimerKind =
  | 'ack-reminder'
  | 'ack-secondary'
  | 'update-due'
  | 'escalate-tech-lead'
  | 'escalate-cto'
  | 'handoff-suggest'
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
