/**
 * The weekly reliability report with an injected clock over real files: posted at its minute
 * (report.cron in the rotation's zone) and not before, exactly once across ticks, restarts and
 * two processes on one chatops.db, late after downtime within a day, not after; delivered to the
 * Slack stand-in with people named, not mentioned. Also `/atlas report` through the real Bolt
 * receiver with a signed request.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { createRegistry } from '../../src/commands/index.js';
import { latestScheduled, postWeeklyReport } from '../../src/handoff/weekly-report.js';
import { blockProblems } from '../../src/sandbox/block-kit-check.js';
import { allowEveryone } from '../helpers/authorizers.js';
import { ONCALL, openIncidentEnv, type IncidentEnv } from '../helpers/incident-env.js';
import { startHarness } from '../helpers/slack-harness.js';
import { testDeps, type TestEnv } from '../helpers/test-deps.js';
import { buildFixture, FIXTURE_CONFIG, HANDOFF, NIGHT_OWL, ZONE } from './reliability-fixture.js';

/** Monday 2026-11-30 09:00 in New York (EST) is 14:00Z: the default cron "0 9 * * 1" in the rotation's zone. */
const DUE = new Date('2026-11-30T14:00:00.000Z');
const MIN = 60_000;

let ie: IncidentEnv;
const setClock = (at: Date | number) => ie.env.clock.set(new Date(at));
const queued = (channel: string) =>
  (ie.env.db.prepare("SELECT payload FROM outbox WHERE channel = ? AND op = 'post' ORDER BY id").all(channel) as { payload: string }[]).map((r) => JSON.parse(r.payload) as { text: string; blocks: unknown[] });
const textOf = (m: { text: string; blocks: unknown[] }) => `${m.text}\n${JSON.stringify(m.blocks)}`;

beforeEach(() => {
  ie = openIncidentEnv(FIXTURE_CONFIG);
});
afterEach(() => ie.close());

describe('latestScheduled', () => {
  it('reads the cron in the zone, and counts the scheduled minute itself', () => {
    expect(latestScheduled('0 9 * * 1', ZONE, DUE)).toEqual(DUE);
    expect(latestScheduled('0 9 * * 1', ZONE, new Date(DUE.getTime() - 1))).toEqual(new Date('2026-11-23T14:00:00.000Z'));
    expect(latestScheduled('0 9 * * 1', 'UTC', DUE)).toEqual(new Date('2026-11-30T09:00:00.000Z'));
  });
});

