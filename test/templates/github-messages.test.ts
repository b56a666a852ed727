import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/db/state/state-records.js';
import { postIncidentChecklistMessage } from '../../src/templates/incident-messages.js';
import { reviewIssueOffer, slackLink } from '../../src/templates/github-messages.js';

const incident = { id: 'INC-20261126-1', title: 'Provider down', severity: 'P1' } as Incident;

describe('GitHub in messages', () => {
  it('the checklist ticks the review issue item with its link once filed', () => {
    const due = new Date('2026-11-28T12:00:00Z');
    const open = JSON.stringify(postIncidentChecklistMessage(incident, { firingAlerts: [], reviewDue: due }).blocks);
    expect(open).toContain('☐ Create GitHub issue for post-incident review: `/atlas review INC-20261126-1` prints the draft, with a button that files it');
    const filed = JSON.stringify(postIncidentChecklistMessage(incident, { firingAlerts: [], reviewDue: due, reviewIssue: { repo: 'o/r', number: 7, url: 'https://github.com/o/r/issues/7' } }).blocks);
    expect(filed).toContain('✅ Create GitHub issue for post-incident review: <https://github.com/o/r/issues/7|o/r#7>');
  });

  it('links only http(s) URLs, escaped', () => {
    expect(slackLink('javascript:alert(1)', 'x<y')).toBe('x&lt;y');
    expect(slackLink('https://e.test/a?b=1&c=2', 'a|b')).toBe('<https://e.test/a?b=1&amp;c=2|a¦b>');
  });

  it('offers Create GitHub issue under a review draft only', () => {
    expect(reviewIssueOffer({ command: 'review', level: 'info', headline: 'h', sections: [], data: { incidentId: incident.id } })).toHaveLength(1);
    expect(reviewIssueOffer({ command: 'review', level: 'error', headline: 'h', sections: [] })).toEqual([]);
    expect(reviewIssueOffer({ command: 'timeline', level: 'info', headline: 'h', sections: [], data: { incidentId: incident.id } })).toEqual([]);
  });
});
