/**
 * Metric-window reads off the event loop. better-sqlite3 is synchronous: `errors --window 30d`
 * on a month of a service failing hard reads about two million rows, seconds during which no
 * other command could even be acknowledged. So every metric-window read (error triage, the
 * metric items of `health` and the watchdog, the `metrics` summary) runs in a long-lived worker
 * thread with its own read-only connection, one read per worker at a time, the rest queued.
 * Short windows go there too: what a window costs depends on how many rows it holds, not on its
 * length, and a round trip to an idle worker costs a tenth of a millisecond. The workers run
 * below the event loop's CPU priority (metrics-reader-worker.ts), so on a busy machine the
 * acknowledgements win and a long read takes what is left.
 *
 * Each read is bounded in time: it gets METRICS_READ_BOUND_MS from when it was asked, less
 * its wait in the queue, and reads its window day by day, newest first, stopping between days
 * once the bound has passed; the answer then covers the days read and says so. A worker that
 * dies is replaced and its read answered with an error, and one that does not answer long
 * after its bound is abandoned the same way: a read never hangs.
 */
import { performance } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import type { ChartData, ChartKind } from './chart-data.js';
import type { Thresholds } from '../config.js';
import { DbProblemError } from '../db/sqlite-problem.js';
import type { ErrorTriage } from './error-triage.js';
import type { MetricThresholds } from './metric-thresholds.js';
import { replySchema, type MetricsRead, type MetricsReadRequest, type MetricsReadResults } from './metrics-reads.js';
import { TREND_BUCKETS, type MetricsSummary } from './metrics-summary.js';
import { startWorker } from './worker-thread.js';

/** How long a metric-window read may take before it answers with what it has read. */
export const METRICS_READ_BOUND_MS = 20_000;

/**
 * Worker threads: two reads at once on these 2-core machines, the event loop on top. With one,
 * `errors --window 30d` waits behind `health --window 30d` (1.5 s on the bench data).
 */
export const METRICS_READERS = 2;

/** How long past its bound a worker may stay silent before it is given up for stuck. */
const STUCK_AFTER_BOUND_MS = 30_000;

/** The worker waits for a writer's lock as briefly as the main thread's reads (AtlasDatabase's default). */
const BUSY_TIMEOUT_MS = 200;

const WORKER_URL = new URL('./metrics-reader-worker.js', import.meta.url);

/** The file a read is about: the main thread's AtlasDatabase for metrics.db. */
export interface MetricsFile {
  readonly file: string;
  readonly label: string;
}

export interface MetricsReaderOptions {
  /** Worker threads at most (default METRICS_READERS). */
  size?: number;
  /** Time bound of each read in ms, counted from when it was asked (default METRICS_READ_BOUND_MS). */
  boundMs?: number;
  /** The worker script; tests pass one that misbehaves. A `.ts` script runs through tsx. */
  workerUrl?: URL;
  /** How long past its bound a silent worker is abandoned (default 30 s). */
  stuckAfterBoundMs?: number;
}

interface Job {
  id: number;
  metrics: MetricsFile;
  read: MetricsRead;
  queuedAt: number;
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
}

interface Reader {
  worker: Worker;
  job: Job | null;
  stuckTimer: NodeJS.Timeout | null;
}

