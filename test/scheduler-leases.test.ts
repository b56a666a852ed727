import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStateStore, type SqliteStateStore } from '../src/db/state/kysely/sqlite-state-store.js';
import { leaseMsOf, startScheduler, type Scheduler, type ScheduledJob } from '../src/scheduler.js';
import { tempDir } from './helpers/test-deps.js';
import { BOUND_MS } from './helpers/busy-machine.js';

/** Two replicas on one state (two processes on one chatops.db; PostgreSQL is the same through the lease store, tested on both engines). */
describe('scheduled jobs on replicas sharing one state', () => {
  let cleanup: () => void;
  let file: string;
  const states: SqliteStateStore[] = [];
  const schedulers: Scheduler[] = [];
  let now: Date;
  const clock = () => now;
  const logger = pino({ level: 'silent' });

  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    file = path.join(t.dir, 'chatops.db');
    now = new Date('2026-12-07T12:00:00.000Z');
  });
  afterEach(async () => {
    for (const s of schedulers.splice(0)) await s.stop(100);
    for (const s of states.splice(0)) await s.close();
    cleanup();
  });

  /** A replica: its own state on the shared file, and its scheduler of `jobs`. */
  const replica = (holder: string, jobs: ScheduledJob[], reaches = true) => {
    const state = openStateStore(file);
    states.push(state);
    const scheduler = startScheduler(jobs, logger, { runAtStart: false, leases: { leases: state.leases, holder, clock, reachesData: () => reaches } });
    schedulers.push(scheduler);
    return { state, scheduler };
  };
  const job = (name: string, run: () => unknown, extra: Partial<ScheduledJob> = {}): ScheduledJob => ({ name, cron: '0 0 1 1 *', boundMs: BOUND_MS, run, ...extra });

  it('run each job on one replica at a time, the same one while it lives, and another once it stopped', async () => {
    const runs: string[] = [];
    const a = replica('A', [job('sweep', () => runs.push('A'))]);
    const b = replica('B', [job('sweep', () => runs.push('B'))]);
    expect(await a.scheduler.tick()).toEqual({ sweep: 'ok' });
    expect(await b.scheduler.tick()).toEqual({ sweep: 'elsewhere' });
    now = new Date(now.getTime() + 15_000);
    expect(await b.scheduler.tick()).toEqual({ sweep: 'elsewhere' });
    expect(await a.scheduler.tick()).toEqual({ sweep: 'ok' });
    expect(runs).toEqual(['A', 'A']);
    // A stops cleanly: its leases go with it, and B takes the job at its next tick.
    await a.scheduler.stop(100);
    expect(await b.scheduler.tick()).toEqual({ sweep: 'ok' });
    expect(runs).toEqual(['A', 'A', 'B']);
    expect((await b.state.leases.list()).map((l) => [l.name, l.holder, l.fencing_token])).toEqual([['job:sweep', 'B', 2]]);
  });

  it('let a replica that does not reach the service data leave its jobs to one that does, and report itself on every replica', async () => {
    const runs: string[] = [];
    const far = replica('far', [job('alerts', () => runs.push('far:alerts'), { needsData: true }), job('presence', () => runs.push('far:presence'), { everyReplica: true })], false);
    const near = replica('near', [job('alerts', () => runs.push('near:alerts'), { needsData: true }), job('presence', () => runs.push('near:presence'), { everyReplica: true })]);
    expect(await far.scheduler.tick()).toEqual({ alerts: 'elsewhere', presence: 'ok' });
    expect(await near.scheduler.tick()).toEqual({ alerts: 'ok', presence: 'ok' });
    expect(runs).toEqual(['far:presence', 'near:alerts', 'near:presence']);
  });

  it('take a job over from a replica paused past its lease, whose late writes then change nothing', async () => {
    let resume!: () => void;
    const paused = new Promise<void>((resolve) => (resume = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const sweep = job('sweep', async () => {
      started();
      await paused;
      await a.state.people.put('U-late', 'written by the paused replica', now);
    });
    const a = replica('A', [sweep]);
    const b = replica('B', [job('sweep', async () => await b.state.people.put('U-new', 'written by the new holder', now))]);
    const late = a.scheduler.tick();
    await running;
    // A is stuck past its lease; B's next tick takes the job over under a higher token.
    now = new Date(now.getTime() + leaseMsOf(sweep) + 1_000);
    expect(await b.scheduler.tick()).toEqual({ sweep: 'ok' });
    resume();
    expect(await late).toEqual({ sweep: 'lost' });
    expect(await b.state.people.get('U-late')).toBeNull();
    expect(await b.state.people.get('U-new')).toMatchObject({ name: 'written by the new holder' });
  });
});
