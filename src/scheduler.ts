import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { sweepTimers, type TimerDeps } from './incidents/timer-sweeper.js';
import type { Outbox } from './slack/outbox.js';

/** The jobs besides the clock's sweep: the metrics.db alert poll and the threshold watchdog. */
export interface SchedulerJobs {
  pollAlerts?: () => unknown;
  watchdog?: () => Promise<unknown>;
}

export type JobName = 'timers' | 'alerts' | 'watchdog';

/** Cron expressions with a seconds field. */
export const DEFAULT_SCHEDULE: Readonly<Record<JobName, string>> = {
  timers: '*/15 * * * * *',
  alerts: '*/30 * * * * *',
  watchdog: '0 * * * * *',
};

export interface SchedulerOptions {
  /** Overrides of the cron expressions (validated at start). */
  schedule?: Partial<Record<JobName, string>>;
  /** Runs every job once right away (default): timers that came due while the bot was down fire now. */
  runAtStart?: boolean;
}

export type SchedulerDeps = TimerDeps & { outbox: Pick<Outbox, 'flush'>; logger: Logger };

/** What one run of a job did: skipped while the previous run was still going, ok, or failed (logged). */
export type JobOutcome = 'ok' | 'skipped' | 'failed' | 'absent';

export interface Scheduler {
  /** Runs every job once (alert poll, watchdog, timer sweep, then delivery), each guarded. */
  tick(): Promise<Record<JobName, JobOutcome>>;
  /** Stops the cron tasks and waits for runs in progress, so the databases can be closed after it. */
  stop(): Promise<void>;
}

/**
 * Keeps the bot's clock: every 15 s the timers are swept and the outbox flushed, every 30 s the
 * metrics.db alerts are polled, every minute the watchdog evaluates the thresholds. A job never
 * overlaps itself (a tick is skipped while the previous run is still going) and never throws:
 * errors are logged and the next tick tries again.
 */
export function startScheduler(deps: SchedulerDeps, jobs: SchedulerJobs = {}, opts: SchedulerOptions = {}): Scheduler {
  const { logger } = deps;
  const schedule = { ...DEFAULT_SCHEDULE, ...opts.schedule };
  for (const [name, expression] of Object.entries(schedule)) {
    if (!cron.validate(expression)) throw new Error(`scheduler: "${expression}" is not a valid cron expression for ${name}`);
  }
  const running = new Map<JobName, Promise<JobOutcome>>();
  let stopped = false;

  const flush = async () => {
    const r = await deps.outbox.flush();
    if (r.sent + r.failed + r.retrying > 0) logger.debug({ ...r }, 'outbox flushed');
  };

  const work: Record<JobName, (() => Promise<void>) | null> = {
    timers: async () => {
      const r = await sweepTimers(deps);
      if (r.due > 0) logger.debug({ due: r.due, fired: r.fired, cancelled: r.cancelled, collapsed: r.collapsed, failed: r.failed }, 'timers swept');
      // Deliver even when nothing fired: retries and messages enqueued by the terminal wait here.
      await flush();
    },
    alerts: jobs.pollAlerts
      ? async () => {
          await jobs.pollAlerts!();
          await flush();
        }
      : null,
    watchdog: jobs.watchdog
      ? async () => {
          await jobs.watchdog!();
          await flush();
        }
      : null,
  };

  /** Runs a job unless it is already running; resolves with what happened, never rejects. */
  function run(name: JobName): Promise<JobOutcome> {
    const job = work[name];
    if (!job) return Promise.resolve('absent');
    if (stopped) return Promise.resolve('skipped');
    if (running.has(name)) {
      logger.debug({ job: name }, 'previous run still going; tick skipped');
      return Promise.resolve('skipped');
    }
    const started = Date.now();
    const p = job()
      .then((): JobOutcome => 'ok')
      .catch((err: unknown): JobOutcome => {
        logger.error({ err, job: name, ms: Date.now() - started }, 'scheduled job failed; the next tick tries again');
        return 'failed';
      })
      .finally(() => running.delete(name));
    running.set(name, p);
    return p;
  }

  const cronLogger = {
    info: (message: string) => logger.debug({ component: 'node-cron' }, message),
    warn: (message: string) => logger.warn({ component: 'node-cron' }, message),
    error: (message: string | Error, err?: Error) => logger.error({ component: 'node-cron', err: err ?? message }, 'node-cron error'),
    debug: (message: string | Error) => logger.debug({ component: 'node-cron' }, String(message)),
  };

  const tasks: ScheduledTask[] = (Object.keys(schedule) as JobName[])
    .filter((name) => work[name] !== null)
    .map((name) =>
      cron.schedule(
        schedule[name],
        () => void run(name),
        // Our own guard handles overlap; the missed-tick warning would only repeat what the log says.
        { name: `atlas-${name}`, logger: cronLogger, suppressMissedWarning: true },
      ),
    );

  async function tick(): Promise<Record<JobName, JobOutcome>> {
    // Alerts first, so a fresh alert's message is queued before the sweep and the flush.
    const alerts = await run('alerts');
    const watchdog = await run('watchdog');
    const timers = await run('timers');
    return { alerts, watchdog, timers };
  }

  if (opts.runAtStart !== false) void tick();

  return {
    tick,
    async stop() {
      stopped = true;
      await Promise.all(tasks.map((t) => t.destroy()));
      await Promise.all([...running.values()]);
    },
  };
}
