import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Thresholds } from '../config.js';
import type { AtlasStores } from '../db/atlas-database.js';
import { DbProblemError } from '../db/sqlite-problem.js';
import { ageMs, formatDuration, parseAtlasTime } from '../time/atlas-time.js';
import { bandLevel, bandText, unknownItem, type CheckItem } from './check-item.js';
import { JOB_STATUSES, jobIdSchema, jobStatusSchema, MAX_JOB_FILE_BYTES, type JobFileSummary, type JobStatus } from '../db/job-file.js';
import { jobFileReader, type JobFileReader } from './job-file-reader.js';

/*
 * Jobs as the on-call engineer sees them: the jobs/*.json files the orchestrator really uses and
 * the `jobs` table, merged one row per id, their health items and the stuck-job suspicion. One
 * file: the listing, the health items and the suspicion all read the same merged rows.
 */

/** Where a listed job was found. */
export type JobSource = 'file' | 'table' | 'file+table';

export interface JobRow {
  id: string;
  status: JobStatus;
  totalTasks: number;
  completedTasks: number;
  failedTasks: number;
  /** Share of tasks finished (completed or failed), 0..100; null when the job has no tasks. */
  percent: number | null;
  /** Raw timestamps as stored (any of the three Atlas formats). */
  createdAt: string | null;
  updatedAt: string | null;
  /** Since createdAt, ms; null when unparseable. */
  ageMs: number | null;
  /** Since updatedAt (or createdAt when there is no update), ms. */
  sinceUpdateMs: number | null;
  source: JobSource;
  /** running, and no update for stuckHours or more: a suspicion, not a proof. */
  stuck: boolean;
  currentTask: string | null;
  /** Tasks the pre-flight found not configured (file only); such jobs end as `running`. */
  notConfiguredTasks: number | null;
}

export interface SkippedJobFile {
  name: string;
  reason: string;
}

export interface JobSources {
  /** persistence.db `jobs`: rows read, or the one-sentence problem. */
  table: { ok: boolean; rows: number; problem: string | null };
  /**
   * jobs/*.json: how many exist, how many were read, and why not when the folder is unusable.
   * `notRead` counts the files left unread although among the newest: over the bytes read per
   * question, or not read in time; `notReadWhy` says which, in one sentence.
   */
  files: { ok: boolean; folderMissing: boolean; found: number; read: number; problem: string | null; notRead: number; notReadWhy: string | null };
}

/** How job files are read for one question (tests pass small bounds and their own reader). */
export interface JobFileReadOptions {
  /** Bytes of job files read per question, newest first (default MAX_JOB_BYTES_PER_QUESTION). */
  maxBytes?: number;
  reader?: JobFileReader;
}

export interface JobListing {
  /** Newest first, at most `limit`. */
  jobs: JobRow[];
  /** Jobs matching the filter before the limit. */
  matched: number;
  /** Matching jobs by status. */
  counts: Record<JobStatus, number>;
  status: JobStatus | null;
  stuckHours: number;
  /** Matching jobs that look stuck (running, silent for stuckHours or more). */
  stuckCount: number;
  skipped: { count: number; files: SkippedJobFile[] };
  sources: JobSources;
}

export interface StuckJob {
  job: JobRow;
  hoursSinceUpdate: number;
  /** Why this is only a suspicion, and what to check. */
  detail: string;
}

export interface StuckJobs {
  stuck: StuckJob[];
  stuckHours: number;
  /** Running jobs seen in total. */
  running: number;
  skipped: { count: number; files: SkippedJobFile[] };
  sources: JobSources;
}

/** Newest files (by mtime) read per call: a huge jobs/ folder must not stall the bot. */
export const MAX_JOB_FILES_READ = 500;
/** Names stat()ed at most; beyond this the newest names (ids start with a base36 time) win. */
const MAX_JOB_FILES_STAT = 20_000;
/**
 * Bytes of job files read per question, newest first. Eight of the largest files the bot takes
 * (8 MB), or hundreds of ordinary ones; beyond it the older files are named as not read.
 */