describe('the weekly reliability report', () => {
  it('is posted at its minute, not before, once, covering the week before it, with people named', async () => {
    await buildFixture(ie);
    await ie.env.deps.state.transaction(async (tx) => await tx.people.put(ONCALL, 'Alice Oncall', ie.env.clock()));
    setClock(DUE.getTime() - 1);
    expect(await postWeeklyReport(ie.env.deps)).toBeNull();
    // Only last week's, which is long past its day of grace.
    expect(queued(HANDOFF)).toEqual([]);
    setClock(DUE);
    expect(await postWeeklyReport(ie.env.deps)).toEqual(DUE);
    setClock(DUE.getTime() + 15_000);
    expect(await postWeeklyReport(ie.env.deps)).toBeNull();
    const posts = queued(HANDOFF);
    expect(posts).toHaveLength(1);
    // 2026-11-23 14:00Z to 11-30 14:00Z: I4 (11-24) and I5 (11-25); I5 was resolved after 21 h.
    expect(posts[0]!.text).toContain('Weekly reliability report · Last 7 days: 2 incidents (1 P0, 1 P2), MTTA 5 min (SLA 5 min), MTTR 21 h');
    // ONCALL acknowledged I4 (11-24 14:05Z); the night owl's pages were on 11-23 before 14:00Z.
    expect(textOf(posts[0]!)).toContain('Alice Oncall: 1 page, 0 at night');
    expect(textOf(posts[0]!)).not.toContain(`<@${ONCALL}>`);
    expect(textOf(posts[0]!)).not.toContain(NIGHT_OWL);
    expect(textOf(posts[0]!)).not.toContain('Posted late');
    expect(blockProblems(posts[0]!.blocks, 'message', 'blocks', 50)).toEqual([]);

    // Delivered: one message in #ops-handoff.
    const h = await ie.deliver();
    expect(h.slack.workspace.messages(HANDOFF)).toHaveLength(1);
  });

  it('does not post again after a restart at the same minute', async () => {
    setClock(DUE);
    expect(await postWeeklyReport(ie.env.deps)).toEqual(DUE);
    await ie.env.close();
    ie.env = testDeps(ie.dataDir, { file: FIXTURE_CONFIG });
    setClock(DUE.getTime() + 30_000);
    expect(await postWeeklyReport(ie.env.deps)).toBeNull();
    expect(queued(HANDOFF)).toHaveLength(1);
  });

  it('is posted by a bot that starts within its scheduled minute, and by one back later the same day, saying it is late', async () => {
    // Down at 09:00, back at 09:00:40: on time.
    setClock(DUE.getTime() + 40_000);
    expect(await postWeeklyReport(ie.env.deps)).toEqual(DUE);
    expect(textOf(queued(HANDOFF)[0]!)).not.toContain('Posted late');

    // Another week, the bot down until 15:00 local: late, and it says so.
    const next = new Date(DUE.getTime() + 7 * 24 * 60 * MIN);
    setClock(next.getTime() + 6 * 60 * MIN);
    expect(await postWeeklyReport(ie.env.deps)).toEqual(next);
    expect(textOf(queued(HANDOFF)[1]!)).toContain('Posted late: it was due 2026-12-07 09:00 America/New_York');
  });

  it('is not posted when the bot comes back more than a day after its time', async () => {
    setClock(DUE.getTime() + 24 * 60 * MIN + 1);
    expect(await postWeeklyReport(ie.env.deps)).toBeNull();
    expect(queued(HANDOFF)).toEqual([]);
  });

  it('is posted once by two processes on one chatops.db at the same tick', async () => {
    const second: TestEnv = testDeps(ie.dataDir, { file: FIXTURE_CONFIG });
    try {
      setClock(DUE);
      second.clock.set(DUE);
      const runs = await Promise.all([postWeeklyReport(ie.env.deps), postWeeklyReport(second.deps), postWeeklyReport(ie.env.deps), postWeeklyReport(second.deps)]);
      expect(runs.filter((r) => r !== null)).toHaveLength(1);
      expect(queued(HANDOFF)).toHaveLength(1);
      expect(ie.env.db.prepare('SELECT due_at, channel FROM reliability_reports').all()).toEqual([{ due_at: DUE.toISOString(), channel: HANDOFF }]);
    } finally {
      await second.close();
    }
  });

  it('goes to report.channel when set, on report.cron, and nowhere without any channel', async () => {
    await ie.env.close();
    ie.env = testDeps(ie.dataDir, { file: { ...FIXTURE_CONFIG, report: { cron: '30 8 * * *', channel: 'C0REPORTS' } } });
    setClock(new Date('2026-11-26T13:30:00.000Z'));
    expect(await postWeeklyReport(ie.env.deps)).toEqual(new Date('2026-11-26T13:30:00.000Z'));
    expect(queued('C0REPORTS')).toHaveLength(1);
    expect(queued(HANDOFF)).toEqual([]);

    await ie.env.close();
    ie.env = testDeps(ie.dataDir, { file: { ...FIXTURE_CONFIG, channels: { incidents: 'C0INCIDENT' } } });
    setClock(DUE);
    expect(await postWeeklyReport(ie.env.deps)).toBeNull();
  });
});

describe('/atlas report in Slack', () => {
  it('answers through the real receiver with the report, within Block Kit limits', async () => {
    const ids = await buildFixture(ie);
    const h = await startHarness({ deps: ie.env.deps, registry: createRegistry(allowEveryone) });
    try {
      const cmd = await h.command('report --window 30d');
      expect(cmd.res.status).toBe(200);
      const answer = await cmd.answer();
      const text = JSON.stringify(answer.blocks);
      expect(text).toContain('Last 30 days: 6 incidents (2 P0, 1 P1, 2 P2, 1 P3)');
      expect(text).toContain(`<@${NIGHT_OWL}>: 4 pages, 2 at night`);
      expect(text).toContain(`${ids.i0} (P3, Registry stale)`);
      expect(blockProblems(answer.blocks, 'message', 'blocks', 50)).toEqual([]);

      const bad = await h.command('report --window 1y');
      expect(JSON.stringify(await bad.answer())).toContain('takes a duration from 1d to 90d, such as 7d or 30d');
    } finally {
      await h.close();
    }
  });
});

describe('atlas report in the terminal', () => {
  it('prints one honest line for a bot that has seen nothing, and the model with --json', async () => {
    const cwd = path.dirname(ie.dataDir);
    const run = async (argv: string[]) => {
      let stdout = '';
      const code = await runCli(argv, { env: { ATLAS_DATA_DIR: '.shadow-atlas' }, cwd, stdout: (s) => (stdout += s), stderr: () => undefined });
      return { code, stdout };
    };
    const text = await run(['report']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Last 7 days: no incidents, no alerts fired, nobody paged.');
    const json = await run(['report', '--window', '30d', '--json']);
    expect(json.code).toBe(0);
    const data = (JSON.parse(json.stdout) as { data: { windowMs: number; chart: { incidentsPerDay: unknown[] } } }).data;
    expect(data.windowMs).toBe(30 * 24 * 60 * MIN);
    expect(data.chart.incidentsPerDay.length).toBeGreaterThanOrEqual(30);
    expect((await run(['report', '--window', '100d'])).code).not.toBe(0);
  });
});
