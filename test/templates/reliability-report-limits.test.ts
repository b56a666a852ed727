/**
 * The reliability report at its largest (a 90-day window of a bad quarter): hundreds of breaches
 * and open reviews, many people, titles with Slack markup. The Slack answer and the weekly post
 * stay within Block Kit's limits (the stand-in's checks), keep every section and say what the
 * terminal adds; user text never becomes a broadcast.
 */
import { describe, expect, it } from 'vitest';
import type { ReliabilityReport } from '../../src/reports/reliability-report.js';
import { blockProblems, blocksTextLength } from '../../src/sandbox/block-kit-check.js';
import { renderBlocks } from '../../src/templates/block-kit.js';
import { userRef } from '../../src/templates/people.js';
import { reliabilityReportAnswer, weeklyReportMessage } from '../../src/templates/reliability-report.js';

const MIN = 60_000;
const title = (i: number) => `Census TIGER outage ${i} <!channel> & <@U0SOMEONE> ${'x'.repeat(150)}`;

function biggest(): ReliabilityReport {
  const to = new Date('2026-11-26T12:00:00.000Z');
  const from = new Date(to.getTime() - 90 * 24 * 60 * MIN);
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    windowMs: 90 * 24 * 60 * MIN,
    timezone: 'UTC',
    incidents: { total: 400, bySeverity: { P0: 100, P1: 100, P2: 100, P3: 100 } },
    alertFirings: 5000,
    stages: (['ack', 'assess', 'triage', 'resolve'] as const).map((stage) => ({ stage, slaMinutes: stage === 'resolve' ? null : 5, counted: 400, medianMs: 7 * MIN, p90Ms: 90 * MIN, breaches: stage === 'resolve' ? 0 : 300 })),
    breaches: Array.from({ length: 900 }, (_, i) => ({ stage: 'triage' as const, incidentId: `INC-20261101-${i}`, title: title(i), severity: 'P1' as const, elapsedMs: 45 * MIN, overByMs: 15 * MIN, reached: true })),
    pages: Array.from({ length: 60 }, (_, i) => ({ user: `U0PERSON${String(i).padStart(2, '0')}`, pages: 100 - i, nightPages: i % 7 })),
    noisyAlerts: Array.from({ length: 5 }, (_, i) => ({ alertKey: `a${i}`, name: `Alert <!here> ${i} ${'y'.repeat(200)}`, fired: 90, resolvedUnacknowledged: 80, maxCyclesIn24h: 12, flapping: true, suggestion: 'raise-threshold' as const })),
    openReviews: Array.from({ length: 300 }, (_, i) => ({ incidentId: `INC-20261102-${i}`, title: title(i), severity: 'P2' as const, resolvedAt: '2026-11-02T10:00:00.000Z', dueAt: '2026-11-04T10:00:00.000Z', overdue: true })),
    chart: { incidentsPerDay: [], minutesToAck: [] },
  };
}

describe('the reliability report at its largest', () => {
  it('fits Slack as an answer and as the weekly post, says it was shortened, and escapes user text', () => {
    const answer = renderBlocks(reliabilityReportAnswer(biggest(), userRef));
    const weekly = weeklyReportMessage(biggest(), { U0PERSON00: 'Ann <script>' }, new Date('2026-11-26T09:00:00.000Z'));
    for (const m of [answer, weekly]) {
      expect(blockProblems(m.blocks, 'message', 'blocks', 50)).toEqual([]);
      expect(blocksTextLength(m.blocks)).toBeLessThan(40_000);
      const text = JSON.stringify(m.blocks);
      expect(text).not.toContain('<!channel>');
      expect(text).not.toContain('<!here>');
      // Every section is there, the long lists cut with what the terminal adds.
      for (const title of ['Breaches', 'Pages per person', 'Noisiest alerts', 'Reviews still open']) expect(text).toContain(`*${title}*`);
      expect(text).toContain('… and 890 more breaches: `atlas report` in a terminal lists all.');
      expect(text).toContain('… and 290 more reviews');
      expect(text).toContain('… and 50 more people');
    }
    expect(JSON.stringify(weekly.blocks)).toContain('Ann &lt;script&gt;');
    expect(weekly.text).toContain('Weekly reliability report · Last 90 days: 400 incidents (100 P0, 100 P1, 100 P2, 100 P3)');
  });
});
