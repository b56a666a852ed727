import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ingestAlert, type AlertReport } from '../../src/alerts/alert-ingest.js';
import { sharedHealth } from '../../src/checks/health.js';
import { generateAtlasData, type GeneratedSummary, type Scenario } from '../../src/demo/generate-atlas-data.js';
import { acknowledgeAlert } from '../../src/incidents/acknowledge.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { alertGroupText, isGap, shiftChangeText, type HandoffContent, type HandoffInput, type HandoffSection, type Listed } from '../../src/oncall/handoff-content.js';
import { gatherHandoff, type GatherOptions } from '../../src/handoff/gather-handoff.js';
import { tempDir, testDeps, TEST_NOW, type TestEnv } from '../helpers/test-deps.js';

const OUT = 'U0OUTGOING';
const IN = 'U0INCOMING';
const OTHER = 'U0RESPONDER';
const NOW = new Date(TEST_NOW);
const HOUR = 3_600_000;
const at = (hours: number) => new Date(NOW.getTime() + hours * HOUR);

/** Outbound HTTP (the IPFS probe) answered at once, on the machine. */
const okFetch: typeof fetch = async () => new Response('snapshot bytes');

const CALENDAR = [
  '# Maintenance calendar',
  '- 2026-11-25 09:00 Past: registry review',
  '- 2026-11-27 14:00 Quarterly update of the registry',
  '- 2026-12-01 Census TIGER maintenance window',
  '- 2026-12-10 10:00 Too far ahead: IPFS node upgrade',
].join('\n');

interface Fixture {
  env: TestEnv;
  root: string;
  dataDir: string;
  summary: GeneratedSummary | null;
  gather(input?: Partial<HandoffInput>, opts?: GatherOptions): Promise<HandoffContent>;
}

const listedOf = <T>(s: HandoffSection<T>): Listed<T> => {
  if (isGap(s)) throw new Error(`expected items, got the gap: ${s.gap}`);
  return s;
};

