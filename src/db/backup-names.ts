/**
 * How backups are named in backups/: `<database>-<UTC timestamp>.db` (the timestamp fixed-width,
 * so names sort by time, next to the service's `persistence-2026-11-26.db`), one
 * `manifest-<timestamp>.json` per run and a `jobs-<timestamp>/` folder. Everything is written
 * under a temporary name first (a leading dot and `.partial`) and renamed only once verified: a
 * temporary name is never a backup.
 */

export type AtlasDatabaseName = 'persistence' | 'metrics';
export const DATABASE_NAMES: readonly AtlasDatabaseName[] = ['persistence', 'metrics'];

/** 2026-11-26T12-00-00Z: ISO-8601 in UTC with the colons (not allowed in every filesystem) as dashes. */
export function backupStamp(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z').replaceAll(':', '-');
}

/** The time in a stamp, or null. */
export function stampTime(stamp: string): Date | null {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})Z$/.exec(stamp);
  if (!m) return null;
  const t = new Date(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`);
  return Number.isNaN(t.getTime()) ? null : t;
}

export const backupFileName = (db: AtlasDatabaseName, stamp: string) => `${db}-${stamp}.db`;
export const manifestFileName = (stamp: string) => `manifest-${stamp}.json`;
export const jobsFolderName = (stamp: string) => `jobs-${stamp}`;
/** Where a file or folder is written before it is verified and renamed. */
export const temporaryName = (finalName: string) => `.${finalName}.partial`;

/** A name written by a backup still running or killed mid-way (or SQLite's side files): never a backup. */
export function isTemporaryName(name: string): boolean {
  const base = name.split('/').pop() ?? name;
  return name.split('/').some((part) => part.startsWith('.')) || /\.(partial|tmp)$/.test(base) || /-(journal|wal|shm)$/.test(base) || base.includes('.partial-');
}

export const MANIFEST_NAME = /^manifest-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z)(?:-\d+)?\.json$/;

/** Which database a backup file is of, from its name ("persistence-2026-11-26.db" → persistence). */
export function databaseOfName(name: string): AtlasDatabaseName | null {
  const base = name.split('/').pop() ?? name;
  for (const db of DATABASE_NAMES) if (base.startsWith(`${db}-`) || base.startsWith(`${db}.`)) return db;
  return null;
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const MAX_NAME_LENGTH = 200;

/**
 * The one sentence refusing a backup name typed by a person, or null when it is a plain file name
 * in backups/ (no folders, no `..`, no quotes, not a temporary file).
 */
export function backupNameProblem(name: string): string | null {
  const shown = name.length > 60 ? `${name.slice(0, 60).replace(/[^\x20-\x7e]/g, '?')}…` : name.replace(/[^\x20-\x7e]/g, '?');
  if (name.length === 0) return 'Name a backup file from `backups` (like persistence-2026-11-26T12-00-00Z.db).';
  if (name.length > MAX_NAME_LENGTH) return `A backup name is at most ${MAX_NAME_LENGTH} characters (got ${name.length}); name a file from \`backups\`.`;
  if (name.includes('/') || name.includes('\\') || name.includes('..')) return `"${shown}" is not a backup name: a file name from \`backups\` without folders or "..".`;
  if (!SAFE_NAME.test(name)) return `"${shown}" is not a backup name: letters, digits, ".", "_" and "-" only, as \`backups\` lists them.`;
  if (isTemporaryName(name)) return `"${shown}" is an unfinished temporary file, not a backup.`;
  return null;
}
