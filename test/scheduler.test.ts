import path from 'node:path';
import cron from 'node-cron';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlert } from '../src/alerts/alert-ingest.js';
import { BOT_SCHEDULE, botJobs } from '../src/bot-jobs.js';
import { createWatchdog } from '../src/alerts/watchdog.js';
import { declareIncident } from '../src/incidents/declare.js';
import { sweepTimers } from '../src/incidents/timer-sweeper.js';
import { createLogger } from '../src/logger.js';
import { startScheduler, type Scheduler, type ScheduledJob } from '../src/scheduler.js';
import { startDeliveryHarness, type DeliveryHarness } from './helpers/delivery-harness.js';
import { captureLogs, eventually } from './helpers/slack-harness.js';
import { createAtlasFiles, tempDir, testDeps, TEST_NOW, type TestEnv } from './helpers/test-deps.js';
import { BOUND_MS } from './helpers/busy-machine.js';

const MIN = 60_000;
const CHANNEL = 'C0INCIDENT';

describe('startScheduler', () => {
  let env: TestEnv;
  let cleanup: () => void;
  let logs: ReturnType<typeof captureLogs>;
  let scheduler: Scheduler | null;
  let h: DeliveryHarness | null;

  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    logs = captureLogs();
    const dataDir = path.join(t.dir, '.shadow-atlas');
    createAtlasFiles(dataDir).metrics.close();
    env = testDeps(dataDir, { file: { channels: { incidents: CHANNEL } }, logger: createLogger('debug', logs) });
    scheduler = null;
    h = null;
  });
  afterEach(async () => {
    await scheduler?.stop(100);
    await h?.close();
    await env.close();
    cleanup();
  });

  const job = (name: string, run: () => unknown, boundMs = 1000): ScheduledJob => ({ name, cron: '0 0 1 1 *', boundMs, run });

  it('keeps the bot clock on 30 s, 1 min, 15 s and hourly schedules with a seconds field, and refuses a bad one', () => {
    const gaps = (expression: string) => {
      const task = cron.createTask(expression, () => undefined);
      const [a, b] = task.getNextRuns(2);
      void task.destroy();
      return (b!.getTime() - a!.getTime()) / 1000;
    };
    expect(gaps(BOT_SCHEDULE.alerts)).toBe(30);
    expect(gaps(BOT_SCHEDULE.watchdog)).toBe(60);
    expect(gaps(BOT_SCHEDULE.timers)).toBe(15);
    expect(gaps(BOT_SCHEDULE.retention)).toBe(3600);
    expect(gaps(BOT_SCHEDULE.weeklyReport)).toBe(15);
    expect(botJobs(env.deps, createWatchdog(env.deps)).map((j) => j.name)).toEqual(['alerts', 'alert-file', 'watchdog', 'timers', 'handoff', 'weekly-report', 'audit-head', 'interrupted-remediations', 'preview-expiry', 'night-pages', 'retention']);
    expect(() => startScheduler([{ ...job('timers', () => 0), cron: 'every now and then' }], env.deps.logger, { runAtStart: false })).toThrow(/not a valid cron expression for timers/);
  });

  it('fires at start what came due while the bot was down, and delivery posts it', async () => {
    h = await startDeliveryHarness(env);
    const { incident } = await declareIncident(env.deps, { title: 'proofs failing', severity: 'P0', actorId: 'U0ONCALL1' });
    await h.delivery.drain();
    env.clock.set(new Date(new Date(TEST_NOW).getTime() + 45 * MIN));
    scheduler = startScheduler([job('timers', async () => await sweepTimers(env.deps))], env.deps.logger);
    const root = h.slack.workspace.messages(CHANNEL)[0]!.ts;
    const replies = () => h!.slack.workspace.replies(CHANNEL, root).map((r) => r.text);
    await eventually(async () => {
      await h!.delivery.drain();
      return replies().some((t) => t.includes('escalate to the tech lead'));
    }, 'the overdue reminders delivered');
    expect(replies().filter((t) => t.startsWith(`⏰ No update on ${incident.id} for 45 min`))).toHaveLength(1);
  });

  it('runs every job once per tick, in order, and logs a failing job without throwing', async () => {
    const order: string[] = [];
    scheduler = startScheduler(
      [
        job('alerts', () => {
          order.push('alerts');
          throw new Error('metrics.db is locked');
        }),
        job('watchdog', async () => {
          order.push('watchdog');
        }),
      ],
      env.deps.logger,
      { runAtStart: false },
    );
    expect(await scheduler.tick()).toEqual({ alerts: 'failed', watchdog: 'ok' });
    expect(order).toEqual(['alerts', 'watchdog']);
    const line = logs.lines.find((l) => l.msg === 'scheduled job failed; the next tick tries again')!;
    expect(line).toMatchObject({ level: 'error', job: 'alerts' });
    expect(JSON.stringify(line.err)).toContain('metrics.db is locked');
    expect((await scheduler.tick()).alerts).toBe('failed');
    expect(order.filter((o) => o === 'alerts')).toHaveLength(2);
  });

  it('skips a tick while the previous run is still going within its bound; stop() waits for it up to its grace', async () => {
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => (open = r));
    let runs = 0;
    scheduler = startScheduler(
      [
        job(
          'watchdog',
          async () => {
            runs += 1;
            await gate;
          },
          60_000,
        ),
      ],
      env.deps.logger,
      { runAtStart: false },
    );
    const first = scheduler.tick();
    await eventually(() => runs === 1, 'the first run');
    expect((await scheduler.tick()).watchdog).toBe('skipped');
    let stopped = false;
    const stopping = scheduler.stop(5000).then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).toBe(false);
    open();
    await stopping;
    expect((await first).watchdog).toBe('ok');
    expect(await scheduler.tick()).toEqual({ watchdog: 'skipped' });
    scheduler = null;
  });

  it('abandons a run that outlives its bound, so one hung call cannot stop the clock (defect 1)', async () => {
    let runs = 0;
    scheduler = startScheduler(
      [
        job(
          'watchdog',
          () => {
            runs += 1;
            return new Promise(() => {}); // never settles, like a call without a time bound
          },
          100,
        ),
      ],
      env.deps.logger,
      { runAtStart: false },
    );
    expect((await scheduler.tick()).watchdog).toBe('abandoned');
    expect(logs.lines.some((l) => l.msg?.includes('outlived its time bound') && l.job === 'watchdog')).toBe(true);
    expect((await scheduler.tick()).watchdog).toBe('abandoned');
    expect(runs).toBe(2);
  });

  it('keeps sweeping timers while a chat.postMessage hangs, and delivery resumes after the call timeout (defect 1)', async () => {
    h = await startDeliveryHarness(env, { timeoutMs: BOUND_MS });
    h.slack.faults.inject({ method: 'chat.postMessage', kind: 'hang' });
    await ingestAlert(env.deps, { name: 'provider_down', status: 'firing', message: 'Census TIGER down', source: 'atlas-webhook' });
    await eventually(() => h!.slack.workspace.calls('chat.postMessage').length === 1, 'the hung post');
    env.clock.advance(5 * MIN);
    scheduler = startScheduler([job('timers', async () => await sweepTimers(env.deps))], env.deps.logger, { runAtStart: false });
    // The post is still hanging (or just cut off): the clock does not wait for it.
    expect((await scheduler.tick()).timers).toBe('ok');
    const cutOff = () => (env.db.prepare('SELECT last_error FROM outbox WHERE id = 1').get() as { last_error: string | null }).last_error === 'request_failed';
    await eventually(cutOff, 'the call to be cut off at its time bound');
    expect(env.db.prepare("SELECT COUNT(*) AS n FROM timers WHERE kind = 'ack-reminder' AND fired_at IS NOT NULL").get()).toEqual({ n: 1 });
    // Past the backoff that follows the cut-off call.
    env.clock.advance(MIN);
    await eventually(async () => {
      await h!.delivery.drain();
      const texts = h!.slack.workspace.messages(CHANNEL).map((m) => m.text);
      return texts.length === 2 && texts[1]!.startsWith('⏰');
    }, 'the alert (found or posted again) and its reminder, in order');
    expect(h.slack.workspace.messages(CHANNEL)[0]!.text).toContain('provider_down');
  });

  it('runs the jobs on their cron schedule until stopped', async () => {
    let polls = 0;
    scheduler = startScheduler([{ ...job('alerts', () => (polls += 1)), cron: '* * * * * *' }], env.deps.logger, { runAtStart: false });
    await eventually(() => polls >= 1, 'a scheduled poll');
    await scheduler.stop(100);
    scheduler = null;
    const after = polls;
    await new Promise((r) => setTimeout(r, 1100));
    expect(polls).toBe(after);
  });
});
