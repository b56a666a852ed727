// Takes, verifies and restores SQLite backups in a worker thread (see backup-runner.ts).
// Plain JavaScript on purpose: the same file runs from src/ under vitest and from dist/ after tsc.
import { closeSync, openSync, readSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * @typedef {{ op: 'backup', source: string, dest: string, busyTimeoutMs: number, stepPages: number, maxProblems: number }} BackupJob
 * @typedef {{ op: 'verify', file: string, busyTimeoutMs: number, maxProblems: number }} VerifyJob
 * @typedef {{ op: 'restore', backup: string, target: string, busyTimeoutMs: number, stepPages: number }} RestoreJob
 * @typedef {BackupJob | VerifyJob | RestoreJob} Job
 * @typedef {{ ok: boolean, problems: string[], counts: Record<string, number>, sha256: string, bytes: number, pageSize: number, pages: number, ms: number }} Verification
 */

/** @param {string} phase @param {number} done @param {number} total */
function progress(phase, done, total) {
  parentPort?.postMessage({ kind: 'progress', phase, done, total });
}

/** Row counts of every table, read in the connection's current transaction. @param {import('better-sqlite3').Database} db */
function rowCounts(db) {
  const tables = /** @type {{ name: string }[]} */ (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all()
  );
  /** @type {Record<string, number>} */
  const counts = {};
  for (const { name } of tables) {
    const row = /** @type {{ n: number }} */ (db.prepare(`SELECT COUNT(*) AS n FROM "${name.replaceAll('"', '""')}"`).get());
    counts[name] = row.n;
  }
  return counts;
}

/** sha256 of a file, read in 4 MB chunks (this thread may block: it blocks only itself). @param {string} file */
function sha256Of(file) {
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
  let bytes = 0;
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
      bytes += n;
    }
  } finally {
    closeSync(fd);
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * integrity_check, row counts and sha256 of a file nobody else writes (a backup).
 * @param {string} file @param {number} busyTimeoutMs @param {number} maxProblems
 * @returns {Verification}
 */
function verify(file, busyTimeoutMs, maxProblems) {
  const started = performance.now();
  progress('verify', 0, 1);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  let rows;
  let counts;
  let pageSize;
  let pages;
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    rows = /** @type {Record<string, unknown>[]} */ (db.pragma(`integrity_check(${maxProblems + 1})`)).map((r) => String(Object.values(r)[0] ?? ''));
    counts = rowCounts(db);
    pageSize = Number(db.pragma('page_size', { simple: true }));
    pages = Number(db.pragma('page_count', { simple: true }));
  } finally {
    db.close();
  }
  progress('hash', 0, 1);
  const ok = rows.length === 1 && rows[0] === 'ok';
  const { sha256, bytes } = sha256Of(file);
  return { ok, problems: ok ? [] : rows.slice(0, maxProblems), counts, sha256, bytes, pageSize, pages, ms: Math.round(performance.now() - started) };
}

/**
 * The online backup: one read transaction on the source is held for the whole copy, so every
 * step reads the same snapshot (a writer in another process neither restarts the copy nor
 * changes what it copies; in WAL mode the writer is not blocked) and the row counts read in it
 * are exactly the copy's.
 * @param {BackupJob} job
 */
async function backup(job) {
  const src = new Database(job.source, { readonly: true, fileMustExist: true });
  let counts;
  let copy;
  const started = performance.now();
  try {
    src.pragma(`busy_timeout = ${job.busyTimeoutMs}`);
    src.exec('BEGIN');
    // The first read starts the snapshot (and waits at most busy_timeout for a writer's lock).
    counts = rowCounts(src);
    const countedMs = Math.round(performance.now() - started);
    const copyStarted = performance.now();
    const result = await src.backup(job.dest, {
      progress: (p) => {
        progress('copy', p.totalPages - p.remainingPages, p.totalPages);
        return job.stepPages;
      },
    });
    copy = { pages: result.totalPages, countMs: countedMs, copyMs: Math.round(performance.now() - copyStarted) };
    src.exec('COMMIT');
  } finally {
    src.close();
  }
  if (!copy.pages) throw Object.assign(new Error('the backup copied no pages (the source was locked throughout)'), { code: 'SQLITE_BUSY' });
  // A copy of a WAL database is in WAL mode too: made a single self-contained file (no -wal or -shm beside it).
  const dest = new Database(job.dest, { fileMustExist: true });
  try {
    dest.pragma('journal_mode = DELETE');
  } finally {
    dest.close();
  }
  progress('copy', copy.pages, copy.pages);
  return { kind: 'backed-up', sourceCounts: counts, pages: copy.pages, countMs: copy.countMs, copyMs: copy.copyMs, verification: verify(job.dest, job.busyTimeoutMs, job.maxProblems) };
}

/**
 * Restores `backup` into `target` through the backup API (the target's own pager writes it,
 * WAL included; never a file copy over a live database). SQLite answers BUSY while another
 * connection holds the target's lock: retried for busyTimeoutMs without progress, then refused.
 * @param {RestoreJob} job
 */
async function restore(job) {
  const src = new Database(job.backup, { readonly: true, fileMustExist: true });
  const started = performance.now();
  try {
    const expected = Number(src.pragma('page_count', { simple: true }));
    const deadline = () => performance.now() + job.busyTimeoutMs;
    let giveUpAt = deadline();
    for (;;) {
      let lastRemaining = -1;
      const result = await src.backup(job.target, {
        progress: (p) => {
          if (p.remainingPages !== lastRemaining) {
            lastRemaining = p.remainingPages;
            giveUpAt = deadline();
            progress('restore', p.totalPages - p.remainingPages, p.totalPages);
          } else if (performance.now() > giveUpAt) {
            throw Object.assign(new Error('the target stayed locked by another connection'), { code: 'SQLITE_BUSY' });
          }
          return job.stepPages;
        },
      });
      // A lock met on the very first step ends the wrapper's loop with nothing copied: try again.
      if (result.totalPages > 0 || expected === 0) return { kind: 'restored', pages: result.totalPages, ms: Math.round(performance.now() - started) };
      if (performance.now() > giveUpAt) throw Object.assign(new Error('the target stayed locked by another connection'), { code: 'SQLITE_BUSY' });
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    src.close();
  }
}

/** @param {unknown} value @returns {value is Job} */
function isJob(value) {
  if (typeof value !== 'object' || value === null) return false;
  const job = /** @type {Record<string, unknown>} */ (value);
  const int = (/** @type {unknown} */ v) => Number.isInteger(v) && Number(v) >= 0;
  if (!int(job.busyTimeoutMs)) return false;
  if (job.op === 'backup') return typeof job.source === 'string' && typeof job.dest === 'string' && int(job.stepPages) && int(job.maxProblems);
  if (job.op === 'verify') return typeof job.file === 'string' && int(job.maxProblems);
  if (job.op === 'restore') return typeof job.backup === 'string' && typeof job.target === 'string' && int(job.stepPages);
  return false;
}

/** @param {Job} job */
async function run(job) {
  try {
    if (job.op === 'backup') return await backup(job);
    if (job.op === 'verify') return { kind: 'verified', verification: verify(job.file, job.busyTimeoutMs, job.maxProblems) };
    return await restore(job);
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    return { kind: 'error', code, message: err instanceof Error ? err.message : String(err) };
  }
}

if (!parentPort) throw new Error('backup-worker.js must run in a worker thread');
if (!isJob(workerData)) throw new Error('backup-worker.js: invalid workerData');
const port = parentPort;
void run(/** @type {Job} */ (workerData)).then((reply) => port.postMessage(reply));
