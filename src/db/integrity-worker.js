// Runs PRAGMA integrity_check / quick_check in a worker thread (see integrity-check.ts).
// Plain JavaScript on purpose: the same file runs from src/ under vitest and from dist/ after tsc.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * @typedef {{ file: string, mode: 'full' | 'quick', maxRows: number, busyTimeoutMs: number }} IntegrityJob
 * @typedef {{ kind: 'rows', rows: string[] } | { kind: 'error', code: string, message: string }} IntegrityReply
 */

/** @param {unknown} value */
function isJob(value) {
  if (typeof value !== 'object' || value === null) return false;
  const job = /** @type {Record<string, unknown>} */ (value);
  return (
    typeof job.file === 'string' &&
    (job.mode === 'full' || job.mode === 'quick') &&
    Number.isInteger(job.maxRows) &&
    Number(job.maxRows) > 0 &&
    Number.isInteger(job.busyTimeoutMs) &&
    Number(job.busyTimeoutMs) >= 0
  );
}

/**
 * @param {IntegrityJob} job
 * @returns {IntegrityReply}
 */
function runCheck(job) {
  /** @type {import('better-sqlite3').Database | null} */
  let db = null;
  try {
    // Read-only and never creating the file: the bot must not touch the service's data.
    db = new Database(job.file, { readonly: true, fileMustExist: true });
    // Waiting for a writer is fine here: this thread blocks nobody but itself.
    db.pragma(`busy_timeout = ${job.busyTimeoutMs}`);
    const pragma = job.mode === 'full' ? 'integrity_check' : 'quick_check';
    // maxRows is a validated positive integer, so it is safe to place in the pragma text.
    const rows = /** @type {Record<string, unknown>[]} */ (db.pragma(`${pragma}(${job.maxRows})`));
    return { kind: 'rows', rows: rows.map((row) => String(Object.values(row)[0] ?? '')) };
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    const message = err instanceof Error ? err.message : String(err);
    return { kind: 'error', code, message };
  } finally {
    try {
      db?.close();
    } catch {
      // Closing a connection to a broken file can fail too; the answer is already decided.
    }
  }
}

if (!parentPort) throw new Error('integrity-worker.js must run in a worker thread');
if (!isJob(workerData)) throw new Error('integrity-worker.js: invalid workerData');
parentPort.postMessage(runCheck(/** @type {IntegrityJob} */ (workerData)));
