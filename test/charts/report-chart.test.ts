/**
 * The reliability report's chart: alt text and spec from a hand-made week (pure), drawn by the
 * real renderer, and shared after the weekly post (its lane) and after `/atlas report` in Slack.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chartRenderer, stopChartRenderer } from '../../src/charts/chart-renderer.js';
import { reportChartAltText, reportChartSpec, reportChartTitle, SEVERITY_COLOURS } from '../../src/charts/report-chart.js';
import { createRegistry } from '../../src/commands/index.js';
import { postWeeklyReport } from '../../src/handoff/weekly-report.js';
import { REPORT_LANE } from '../../src/presenter/event-messages.js';
import type { ReliabilityReport } from '../../src/reports/reliability-report.js';
import { allowEveryone } from '../helpers/authorizers.js';
import { openIncidentEnv, type IncidentEnv } from '../helpers/incident-env.js';
import { readPng } from '../helpers/png-pixels.js';
import { eventually, startHarness, TEST_CHANNEL } from '../helpers/slack-harness.js';
import { buildFixture, FIXTURE_CONFIG, HANDOFF } from '../reports/reliability-fixture.js';

const day = (d: string, P0: number, P1: number, P2: number, P3: number) => ({ day: d, P0, P1, P2, P3 });
const WEEK: Pick<ReliabilityReport, 'chart' | 'windowMs'> = {
  windowMs: 7 * 86_400_000,
  chart: {
    incidentsPerDay: [
      day('2026-11-24', 0, 0, 1, 0),
      day('2026-11-25', 0, 0, 0, 0),
      day('2026-11-26', 0, 1, 1, 1),
      day('2026-11-27', 0, 0, 0, 0),
      day('2026-11-28', 0, 0, 0, 0),
      day('2026-11-29', 0, 0, 1, 0),
      day('2026-11-30', 0, 0, 0, 0),
    ],
    minutesToAck: [],
  },
};
const QUIET: Pick<ReliabilityReport, 'chart' | 'windowMs'> = { windowMs: WEEK.windowMs, chart: { incidentsPerDay: WEEK.chart.incidentsPerDay.map((d) => day(d.day, 0, 0, 0, 0)), minutesToAck: [] } };

afterAll(() => stopChartRenderer());

describe('the report chart (pure)', () => {
  it('says its point: how many, the busiest day, the worst severity', () => {
    // 1 + 3 + 1 = 5; Thursday 26 Nov has 3; the worst severity present is P1 (one).
    expect(reportChartAltText(WEEK)).toBe('5 incidents in the last 7 days, most on Thu 26 Nov (3); 1 P1.');
    expect(reportChartAltText(QUIET)).toBe('No incidents in the last 7 days.');
    expect(reportChartTitle(WEEK)).toBe('Incidents per day by severity, last 7 days');
  });

  it('stacks every day and severity, oldest first, each severity its own colour', () => {
    const spec = reportChartSpec(WEEK) as unknown as { data: { values: { day: string; severity: string; incidents: number }[] }; encoding: { color: { scale: { domain: string[]; range: string[] } } } };
    expect(spec.data.values).toHaveLength(7 * 4);
    expect(spec.data.values.slice(8, 12)).toEqual([
      { day: 'Thu 26 Nov', order: '2026-11-26', severity: 'P0', incidents: 0 },
      { day: 'Thu 26 Nov', order: '2026-11-26', severity: 'P1', incidents: 1 },
      { day: 'Thu 26 Nov', order: '2026-11-26', severity: 'P2', incidents: 1 },
      { day: 'Thu 26 Nov', order: '2026-11-26', severity: 'P3', incidents: 1 },
    ]);
    expect(spec.encoding.color.scale).toEqual({ domain: ['P0', 'P1', 'P2', 'P3'], range: ['P0', 'P1', 'P2', 'P3'].map((s) => SEVERITY_COLOURS[s as 'P0']) });
    expect(new Set(Object.values(SEVERITY_COLOURS)).size).toBe(4);
  });

  it('is drawn as a PNG of at least 800×400', async () => {
    const drawn = await chartRenderer().render(reportChartSpec(WEEK));
    expect(drawn.ok).toBe(true);
    if (!drawn.ok) return;
    const png = readPng(drawn.png);
    expect(png.width).toBeGreaterThanOrEqual(800);
    expect(png.height).toBeGreaterThanOrEqual(400);
  });
});

describe('the report chart in the flow', () => {
  let ie: IncidentEnv;
  beforeEach(() => {
    ie = openIncidentEnv(FIXTURE_CONFIG);
  });
  afterEach(() => ie.close());

  const uploads = () =>
    ie.env.db.prepare("SELECT lane, channel, payload FROM outbox WHERE op = 'upload' ORDER BY id").all() as { lane: string; channel: string; payload: string }[];

  // Monday 2026-11-30 09:00 in the fixture's zone: the default report.cron; the week before has incidents.
  const DUE = new Date('2026-11-30T14:00:00.000Z');

  it('follows the weekly post in its lane when the bot draws charts', async () => {
    await buildFixture(ie);
    ie.env.clock.set(DUE);
    expect(await postWeeklyReport({ ...ie.env.deps, flowCharts: true })).not.toBeNull();
    const all = await eventually(() => (uploads().length > 0 ? uploads() : null), 'the report chart queued');
    expect(all).toHaveLength(1);
    const chart = all[0];
    expect(chart!.lane).toBe(REPORT_LANE);
    expect(chart!.channel).toBe(HANDOFF);
    expect(JSON.parse(chart!.payload).upload).toMatchObject({ filename: 'report-chart.png', title: 'Incidents per day by severity, last 7 days' });
  });

  it('does not follow the weekly post when the bot draws no charts', async () => {
    await buildFixture(ie);
    ie.env.clock.set(DUE);
    expect(await postWeeklyReport(ie.env.deps)).not.toBeNull();
    // The renderer draws one chart at a time, in order: a chart asked for by the post would come before this one.
    await chartRenderer().render(reportChartSpec(WEEK));
    expect(uploads()).toEqual([]);
  });

  it('is not posted for a window without incidents', async () => {
    const h = await startHarness({ deps: ie.env.deps, registry: createRegistry(allowEveryone) });
    try {
      await (await h.command('report')).answer();
      // The renderer draws one chart at a time, in order: a chart asked for now would come before this one.
      await chartRenderer().render(reportChartSpec(WEEK));
      expect(uploads()).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('follows /atlas report in the channel it was asked in', async () => {
    await buildFixture(ie);
    const h = await startHarness({ deps: ie.env.deps, registry: createRegistry(allowEveryone) });
    try {
      const cmd = await h.command('report --window 30d');
      expect(cmd.res.status).toBe(200);
      await cmd.answer();
      const [chart] = await eventually(() => (uploads().length > 0 ? uploads() : null), 'the report chart queued');
      expect(chart!.channel).toBe(TEST_CHANNEL);
      expect(JSON.parse(chart!.payload).upload.altText).toMatch(/^6 incidents in the last 30 days, most on \w{3} \d{1,2} \w{3} \(\d\); 2 P0\.$/);
    } finally {
      await h.close();
    }
  });
});