export class MetricsReaderPool {
  private readonly size: number;
  private readonly boundMs: number;
  private readonly workerUrl: URL;
  private readonly stuckAfterBoundMs: number;
  private readonly readers: Reader[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private stopped = false;

  constructor(opts: MetricsReaderOptions = {}) {
    this.size = Math.max(1, Math.floor(opts.size ?? METRICS_READERS));
    this.boundMs = Math.max(0, opts.boundMs ?? METRICS_READ_BOUND_MS);
    this.workerUrl = opts.workerUrl ?? WORKER_URL;
    this.stuckAfterBoundMs = opts.stuckAfterBoundMs ?? STUCK_AFTER_BOUND_MS;
  }

  /** `errorTriage` over [now - windowMs, now), in a worker. */
  errorTriage(metrics: MetricsFile, now: Date, windowMs: number, top = 10): Promise<ErrorTriage> {
    return this.read(metrics, { kind: 'errors', nowMs: now.getTime(), windowMs, top });
  }

  /** `metricThresholds` (the metric items of health and the watchdog), in a worker. */
  thresholds(metrics: MetricsFile, now: Date, windowMs: number, thresholds: Thresholds): Promise<MetricThresholds> {
    return this.read(metrics, { kind: 'thresholds', nowMs: now.getTime(), windowMs, thresholds });
  }

  /** `metricsSummary`, in a worker. */
  summary(metrics: MetricsFile, now: Date, windowMs: number, buckets = TREND_BUCKETS): Promise<MetricsSummary> {
    return this.read(metrics, { kind: 'summary', nowMs: now.getTime(), windowMs, buckets });
  }

  /** The series of a chart (chart-series.ts), in a worker. */
  chart(metrics: MetricsFile, chart: ChartKind, now: Date, windowMs: number, thresholds: Thresholds): Promise<ChartData> {
    return this.read(metrics, { kind: 'chart', nowMs: now.getTime(), windowMs, chart, thresholds });
  }

  /** Reads in progress plus reads waiting for a worker. */
  pending(): number {
    return this.queue.length + this.readers.filter((r) => r.job !== null).length;
  }

  /** Stops every worker; reads in progress or waiting are answered with an error, later ones too. */
  async stop(): Promise<void> {
    this.stopped = true;
    const stopping = new Error('metric reads stopped: the bot is shutting down');
    for (const job of this.queue.splice(0)) job.reject(stopping);
    const readers = this.readers.splice(0);
    for (const r of readers) {
      if (r.stuckTimer) clearTimeout(r.stuckTimer);
      r.job?.reject(stopping);
      r.job = null;
    }
    await Promise.all(readers.map((r) => r.worker.terminate()));
  }

  private read<K extends MetricsRead['kind']>(metrics: MetricsFile, read: MetricsRead & { kind: K }): Promise<MetricsReadResults[K]> {
    if (this.stopped) return Promise.reject(new Error('metric reads stopped: the bot is shutting down'));
    return new Promise<MetricsReadResults[K]>((resolve, reject) => {
      this.queue.push({
        id: this.nextId++,
        metrics: { file: metrics.file, label: metrics.label },
        read,
        queuedAt: performance.now(),
        resolve: resolve as (result: unknown) => void,
        reject,
      });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let reader = this.readers.find((r) => r.job === null);
      if (!reader) {
        if (this.readers.length >= this.size) return;
        try {
          reader = this.spawn();
        } catch (err) {
          this.queue.shift()?.reject(new Error(`could not start the metrics reader: ${(err as Error).message}`));
          continue;
        }
      }
      this.assign(reader, this.queue.shift()!);
    }
  }

  private spawn(): Reader {
    const worker = startWorker(this.workerUrl);
    const reader: Reader = { worker, job: null, stuckTimer: null };
    worker.on('message', (message: unknown) => this.onReply(reader, message));
    worker.on('error', (err) => this.onDeath(reader, `crashed: ${err.message}`));
    worker.on('exit', (code) => this.onDeath(reader, `exited with code ${code}`));
    // An idle reader does not keep the process alive (the terminal exits after its answer).
    worker.unref();
    this.readers.push(reader);
    return reader;
  }

  private assign(reader: Reader, job: Job): void {
    const budgetMs = Math.max(0, this.boundMs - (performance.now() - job.queuedAt));
    const request: MetricsReadRequest = { id: job.id, ...job.metrics, busyTimeoutMs: BUSY_TIMEOUT_MS, budgetMs, read: job.read };
    reader.job = job;
    reader.worker.ref();
    try {
      reader.worker.postMessage(request);
    } catch (err) {
      this.finish(reader);
      job.reject(new Error(`could not ask the metrics reader: ${(err as Error).message}`));
      return;
    }
    reader.stuckTimer = setTimeout(() => this.abandon(reader), budgetMs + this.stuckAfterBoundMs);
    reader.stuckTimer.unref();
  }

  private onReply(reader: Reader, message: unknown): void {
    const job = reader.job;
    const reply = replySchema.safeParse(message);
    if (!job || !reply.success || reply.data.id !== job.id) return;
    this.finish(reader);
    const r = reply.data;
    if (r.kind === 'ok') job.resolve(r.result);
    else if (r.kind === 'problem') job.reject(new DbProblemError(r.problem));
    else job.reject(new Error(`reading ${job.metrics.label} failed: ${r.message}`));
    this.dispatch();
  }

  /** Back to idle: the worker waits, unreferenced, for the next read. */
  private finish(reader: Reader): void {
    if (reader.stuckTimer) clearTimeout(reader.stuckTimer);
    reader.stuckTimer = null;
    reader.job = null;
    reader.worker.unref();
  }

  private onDeath(reader: Reader, why: string): void {
    const i = this.readers.indexOf(reader);
    if (i === -1) return;
    this.readers.splice(i, 1);
    const job = reader.job;
    this.finish(reader);
    job?.reject(new Error(`the metrics reader ${why} before answering; the read was not done (a new reader takes the next one)`));
    this.dispatch();
  }

  /** A worker silent long past its bound is stuck: its read is answered, a new worker takes the next. */
  private abandon(reader: Reader): void {
    const i = this.readers.indexOf(reader);
    if (i === -1) return;
    this.readers.splice(i, 1);
    const job = reader.job;
    this.finish(reader);
    void reader.worker.terminate();
    job?.reject(new Error(`reading ${job.metrics.label} did not finish within ${Math.round((this.boundMs + this.stuckAfterBoundMs) / 1000)} s; the reader was restarted`));
    this.dispatch();
  }
}

let shared: MetricsReaderPool | null = null;

/** The process's metrics readers, started on first use. */
export function metricsReaders(): MetricsReaderPool {
  shared ??= new MetricsReaderPool();
  return shared;
}

/** Stops the process's metrics readers (graceful shutdown); the next read starts new ones. */
export async function stopMetricsReaders(): Promise<void> {
  const pool = shared;
  shared = null;
  await pool?.stop();
}