export const MAX_JOB_BYTES_PER_QUESTION = 64 * 1024 * 1024;
/** Newest table rows read per call, plus every active one. */
const MAX_TABLE_ROWS = 500;
const MAX_ACTIVE_TABLE_ROWS = 5000;
/** Skipped file names kept for the report; the count stays exact. */
const MAX_SKIPPED_NAMES = 50;
const IO_CONCURRENCY = 16;

const JOB_TABLE_NEEDS = {
  jobs: ['id', 'status', 'created_at', 'updated_at', 'total_tasks', 'completed_tasks', 'failed_tasks'],
} as const;

const taskCount = z
  .number()
  .int()
  .nonnegative()
  .nullable()
  .transform((n) => n ?? 0);

const jobTableRowSchema = z.object({
  id: jobIdSchema,
  status: jobStatusSchema,
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
  total_tasks: taskCount,
  completed_tasks: taskCount,
  failed_tasks: taskCount,
});

type JobTableRow = z.infer<typeof jobTableRowSchema>;

interface LoadedJobs {
  rows: JobRow[];
  skipped: SkippedJobFile[];
  skippedCount: number;
  sources: JobSources;
}

function percentOf(total: number, completed: number, failed: number): number | null {
  if (total <= 0) return null;
  // After a resume, completed + failed can exceed total (the orchestrator keeps old failures).
  return Math.min(100, Math.round(((completed + failed) / total) * 1000) / 10);
}

function timeOf(value: string | null): number | null {
  return parseAtlasTime(value)?.getTime() ?? null;
}

function rowFromFile(job: JobFileSummary, now: Date): JobRow {
  const { totalTasks, completedTasks, failedTasks } = job;
  return {
    id: job.jobId,
    status: job.status,
    totalTasks,
    completedTasks,
    failedTasks,
    percent: percentOf(totalTasks, completedTasks, failedTasks),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ageMs: ageMs(job.createdAt, now),
    sinceUpdateMs: ageMs(job.updatedAt, now),
    source: 'file',
    stuck: false,
    currentTask: job.currentTask,
    notConfiguredTasks: job.notConfiguredTasks,
  };
}

