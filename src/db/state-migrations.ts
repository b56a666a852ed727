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
];
