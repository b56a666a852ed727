import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';

/** One recurring job: what it runs, when (a cron expression with a seconds field) and its time bound. */
export interface ScheduledJob {
  name: string;
  cron: string;
  /** A run still going after this long is logged and abandoned: the next tick runs anew. */
  boundMs: number;
  run: () => unknown;
}

/**
 * ok, failed (logged; the next tick tries again), skipped (the previous run is still going and
 * within its bound), abandoned (past its bound: logged, and no longer holding back later ticks).
 */
export type JobOutcome = 'ok' | 'failed' | 'skipped' | 'abandoned';

export interface Scheduler {
  /** Runs every job once, each guarded and bounded, one after another. */
  tick(): Promise<Record<string, JobOutcome>>;
  /** Stops the cron tasks and waits up to `graceMs` for runs in progress. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Keeps the bot's clock: each job on its own cron schedule, none waiting on another (delivery is
 * not a job here: it runs its own loop). A job never overlaps itself, and a run that outlives
 * its bound is abandoned, so one hung call cannot stop the clock.
 */
export function startScheduler(jobs: readonly ScheduledJob[], logger: Logger, opts: { runAtStart?: boolean } = {}): Scheduler {
  for (const job of jobs) {
    if (!cron.validate(job.cron)) throw new Error(`scheduler: "${job.cron}" is not a valid cron expression for ${job.name}`);
  }
  const running = new Map<string, Promise<unknown>>();
  let stopped = false;

  function run(job: ScheduledJob): Promise<JobOutcome> {
    if (stopped || running.has(job.name)) {
      if (!stopped) logger.debug({ job: job.name }, 'previous run still going; tick skipped');
      return Promise.resolve('skipped');
    }
    const started = Date.now();
    const work = Promise.resolve()
      .then(job.run)
      .then((): JobOutcome => 'ok')
      .catch((err: unknown): JobOutcome => {
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
    },
  };
}