function rowFromTable(row: JobTableRow, now: Date): JobRow {
  return {
    id: row.id,
    status: row.status,
    totalTasks: row.total_tasks,
    completedTasks: row.completed_tasks,
    failedTasks: row.failed_tasks,
    percent: percentOf(row.total_tasks, row.completed_tasks, row.failed_tasks),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ageMs: ageMs(row.created_at, now),
    sinceUpdateMs: ageMs(row.updated_at ?? row.created_at, now),
    source: 'table',
    stuck: false,
    currentTask: null,
    notConfiguredTasks: null,
  };
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function errorCode(err: unknown): string {
  return typeof err === 'object' && err && 'code' in err ? String((err as { code: unknown }).code) : 'error';
}

interface FileRead {
  jobs: JobFileSummary[];
  skipped: SkippedJobFile[];
  source: JobSources['files'];
}

function megabytes(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
}

async function readJobFiles(jobsDir: string, opts: JobFileReadOptions = {}): Promise<FileRead> {
  const empty = { notRead: 0, notReadWhy: null };
  let entries: Dirent[];
  try {
    entries = await readdir(jobsDir, { withFileTypes: true });
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') {
      return { jobs: [], skipped: [], source: { ok: true, folderMissing: true, found: 0, read: 0, problem: null, ...empty } };
    }
    return {
      jobs: [],
      skipped: [],
      source: { ok: false, folderMissing: false, found: 0, read: 0, problem: `the jobs/ folder cannot be read (${code}); check its permissions.`, ...empty },
    };
  }
  // Regular files only: a symlink could point anywhere on the host.
  const names = entries.filter((e) => e.isFile() && e.name.endsWith('.json')).map((e) => e.name);
  const candidates = names.length > MAX_JOB_FILES_STAT ? [...names].sort().reverse().slice(0, MAX_JOB_FILES_STAT) : names;

  const stats = await mapLimited(candidates, IO_CONCURRENCY, async (name) => {
    try {
      const s = await stat(path.join(jobsDir, name));
      return { name, mtimeMs: s.mtimeMs, size: s.size };
    } catch {
      return null; // Removed between readdir and stat: nothing to list.
    }
  });
  const newest = stats
    .filter((s): s is NonNullable<typeof s> => s !== null)
    .sort((a, b) => b.mtimeMs - a.mtimeMs || a.name.localeCompare(b.name))
    .slice(0, MAX_JOB_FILES_READ);

  const jobs: JobFileSummary[] = [];
  const skipped: SkippedJobFile[] = [];
  // Newest first, until the bytes per question are spent: the older files are not read at all.
  const maxBytes = opts.maxBytes ?? MAX_JOB_BYTES_PER_QUESTION;
  const toRead: { path: string; name: string }[] = [];
  let bytes = 0;
  let overBudget = 0;
  let overBudgetBytes = 0;
  for (const { name, size } of newest) {
    if (size > MAX_JOB_FILE_BYTES) skipped.push({ name, reason: `larger than ${MAX_JOB_FILE_BYTES / 1024 / 1024} MB` });
    else if (overBudget > 0 || bytes + size > maxBytes) {
      overBudget++;
      overBudgetBytes += size;
    } else {
      bytes += size;
      toRead.push({ path: path.join(jobsDir, name), name });
    }
  }
  // Parsed in a worker thread: the event loop keeps acknowledging while megabytes are parsed.
  const read = await (opts.reader ?? jobFileReader()).read(toRead);
  let unanswered = 0;
  for (const { name } of toRead) {
    const r = read.results.get(name);
    if (!r) unanswered++;
    else if (r.kind === 'job') jobs.push(r.summary);
    else if (r.kind === 'skipped') skipped.push({ name, reason: r.reason });
  }
  const why: string[] = [];
  if (overBudget > 0) {
    why.push(
      `${overBudget} older job file(s) (${megabytes(overBudgetBytes)}) not read: the bot reads at most ${megabytes(maxBytes)} of job files per question, newest first.`,
    );
  }
  if (unanswered > 0 && read.unfinished) why.push(`${unanswered} job file(s) ${read.unfinished}.`);
  return {
    jobs,
    skipped,
    source: {
      ok: true,
      folderMissing: false,
      found: names.length,
      read: toRead.length - unanswered,
      problem: null,
      notRead: overBudget + unanswered,
      notReadWhy: why.length > 0 ? why.join(' ') : null,
    },
  };
}

interface TableRead {
  rows: JobTableRow[];
  badRows: number;
  source: JobSources['table'];
}

function readJobTable(stores: AtlasStores, status: JobStatus | undefined): TableRead {
  const db = stores.persistence;
  try {
    const missing = db.missing(JOB_TABLE_NEEDS);
    if (missing.length > 0) {
      return {
        rows: [],
        badRows: 0,
        source: { ok: false, rows: 0, problem: `${db.label} lacks ${missing.join(', ')}; only jobs/ files are listed.` },
      };
    }
    const notArchived = db.hasColumn('jobs', 'archived_at') ? 'archived_at IS NULL' : '1 = 1';
    const columns = 'id, status, created_at, updated_at, total_tasks, completed_tasks, failed_tasks';
    const raw = db.read((conn) => {
      // Text order on created_at is right to the day whatever the format; the exact order is
      // made in JS. Active jobs are read whatever their age so stuck ones are never cut off.
      const newest = status
        ? conn
            .prepare(`SELECT ${columns} FROM jobs WHERE ${notArchived} AND status = ? ORDER BY created_at DESC LIMIT ?`)
            .all(status, MAX_TABLE_ROWS)
        : conn.prepare(`SELECT ${columns} FROM jobs WHERE ${notArchived} ORDER BY created_at DESC LIMIT ?`).all(MAX_TABLE_ROWS);
      const active = status
        ? []
        : conn
            .prepare(`SELECT ${columns} FROM jobs WHERE ${notArchived} AND status IN ('pending', 'running', 'partial') LIMIT ?`)
            .all(MAX_ACTIVE_TABLE_ROWS);
      return [...newest, ...active];
    });
    const rows: JobTableRow[] = [];
    const seen = new Set<string>();
    let badRows = 0;
    for (const r of raw) {
      const parsed = jobTableRowSchema.safeParse(r);
      if (!parsed.success) badRows++;
      else if (!seen.has(parsed.data.id)) {
        seen.add(parsed.data.id);
        rows.push(parsed.data);
      }
    }
    return { rows, badRows, source: { ok: true, rows: rows.length, problem: null } };
  } catch (err) {
    if (err instanceof DbProblemError) return { rows: [], badRows: 0, source: { ok: false, rows: 0, problem: err.problem.message } };
    throw err;
  }
}

