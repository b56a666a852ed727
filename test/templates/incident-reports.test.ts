import { describe, expect, it } from 'vitest';
import { renderBlocks } from '../../src/templates/block-kit.js';
import { incidentsReport, reviewReport, timelineReport } from '../../src/templates/incident-reports.js';
import { renderPlainText } from '../../src/templates/plain-text.js';
import { incidentRow as incident, timelineEntry, timerRow } from '../helpers/incident-fixtures.js';

const NOW = new Date('2026-11-26T12:00:00.000Z');

describe('reports', () => {
  it('incidents: worst first in the headline, one row each, empty says so', () => {
    const now = new Date('2026-11-26T12:10:00.000Z');
    const r = incidentsReport(
      [
        {
          id: 'INC-20261126-2',
          severity: 'P0',
          status: 'investigating',
          title: 'IpfsDown',
          ownerId: 'U0ONCALL2',
          openedAt: '',
          ageMs: 13 * 60_000,
          nextDeadline: timerRow('escalate-tech-lead', '2026-11-26T12:27:00.000Z'),
        },
        { id: 'INC-20261126-1', severity: 'P2', status: 'identified', title: 'slow queries', ownerId: null, openedAt: '', ageMs: 2 * 3_600_000, nextDeadline: null },
      ],
      now,
    );
    expect(r.level).toBe('crit');
    expect(r.headline).toBe('2 open incidents: 1 P0, 1 P2');
    expect(r.sections[0]!.table!.rows[0]).toEqual([
      'INC-20261126-2',
      'P0',
      'investigating',
      '<@U0ONCALL2>',
      '13 min',
      'tech lead escalation 12:27 UTC (in 17 min)',
      'IpfsDown',
    ]);
    expect(r.sections[0]!.table!.rows[1]).toEqual(['INC-20261126-1', 'P2', 'identified', 'nobody', '2 h', '—', 'slow queries']);
    expect(renderBlocks(r).text).toContain('2 open incidents');
    expect(incidentsReport([], now).headline).toBe('No open incidents');
  });

  it('timeline: times in UTC, with the date when the incident spans days', () => {
    const ev = (id: number, at: string, actor: string, text: string) => timelineEntry(id, at, actor, 'note', text);
    const oneDay = timelineReport(incident(), [ev(1, '2026-11-26T11:57:00.000Z', 'bot', 'Alert fired'), ev(2, '2026-11-26T12:00:00.000Z', 'U0ONCALL1', 'Acknowledged')], NOW);
    expect(oneDay.headline).toBe('INC-20261126-1 (P0, investigating, open 3 min): 2 events');
    expect(oneDay.sections[0]!.lines).toEqual(['11:57 UTC · bot · Alert fired', '12:00 UTC · <@U0ONCALL1> · Acknowledged']);
    expect(oneDay.footer).toBe('All times 2026-11-26, UTC.');
    const twoDays = timelineReport(incident(), [ev(1, '2026-11-26T23:57:00.000Z', 'alice', 'a'), ev(2, '2026-11-27T00:03:00.000Z', 'alice', 'b')], NOW);
    expect(twoDays.sections[0]!.lines).toEqual(['2026-11-26 23:57 UTC · alice · a', '2026-11-27 00:03 UTC · alice · b']);
    const closed = timelineReport(incident({ status: 'resolved', resolved_at: '2026-11-26T13:00:00.000Z' }), [], new Date('2026-11-27T00:00:00.000Z'));
    expect(closed.headline).toBe('INC-20261126-1 (P0, resolved after 1 h 3 min): 0 events');
  });

  it('review: the markdown as lines, and how to mark it done', () => {
    const r = reviewReport(incident(), '# Incident Report\n\n| a | b |');
    expect(r.sections[0]!.lines).toEqual(['# Incident Report', '', '| a | b |']);
    expect(r.footer).toBe('`review-done INC-20261126-1` when the review is done (stops the 48 h reminder).');
    expect(renderPlainText(r)).toContain('  # Incident Report');
    expect(reviewReport(incident({ review_done_at: '2026-11-27T10:00:00.000Z' }), '#').footer).toBe('Review marked done 2026-11-27 10:00 UTC.');
  });
});
