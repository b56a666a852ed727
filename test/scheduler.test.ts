import path from 'node:path';
import { webApi } from '@slack/bolt';
import nock from 'nock';
import cron from 'node-cron';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIncident, updateIncident } from '../src/incidents/incident-store.js';
import { iso } from '../src/incidents/incident-types.js';
import { replanIncidentTimers } from '../src/incidents/timer-plan.js';
import { createLogger } from '../src/logger.js';
import { DEFAULT_SCHEDULE, startScheduler, type Scheduler } from '../src/scheduler.js';
import { slackPoster } from '../src/slack/slack-poster.js';
import { captureLogs, eventually } from './helpers/slack-harness.js';
import { tempDir, testDeps, TEST_NOW } from './helpers/test-deps.js';

const SLACK = 'https://slack.com';
const MIN = 60_000;

describe('startScheduler', () => {
  let env: ReturnType<typeof testDeps>;
  let cleanup: () => void;
  let logs: ReturnType<typeof captureLogs>;
  let scheduler: Scheduler | null;
  let posted: string[];

  beforeAll(() => nock.disableNetConnect());
  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    logs = captureLogs();
    env = testDeps(path.join(t.dir, '.shadow-atlas'), { file: { channels: { incidents: 'C0INCIDENT' } }, logger: createLogger('debug', logs) });
    env.deps.outbox.attach(slackPoster(new webApi.WebClient('xoxb-test', { retryConfig: { retries: 0 } })));
    posted = [];
    let ts = 100;
    nock(SLACK)
      .persist()
      .post(/^\/api\/chat\.(postMessage|update)$/)
      .reply(200, (_uri, raw) => {
        const body = Object.fromEntries(new URLSearchParams(raw as string));
        posted.push(body.text ?? '');
        return { ok: true, channel: body.channel, ts: `1764158400.${++ts}` };
      });
    scheduler = null;
  });
  afterEach(async () => {
    await scheduler?.stop();
    nock.cleanAll();
    env.close();
    cleanup();
  });

  /** A P0 incident opened at TEST_NOW, its clock planned. */
  function openIncident() {
    const now = env.clock();
    const created = createIncident(
      env.deps.state,
      { title: 'proofs failing', severity: 'P0', createdBy: 'U0ONCALL1', ownerId: 'U0ONCALL1', openedAt: now, acknowledgedAt: now },
      now,
    );
    const incident = updateIncident(env.deps.state, created.id, { last_update_at: iso(now) });
    replanIncidentTimers(env.deps.state, incident, now);
    return incident;
  }

  it('uses 15 s, 30 s and 1 min cron schedules with a seconds field', () => {
    const gaps = (expression: string) => {
      const task = cron.createTask(expression, () => undefined);
      const [a, b] = task.getNextRuns(2);
      void task.destroy();
      return (b!.getTime() - a!.getTime()) / 1000;
    };
    expect(gaps(DEFAULT_SCHEDULE.timers)).toBe(15);
    expect(gaps(DEFAULT_SCHEDULE.alerts)).toBe(30);
    expect(gaps(DEFAULT_SCHEDULE.watchdog)).toBe(60);
    expect(() => startScheduler(env.deps, {}, { schedule: { timers: 'every now and then' }, runAtStart: false })).toThrow(/not a valid cron expression for timers/);
  });

  it('fires at start what came due while the bot was down, and delivers it', async () => {
    const incident = openIncident();
    env.clock.set(new Date(new Date(TEST_NOW).getTime() + 45 * MIN));
    scheduler = startScheduler(env.deps);
    await eventually(() => posted.length >= 3 && env.deps.outbox.pending() === 0, 'the overdue nudges delivered');
    expect(posted.some((t) => t.startsWith(`⏰ No update on ${incident.id} for 45 min`))).toBe(true);
    expect(posted.filter((t) => t.startsWith('⏰'))).toHaveLength(1);
    expect(posted.some((t) => t.includes('escalate to the tech lead'))).toBe(true);
    expect(env.deps.outbox.pending()).toBe(0);
  });

  it('runs every job once per tick, alerts before timers, and logs a failing job without throwing', async () => {
    const order: string[] = [];
    scheduler = startScheduler(
      env.deps,
      {
        pollAlerts: () => {
          order.push('alerts');
          throw new Error('metrics.db is locked');
        },
        watchdog: async () => {
          order.push('watchdog');
        },
      },
      { runAtStart: false },
    );
    expect(await scheduler.tick()).toEqual({ alerts: 'failed', watchdog: 'ok', timers: 'ok' });
    expect(order).toEqual(['alerts', 'watchdog']);
    const line = logs.lines.find((l) => l.msg === 'scheduled job failed; the next tick tries again')!;
    expect(line).toMatchObject({ level: 'error', job: 'alerts' });
    expect(JSON.stringify(line.err)).toContain('metrics.db is locked');
    // The failure did not stick: the next tick runs it again.
    expect((await scheduler.tick()).alerts).toBe('failed');
    expect(order.filter((o) => o === 'alerts')).toHaveLength(2);
  });

  it('skips a tick while the previous run of the same job is still going, and stop() waits for it', async () => {
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => (open = r));
    let runs = 0;
    scheduler = startScheduler(
      env.deps,
      {
        watchdog: async () => {
          runs += 1;
          await gate;
        },
      },
      { runAtStart: false },
    );
    const first = scheduler.tick();
    await eventually(() => runs === 1, 'the first run');
    expect((await scheduler.tick()).watchdog).toBe('skipped');
    expect(runs).toBe(1);
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).toBe(false);
    open();
    await stopping;
    expect((await first).watchdog).toBe('ok');
    // Stopped: nothing runs any more.
    expect(await scheduler.tick()).toEqual({ alerts: 'absent', watchdog: 'skipped', timers: 'skipped' });
    scheduler = null;
  });

  it('runs the jobs on their cron schedule until stopped', async () => {
    let polls = 0;
    scheduler = startScheduler(env.deps, { pollAlerts: () => (polls += 1) }, { schedule: { alerts: '* * * * * *' }, runAtStart: false });
    await eventually(() => polls >= 1, 'a scheduled poll', 3000);
    await scheduler.stop();
    scheduler = null;
    const after = polls;
    await new Promise((r) => setTimeout(r, 1100));
    expect(polls).toBe(after);
  });
});
