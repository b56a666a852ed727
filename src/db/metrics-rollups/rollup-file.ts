/**
 * Opening the rollup file: a connection that is known to hold this bot's rollups in the current
 * layout, or a fresh empty one. A file that is missing, empty, another program's, of an older
 * layout or damaged is rebuilt, never read.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { BUCKET_MS, ROLLUP_APPLICATION_ID, ROLLUP_DDL, ROLLUP_SCHEMA_VERSION, ROLLUP_TABLES } from './rollup-schema.js';

/**
 * How long a catch-up waits for the other process's chunk (the bot and a terminal may catch up
 * the same file at once). A chunk commits within a few seconds even on a busy machine.
 */
const BUSY_TIMEOUT_MS = 15_000;

/** The file's identity on disk, to notice that another process replaced it. */
export function fileIdentity(file: string): string | null {
  try {
    const s = statSync(file);
    return `${s.dev}:${s.ino}`;
  } catch {
    return null;
  }
}

/** Deletes a rollup file and its journal files; the next open builds a new one. */
export function removeRollupFile(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) rmSync(f, { force: true });
}

/** Whether an open connection's file is this bot's rollups in the current layout and bucket size. */
function isCurrent(db: Database.Database): boolean {
  if (db.pragma('application_id', { simple: true }) !== ROLLUP_APPLICATION_ID) return false;
  if (db.pragma('user_version', { simple: true }) !== ROLLUP_SCHEMA_VERSION) return false;
  const row = db.prepare("SELECT value FROM meta WHERE key = 'bucket_ms'").get() as { value: unknown } | undefined;
  return row?.value === BUCKET_MS;
}

/**
 * Empties the file and lays out the current schema, in one write transaction, rechecked inside
 * it: when two processes find the same stale file, the second finds it current and leaves it.
 */
function resetIfNotCurrent(db: Database.Database): void {
  db.transaction(() => {
    let current = false;
    try {
      current = isCurrent(db);
    } catch {
      current = false;
    }
    if (current) return;
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
    for (const t of tables) db.exec(`DROP TABLE IF EXISTS "${t.replaceAll('"', '""')}"`);
    db.exec(ROLLUP_DDL);
    db.prepare("INSERT INTO meta (key, value) VALUES ('bucket_ms', ?), ('high_water_id', 0), ('anchor', NULL)").run(BUCKET_MS);
    db.pragma(`application_id = ${ROLLUP_APPLICATION_ID}`);
    db.pragma(`user_version = ${ROLLUP_SCHEMA_VERSION}`);
  }).immediate();
}

function openChecked(file: string): Database.Database {
  const db = new Database(file);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    // The rollups are a cache: a power cut may lose the last chunk, which the next catch-up redoes.
    db.pragma('synchronous = NORMAL');
    // No quick_check here: it costs half a second on a month's rollups, in every terminal
    // question. A damaged page fails the read that meets it; that answer is then read from
    // metrics.db's rows and the file is removed (MetricsRollups), so it is never trusted either way.
    resetIfNotCurrent(db);
    for (const t of ROLLUP_TABLES) db.prepare(`SELECT 1 FROM ${t} LIMIT 1`).get();
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * The rollup file at `file`, ready to catch up: created when missing, emptied when stale, and
 * deleted and created again when SQLite cannot read it (not a database, damaged pages).
 */
export function openRollupFile(file: string): Database.Database {
  try {
    return openChecked(file);
  } catch (err) {
    // Busy means another process holds it: that file is fine, this question reads the raw rows.
    if (isBusy(err)) throw err;
    if (existsSync(file)) removeRollupFile(file);
    return openChecked(file);
  }
}

export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** Empties a rollup file whose rows no longer describe its metrics.db (a restore): one transaction. */
export function emptyRollups(db: Database.Database): void {
  for (const t of ROLLUP_TABLES) if (t !== 'meta') db.exec(`DELETE FROM ${t}`);
  db.prepare("UPDATE meta SET value = 0 WHERE key = 'high_water_id'").run();
  db.prepare("UPDATE meta SET value = NULL WHERE key = 'anchor'").run();
}
