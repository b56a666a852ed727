/**
 * The confirmed job state changes (`job cancel`, `job mark-partial`), in the two places a job
 * lives: a row of persistence.db `jobs` and the orchestrator's `jobs/<id>.json`. Each write
 * first checks that what it changes is still exactly what the plan read, and changes nothing
 * otherwise (JobChangedError). A row changes in one immediate transaction; a file is rewritten
 * atomically (a temp file in the same folder, fsync, rename, fsync of the folder), every field
 * but `status` and `updatedAt` kept as it was.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { AtlasDatabase } from './atlas-database.js';
import { withAtlasWrite } from './atlas-write-lock.js';
import { jobIdSchema, type JobStatus } from './job-file.js';

/** What a plan read is no longer there: nothing was written. */
export class JobChangedError extends Error {
  override name = 'JobChangedError';
}

/** A job file's text, or why it cannot be used. */
export type JobFileRead =
  | { kind: 'file'; path: string; text: string; mode: number; size: number; mtimeMs: number; ino: number }
  | { kind: 'missing'; path: string }
  | { kind: 'unusable'; path: string; reason: string };

/** A job file is a few KB to a few hundred KB; anything far larger is not one. */
const MAX_JOB_FILE_BYTES = 8 * 1024 * 1024;

/**
 * `jobs/<id>.json` for an id that jobIdSchema accepts; the path is built from the id and must
 * stay directly in the folder. Throws for an id that is not one (callers validate first).
 */
export function jobFilePath(jobsDir: string, id: string): string {
  if (!jobIdSchema.safeParse(id).success) throw new Error('not a job id');
  const file = path.join(jobsDir, `${id}.json`);
  if (path.dirname(file) !== path.normalize(jobsDir) || path.basename(file) !== `${id}.json`) throw new Error('not a job id');
  return file;
}

/** Reads a job file as text; a symlink, a folder or an oversized file is unusable, never followed. */
export async function readJobFileText(jobsDir: string, id: string): Promise<JobFileRead> {
  const file = jobFilePath(jobsDir, id);
  let st;
  try {
    st = await lstat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing', path: file };
    return { kind: 'unusable', path: file, reason: `cannot be read (${code ?? 'error'})` };
  }
  if (!st.isFile()) return { kind: 'unusable', path: file, reason: st.isSymbolicLink() ? 'is a symbolic link' : 'is not a regular file' };
  if (st.size > MAX_JOB_FILE_BYTES) return { kind: 'unusable', path: file, reason: `is larger than ${MAX_JOB_FILE_BYTES / 1024 / 1024} MB` };
  try {
    const text = await readFile(file, 'utf8');
    return { kind: 'file', path: file, text, mode: st.mode & 0o7777, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing', path: file };
    return { kind: 'unusable', path: file, reason: `cannot be read (${code ?? 'error'})` };
  }
}

/** The text a rewritten job file gets: the same object with the new status and updatedAt, in the original's layout. */
export function rewrittenJobText(original: string, status: JobStatus, updatedAt: string): string {
  const obj = JSON.parse(original) as Record<string, unknown>;
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new Error('a job file holds one JSON object');
  obj.status = status;
  obj.updatedAt = updatedAt;
  const indent = /^\{\s*\n(\s+)"/.exec(original)?.[1];
  const body = indent ? JSON.stringify(obj, null, indent.includes('\t') ? '\t' : indent.length) : JSON.stringify(obj);
  return original.endsWith('\n') ? `${body}\n` : body;
}

export interface RewriteHooks {
  /** Called with the temp file written and synced, before the rename (tests stop the process here). */
  beforeRename?: () => void | Promise<void>;
}

/**
 * Rewrites `jobs/<id>.json` with a new status if its text is still `expectedText`: temp file in the
 * same folder (so the rename is atomic), fsync, rename, fsync of the folder. A crash leaves the
 * old file or the new one, never half of one; a leftover temp file (`.<id>.json.*.tmp`) is not a
 * `*.json` and is never read as a job.
 */
export async function rewriteJobFileStatus(
  jobsDir: string,
  id: string,
  expectedText: string,
  status: JobStatus,
  updatedAt: string,
  hooks: RewriteHooks = {},
): Promise<{ path: string; text: string }> {
  const current = await readJobFileText(jobsDir, id);
  if (current.kind !== 'file' || current.text !== expectedText) throw new JobChangedError(`jobs/${id}.json changed since the preview`);
  const text = rewrittenJobText(current.text, status, updatedAt);
  const dir = path.dirname(current.path);
  const temp = path.join(dir, `.${id}.json.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, current.mode || 0o644);
  try {
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await hooks.beforeRename?.();
    // Last look: the orchestrator may have written since; its write wins over ours.
    const again = await readJobFileText(jobsDir, id);
    if (again.kind !== 'file' || again.text !== expectedText) throw new JobChangedError(`jobs/${id}.json changed while it was being rewritten`);
    await rename(temp, current.path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  await syncDir(dir);
  return { path: current.path, text };
}

async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a folder; the rename is done either way.
  } finally {
    await handle?.close();
  }
}

/** Every column of a `jobs` row, as stored. */
export type JobTableRow = Record<string, unknown> & { id: string; status: string };

/** The row of `jobs` with this id (every column), null when there is none or no `jobs` table. */
export function readJobRow(persistence: AtlasDatabase, id: string): JobTableRow | null {
  if (!persistence.exists()) return null;
  const columns = persistence.liveSchema().get('jobs');
  if (!columns?.has('id') || !columns.has('status')) return null;
  return persistence.read((db) => (db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobTableRow | undefined) ?? null);
}

const sameRow = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => Object.is(v, b[k]) || (typeof v === 'bigint' && String(v) === String(b[k])));

export interface RowWriteHooks {
  /** Called inside the transaction after the UPDATE, before the commit (tests stop the process here). */
  beforeCommit?: () => void;
}

/**
 * Sets `status` (and `updated_at` when the table has it) on the job's row, in one immediate
 * transaction that first re-reads the row and refuses (JobChangedError) unless every column is
 * what the plan read. Returns the row after the change.
 */
export async function updateJobRowStatus(
  persistence: AtlasDatabase,
  expected: JobTableRow,
  status: JobStatus,
  updatedAt: string,
  opts: { lockWaitMs?: number } & RowWriteHooks = {},
): Promise<JobTableRow> {
  return withAtlasWrite(
    persistence,
    (db) => {
      const now = db.prepare('SELECT * FROM jobs WHERE id = ?').get(expected.id) as JobTableRow | undefined;
      if (!now || !sameRow(now, expected)) throw new JobChangedError(`the jobs row of ${expected.id} changed since the preview`);
      const hasUpdatedAt = 'updated_at' in now;
      const changed = hasUpdatedAt
        ? db.prepare('UPDATE jobs SET status = ?, updated_at = ? WHERE id = ? AND status = ?').run(status, updatedAt, expected.id, expected.status).changes
        : db.prepare('UPDATE jobs SET status = ? WHERE id = ? AND status = ?').run(status, expected.id, expected.status).changes;
      if (changed !== 1) throw new JobChangedError(`the jobs row of ${expected.id} changed since the preview`);
      opts.beforeCommit?.();
      return db.prepare('SELECT * FROM jobs WHERE id = ?').get(expected.id) as JobTableRow;
    },
    opts,
  );
}
