import type { LeaseRow } from '../lease-store.js';
import type { ReplicaRow } from '../replica-store.js';

/**
 * The state's tables as Kysely sees them: one interface per table, written from the schema
 * (chatops.db at its newest STATE_MIGRATIONS version, which PostgreSQL version 1 mirrors column for
 * column; see postgres-state-migrations.ts). Appending a migration that changes a table means
 * changing its interface here too.
 *
 * Value types are what a store reads on BOTH engines: timestamps are ISO text, flags 0/1 numbers,
 * JSON text, BLOB/BYTEA a Buffer. Columns BIGINT in PostgreSQL (ids and columns holding ids) are
 * numbers here because the PostgreSQL pool parses BIGINT to a number (postgres-kysely.ts); `pg`
 * alone would answer text. `Generated` marks identity ids and columns with a default: optional
 * when inserting.
 */
import type { Generated } from 'kysely';

export interface AlertFiringsTable {
  alert_key: string;
  firing: number;
  name: string;
  severity: string;
  fired_at: string;
  resolved_at: string | null;
  acknowledged_at: string | null;
}

export interface AlertSnoozesTable {
  alert_key: string;
  fire_count: number;
  timer_id: number; // BIGINT in PostgreSQL
  snoozed_by: string;
  until: string;
  snoozed_at: string;
}

export interface AlertsTable {
  key: string;
  name: string;
  status: string;
  severity: string;
  severity_known: number;
  symptom_id: string | null;
  message: Generated<string>;
  sources: Generated<string>;
  fingerprints: Generated<string>;
  runbook_url: string | null;
  fired_at: string;
  resolved_at: string | null;
  source_fired_at: string | null;
  fire_count: Generated<number>;
  incident_id: string | null;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
  updated_at: string;
  resolved_sources: Generated<string>;
  resolved_by: string | null;
  fired_at_note: string | null;
  group_key: string | null;
  group_reason: string | null;
  group_lead: string | null;
}

export interface AuditHeadsPublishedTable {
  occasion: string;
  seq: number; // BIGINT in PostgreSQL
  hash: string;
  published_at: string;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  source: string;
  user_id: string;
  channel_id: string | null;
  command: string;
  args: string;
  outcome: string;
  plan: string | null;
  result: string | null;
  undo: string | null;
  prev_hash: string;
  hash: string;
}

export interface CommandRunsTable {
  id: Generated<number>;
  at: string;
  source: string;
  user_id: string;
  channel_id: string | null;
  command: string;
  args: string;
  outcome: string;
  summary: string;
  duration_ms: number;
  error_id: string | null;
  via: Generated<string>;
}

export interface GithubIssueLinksTable {
  incident_id: string;
  repo: string;
  number: number | null;
  html_url: string | null;
  state: string;
  created_at: string;
}

export interface HandoffsTable {
  shift_start: string;
  notes: string | null;
  notes_by: string | null;
  notes_at: string | null;
  reminded_at: string | null;
  status: Generated<string>;
  settled_at: string | null;
  outgoing: string | null;
  incoming: string | null;
  late: Generated<number>;
  skipped: string | null;
}

export interface HomeViewsTable {
  user_id: string;
  opened_at: string;
  published_at: string | null;
  stale_at: string | null;
}

export interface IncidentEventsTable {
  id: Generated<number>;
  incident_id: string;
  at: string;
  actor: string;
  kind: string;
  text: string;
  data: string | null;
}

export interface IncidentsTable {
  id: string;
  day: string;
  seq: number;
  title: string;
  severity: string;
  status: string;
  owner_id: string | null;
  created_by: string;
  alert_key: string | null;
  opened_at: string;
  acknowledged_at: string | null;
  ack_seconds: number | null;
  impact: string | null;
  next_update_at: string | null;
  last_update_at: string | null;
  resolved_at: string | null;
  resolution: string | null;
  review_done_at: string | null;
  anchor: string | null;
}

export interface IntegrityChecksTable {
  file: string;
  checked_at: string;
  result: string;
}

export interface OncallOverridesTable {
  id: Generated<number>;
  user_id: string;
  role: string;
  from_at: string;
  until_at: string;
  created_by: string;
  created_at: string;
  removed_by: string | null;
  removed_at: string | null;
  authority: string | null;
}

export interface OutboxTable {
  id: Generated<number>;
  created_at: string;
  lane: string;
  op: string;
  anchor: string | null;
  channel: string | null;
  payload: string | null;
  attempts: Generated<number>;
  next_attempt_at: string;
  claimed_by: string | null;
  lease_until: string | null;
  in_doubt: Generated<number>;
  sent_at: string | null;
  failed_at: string | null;
  last_error: string | null;
  slack_ts: string | null;
}

