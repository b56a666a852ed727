/**
 * Draws charts off the event loop: Vega and resvg take a few hundred milliseconds of CPU per
 * chart, during which no Slack request could be acknowledged. One long-lived worker thread draws
 * them one at a time (the rest wait their turn); each drawing is bounded in time, and a worker
 * that crashes or overruns is replaced. A failure is a sentence for the caller, never a crash.
 */
import type { Worker } from 'node:worker_threads';
import type { TopLevelSpec } from 'vega-lite';
import { startWorker } from '../checks/worker-thread.js';
import type { RenderedChart } from './chart-render.js';

/** How long one drawing may take, from when it was asked (waiting included). */
export const CHART_RENDER_BOUND_MS = 30_000;

const WORKER_URL = new URL('./chart-render-worker.js', import.meta.url);

export type RenderOutcome = ({ ok: true } & RenderedChart) | { ok: false; reason: string };

interface Job {
  id: number;
  spec: TopLevelSpec;
  resolve: (outcome: RenderOutcome) => void;
  timer: NodeJS.Timeout;
}

type Reply = { id: number; kind: 'ok'; png: Uint8Array; width: number; height: number } | { id: number; kind: 'error'; message: string };

export class ChartRenderer {
  private worker: Worker | null = null;
  private readonly queue: Job[] = [];
  private current: Job | null = null;
  private nextId = 1;

  constructor(private readonly opts: { boundMs?: number; workerUrl?: URL } = {}) {}

  /** The PNG of `spec`, or why there is none. Never rejects. */
  render(spec: TopLevelSpec): Promise<RenderOutcome> {
    const boundMs = this.opts.boundMs ?? CHART_RENDER_BOUND_MS;
    return new Promise<RenderOutcome>((resolve) => {
      const job: Job = {
        id: this.nextId++,
        spec,
        resolve,
        timer: setTimeout(() => this.timedOut(job, boundMs), boundMs),
      };
      job.timer.unref();
      this.queue.push(job);
      this.dispatch();
    });
  }

  async stop(): Promise<void> {
    for (const job of this.queue.splice(0)) this.settle(job, { ok: false, reason: 'the bot is shutting down; the chart was not drawn' });
    if (this.current) this.settle(this.current, { ok: false, reason: 'the bot is shutting down; the chart was not drawn' });
    const w = this.worker;
    this.worker = null;
    await w?.terminate();
  }

  private settle(job: Job, outcome: RenderOutcome): void {
    clearTimeout(job.timer);
    if (this.current === job) this.current = null;
    const i = this.queue.indexOf(job);
    if (i !== -1) this.queue.splice(i, 1);
    job.resolve(outcome);
  }

  private dispatch(): void {
    if (this.current || this.queue.length === 0) return;
    let worker: Worker;
    try {
      worker = this.worker ?? this.spawn();
    } catch (err) {
      this.settle(this.queue[0]!, { ok: false, reason: `the chart renderer could not start (${(err as Error).message})` });
      this.dispatch();
      return;
    }
    const job = this.queue.shift()!;
    this.current = job;
    worker.ref();
    worker.postMessage({ id: job.id, spec: job.spec });
  }

  private spawn(): Worker {
    const worker = startWorker(this.opts.workerUrl ?? WORKER_URL);
    worker.on('message', (reply: Reply) => {
      const job = this.current;
      if (!job || reply.id !== job.id) return;
      worker.unref();
      if (reply.kind === 'ok') this.settle(job, { ok: true, png: Buffer.from(reply.png.buffer, reply.png.byteOffset, reply.png.byteLength), width: reply.width, height: reply.height });
      else this.settle(job, { ok: false, reason: `the chart could not be drawn (${reply.message.slice(0, 200)})` });
      this.dispatch();
    });
    const died = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = null;
      if (this.current) this.settle(this.current, { ok: false, reason: `the chart renderer ${why}; the chart was not drawn` });
      this.dispatch();
    };
    worker.on('error', (err) => died(`crashed (${err.message})`));
    worker.on('exit', (code) => died(`stopped (exit code ${code})`));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private timedOut(job: Job, boundMs: number): void {
    const reason = `the chart was not drawn within ${Math.round(boundMs / 1000)} s`;
    if (this.current === job) {
      // A drawing that overran: the worker goes, a new one takes the next.
      const w = this.worker;
      this.worker = null;
      this.settle(job, { ok: false, reason });
      void w?.terminate();
      this.dispatch();
    } else this.settle(job, { ok: false, reason });
  }
}

let shared: ChartRenderer | null = null;

/** The process's chart renderer, started on first use. */
export function chartRenderer(): ChartRenderer {
  shared ??= new ChartRenderer();
  return shared;
}

export async function stopChartRenderer(): Promise<void> {
  const r = shared;
  shared = null;
  await r?.stop();
}