/** Both sources, one row per id: the fresher `updatedAt` wins, a tie goes to the file (the orchestrator's truth). */
async function loadJobs(stores: AtlasStores, now: Date, stuckHours: number, status?: JobStatus, fileOpts?: JobFileReadOptions): Promise<LoadedJobs> {
  const [files, table] = await Promise.all([readJobFiles(stores.jobsDir, fileOpts), Promise.resolve(readJobTable(stores, status))]);
  const byId = new Map<string, JobRow>();
  for (const job of files.jobs) byId.set(job.jobId, rowFromFile(job, now));
  for (const row of table.rows) {
    const fromTable = rowFromTable(row, now);
    const fromFile = byId.get(row.id);
    if (!fromFile) {
      byId.set(row.id, fromTable);
      continue;
    }
    const fileTime = timeOf(fromFile.updatedAt) ?? -Infinity;
    const tableTime = timeOf(fromTable.updatedAt) ?? -Infinity;
    const fresher = tableTime > fileTime ? fromTable : fromFile;
    byId.set(row.id, { ...fresher, source: 'file+table', notConfiguredTasks: fromFile.notConfiguredTasks });
  }
  const stuckMs = stuckHours * 3_600_000;
  const rows = [...byId.values()]
    .filter((r) => !status || r.status === status)
    .map((r) => ({ ...r, stuck: r.status === 'running' && r.sinceUpdateMs !== null && r.sinceUpdateMs >= stuckMs }))
    .sort((a, b) => (timeOf(b.createdAt) ?? -Infinity) - (timeOf(a.createdAt) ?? -Infinity) || a.id.localeCompare(b.id));

  const skipped = files.skipped;
  const sources: JobSources = { table: table.source, files: files.source };
  if (table.badRows > 0) {
    sources.table = {
      ...table.source,
      problem: `${table.badRows} row(s) of ${stores.persistence.label} jobs have an unknown status or a bad id and were skipped.`,
    };
  }
  return { rows, skipped: skipped.slice(0, MAX_SKIPPED_NAMES), skippedCount: skipped.length, sources };
}

function emptyCounts(): Record<JobStatus, number> {
  return Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
}

/** `jobs`: both sources, newest first, with what was skipped and which source had a problem. */
export async function listJobs(
  stores: AtlasStores,
  now: Date,
  opts: { limit: number; status?: JobStatus; stuckHours?: number; files?: JobFileReadOptions },
): Promise<JobListing> {
  const stuckHours = opts.stuckHours ?? 12;
  const loaded = await loadJobs(stores, now, stuckHours, opts.status, opts.files);
  const counts = emptyCounts();
  for (const r of loaded.rows) counts[r.status]++;
  return {
    jobs: loaded.rows.slice(0, Math.max(0, opts.limit)),
    matched: loaded.rows.length,
    counts,
    status: opts.status ?? null,
    stuckHours,
    stuckCount: loaded.rows.filter((r) => r.stuck).length,
    skipped: { count: loaded.skippedCount, files: loaded.skipped },
    sources: loaded.sources,
  };
}

function stuckDetail(job: JobRow): string {
  const since = job.sinceUpdateMs === null ? 'no readable update time' : `no update for ${formatDuration(job.sinceUpdateMs)}`;
  const parts = [
    `running, ${since} (updatedAt ${job.updatedAt ?? 'unknown'}). A suspicion, not a proof: is the orchestrator alive? has updatedAt moved?`,
  ];
  if (job.notConfiguredTasks) {
    parts.push(
      `It has ${job.notConfiguredTasks} not-configured task(s): such jobs end as 'running' although nothing runs.`,
    );
  }
  return parts.join(' ');
}