export interface OutboxFilesTable {
  outbox_id: number; // BIGINT in PostgreSQL
  filename: string;
  bytes: Buffer | null;
  slack_file_id: string | null;
  upload_url: string | null;
  bytes_sent: Generated<number>;
  completing: Generated<number>;
  completed_at: string | null;
}

export interface PagerdutyEventsTable {
  event_id: string;
  event_type: string;
  pd_incident_id: string;
  occurred_at: string;
  received_at: string;
}

export interface PagerdutyIncidentsTable {
  pd_incident_id: string;
  alert_key: string | null;
  incident_id: string | null;
  status: string;
  html_url: string | null;
  last_event_at: string;
  incident_key: string | null;
}

export interface PagerdutyPagesTable {
  alert_key: string;
  fire_count: number;
  dedup_key: string;
  status: string;
}

export interface PagerdutyProblemsTable {
  anchor: string;
  action: string;
  problem: string;
  html_url: string | null;
  at: string;
}

export interface PagesTable {
  id: Generated<number>;
  user_id: string;
  at: string;
  kind: string;
  alert_key: string | null;
  incident_id: string | null;
}

export interface PeopleTable {
  user_id: string;
  name: string;
  fetched_at: string;
}

export interface ReliabilityReportsTable {
  due_at: string;
  channel: string;
  posted_at: string;
}

export interface ReliefSuggestionsTable {
  user_id: string;
  shift_start: string;
  nights: number;
  suggested_at: string;
}

export interface RemediationConfirmationsTable {
  token: string;
  user_id: string;
  channel_id: string | null;
  command: string;
  args: string;
  plan: string;
  fingerprint: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  response_url: string | null;
  shown_args: string | null;
  expired_at: string | null;
}

export interface RemediationRunsTable {
  audit_id: number; // BIGINT in PostgreSQL
  command: string;
  args: string;
  source: string;
  user_id: string;
  channel_id: string | null;
  check_hint: string;
  started_at: string;
  owner: string;
  lease_until: string;
  ended_at: string | null;
  reported_at: string | null;
}

export interface SeenSlackRequestsTable {
  signature_hash: string;
  expires_at: string;
}

export interface SharedResultsTable {
  id: string;
  created_at: string;
  user_id: string;
  report_json: string;
}

export interface SlackMessagesTable {
  anchor: string;
  channel: string;
  ts: string;
  posted_at: string;
}

export interface TimersTable {
  id: Generated<number>;
  incident_id: string | null;
  alert_key: string | null;
  kind: string;
  due_at: string;
  created_at: string;
  fired_at: string | null;
  cancelled_at: string | null;
  attempts: Generated<number>;
  last_error: string | null;
}

/** PostgreSQL only: who holds work that runs once per schedule across replicas (unused so far). */
/** lease-store.ts's row, as stored. */
export type LeasesTable = LeaseRow;

/** replica-store.ts's row, as stored. */
export type ReplicasTable = ReplicaRow;

/** Every table of the state, by name. */
export interface StateDb {
  alert_firings: AlertFiringsTable;
  alert_snoozes: AlertSnoozesTable;
  alerts: AlertsTable;
  audit_heads_published: AuditHeadsPublishedTable;
  audit_log: AuditLogTable;
  command_runs: CommandRunsTable;
  github_issue_links: GithubIssueLinksTable;
  handoffs: HandoffsTable;
  home_views: HomeViewsTable;
  incident_events: IncidentEventsTable;
  incidents: IncidentsTable;
  integrity_checks: IntegrityChecksTable;
  oncall_overrides: OncallOverridesTable;
  outbox: OutboxTable;
  outbox_files: OutboxFilesTable;
  pagerduty_events: PagerdutyEventsTable;
  pagerduty_incidents: PagerdutyIncidentsTable;
  pagerduty_pages: PagerdutyPagesTable;
  pagerduty_problems: PagerdutyProblemsTable;
  pages: PagesTable;
  people: PeopleTable;
  reliability_reports: ReliabilityReportsTable;
  relief_suggestions: ReliefSuggestionsTable;
  remediation_confirmations: RemediationConfirmationsTable;
  remediation_runs: RemediationRunsTable;
  seen_slack_requests: SeenSlackRequestsTable;
  shared_results: SharedResultsTable;
  slack_messages: SlackMessagesTable;
  timers: TimersTable;
  leases: LeasesTable;
  replicas: ReplicasTable;
}

