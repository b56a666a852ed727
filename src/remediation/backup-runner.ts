/**
 * Runs backup-worker.js: an online backup with verification, a verification alone, or a restore,
 * in a worker thread so the event loop keeps acknowledging Slack while SQLite copies and checks
 * every page. Progress arrives as messages; the worker is bounded in time and its reply checked.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';

const WORKER_URL = new URL('./backup-worker.js', import.meta.url);

export type BackupPhase = 'copy' | 'verify' | 'hash' | 'restore';
export interface BackupProgress {
  phase: BackupPhase;
  done: number;
  total: number;
}

const verification = z.object({
  ok: z.boolean(),
  problems: z.array(z.string()),
  counts: z.record(z.string(), z.number()),
  sha256: z.string(),
  bytes: z.number(),
  pageSize: z.number(),
  pages: z.number(),
  ms: z.number(),
});
export type Verification = z.infer<typeof verification>;

const reply = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('progress'), phase: z.enum(['copy', 'verify', 'hash', 'restore']), done: z.number(), total: z.number() }),
  z.object({
    kind: z.literal('backed-up'),
    sourceCounts: z.record(z.string(), z.number()),
    pages: z.number(),
    countMs: z.number(),
    copyMs: z.number(),
    verification,
  }),
  z.object({ kind: z.literal('verified'), verification }),
  z.object({ kind: z.literal('restored'), pages: z.number(), ms: z.number() }),
  z.object({ kind: z.literal('error'), code: z.string(), message: z.string() }),
]);
type Reply = Exclude<z.infer<typeof reply>, { kind: 'progress' }>;

/** The copy as the backup saw it: row counts in its snapshot, and the copy's own verification. */
export type BackedUp = Extract<Reply, { kind: 'backed-up' }>;
export type WorkerFailure = Extract<Reply, { kind: 'error' }>;

export interface RunOptions {
  onProgress?: (p: BackupProgress) => void;
  /** How long a lock held by the service's writer is waited for (the worker's thread only). */
  busyTimeoutMs?: number;
  /** Pages per backup step: one progress message each. */
  stepPages?: number;
  /** The worker is stopped after this long. */
  maxMs?: number;
  /** Tests pass a misbehaving worker. */
  workerUrl?: URL;
}

const DEFAULTS = { busyTimeoutMs: 5000, stepPages: 4096, maxMs: 60 * 60_000 };

/**
 * A process started with `node --input-type=module -e …` hands that flag to its workers, which
 * load a file and would refuse it: then the worker gets the process's flags without it. Otherwise
 * the worker inherits them as they are: an explicit execArgv is checked more strictly than an
 * inherited one, and refuses V8's flags (`node --expose-gc`, as `npm run bench` runs).
 */
function workerExecArgv(): { execArgv?: string[] } {
  if (!process.execArgv.some((a) => a.startsWith('--input-type'))) return {};
  return { execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type') && !/^--expose[-_]gc$/.test(a)) };
}
const live = new Set<Worker>();

function runWorker(job: Record<string, unknown>, opts: RunOptions, what: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    let worker: Worker;
    try {
      worker = new Worker(opts.workerUrl ?? WORKER_URL, { workerData: job, ...workerExecArgv() });
    } catch (err) {
      reject(new Error(`could not start the ${what}: ${(err as Error).message}`));
      return;
    }
    live.add(worker);
    const maxMs = opts.maxMs ?? DEFAULTS.maxMs;
    const timer = setTimeout(() => {
      settle(() => reject(new Error(`the ${what} took longer than ${Math.round(maxMs / 1000)} s and was stopped`)));
      void worker.terminate();
    }, maxMs);
    worker.on('message', (message: unknown) => {
      const parsed = reply.safeParse(message);
      if (!parsed.success) {
        settle(() => reject(new Error(`the ${what}: the worker sent an unexpected reply`)));
        void worker.terminate();
        return;
      }
      const m = parsed.data;
      if (m.kind === 'progress') {
        opts.onProgress?.({ phase: m.phase, done: m.done, total: m.total });
        return;
      }
      settle(() => resolve(m));
    });
    worker.once('error', (err) => settle(() => reject(new Error(`the ${what} crashed: ${err.message}`))));
    worker.once('exit', (code) => {
      live.delete(worker);
      settle(() => reject(new Error(`the ${what} stopped (worker exit code ${code}) before answering`)));
    });
  });
}

/** Stops every running backup worker (graceful shutdown); their promises reject. */
export async function stopBackupWorkers(): Promise<void> {
  await Promise.all([...live].map((w) => w.terminate()));
}

/** An online backup of `source` into `dest` (a new file), then integrity_check, row counts and sha256 of `dest`. */
export async function backupInWorker(source: string, dest: string, opts: RunOptions = {}): Promise<BackedUp | WorkerFailure> {
  const job = {
    op: 'backup',
    source,
    dest,
    busyTimeoutMs: Math.floor(opts.busyTimeoutMs ?? DEFAULTS.busyTimeoutMs),
    stepPages: Math.floor(opts.stepPages ?? DEFAULTS.stepPages),
    maxProblems: 20,
  };
  const r = await runWorker(job, opts, `backup of ${source}`);
  if (r.kind === 'backed-up' || r.kind === 'error') return r;
  throw new Error(`backup of ${source}: the worker answered ${r.kind}`);
}

/** integrity_check, row counts and sha256 of a backup file. */
export async function verifyInWorker(file: string, opts: RunOptions = {}): Promise<Verification | WorkerFailure> {
  const r = await runWorker({ op: 'verify', file, busyTimeoutMs: Math.floor(opts.busyTimeoutMs ?? DEFAULTS.busyTimeoutMs), maxProblems: 20 }, opts, `verification of ${file}`);
  if (r.kind === 'verified') return r.verification;
  if (r.kind === 'error') return r;
  throw new Error(`verification of ${file}: the worker answered ${r.kind}`);
}

/** Writes `backup` into `target` through the backup API. */
export async function restoreInWorker(backup: string, target: string, opts: RunOptions = {}): Promise<{ pages: number; ms: number } | WorkerFailure> {
  const started = performance.now();
  const job = {
    op: 'restore',
    backup,
    target,
    busyTimeoutMs: Math.floor(opts.busyTimeoutMs ?? DEFAULTS.busyTimeoutMs),
    stepPages: Math.floor(opts.stepPages ?? DEFAULTS.stepPages),
  };
  const r = await runWorker(job, opts, `restore of ${target}`);
  if (r.kind === 'restored') return { pages: r.pages, ms: Math.round(performance.now() - started) };
  if (r.kind === 'error') return r;
  throw new Error(`restore of ${target}: the worker answered ${r.kind}`);
}