/** `jobs stuck`: running jobs with no update for `stuckHours` or more, longest silent first. */
export async function stuckJobs(stores: AtlasStores, now: Date, stuckHours: number, files?: JobFileReadOptions): Promise<StuckJobs> {
  const loaded = await loadJobs(stores, now, stuckHours, undefined, files);
  const stuck = loaded.rows
    .filter((r) => r.stuck)
    .sort((a, b) => (b.sinceUpdateMs ?? 0) - (a.sinceUpdateMs ?? 0))
    .map((job) => ({ job, hoursSinceUpdate: Math.floor((job.sinceUpdateMs ?? 0) / 360_000) / 10, detail: stuckDetail(job) }));
  return {
    stuck,
    stuckHours,
    running: loaded.rows.filter((r) => r.status === 'running').length,
    skipped: { count: loaded.skippedCount, files: loaded.skipped },
    sources: loaded.sources,
  };
}

/** True when neither source could be read, so "0 jobs" would be a guess. */
export function noJobSource(sources: JobSources): boolean {
  return !sources.table.ok && (!sources.files.ok || sources.files.folderMissing);
}

/** What was not read, in one clause, for an item's detail; empty when both sources were read. */
function sourceCaveat(sources: JobSources): string {
  const notes: string[] = [];
  if (!sources.table.ok && sources.table.problem) notes.push(sources.table.problem);
  if (!sources.files.ok && sources.files.problem) notes.push(sources.files.problem);
  if (sources.files.found > sources.files.read) notes.push(`only the newest ${sources.files.read} of ${sources.files.found} job files were read.`);
  if (sources.files.notReadWhy) notes.push(sources.files.notReadWhy);
  return notes.length > 0 ? ` (${notes.join(' ')})` : '';
}

/** Health: active jobs (running + pending) against the band, and stuck jobs (warn when any). */
export async function jobHealthItems(stores: AtlasStores, now: Date, thresholds: Thresholds, files?: JobFileReadOptions): Promise<CheckItem[]> {
  const loaded = await loadJobs(stores, now, thresholds.stuckJobHours, undefined, files);
  if (noJobSource(loaded.sources)) {
    const why = [loaded.sources.table.problem, loaded.sources.files.problem ?? 'no jobs/ folder'].filter(Boolean).join(' ');
    return [unknownItem('active_jobs', 'Active jobs', why, 'count'), unknownItem('stuck_jobs', 'Stuck jobs', why, 'count')];
  }
  const caveat = sourceCaveat(loaded.sources);
  const running = loaded.rows.filter((r) => r.status === 'running').length;
  const pending = loaded.rows.filter((r) => r.status === 'pending').length;
  const active = running + pending;
  const band = thresholds.activeJobs;
  const activeItem: CheckItem = {
    key: 'active_jobs',
    label: 'Active jobs',
    level: bandLevel(active, band, 'lower'),
    value: active,
    unit: 'count',
    ...bandText(band, 'lower', ''),
    detail: `${running} running, ${pending} pending${caveat}`,
  };
  const stuck = loaded.rows.filter((r) => r.stuck).sort((a, b) => (b.sinceUpdateMs ?? 0) - (a.sinceUpdateMs ?? 0));
  const listed = stuck
    .slice(0, 5)
    .map((r) => `${r.id} (${r.sinceUpdateMs === null ? '?' : formatDuration(r.sinceUpdateMs)})`)
    .join(', ');
  const more = stuck.length > 5 ? ` and ${stuck.length - 5} more` : '';
  const stuckItem: CheckItem = {
    key: 'stuck_jobs',
    label: 'Stuck jobs',
    level: stuck.length > 0 ? 'warn' : 'ok',
    value: stuck.length,
    unit: 'count',
    target: '0',
    alert: '≥ 1',
    detail:
      stuck.length > 0
        ? `running without an update for ${thresholds.stuckJobHours} h or more: ${listed}${more}; a suspicion: is the orchestrator alive? has updatedAt moved?${caveat}`
        : `none of ${running} running job(s) silent for ${thresholds.stuckJobHours} h or more${caveat}`,
  };
  return [activeItem, stuckItem];
}
