/**
 * The bot's own schema, one entry per version. Append only: a released migration is never
 * edited, because chatops.db files in the field already ran it.
 */
export const STATE_MIGRATIONS: readonly string[] = [
  // 1: the audit trail of every command run, and results shared from ephemeral replies.
  `CREATE TABLE command_runs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     source TEXT NOT NULL CHECK (source IN ('slack','cli')),
     user_id TEXT NOT NULL,
     channel_id TEXT,
     command TEXT NOT NULL,
     args TEXT NOT NULL,
     outcome TEXT NOT NULL CHECK (outcome IN ('ok','warn','crit','unknown','info','error','usage','denied')),
     summary TEXT NOT NULL,
     duration_ms INTEGER NOT NULL,
     error_id TEXT
   );
   CREATE INDEX idx_command_runs_at ON command_runs(at);
   CREATE TABLE shared_results (
     id TEXT PRIMARY KEY,
     created_at TEXT NOT NULL,
     user_id TEXT NOT NULL,
     report_json TEXT NOT NULL
   );`,
  // 2: alerts as the bot knows them (deduplicated across sources), incidents with their
  // timeline, timers swept by the scheduler, and the outbox of Slack messages to deliver.
  // All timestamps are ISO-8601 UTC with milliseconds, so text order is time order.
  `CREATE TABLE incidents (
     id TEXT PRIMARY KEY,
     day TEXT NOT NULL,
     seq INTEGER NOT NULL,
     title TEXT NOT NULL,
     severity TEXT NOT NULL CHECK (severity IN ('P0','P1','P2','P3')),
     status TEXT NOT NULL CHECK (status IN ('investigating','identified','monitoring','resolved')),
     owner_id TEXT,
     created_by TEXT NOT NULL,
     alert_key TEXT,
     channel_id TEXT,
     root_ts TEXT,
     opened_at TEXT NOT NULL,
     acknowledged_at TEXT,
     ack_seconds INTEGER,
     impact TEXT,
     next_update_at TEXT,
     last_update_at TEXT,
     resolved_at TEXT,
     resolution TEXT,
     review_done_at TEXT,
     UNIQUE (day, seq)
   );
   CREATE INDEX idx_incidents_open ON incidents(status) WHERE status <> 'resolved';
   CREATE TABLE incident_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     incident_id TEXT NOT NULL REFERENCES incidents(id),
     at TEXT NOT NULL,
     actor TEXT NOT NULL,
     kind TEXT NOT NULL,
     text TEXT NOT NULL,
     data TEXT
   );
   CREATE INDEX idx_incident_events ON incident_events(incident_id, id);
   CREATE TABLE alerts (
     key TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('firing','resolved')),
     severity TEXT NOT NULL CHECK (severity IN ('P0','P1','P2','P3')),
     severity_known INTEGER NOT NULL,
     symptom_id TEXT,
     message TEXT NOT NULL DEFAULT '',
     sources TEXT NOT NULL DEFAULT '[]',
     fingerprints TEXT NOT NULL DEFAULT '[]',
     runbook_url TEXT,
     fired_at TEXT NOT NULL,
     resolved_at TEXT,
     source_fired_at TEXT,
     fire_count INTEGER NOT NULL DEFAULT 1,
     channel_id TEXT,
     message_ts TEXT,
     incident_id TEXT REFERENCES incidents(id),
     acknowledged_by TEXT,
     acknowledged_at TEXT,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE timers (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     incident_id TEXT REFERENCES incidents(id),
     alert_key TEXT REFERENCES alerts(key),
     kind TEXT NOT NULL,
     due_at TEXT NOT NULL,
     created_at TEXT NOT NULL,
     fired_at TEXT,
     cancelled_at TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     last_error TEXT
   );
   CREATE INDEX idx_timers_due ON timers(due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;
   CREATE TABLE outbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     created_at TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('alert-message','incident-card','thread-post','channel-post')),
     ref TEXT NOT NULL,
     payload TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at TEXT NOT NULL,
     sent_at TEXT,
     failed_at TEXT,
     last_error TEXT
   );
   CREATE INDEX idx_outbox_pending ON outbox(next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;`,
];