describe('gatherHandoff', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  function fixture(o: { scenario?: Scenario | null; calendar?: string | null; config?: object } = {}): Fixture {
    const t = tempDir('handoff-');
    const dataDir = path.join(t.dir, '.shadow-atlas');
    const scenario = o.scenario === undefined ? 'demo' : o.scenario;
    const summary = scenario ? generateAtlasData(dataDir, { now: NOW, days: 2, scenario }) : null;
    if (!scenario) mkdirSync(dataDir, { recursive: true });
    const calendar = o.calendar === undefined ? CALENDAR : o.calendar;
    if (calendar !== null) {
      mkdirSync(path.join(t.dir, 'ops'), { recursive: true });
      writeFileSync(path.join(t.dir, 'ops', 'maintenance-calendar.md'), calendar);
    }
    const file = {
      rotation: { timezone: 'Europe/Berlin', start: '2026-11-02', handoff: '0 13 * * *', primary: [OUT, IN], secondary: [OTHER, 'U0SPARE'] },
      // Relative: read from the working directory, since the tests have no config file.
      handoff: { maintenanceCalendar: 'ops/maintenance-calendar.md' },
      ...o.config,
    };
    const env = testDeps(dataDir, { file, fetch: okFetch });
    cleanups.push(t.cleanup, env.close);
    const gather = (input: Partial<HandoffInput> = {}, opts: GatherOptions = {}) =>
      gatherHandoff(
        env.deps,
        { shiftChange: NOW, outgoing: { primary: OUT, secondary: OTHER }, incoming: { primary: IN, secondary: 'U0SPARE' }, notes: null, late: null, skipped: [], now: NOW, ...input },
        { cwd: t.dir, ...opts },
      );
    return { env, root: t.dir, dataDir, summary, gather };
  }

  /** Moves the clock to `when`, runs `fn`, and leaves the clock at NOW. */
  async function atTime<T>(f: Fixture, when: Date, fn: () => Promise<T>): Promise<T> {
    f.env.clock.set(when);
    try {
      return await fn();
    } finally {
      f.env.clock.set(NOW);
    }
  }

  const alert = async (f: Fixture, report: Omit<AlertReport, 'message' | 'source'> & { message?: string }, when: Date) =>
    await atTime(f, when, async () => await ingestAlert(f.env.deps, { message: `${report.name} text`, source: 'atlas-webhook', ...report }));

  /** Three incidents: the outgoing primary's P2 (oldest), the incoming's P1, someone else's P0. */
  async function openIncidents(f: Fixture) {
    const mine = await atTime(f, at(-3), async () => (await declareIncident(f.env.deps, { title: 'Slow district lookups (p95 4 s)', severity: 'P2', actorId: OUT })).incident);
    const theirs = await atTime(f, at(-2), async () => (await declareIncident(f.env.deps, { title: 'Texas extraction failing', severity: 'P1', actorId: IN })).incident);
    const worst = await atTime(f, at(-1), async () => (await declareIncident(f.env.deps, { title: 'All proofs failing', severity: 'P0', actorId: OTHER })).incident);
    return { mine, theirs, worst };
  }

  /** provider_down fired and resolved twice, ipfs_slow still firing, disk_filling acknowledged, one too old to count. */
  async function raiseAlerts(f: Fixture) {
    await alert(f, { name: 'provider_down', status: 'firing', firedAt: at(-20), severityHint: 'critical' }, at(-20));
    await alert(f, { name: 'provider_down', status: 'resolved', resolvedAt: at(-19) }, at(-19));
    await alert(f, { name: 'provider_down', status: 'firing', firedAt: at(-5), severityHint: 'critical' }, at(-5));
    await alert(f, { name: 'provider_down', status: 'resolved', resolvedAt: at(-4) }, at(-4));
    await alert(f, { name: 'old_news', status: 'firing', firedAt: at(-40), severityHint: 'warning' }, at(-40));
    await alert(f, { name: 'old_news', status: 'resolved', resolvedAt: at(-39) }, at(-39));
    await alert(f, { name: 'gateway_slow', status: 'firing', firedAt: at(-0.5), severityHint: 'warning' }, at(-0.5));
    await alert(f, { name: 'queue_backlog', status: 'firing', firedAt: at(-2), severityHint: 'warning' }, at(-2));
    await atTime(f, at(-1.5), async () => await acknowledgeAlert(f.env.deps, 'queue_backlog', IN));
  }

  it('fills every section from the demo data directory, chatops.db and the calendar', async () => {
    const f = fixture();
    const { mine, theirs, worst } = await openIncidents(f);
    await raiseAlerts(f);
    const notes = { text: 'TIGER flaky since Saturday.\nRestart the orchestrator before resuming the stuck job.', by: OUT, at: at(-0.5) };
    const c = await f.gather({ notes });

    expect(c.timezone).toBe('Europe/Berlin');
    expect(c.notes).toEqual(notes);

    // Incidents: the outgoing primary's first as needing a new owner, then worst first.
    const incidents = listedOf(c.incidents).items;
    const ack = incidents.find((i) => i.title.startsWith('queue_backlog'));
    expect(ack).toMatchObject({ severity: 'P2', ownerId: IN });
    expect(incidents.map((i) => i.id)).toEqual([mine.id, worst.id, theirs.id, ack!.id]);
    expect(incidents[0]).toMatchObject({ id: mine.id, severity: 'P2', ownerId: OUT, needsOwner: 'owner-leaves', ageMs: 3 * HOUR });
    expect(incidents.slice(1).map((i) => i.needsOwner)).toEqual([null, null, null]);
    expect(incidents.every((i) => i.nextDeadline !== null && i.lastUpdateAt !== null)).toBe(true);

    // Alerts: grouped by name with counts and outcome; the one of 40 h ago is outside the 24 h.
    const alerts = listedOf(c.alerts).items;
    expect(alerts.map(alertGroupText)).toEqual(['1x gateway_slow (still firing)', '1x queue_backlog (acknowledged, still firing)', '2x provider_down (resolved)']);
    expect(alerts.find((a) => a.name === 'provider_down')).toMatchObject({ firings: 2, severity: 'P1', resolvedAt: at(-4).toISOString() });

    // Jobs: the stuck running job first, then the partial ones, with progress.
    const jobs = listedOf(c.jobs);
    expect(jobs.items[0]).toMatchObject({ id: f.summary!.scenarioFacts.stuckJobId, status: 'running', stuck: true });
    expect(jobs.items[0]!.percent).not.toBeNull();
    const partial = jobs.items.filter((j) => j.status === 'partial').map((j) => j.id);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial).toEqual(expect.arrayContaining(f.summary!.scenarioFacts.failingJobIds));
    expect(jobs.items.every((j) => ['running', 'pending', 'partial', 'failed'].includes(j.status))).toBe(true);
    expect(jobs.gaps).toEqual([]);

    // Watch items: crit first, then warn with their values; firing alerts are not repeated here.
    const watch = listedOf(c.watch).items;
    expect(watch.length).toBeGreaterThan(2);
    const firstWarn = watch.findIndex((w) => w.level === 'warn');
    expect(watch.slice(0, firstWarn).every((w) => w.level === 'crit')).toBe(true);
    expect(watch.find((w) => w.key === 'snapshot_current')).toMatchObject({ level: 'crit', detail: expect.stringContaining('NO IPFS CID') });
    expect(watch.find((w) => w.key === 'stuck_jobs')).toMatchObject({ level: 'warn', value: 1, target: '0' });
    expect(watch.some((w) => w.key.startsWith('alert'))).toBe(false);

    // Maintenance: the next 7 days only, times read in the rotation's zone.
    const maintenance = listedOf(c.maintenance).items;
    expect(maintenance.map((e) => [e.date, e.time, e.text, e.start.toISOString()])).toEqual([
      ['2026-11-27', '14:00', 'Quarterly update of the registry', '2026-11-27T13:00:00.000Z'],
      ['2026-12-01', null, 'Census TIGER maintenance window', '2026-11-30T23:00:00.000Z'],
    ]);

    expect(c.status.level).toBe('critical');
    expect(c.status.reasons.slice(0, 2)).toEqual([`${mine.id} needs a new owner`, `${worst.id} (P0) open`]);
    expect(c.status.reasons).toContain(`${theirs.id} (P1) open`);
  });

  it('keeps an incident with its owner when that person is on call again in the next shift', async () => {
    const f = fixture({ scenario: 'healthy', calendar: null });
    await openIncidents(f);
    const c = await f.gather({ incoming: { primary: OTHER, secondary: OUT } });
    expect(listedOf(c.incidents).items.map((i) => i.needsOwner)).toEqual([null, null, null]);
    expect(listedOf(c.incidents).items.map((i) => i.severity)).toEqual(['P0', 'P1', 'P2']);
  });

  describe('status', () => {
    it('is All clear with nothing open, firing, at warn or missing', async () => {
      const f = fixture({ scenario: 'healthy', config: { handoff: {} } });
      await alert(f, { name: 'provider_down', status: 'firing', firedAt: at(-3), severityHint: 'critical' }, at(-3));
      await alert(f, { name: 'provider_down', status: 'resolved', resolvedAt: at(-2) }, at(-2));
      const c = await f.gather();
      expect(listedOf(c.watch).items).toEqual([]);
      expect(listedOf(c.jobs).items.filter((j) => j.stuck || j.status === 'failed' || j.status === 'partial')).toEqual([]);
      expect(listedOf(c.maintenance).notes).toEqual(['No maintenance calendar is configured (handoff.maintenanceCalendar).']);
      expect(listedOf(c.alerts).items.map(alertGroupText)).toEqual(['1x provider_down (resolved)']);
      expect(c.status).toEqual({ level: 'all-clear', reasons: [] });
    });

    it('is Issues to watch for an open P2 incident or a P2 alert still firing', async () => {
      const f = fixture({ scenario: 'healthy', config: { handoff: {} } });
      const { incident } = await atTime(f, at(-1), async () => await declareIncident(f.env.deps, { title: 'Slow lookups', severity: 'P2', actorId: IN }));
      await alert(f, { name: 'gateway_slow', status: 'firing', firedAt: at(-0.2), severityHint: 'warning' }, at(-0.2));
      const c = await f.gather();
      expect(c.status).toEqual({ level: 'issues', reasons: [`${incident.id} (P2) open`, 'gateway_slow (P2) still firing'] });
    });

    it('is Critical for a P1 alert still firing, even with nothing else open', async () => {
      const f = fixture({ scenario: 'healthy', config: { handoff: {} } });
      await alert(f, { name: 'provider_down', status: 'firing', firedAt: at(-0.2), severityHint: 'critical' }, at(-0.2));
      const c = await f.gather();
      expect(c.status).toEqual({ level: 'critical', reasons: ['provider_down (P1) still firing'] });
    });

    it('is Critical for a health item at crit, and names it', async () => {
      const f = fixture({ scenario: 'demo', config: { handoff: {} } });
      const c = await f.gather();
      expect(c.status.level).toBe('critical');
      expect(c.status.reasons).toContain('Current snapshot (critical)');
      expect(c.status.reasons.at(-1)).toMatch(/^and \d+ more$/);
    });
  });

  describe('faults: the handoff is still produced, with the gap said plainly', () => {
    it('persistence.db unreadable: the jobs table is a gap, the job files and every other section are still there', async () => {
      const f = fixture();
      await openIncidents(f);
      await raiseAlerts(f);
      for (const suffix of ['', '-wal', '-shm']) rmSync(path.join(f.dataDir, `persistence.db${suffix}`), { force: true });
      writeFileSync(path.join(f.dataDir, 'persistence.db'), 'this is not a database '.repeat(400));
      const c = await f.gather();
      const jobs = listedOf(c.jobs);
      expect(jobs.items.some((j) => j.id === f.summary!.scenarioFacts.stuckJobId)).toBe(true);
      expect(jobs.gaps).toEqual([expect.stringMatching(/^persistence\.db is not a readable SQLite database .*Check by hand: `\/atlas jobs`\.$/)]);
      expect(listedOf(c.incidents).items).toHaveLength(4);
      expect(listedOf(c.alerts).items).toHaveLength(3);
      expect(listedOf(c.maintenance).items).toHaveLength(2);
      expect(listedOf(c.watch).items.some((w) => w.level === 'crit' && /persistence\.db/.test(`${w.label} ${w.detail}`))).toBe(true);
      expect(c.status.level).toBe('critical');

      // Without the jobs/ folder either, the whole section is the gap sentence.
      rmSync(path.join(f.dataDir, 'jobs'), { recursive: true, force: true });
      const without = await f.gather();
      expect(isGap(without.jobs)).toBe(true);
      expect(isGap(without.jobs) && without.jobs.gap).toMatch(/^persistence\.db is not a readable SQLite database.* There is no jobs\/ folder\. Check by hand: `\/atlas jobs`\.$/);
      expect(listedOf(without.incidents).items).toHaveLength(4);
    });

    it('chatops.db unreadable: incidents and alerts are gaps naming the command; jobs, watch items and maintenance are still there', async () => {
      const f = fixture();
      await openIncidents(f);
      f.env.db.close();
      const c = await f.gather();
      expect(c.incidents).toEqual({ gap: expect.stringMatching(/^The incident list could not be read \(.+\); check by hand: `\/atlas incidents`\.$/) });
      expect(c.alerts).toEqual({ gap: expect.stringMatching(/check by hand: `\/atlas alerts --all`\.$/) });
      expect(listedOf(c.jobs).items.length).toBeGreaterThan(0);
      expect(listedOf(c.watch).items.length).toBeGreaterThan(0);
      expect(listedOf(c.maintenance).items).toHaveLength(2);
      expect(c.status.reasons.join(' ')).toContain('2 parts could not be read');
    });

    it('a missing calendar file is a gap naming the path and the key', async () => {
      const f = fixture({ scenario: 'healthy', calendar: null });
      const c = await f.gather();
      const file = path.join(f.root, 'ops', 'maintenance-calendar.md');
      expect(c.maintenance).toEqual({ gap: `No maintenance calendar at ${file} (handoff.maintenanceCalendar).` });
      expect(c.status).toEqual({ level: 'issues', reasons: ['1 part could not be read'] });
    });

    it('a calendar that is not configured is said once as a note, not a fault', async () => {
      const f = fixture({ scenario: 'healthy', config: { handoff: {} } });
      const c = await f.gather();
      expect(c.maintenance).toEqual({ items: [], gaps: [], notes: ['No maintenance calendar is configured (handoff.maintenanceCalendar).'] });
    });

    it('health that does not answer in time is a gap; the rest is there', async () => {
      const f = fixture();
      await openIncidents(f);
      const c = await f.gather({}, { healthTimeoutMs: 1 });
      expect(c.watch).toEqual({ gap: 'The health checks did not answer within 1 ms; check by hand: `/atlas health`.' });
      expect(listedOf(c.incidents).items).toHaveLength(3);
      expect(listedOf(c.jobs).items.length).toBeGreaterThan(0);
      // The run it stopped waiting for is shared; let it finish before the files go.
      await sharedHealth(f.env.deps, HOUR);
    });

    it('an IPFS gateway that answers slowly holds up only the watch items, and only for their bound', async () => {
      const f = fixture({ scenario: 'healthy', config: { handoff: {} } });
      const slowFetch: typeof fetch = () => new Promise((resolve) => setTimeout(() => resolve(new Response('snapshot bytes')), 1_500));
      f.env.deps.fetch = slowFetch;
      await openIncidents(f);
      // No stopwatch: the gap below is the bound at work (the health run is still waiting on the gateway).
      const c = await f.gather({}, { healthTimeoutMs: 300 });
      expect(c.watch).toEqual({ gap: 'The health checks did not answer within 300 ms; check by hand: `/atlas health`.' });
      expect(listedOf(c.incidents).items).toHaveLength(3);
      expect(c.status.reasons[0]).toBe('1 part could not be read');
      await sharedHealth(f.env.deps, HOUR);
    });
  });

  it('carries the shift change, both sides, late and skipped as given', async () => {
    const f = fixture({ scenario: 'healthy', config: { handoff: {} } });
    const skipped = [at(-48), at(-24)];
    const c = await f.gather({ outgoing: { primary: null, secondary: null }, late: { scheduled: at(-1) }, skipped, skippedMore: 3, now: at(1) });
    expect(c).toMatchObject({ outgoing: { primary: null, secondary: null }, late: { scheduled: at(-1) }, skipped, skippedMore: 3, now: at(1), shiftChange: NOW });
  });
});

describe('shiftChangeText', () => {
  it('writes UTC, and the rotation zone beside it (with its date when that differs)', () => {
    expect(shiftChangeText(new Date('2026-11-30T08:00:00Z'), 'UTC')).toBe('2026-11-30 08:00 UTC');
    expect(shiftChangeText(new Date('2026-11-30T08:00:00Z'), 'Europe/Berlin')).toBe('2026-11-30 08:00 UTC (09:00 Europe/Berlin)');
    expect(shiftChangeText(new Date('2026-11-30T20:00:00Z'), 'Asia/Kolkata')).toBe('2026-11-30 20:00 UTC (2026-12-01 01:30 Asia/Kolkata)');
  });
});
