/**
 * The backup `snapshot rollback` takes before it changes anything: SQLite's online backup API
 * (better-sqlite3's `db.backup`), which copies committed pages from the WAL too (a plain `cp`
 * can miss them), into `backups/<database>-<UTC timestamp>-pre-rollback.db`.
 *
 * A stand-in until the shared backup engine (src/remediation/backup-*.ts) lands: it is one
 * function so that it can be swapped for that engine.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { AtlasDatabase } from '../db/atlas-database.js';
import { classifySqliteError } from '../db/sqlite-problem.js';
import { RemediationRefusal } from './remediation-plan.js';

/** `20261126T120000Z`: a UTC time that sorts and that every file system takes. */
export function backupStamp(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** `persistence-20261126T120000Z-pre-rollback.db` for persistence.db. */
export function backupName(database: AtlasDatabase, at: Date, purpose: string): string {
  return `${path.basename(database.file).replace(/\.db$/, '')}-${backupStamp(at)}-${purpose}.db`;
}

/** What a backup of `database` needs (the file and its WAL) and what is free where it goes. */
export function backupSpace(database: AtlasDatabase, backupsDir: string): { needBytes: number; freeBytes: number } {
  const size = database.sizeBytes();
  // The backups folder may not exist yet: it is made next to the database.
  const where = existsSync(backupsDir) ? backupsDir : path.dirname(database.file);
  const fs = statfsSync(where);
  return { needBytes: size ? size.db + size.wal : 0, freeBytes: Number(fs.bavail) * Number(fs.bsize) };
}

/**
 * Copies `database` into `backupsDir` (made if missing) under backupName(); a copy left half
 * done is removed, and a name already taken is never overwritten. Returns the file and its size;
 * a RemediationRefusal when the copy could not be made (nothing else has changed then).
 */
export async function backupBeforeChange(database: AtlasDatabase, backupsDir: string, at: Date, purpose = 'pre-rollback'): Promise<{ file: string; bytes: number }> {
  const { needBytes, freeBytes } = backupSpace(database, backupsDir);
  if (needBytes > freeBytes) {
    throw new RemediationRefusal(`The ${purpose} backup of ${database.label} needs ${mb(needBytes)} and ${mb(freeBytes)} are free in ${backupsDir}; free some space (\`disk\`), nothing was changed.`);
  }
  mkdirSync(backupsDir, { recursive: true });
  let file = path.join(backupsDir, backupName(database, at, purpose));
  for (let n = 2; existsSync(file); n++) file = path.join(backupsDir, backupName(database, at, `${purpose}-${n}`));
  // Written under a temporary name: a crash or a failure never leaves a file that looks complete.
  const partial = `${file}.partial`;
  let source: Database.Database | null = null;
  try {
    source = new Database(database.file, { readonly: true, fileMustExist: true });
    await source.backup(partial);
    // The copy is one self-contained file (the backup API keeps the source's WAL mode), and it reads.
    const copy = new Database(partial, { fileMustExist: true });
    try {
      copy.pragma('journal_mode = DELETE');
      copy.prepare('SELECT count(*) FROM snapshots').get();
    } finally {
      copy.close();
    }
    renameSync(partial, file);
  } catch (err) {
    for (const leftover of [partial, `${partial}-wal`, `${partial}-shm`, `${partial}-journal`]) rmSync(leftover, { force: true });
    const problem = classifySqliteError(err, database.label);
    const why = problem ? problem.message.replace(/\.$/, '') : err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new RemediationRefusal(`The ${purpose} backup of ${database.label} failed (${why}), so nothing was changed.`);
  } finally {
    source?.close();
  }
  return { file, bytes: statSync(file).size };
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
