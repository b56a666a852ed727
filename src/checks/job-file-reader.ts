/**
 * Job files read and parsed off the event loop. `jobs`, `health` and the handoff each read up
 * to hundreds of the orchestrator's jobs/*.json; parsing 150 files of 7.9 MB on the main thread
 * took 2.8 GB and held up acknowledgements for seconds. Here one long-lived worker thread reads
 * the files of one question at a time, one file at a time, and sends back only each job's
 * summary; questions wait their turn, so three `health` beside a `jobs` never parse at once.
 *
 * Each question is bounded in time: files not answered within JOB_FILES_READ_BOUND_MS are
 * reported as not read (the worker is replaced), and stopping the bot ends the read in progress
 * at once, with what was read so far.
 */
import type { Worker } from 'node:worker_threads';
import type { JobFileSummary } from '../db/job-file.js';
import type { JobFileOutcome, JobFileRequest, JobFilesDone } from './job-file-messages.js';
import { startWorker } from './worker-thread.js';

/** How long one question's files may take to read. */
export const JOB_FILES_READ_BOUND_MS = 20_000;

const WORKER_URL = new URL('./job-file-worker.js', import.meta.url);

export type JobFileResult = { kind: 'job'; summary: JobFileSummary } | { kind: 'skipped'; reason: string } | { kind: 'gone' };

export interface JobFilesRead {
  /** By file name, for the files answered. */
  results: Map<string, JobFileResult>;
  /** Why the files not in `results` were not read; null when every file was answered. */
  unfinished: string | null;
}

export interface JobFileReaderOptions {
  /** The worker script; tests pass one that misbehaves. A `.ts` script runs through tsx. */
  workerUrl?: URL;
  boundMs?: number;
}

interface Question {
  id: number;
  files: { path: string; name: string }[];
  results: Map<string, JobFileResult>;
  resolve: (read: JobFilesRead) => void;
}

export class JobFileReader {
  private readonly workerUrl: URL;
  private readonly boundMs: number;
  private worker: Worker | null = null;
  private current: Question | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly queue: Question[] = [];
  private nextId = 1;
  private stopped = false;

  constructor(opts: JobFileReaderOptions = {}) {
    this.workerUrl = opts.workerUrl ?? WORKER_URL;
    this.boundMs = opts.boundMs ?? JOB_FILES_READ_BOUND_MS;
  }

  /** Reads and parses `files` (newest first) in the worker; never rejects. */
  read(files: { path: string; name: string }[]): Promise<JobFilesRead> {
    if (files.length === 0) return Promise.resolve({ results: new Map(), unfinished: null });
    if (this.stopped) return Promise.resolve({ results: new Map(), unfinished: 'not read: the bot is shutting down' });
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, files, results: new Map(), resolve });
      this.dispatch();
    });
  }

  /** Questions being read plus those waiting. */
  pending(): number {
    return this.queue.length + (this.current ? 1 : 0);
  }

  /** Ends the read in progress and those waiting (answered with what was read), and the worker. */
  async stop(): Promise<void> {
    this.stopped = true;
    const worker = this.worker;
    this.worker = null;
    this.settle('not read: the bot is shutting down');
    for (const q of this.queue.splice(0)) q.resolve({ results: q.results, unfinished: 'not read: the bot is shutting down' });
    await worker?.terminate();
  }

  private dispatch(): void {
    if (this.current || this.stopped) return;
    const next = this.queue.shift();
    if (!next) return;
    let worker: Worker;
    try {
      worker = this.worker ?? this.spawn();
    } catch (err) {
      next.resolve({ results: next.results, unfinished: `not read: the job file reader could not start (${(err as Error).message})` });
      this.dispatch();
      return;
    }
    this.current = next;
    worker.ref();
    this.timer = setTimeout(() => this.giveUp(), this.boundMs);
    this.timer.unref();
    worker.postMessage({ id: next.id, files: next.files } satisfies JobFileRequest);
  }

  private spawn(): Worker {
    const worker = startWorker(this.workerUrl);
    worker.on('message', (message: JobFileOutcome | JobFilesDone) => this.onMessage(worker, message));
    worker.on('error', (err) => this.onDeath(worker, `the job file reader crashed (${err.message})`));
    worker.on('exit', () => this.onDeath(worker, 'the job file reader stopped'));
    // An idle reader does not keep the process alive (the terminal exits after its answer).
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private onMessage(worker: Worker, message: JobFileOutcome | JobFilesDone): void {
    const q = this.current;
    if (worker !== this.worker || !q || message.id !== q.id) return;
    if ('done' in message) this.settle(null);
    else q.results.set(message.name, message.outcome);
  }

  /** Answers the question in progress; the worker waits, unreferenced, for the next. */
  private settle(unfinished: string | null): void {
    const q = this.current;
    this.current = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.worker?.unref();
    q?.resolve({ results: q.results, unfinished: unfinished !== null && q.results.size < q.files.length ? unfinished : null });
    this.dispatch();
  }

  private onDeath(worker: Worker, why: string): void {
    if (worker !== this.worker) return;
    this.worker = null;
    this.settle(`not read: ${why}`);
  }

  /** Too slow: what was read is answered, the rest reported, and a new worker takes the next question. */
  private giveUp(): void {
    const worker = this.worker;
    this.worker = null;
    this.settle(`not read: reading job files took longer than ${Math.round(this.boundMs / 1000)} s`);
    void worker?.terminate();
  }
}

let shared: JobFileReader | null = null;

/** The process's job file reader, started on first use. */
export function jobFileReader(): JobFileReader {
  shared ??= new JobFileReader();
  return shared;
}

/** Stops the process's job file reader (graceful shutdown); the next read starts a new one. */
export async function stopJobFileReaders(): Promise<void> {
  const reader = shared;
  shared = null;
  await reader?.stop();
}
