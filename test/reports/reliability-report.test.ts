/**
 * The reliability report against a hand-computed fixture (reliability-fixture.ts): every figure
 * worked out below from the fixture's times, with the percentile rule written out:
 * p-th percentile of n sorted values x₀…xₙ₋₁ = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]), h = (n − 1)·p.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRegistry } from '../../src/commands/index.js';
import { interpolatedPercentile } from '../../src/reports/interpolated-percentile.js';
import { maxCyclesWithin, type ReliabilityReport } from '../../src/reports/reliability-report.js';
import { blockProblems } from '../../src/sandbox/block-kit-check.js';
import { renderBlocks } from '../../src/templates/block-kit.js';
import { renderPlainText } from '../../src/templates/plain-text.js';
import { allowEveryone } from '../helpers/authorizers.js';
import { ONCALL, openIncidentEnv, OTHER, type IncidentEnv } from '../helpers/incident-env.js';
import { buildFixture, FIXTURE_CONFIG, NIGHT_OWL, ZONE, type FixtureIds } from './reliability-fixture.js';

const MIN = 60_000;
const H = 60 * MIN;

let ie: IncidentEnv;
let ids: FixtureIds;
beforeEach(async () => {
  ie = openIncidentEnv(FIXTURE_CONFIG);
  ids = await buildFixture(ie);
});
afterEach(() => ie.close());

async function run(args: Record<string, unknown>, source: 'slack' | 'cli') {
  const actor = source === 'slack' ? { source, userId: ONCALL, channelId: 'C0INCIDENT' } : { source, userId: 'ann' };
  return createRegistry(allowEveryone).invoke('report', { _: [], ...args }, actor, ie.env.deps);
}

const model = async (args: Record<string, unknown> = {}) => (await run(args, 'cli')).report.data as ReliabilityReport;
const stage = (r: ReliabilityReport, s: string) => r.stages.find((x) => x.stage === s)!;

describe('interpolatedPercentile', () => {
  it('interpolates between the closest ranks, and says nothing of no values', () => {
    expect(interpolatedPercentile([9, 3, 5], 0.5)).toBe(5);
    expect(interpolatedPercentile([9, 3, 5], 0.9)).toBeCloseTo(8.2, 10);
    expect(interpolatedPercentile([10, 20, 25, 45], 0.5)).toBe(22.5);
    expect(interpolatedPercentile([7], 0.9)).toBe(7);
    expect(interpolatedPercentile([], 0.5)).toBeNull();
  });
});

describe('maxCyclesWithin', () => {
  it('counts a cycle only when its firing and its resolution fall inside one 24-hour span', () => {
    const c = (f: string, r: string | null) => ({ fired_at: f, resolved_at: r });
    expect(maxCyclesWithin([c('2026-11-22T00:00:00.000Z', '2026-11-22T00:10:00.000Z'), c('2026-11-22T08:00:00.000Z', '2026-11-22T08:10:00.000Z'), c('2026-11-22T23:50:00.000Z', '2026-11-22T23:59:59.999Z')])).toBe(3);
    expect(maxCyclesWithin([c('2026-11-22T00:00:00.000Z', '2026-11-22T00:10:00.000Z'), c('2026-11-22T08:00:00.000Z', '2026-11-22T08:10:00.000Z'), c('2026-11-22T23:50:00.000Z', '2026-11-23T00:00:00.000Z')])).toBe(2);
    expect(maxCyclesWithin([c('2026-11-22T00:00:00.000Z', null)])).toBe(0);
  });
});

describe('report: every figure against the hand-computed fixture', () => {
  it('counts incidents by severity, opened in the window only', async () => {
    const r = await model();
    expect(r.from).toBe('2026-11-19T12:00:00.000Z');
    expect(r.to).toBe('2026-11-26T12:00:00.000Z');
    expect(r.timezone).toBe(ZONE);
    // I1 P0, I2 P1, I3 P2, I4 P2, I5 P0; I0 opened before the window.
    expect(r.incidents).toEqual({ total: 5, bySeverity: { P0: 2, P1: 1, P2: 2, P3: 0 } });
    // IpfsDown 1, SlowProofs 2, QueueStuck 1, DiskFlap 3, CacheFlap 3; OldNoise fired before the window.
    expect(r.alertFirings).toBe(10);
  });

  it('gives median and p90 of each stage, and names each breach with by how much', async () => {
    const r = await model();
    // Ack, incidents from alerts only (I3 and I5 were declared): 3, 9, 5 min → sorted 3, 5, 9.
    // Median h = 1 → 5. p90 h = 1.8 → 5 + 0.8·(9 − 5) = 8.2. Breach: I2 at 9 (> 5), 4 over; I4 at exactly 5 is within.
    expect(stage(r, 'ack')).toMatchObject({ slaMinutes: 5, counted: 3, medianMs: 5 * MIN, breaches: 1 });
    expect(stage(r, 'ack').p90Ms).toBeCloseTo(8.2 * MIN, 6);
    // Assess: I1 8 (impact), I2 12 (update), I3 20 (attached), I4 15 (impact), I5 10 (update) → 8, 10, 12, 15, 20.
    // Median h = 2 → 12. p90 h = 3.6 → 15 + 0.6·5 = 18. Breach: I3 at 20, 5 over; I4 at exactly 15 is within.
    expect(stage(r, 'assess')).toMatchObject({ slaMinutes: 15, counted: 5, medianMs: 12 * MIN, breaches: 1 });
    expect(stage(r, 'assess').p90Ms).toBeCloseTo(18 * MIN, 6);
    // Triage: I1 20 (identified), I2 45 (identified), I3 25 (resolved), I5 10 (monitoring) → 10, 20, 25, 45; I4 never.
    // Median h = 1.5 → 20 + 0.5·5 = 22.5. p90 h = 2.7 → 25 + 0.7·20 = 39.
    // Breaches: I2 at 45, 15 over; I4 not triaged at the window's end, 46 h after it opened, 45 h 30 min over.
    expect(stage(r, 'triage')).toMatchObject({ slaMinutes: 30, counted: 4, medianMs: 22.5 * MIN, breaches: 2 });
    expect(stage(r, 'triage').p90Ms).toBeCloseTo(39 * MIN, 6);
    // Resolve: I1 42, I2 120, I3 25, I5 21 h = 1260 → 25, 42, 120, 1260; I4 open.
    // Median h = 1.5 → 42 + 0.5·78 = 81. p90 h = 2.7 → 120 + 0.7·1140 = 918. No SLA, no breaches.
    expect(stage(r, 'resolve')).toMatchObject({ slaMinutes: null, counted: 4, medianMs: 81 * MIN, breaches: 0 });
    expect(stage(r, 'resolve').p90Ms).toBeCloseTo(918 * MIN, 6);

    expect(r.breaches.map((b) => ({ stage: b.stage, id: b.incidentId, elapsed: b.elapsedMs, over: b.overByMs, reached: b.reached }))).toEqual([
      { stage: 'ack', id: ids.i2, elapsed: 9 * MIN, over: 4 * MIN, reached: true },
      { stage: 'assess', id: ids.i3, elapsed: 20 * MIN, over: 5 * MIN, reached: true },
      { stage: 'triage', id: ids.i4, elapsed: 46 * H, over: 46 * H - 30 * MIN, reached: false },
      { stage: 'triage', id: ids.i2, elapsed: 45 * MIN, over: 15 * MIN, reached: true },
    ]);
    expect(r.chart.minutesToAck).toEqual([
      { incidentId: ids.i1, openedAt: '2026-11-20T14:00:00.000Z', minutes: 3 },
      { incidentId: ids.i2, openedAt: '2026-11-21T14:00:00.000Z', minutes: 9 },
      { incidentId: ids.i4, openedAt: '2026-11-24T14:00:00.000Z', minutes: 5 },
    ]);
  });

  it('counts pages and night pages per person in the configured zone, at the night edges and the window edges', async () => {
    const r = await model();
    expect(r.pages).toEqual([
      // 00:00 and 05:59:59.999 EST are night; 06:00 and 23:59:59.999 are not.
      { user: NIGHT_OWL, pages: 4, nightPages: 2 },
      // Acknowledgements of I1 and I4 (09:03, 09:05 EST); the page 1 ms before the window is not counted.
      { user: ONCALL, pages: 2, nightPages: 0 },
      // The acknowledgement of I2, and the page at the window's first instant.
      { user: OTHER, pages: 2, nightPages: 0 },
    ]);
  });

  it('lists the noisiest alerts, flapping at its threshold, each with one suggestion', async () => {
    const r = await model();
    expect(r.noisyAlerts.map(({ name, fired, resolvedUnacknowledged, maxCyclesIn24h, flapping, suggestion }) => ({ name, fired, resolvedUnacknowledged, maxCyclesIn24h, flapping, suggestion }))).toEqual([
      { name: 'DiskFlap', fired: 3, resolvedUnacknowledged: 3, maxCyclesIn24h: 3, flapping: true, suggestion: 'raise-threshold' },
      { name: 'CacheFlap', fired: 3, resolvedUnacknowledged: 3, maxCyclesIn24h: 2, flapping: false, suggestion: 'snooze' },
      // Acknowledged once, firing again now: fired often, but people act on it.
      { name: 'SlowProofs', fired: 2, resolvedUnacknowledged: 0, maxCyclesIn24h: 1, flapping: false, suggestion: 'group' },
    ]);
  });

  it('lists the reviews still open, whenever the incident was resolved, with when each is due', async () => {
    const r = await model();
    expect(r.openReviews).toEqual([
      { incidentId: ids.i0, title: 'Registry stale', severity: 'P3', resolvedAt: '2026-11-18T11:00:00.000Z', dueAt: '2026-11-20T11:00:00.000Z', overdue: true },
      { incidentId: ids.i1, title: expect.stringContaining('IpfsDown'), severity: 'P0', resolvedAt: '2026-11-20T14:42:00.000Z', dueAt: '2026-11-22T14:42:00.000Z', overdue: true },
      { incidentId: ids.i2, title: expect.stringContaining('SlowProofs'), severity: 'P1', resolvedAt: '2026-11-21T16:00:00.000Z', dueAt: '2026-11-23T16:00:00.000Z', overdue: true },
      { incidentId: ids.i5, title: 'Merkle root mismatch', severity: 'P0', resolvedAt: '2026-11-26T11:00:00.000Z', dueAt: '2026-11-28T11:00:00.000Z', overdue: false },
    ]);
  });

  it('exposes the series a chart needs: incidents per local day by severity', async () => {
    const r = await model();
    const day = (d: string, c: Partial<Record<'P0' | 'P1' | 'P2' | 'P3', number>>) => ({ day: d, P0: 0, P1: 0, P2: 0, P3: 0, ...c });
    expect(r.chart.incidentsPerDay).toEqual([
      day('2026-11-19', {}),
      day('2026-11-20', { P0: 1 }),
      day('2026-11-21', { P1: 1 }),
      day('2026-11-22', { P2: 1 }),
      day('2026-11-23', {}),
      day('2026-11-24', { P2: 1 }),
      day('2026-11-25', { P0: 1 }),
      day('2026-11-26', {}),
    ]);
  });

  it('says the answer in its first line, and fits Slack', async () => {
    const slack = await run({}, 'slack');
    expect(slack.report.headline).toBe('Last 7 days: 5 incidents (2 P0, 1 P1, 2 P2), MTTA 5 min (SLA 5 min, 1 breach), MTTR 1 h 21 min; assess SLA missed 1×, triage SLA missed 2×');
    const text = JSON.stringify(renderBlocks(slack.report).blocks);
    expect(text).toContain(`${ids.i2} (P1, `);
    expect(text).toContain('acknowledged after 9 min, 4 min over the 5 min SLA');
    expect(text).toContain('not triaged yet after 1 d 22 h, 1 d 21 h over the 30 min SLA');
    expect(text).toContain(`<@${NIGHT_OWL}>: 4 pages, 2 at night`);
    expect(text).toContain('DiskFlap: fired 3 times, 3 cleared with nobody acknowledging, flapping (3 fire/resolve cycles within 24 h). Suggestion: raise its threshold');
    expect(text).toContain('CacheFlap: fired 3 times, 3 cleared with nobody acknowledging. Suggestion: snooze it');
    expect(text).toContain('SlowProofs: fired 2 times, 0 cleared with nobody acknowledging. Suggestion: group it');
    expect(text).toContain(`${ids.i5} (P0, Merkle root mismatch): resolved 2026-11-26 06:00, review due 2026-11-28 06:00`);
    expect(blockProblems(renderBlocks(slack.report).blocks, 'message', 'blocks', 50)).toEqual([]);
  });

  it('prints aligned tables in the terminal, naming people the bot has seen', async () => {
    await ie.env.deps.state.transaction(async (tx) => await tx.people.put(NIGHT_OWL, 'Nadia Owl', ie.env.clock()));
    const cli = await run({ window: '7d' }, 'cli');
    const text = renderPlainText(cli.report);
    expect(text.split('\n')[0]).toContain('Last 7 days: 5 incidents (2 P0, 1 P1, 2 P2), MTTA 5 min (SLA 5 min, 1 breach)');
    expect(text).toMatch(/Stage\s+SLA\s+Median\s+p90\s+Incidents\s+Breaches/);
    expect(text).toMatch(/Acknowledge \(MTTA\)\s+5 min\s+5 min\s+8\.2 min\s+3\s+1/);
    expect(text).toMatch(/Triage\s+30 min\s+23 min\s+39 min\s+4\s+2/);
    expect(text).toMatch(/Resolve \(MTTR\)\s+—\s+1 h 21 min\s+15 h 18 min\s+4\s+—/);
    expect(text).toMatch(/Nadia Owl\s+4\s+2/);
    expect(text).not.toContain(NIGHT_OWL);
  });

  it('takes a window up to 90 days, and refuses others in one sentence that changes nothing', async () => {
    const month = await model({ window: '30d' });
    // 30 days back from 2026-11-26 12:00Z reaches 2026-10-27: I0 is in it now.
    expect(month.incidents.total).toBe(6);
    for (const bad of ['91d', '12h', 'soon']) {
      const r = await run({ window: bad }, 'cli');
      expect(r.outcome).toBe('usage');
      expect(r.report.headline).toContain('takes a duration from 1d to 90d, such as 7d or 30d');
    }
  });
});

describe('report: an empty window', () => {
  it('says so in one honest line', async () => {
    await ie.close();
    ie = openIncidentEnv(FIXTURE_CONFIG);
    const r = await run({}, 'slack');
    expect(r.report.headline).toBe('Last 7 days: no incidents, no alerts fired, nobody paged.');
    expect(r.report.sections).toEqual([]);
  });
});
