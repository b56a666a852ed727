import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { currentFence, LeaseLostError } from './db/state/fence-context.js';
import type { LeaseStore } from './db/state/lease-store.js';

/** One recurring job: what it runs, when (a cron expression with a seconds field) and its time bound. */
export interface ScheduledJob {
  name: string;
  cron: string;
  /** A run still going after this long is logged and abandoned: the next tick runs anew. */
  boundMs: number;
  run: () => unknown;
  /** Runs on every replica (its own presence), not under the job's lease. */
  everyReplica?: boolean;
  /** Reads the Shadow Atlas data: only a replica that reaches it runs it. */
  needsData?: boolean;
}

/**
 * Replicas sharing one state run each job on one of them at a time: a run takes the lease
 * `job:<name>` first (kept by its holder while it renews it at every tick) and runs under it, so
 * its writes are fenced (fence-context.ts).
 */
export interface JobLeases {
  leases: LeaseStore;
  /** This replica, as the lease rows name it. */
  holder: string;
  clock: Clock;
  /** Whether this replica reaches the Shadow Atlas data now. */
  reachesData: () => boolean;
}

/** How long a run's lease lasts: past its bound, and past the next tick of a job that ticks often. */
export function leaseMsOf(job: Pick<ScheduledJob, 'boundMs'>): number {
  return Math.max(2 * job.boundMs, 20_000);
}

/**
 * ok, failed (logged; the next tick tries again), skipped (the previous run is still going and
 * within its bound), abandoned (past its bound: logged, and no longer holding back later ticks),
 * elsewhere (another replica holds its lease, or this one does not reach the data it reads),
 * lost (its lease was taken over mid-run: what it had not written yet, it did not write).
 */
export type JobOutcome = 'ok' | 'failed' | 'skipped' | 'abandoned' | 'elsewhere' | 'lost';

export interface Scheduler {
  /** Runs every job once, each guarded and bounded, one after another. */
  tick(): Promise<Record<string, JobOutcome>>;
  /** Stops the cron tasks, waits up to `graceMs` for runs in progress, and lets its leases go. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Keeps the bot's clock: each job on its own cron schedule, none waiting on another (delivery is
 * not a job here: it runs its own loop). A job never overlaps itself, and a run that outlives
 * its bound is abandoned, so one hung call cannot stop the clock.
 */
export function startScheduler(jobs: readonly ScheduledJob[], logger: Logger, opts: { runAtStart?: boolean; leases?: JobLeases } = {}): Scheduler {
  for (const job of jobs) {
    if (!cron.validate(job.cron)) throw new Error(`scheduler: "${job.cron}" is not a valid cron expression for ${job.name}`);
  }
  const running = new Map<string, Promise<unknown>>();
  let stopped = false;
  const shared = opts.leases;

  /** Runs the job here, under its lease when replicas share the state; 'elsewhere' when it is not this one's to run. */
  async function runHere(job: ScheduledJob): Promise<JobOutcome> {
    if (!shared || job.everyReplica) {
      await job.run();
      return 'ok';
    }
    if (job.needsData && !shared.reachesData()) return 'elsewhere';
    const fence = await shared.leases.acquire(`job:${job.name}`, shared.holder, shared.clock(), leaseMsOf(job));
    if (!fence) return 'elsewhere';
    await currentFence.run({ ...fence, now: shared.clock }, async () => await job.run());
    return 'ok';
  }

  function run(job: ScheduledJob): Promise<JobOutcome> {
    if (stopped || running.has(job.name)) {
      if (!stopped) logger.debug({ job: job.name }, 'previous run still going; tick skipped');
      return Promise.resolve('skipped');
    }
    const started = Date.now();
    const work = Promise.resolve()
      .then(async () => await runHere(job))
      .catch((err: unknown): JobOutcome => {
        if (err instanceof LeaseLostError) {
          logger.warn({ job: job.name, token: err.fence.token }, 'lease taken over by another replica mid-run; this run stopped writing');
          return 'lost';
        }
        logger.error({ err, job: job.name, ms: Date.now() - started }, 'scheduled job failed; the next tick tries again');
        return 'failed';
      })
      .finally(() => {
        if (running.get(job.name) === work) running.delete(job.name);
      });
    running.set(job.name, work);
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<JobOutcome>((resolve) => {
      timer = setTimeout(() => resolve('abandoned'), job.boundMs);
      timer.unref();
    });
    return Promise.race([work, bound]).then((outcome) => {
      clearTimeout(timer);
      if (outcome === 'abandoned' && running.get(job.name) === work) {
        running.delete(job.name);
        logger.error({ job: job.name, boundMs: job.boundMs }, 'scheduled job outlived its time bound; abandoned, the next tick runs anew');
      }
      return outcome;
    });
  }

  const cronLogger = {
    info: (message: string) => logger.debug({ component: 'node-cron' }, message),
    warn: (message: string) => logger.warn({ component: 'node-cron' }, message),
    error: (message: string | Error, err?: Error) => logger.error({ component: 'node-cron', err: err ?? message }, 'node-cron error'),
    debug: (message: string | Error) => logger.debug({ component: 'node-cron' }, String(message)),
  };

  const tasks: ScheduledTask[] = jobs.map((job) =>
    // Our own guard handles overlap; the missed-tick warning would only repeat what the log says.
    cron.schedule(job.cron, () => void run(job), { name: `atlas-${job.name}`, logger: cronLogger, suppressMissedWarning: true }),
  );

  async function tick(): Promise<Record<string, JobOutcome>> {
    const out: Record<string, JobOutcome> = {};
    for (const job of jobs) out[job.name] = await run(job);
    return out;
  }

  if (opts.runAtStart !== false) void tick();

  return {
    tick,
    async stop(graceMs = 5000) {
      stopped = true;
      await Promise.all(tasks.map((t) => t.destroy()));
      const pending = [...running.values()];
      await Promise.race([Promise.allSettled(pending), new Promise((r) => setTimeout(r, graceMs).unref())]);
      // Another replica takes the jobs at its next tick instead of when the leases expire.
      if (shared) {
        for (const job of jobs) {
          if (!job.everyReplica) await shared.leases.release(`job:${job.name}`, shared.holder, shared.clock()).catch((err: unknown) => logger.warn({ err, job: job.name }, 'lease not released; it expires on its own'));
        }
      }
    },
  };
}
