import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { classifySqliteError, type DbProblem } from './sqlite-problem.js';

/** `full` = PRAGMA integrity_check (31 s on 785 MB), `quick` = PRAGMA quick_check (1 s). */
export type IntegrityMode = 'full' | 'quick';

export interface IntegrityResult {
  file: string;
  /** Short name for messages: "persistence.db". */
  label: string;
  mode: IntegrityMode;
  /** True only when SQLite answered exactly "ok". */
  ok: boolean;
  /** The first problem lines SQLite reported (at most maxErrors). */
  problems: string[];
  /** SQLite had more problems to report than `problems` holds. */
  truncated: boolean;
  durationMs: number;
  /** Set when the check could not run: missing file, not a database, locked, unreadable. */
  problem: DbProblem | null;
}

export interface IntegrityOptions {
  /** The worker script; tests pass a misbehaving one to prove crashes are contained. */
  workerUrl?: URL;
  /** How long the worker waits for a writer's lock. It blocks only its own thread. */
  busyTimeoutMs?: number;
}

const WORKER_URL = new URL('./integrity-worker.js', import.meta.url);

const workerReply = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rows'), rows: z.array(z.string()) }),
  z.object({ kind: z.literal('error'), code: z.string(), message: z.string() }),
]);

/** Checks in flight, by file and mode: a second request joins the first instead of starting a worker. */
const inFlight = new Map<string, Promise<IntegrityResult>>();
const liveWorkers = new Set<Worker>();
/** The worker of each check in flight, by the same key. */
const workerOf = new Map<string, Worker>();

function checkKey(file: string, mode: IntegrityMode, maxErrors: number, workerUrl: URL): string {
  return [path.resolve(file), mode, maxErrors, workerUrl.href].join('\0');
}

/**
 * Runs PRAGMA integrity_check (full) or quick_check (quick) on `file` in a worker thread, so the
 * event loop keeps acknowledging Slack while SQLite reads every page. Resolves with the verdict or
 * with a classified problem; rejects only when the worker itself dies.
 */
export function runIntegrityCheck(
  file: string,
  mode: IntegrityMode,
  maxErrors = 20,
  options: IntegrityOptions = {},
): Promise<IntegrityResult> {
  if (!Number.isInteger(maxErrors) || maxErrors < 1 || maxErrors > 1000) {
    throw new RangeError(`maxErrors must be a whole number from 1 to 1000 (got ${maxErrors})`);
  }
  const resolved = path.resolve(file);
  const workerUrl = options.workerUrl ?? WORKER_URL;
  const key = checkKey(resolved, mode, maxErrors, workerUrl);
  const running = inFlight.get(key);
  if (running) return running;
  const promise = checkInWorker(resolved, mode, maxErrors, workerUrl, options.busyTimeoutMs ?? 5000, key).finally(() => {
    inFlight.delete(key);
  });
  inFlight.set(key, promise);
  return promise;
}

/**
 * Stops the check of `file` in `mode` (default error count and worker) if one is running; its
 * promise rejects. For a check started ahead of need that turned out not to be needed.
 */
export async function stopIntegrityCheck(file: string, mode: IntegrityMode): Promise<void> {
  await workerOf.get(checkKey(file, mode, 20, WORKER_URL))?.terminate();
}

/** Stops every running check (graceful shutdown); their promises reject. */
export async function stopIntegrityChecks(): Promise<void> {
  await Promise.all([...liveWorkers].map((w) => w.terminate()));
}

async function checkInWorker(
  file: string,
  mode: IntegrityMode,
  maxErrors: number,
  workerUrl: URL,
  busyTimeoutMs: number,
  key: string,
): Promise<IntegrityResult> {
  const label = path.basename(file);
  const base = { file, label, mode };
  if (!existsSync(file)) {
    return {
      ...base,
      ok: false,
      problems: [],
      truncated: false,
      durationMs: 0,
      problem: { kind: 'missing', message: `${label} not found at ${file}; check ATLAS_DATA_DIR.` },
    };
  }
  const started = performance.now();
  // One row more than asked, so we can tell "exactly 20 problems" from "20 and more".
  const reply = await runWorker(workerUrl, { file, mode, maxRows: maxErrors + 1, busyTimeoutMs: Math.floor(busyTimeoutMs) }, label, key);
  const durationMs = Math.round(performance.now() - started);
  if (reply.kind === 'error') {
    const err = Object.assign(new Error(reply.message), { code: reply.code });
    const problem = classifySqliteError(err, label) ?? {
      kind: 'unreadable' as const,
      message: `${label} could not be checked: ${reply.message.slice(0, 200)}`,
      detail: reply.message,
    };
    return { ...base, ok: false, problems: [], truncated: false, durationMs, problem };
  }
  const ok = reply.rows.length === 1 && reply.rows[0] === 'ok';
  const lines = ok ? [] : problemLines(reply.rows);
  return {
    ...base,
    ok,
    problems: lines.slice(0, maxErrors),
    truncated: lines.length > maxErrors,
    durationMs,
    problem: null,
  };
}

/**
 * SQLite may pack several problems into one row, one per line, under a "*** in database main ***"
 * header; a person wants one problem per line.
 */
function problemLines(rows: readonly string[]): string[] {
  return rows
    .flatMap((row) => row.split('\n'))
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^\*\*\* in database \S+ \*\*\*$/.test(line));
}

function runWorker(workerUrl: URL, workerData: unknown, label: string, key: string): Promise<z.infer<typeof workerReply>> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    let worker: Worker;
    try {
      worker = new Worker(workerUrl, { workerData });
    } catch (err) {
      reject(new Error(`could not start the integrity check of ${label}: ${(err as Error).message}`));
      return;
    }
    liveWorkers.add(worker);
    workerOf.set(key, worker);
    worker.once('message', (message: unknown) => {
      const parsed = workerReply.safeParse(message);
      settle(() =>
        parsed.success
          ? resolve(parsed.data)
          : reject(new Error(`integrity check of ${label}: the worker sent an unexpected reply`)),
      );
    });
    worker.once('error', (err) => {
      settle(() => reject(new Error(`integrity check of ${label} crashed: ${err.message}`)));
    });
    worker.once('exit', (code) => {
      liveWorkers.delete(worker);
      if (workerOf.get(key) === worker) workerOf.delete(key);
      settle(() => reject(new Error(`integrity check of ${label} stopped (worker exit code ${code}) before answering`)));
    });
  });
}
