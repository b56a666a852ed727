/**
 * The layout of the bot's rollup file of metrics.db (metrics-rollups.db): a per-host cache the
 * bot may delete at any time. It is never trusted on sight: a file whose application id,
 * schema version or bucket size differs from these, or that SQLite finds damaged, is rebuilt.
 */

/** 'ATLR': marks a file as the bot's rollups, so another SQLite file placed there is not read as one. */
export const ROLLUP_APPLICATION_ID = 0x41544c52;

/** Bump when the layout or its meaning changes: an older file is then rebuilt from scratch. */
export const ROLLUP_SCHEMA_VERSION = 1;

/**
 * Five minutes: a window's two partial edges are read from the raw rows, at most five minutes
 * each (about 1,000 rows on a 5-million-row month); a chart bucket edge that falls inside a
 * rollup bucket costs the same. One minute would make the rollups nearly as many rows as the
 * table (about 115 rows a minute over ~240 type/label sets); an hour would make every edge read
 * 12 times more raw rows. Five minutes is also the service's health-check cadence.
 */
export const BUCKET_MS = 300_000;

/**
 * Per (type, bucket, labels_json) of rows whose timestamp is in one of the three formats, and
 * the same per UTC day (day_groups: a month is ~7,000 rows instead of ~650,000), which answers
 * the whole days of a long window; `days` holds each day's row count, to follow retention.
 */
export const ROLLUP_DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS buckets (
  type TEXT NOT NULL,
  bucket INTEGER NOT NULL,
  labels_json NOT NULL,
  n INTEGER NOT NULL,
  sum REAL NOT NULL,
  min REAL,
  max REAL,
  PRIMARY KEY (type, bucket, labels_json)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS day_groups (
  type TEXT NOT NULL,
  day INTEGER NOT NULL,
  labels_json NOT NULL,
  n INTEGER NOT NULL,
  sum REAL NOT NULL,
  min REAL,
  max REAL,
  PRIMARY KEY (type, day, labels_json)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS value_days (
  type TEXT NOT NULL,
  day INTEGER NOT NULL,
  value REAL NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (type, day, value)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS types (type TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS days (day INTEGER PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS odd_rows (
  id INTEGER PRIMARY KEY,
  type TEXT,
  value REAL,
  labels_json,
  recorded_at
);
CREATE INDEX IF NOT EXISTS odd_rows_type_time ON odd_rows (type, recorded_at);
CREATE INDEX IF NOT EXISTS odd_rows_time ON odd_rows (recorded_at);
`;

export const ROLLUP_TABLES = ['meta', 'buckets', 'day_groups', 'value_days', 'types', 'days', 'odd_rows'] as const;

/**
 * Types whose values are also kept as a histogram per UTC day (value -> rows), so that the
 * largest values of whole days (a latency percentile's tail) come from the rollups, exactly:
 * the latencies, whose whole-millisecond values repeat (db_query: 300 distinct a day, not
 * 20,000 rows). Other types' values are read from metrics.db when a percentile asks.
 */
export const HISTOGRAM_TYPES: readonly string[] = ['db_query', 'request_latency', 'provider_latency', 'proof_generation', 'merkle_proof', 'job_duration'];

const D = '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]';
const T = '[0-2][0-9]:[0-5][0-9]:[0-5][0-9]';

/**
 * The bucket key of a row whose recorded_at has one of the three formats, from its text:
 * 'YYYY-MM-DD' || 'HH:M' || (second half of the ten minutes ? 1 : 0), NULL for any other
 * shape. Read from the text rather than parsed per row (the build reads millions), and turned
 * into a bucket in bucketOfKey, which also refuses dates that do not exist (2026-02-30): such
 * rows are kept verbatim as odd rows, like every other shape.
 */
const THREE_FORMATS = `typeof(recorded_at) = 'text' AND (recorded_at GLOB '${D} ${T}' OR recorded_at GLOB '${D}T${T}Z' OR recorded_at GLOB '${D}T${T}.[0-9][0-9][0-9]Z')`;

export const BUCKET_KEY_SQL = `CASE WHEN ${THREE_FORMATS}
  THEN substr(recorded_at, 1, 10) || substr(recorded_at, 12, 4) || (substr(recorded_at, 16, 1) >= '5') END`;

/**
 * The UTC day key of a row that BUCKET_KEY_SQL buckets ('YYYY-MM-DD' || '00:00', the key of that
 * day's first bucket, for bucketOfKey to check the date), NULL for the rows it leaves odd.
 */
export const DAY_KEY_SQL = `CASE WHEN ${THREE_FORMATS} AND substr(recorded_at, 12, 2) < '24' THEN substr(recorded_at, 1, 10) || '00:00' END`;

/** The bucket (start / BUCKET_MS) of a key from BUCKET_KEY_SQL, or null when the date or hour does not exist. */
export function bucketOfKey(key: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(\d{2}):(\d)([01])$/.exec(key);
  if (!m) return null;
  const [, y, mo, d, h, tens, half] = m.map(Number) as [number, number, number, number, number, number, number];
  if (h > 23) return null;
  const dayMs = Date.UTC(y, mo - 1, d);
  const day = new Date(dayMs);
  // Date.UTC rolls 2026-02-30 over to March; a rolled date is not the row's text.
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return null;
  return (dayMs + h * 3_600_000 + (tens * 10 + half * 5) * 60_000) / BUCKET_MS;
}

export const DAY_MS = 86_400_000;
export const BUCKETS_PER_DAY = DAY_MS / BUCKET_MS;
