import { assertBlockKitLimits } from '../helpers/slack-judge.js';
import { describe, expect, it } from 'vitest';

import { deadlineText, incidentCard } from '../../src/templates/incident-card.js';
import { alertRow as alert, incidentRow as incident, timerRow } from '../helpers/incident-fixtures.js';

const NOW = new Date('2026-11-26T12:00:00.000Z');
const HOSTILE = '<!channel> <@U999|boss> &amp; <https://evil.example|click> `x`';
const HUGE = 'z'.repeat(5000);

const fieldsOf = (card: { blocks: unknown[] }) => (card.blocks[1] as { fields: { text: string }[] }).fields.map((f) => f.text);

describe('deadlineText', () => {
  it('names the timer, its time and how far off it is', () => {
    const t = (kind: Parameters<typeof timerRow>[0], due: string) => deadlineText(timerRow(kind, due), new Date('2026-11-26T12:10:00.000Z'));
    expect(t('escalate-tech-lead', '2026-11-26T12:27:00.000Z')).toBe('tech lead escalation 12:27 UTC (in 17 min)');
    expect(t('update-due', '2026-11-26T12:05:00.000Z')).toBe('status update due 12:05 UTC (overdue 5 min)');
    expect(t('escalate-cto', '2026-11-26T12:10:20.000Z')).toBe('CTO escalation 12:10 UTC (now)');
    expect(t('review-reminder', '2026-11-28T13:00:00.000Z')).toBe('review due 2026-11-28 13:00 UTC (in 2 d)');
    expect(deadlineText(null, NOW)).toBeUndefined();
  });
});

describe('incidentCard', () => {
  it('shows severity, status, owner, age, last update and the next deadline, and who acknowledged', () => {
    const card = incidentCard(
      incident({ impact: HOSTILE }),
      alert(),
      new Date('2026-11-26T12:10:00.000Z'),
      timerRow('escalate-tech-lead', '2026-11-26T12:27:00.000Z'),
    );
    assertBlockKitLimits('message', card.blocks);
    expect(card.text).toBe('🔎 INC-20261126-1 P0 investigating: IpfsDown: All IPFS gateways failing');
    expect(fieldsOf(card)).toEqual([
      '*Severity* P0 · updates every 30–60 min',
      '*Status* 🔎 investigating',
      '*Owner* <@U0ONCALL1>',
      '*Age* open 13 min (since 11:57 UTC)',
      '*Last update* 12:00 UTC (10 min ago)',
      '*Next* tech lead escalation 12:27 UTC (in 17 min)',
    ]);
    const context = JSON.stringify(card.blocks[2]);
    expect(context).toContain('Impact: &lt;!channel&gt;');
    expect(context).toContain('Alert IpfsDown: firing since 11:57 UTC · acknowledged by <@U0ONCALL1> after 3 min');
    expect(JSON.stringify(card.blocks)).not.toContain('atlas_alert_ack');
  });

  it('keeps saying that the alert’s time was clamped once it became the card', () => {
    const note = 'the Shadow Atlas webhook said it fired at 9999-12-31T23:59:59.000Z, more than 5 min in the future; shown from when the bot received it.';
    const context = JSON.stringify(incidentCard(incident(), alert({ fired_at_note: note }), NOW, null).blocks);
    expect(context).toContain(`⚠️ ${note}`);
    expect(JSON.stringify(incidentCard(incident(), alert(), NOW, null).blocks)).not.toContain('⚠️');
  });

  it('falls back to the promised update, says when it is overdue, and closes with the review', () => {
    const late = incidentCard(incident({ owner_id: 'U0ONCALL2' }), null, new Date('2026-11-26T12:40:00.000Z'), null);
    expect(fieldsOf(late)[5]).toBe('*Next* update overdue since 12:30 UTC');
    // Title, fields and the card's buttons: no context line when there is nothing to note.
    expect(late.blocks.map((b) => b.type)).toEqual(['section', 'section', 'actions']);
    expect(fieldsOf(incidentCard(incident(), null, new Date('2026-11-26T12:10:00.000Z'), null))[5]).toBe('*Next* update due 12:30 UTC');
    const resolved = incident({ status: 'resolved', resolved_at: '2026-11-26T13:00:00.000Z', resolution: 'Switched gateway' });
    const card = incidentCard(resolved, alert({ status: 'resolved', resolved_at: '2026-11-26T13:00:00.000Z' }), new Date('2026-11-26T14:00:00.000Z'), null);
    const fields = fieldsOf(card);
    expect(fields[1]).toBe('*Status* ✅ resolved');
    expect(fields[3]).toBe('*Age* lasted 1 h 3 min (since 11:57 UTC)');
    expect(fields[5]).toBe('*Next* post-incident review, `/atlas review INC-20261126-1`');
    expect(JSON.stringify(card.blocks[2])).toContain('Resolved 2026-11-26 13:00 UTC: Switched gateway');
    expect(JSON.stringify(card.blocks[2])).toContain('Alert IpfsDown: resolved 13:00 UTC');
    // A resolved incident's card never shows a deadline, even one that is still pending (the review).
    const withReview = incidentCard(resolved, null, new Date('2026-11-26T14:00:00.000Z'), timerRow('review-reminder', '2026-11-28T13:00:00.000Z'));
    expect(fieldsOf(withReview)[5]).toBe('*Next* post-incident review, `/atlas review INC-20261126-1`');
    const done = incidentCard({ ...resolved, review_done_at: '2026-11-27T10:00:00.000Z' }, null, NOW, null);
    expect(fieldsOf(done)[5]).toBe('*Next* review done');
  });

  it('names nobody as the acknowledger of an alert that another incident owns', () => {
    const card = incidentCard(incident(), alert({ incident_id: 'INC-20261126-7' }), new Date('2026-11-26T12:10:00.000Z'), null);
    const context = JSON.stringify(card.blocks[2]);
    expect(context).toContain('Alert IpfsDown: firing since 11:57 UTC');
    expect(context).not.toContain('acknowledged by');
  });

  it('escapes everything people and alerts typed, and stays within Block Kit limits', () => {
    const hostile = incidentCard(incident({ title: HOSTILE, impact: HUGE, resolution: HUGE }), alert({ name: HOSTILE }), NOW, null);
    assertBlockKitLimits('message', hostile.blocks);
    expect(JSON.stringify(hostile)).not.toContain('<!channel>');
    expect(JSON.stringify(hostile)).not.toContain('<https://evil');
  });
});
