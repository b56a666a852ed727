/**
 * The Shadow Atlas schemas as the service creates them (DATA-CONTRACT.md): used to build demo
 * data, test fixtures and benchmark files. The bot itself never runs this DDL against the
 * service's files.
 */
export const METRICS_DDL = `
CREATE TABLE IF NOT EXISTS metrics (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  value REAL NOT NULL,
  labels_json TEXT NOT NULL,
  recorded_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE INDEX IF NOT EXISTS idx_metrics_type_time ON metrics(type, recorded_at DESC);
CREATE INDEX IF NOT EXISTS idx_metrics_time ON metrics(recorded_at DESC);
CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL CHECK(status IN ('firing','resolved')),
  message TEXT,
  fired_at TEXT NOT NULL,
  resolved_at TEXT,
  acknowledged_at TEXT
);
CREATE TABLE IF NOT EXISTS daily_summaries (
  date TEXT NOT NULL,
  type TEXT NOT NULL,
  labels_json TEXT NOT NULL,
  count INTEGER NOT NULL,
  sum REAL NOT NULL,
  min REAL NOT NULL,
  max REAL NOT NULL,
  PRIMARY KEY(date, type, labels_json)
);
`;

export const PERSISTENCE_DDL = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  scope_states TEXT NOT NULL,
  scope_layers TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending','running','partial','completed','failed','cancelled')),
  created_at TEXT NOT NULL,
  started_at TEXT,
  updated_at TEXT NOT NULL,
  completed_at TEXT,
  archived_at TEXT,
  total_tasks INTEGER NOT NULL DEFAULT 0,
  completed_tasks INTEGER NOT NULL DEFAULT 0,
  failed_tasks INTEGER NOT NULL DEFAULT 0,
  skipped_tasks INTEGER NOT NULL DEFAULT 0,
  error_summary TEXT
);
CREATE INDEX IF NOT EXISTS idx_jobs_status_created ON jobs(status, created_at DESC) WHERE archived_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_jobs_active ON jobs(status, updated_at DESC)
  WHERE archived_at IS NULL AND status IN ('pending','running','partial');
CREATE TABLE IF NOT EXISTS extractions (
  id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  state_code TEXT NOT NULL,
  layer_type TEXT NOT NULL CHECK (layer_type IN ('congressional','state_senate','state_house','county','city')),
  boundary_count INTEGER NOT NULL CHECK (boundary_count >= 0),
  validation_passed BOOLEAN NOT NULL,
  source_url TEXT,
  source_type TEXT,
  completed_at TEXT NOT NULL,
  archived_at TEXT,
  UNIQUE(job_id, state_code, layer_type)
);
CREATE TABLE IF NOT EXISTS failures (
  id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  state_code TEXT NOT NULL,
  layer_type TEXT NOT NULL,
  error_message TEXT NOT NULL,
  error_stack TEXT,
  attempt_count INTEGER NOT NULL DEFAULT 1 CHECK (attempt_count > 0),
  retryable BOOLEAN NOT NULL,
  source_url TEXT,
  source_type TEXT,
  failed_at TEXT NOT NULL,
  retry_after TEXT,
  retried_at TEXT,
  retry_succeeded BOOLEAN,
  archived_at TEXT
);
CREATE TABLE IF NOT EXISTS snapshots (
  id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE RESTRICT,
  merkle_root TEXT NOT NULL UNIQUE,
  ipfs_cid TEXT NOT NULL UNIQUE,
  boundary_count INTEGER NOT NULL CHECK (boundary_count > 0),
  regions TEXT NOT NULL,
  created_at TEXT NOT NULL,
  published_at TEXT,
  deprecated_at TEXT,
  archived_at TEXT
);
CREATE INDEX IF NOT EXISTS idx_snapshots_latest ON snapshots(created_at DESC)
  WHERE archived_at IS NULL AND deprecated_at IS NULL;
CREATE TABLE IF NOT EXISTS snapshot_regions (
  snapshot_id TEXT NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  state_code TEXT NOT NULL,
  PRIMARY KEY (snapshot_id, state_code)
);
CREATE TABLE IF NOT EXISTS failed_downloads (
  id TEXT PRIMARY KEY,
  job_id TEXT REFERENCES jobs(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  layer TEXT NOT NULL,
  state_fips TEXT,
  year INTEGER NOT NULL,
  attempt_count INTEGER NOT NULL DEFAULT 1,
  max_attempts INTEGER NOT NULL DEFAULT 3,
  last_error TEXT NOT NULL,
  last_attempt_at TEXT NOT NULL,
  next_retry_at TEXT,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','retrying','exhausted','resolved')),
  created_at TEXT NOT NULL,
  resolved_at TEXT,
  archived_at TEXT
);
`;
