import { describe, expect, it } from 'vitest';
import type { AlertRecord, Incident, IncidentEvent } from '../../src/incidents/incident-types.js';
import { assertBlockKitLimits, renderBlocks } from '../../src/templates/block-kit.js';
import { incidentCard } from '../../src/templates/incident-card.js';
import {
  ackDetailsMessage,
  alertsResolvedMessage,
  attachedResultMessage,
  escalationMessage,
  incidentClosedMessage,
  incidentsReport,
  initialResponseMessage,
  mention,
  noteMessage,
  ownerChangedMessage,
  postIncidentChecklistMessage,
  resolutionMessage,
  reviewDoneMessage,
  reviewReport,
  severityChangedMessage,
  statusUpdateMessage,
  timelineReport,
  userRef,
  type IncidentMessage,
} from '../../src/templates/incident-messages.js';
import { renderPlainText } from '../../src/templates/plain-text.js';

const NOW = new Date('2026-11-26T12:00:00.000Z');
const HOSTILE = '<!channel> <@U999|boss> &amp; <https://evil.example|click> `x`';
const HUGE = 'z'.repeat(5000);

function incident(patch: Partial<Incident> = {}): Incident {
  return {
    id: 'INC-20261126-1',
    day: '20261126',
    seq: 1,
    title: 'IpfsDown: All IPFS gateways failing',
    severity: 'P0',
    status: 'investigating',
    owner_id: 'U0ONCALL1',
    created_by: 'U0ONCALL1',
    alert_key: 'ipfsdown',
    channel_id: 'C0INCIDENT',
    root_ts: '1700000000.000100',
    opened_at: '2026-11-26T11:57:00.000Z',
    acknowledged_at: '2026-11-26T12:00:00.000Z',
    ack_seconds: 180,
    impact: null,
    next_update_at: '2026-11-26T12:30:00.000Z',
    last_update_at: '2026-11-26T12:00:00.000Z',
    resolved_at: null,
    resolution: null,
    review_done_at: null,
    ...patch,
  };
}

function alert(patch: Partial<AlertRecord> = {}): AlertRecord {
  return {
    key: 'ipfsdown',
    name: 'IpfsDown',
    status: 'firing',
    severity: 'P0',
    severity_known: 1,
    symptom_id: 'ipfs-down',
    message: 'All IPFS gateways failing',
    sources: '["metrics-db"]',
    fingerprints: '[]',
    runbook_url: null,
    fired_at: '2026-11-26T11:57:00.000Z',
    resolved_at: null,
    source_fired_at: null,
    fire_count: 1,
    channel_id: 'C0INCIDENT',
    message_ts: '1700000000.000100',
    incident_id: 'INC-20261126-1',
    acknowledged_by: 'U0ONCALL1',
    acknowledged_at: '2026-11-26T12:00:00.000Z',
    updated_at: '2026-11-26T12:00:00.000Z',
    ...patch,
  };
}

const body = (m: { blocks: unknown[] }) => JSON.stringify(m.blocks);

/** Every message: within Block Kit's limits, and no user text un-escaped. */
function safe(m: IncidentMessage): IncidentMessage {
  assertBlockKitLimits('message', m.blocks);
  const all = `${m.text}${body(m)}`;
  expect(all).not.toContain('<!channel>');
  expect(all).not.toContain('<https://evil');
  expect(all).not.toContain('<@U999');
  return m;
}

describe('people', () => {
  it('mentions Slack users and escapes anything else', () => {
    expect(mention('U0ONCALL1')).toBe('<@U0ONCALL1>');
    expect(mention('alice')).toBe('alice');
    expect(mention('<!here>')).toBe('&lt;!here&gt;');
    expect(mention(null)).toBe('nobody');
    expect(userRef('W0ENTERPRISE')).toBe('<@W0ENTERPRISE>');
    expect(userRef('alice')).toBe('alice');
  });
});

describe('thread messages', () => {
  it('initial response: the guide\'s five lines, first line the point', () => {
    const m = safe(initialResponseMessage({ incident: incident(), how: 'ack' }));
    expect(m.text).toBe('🔎 INC-20261126-1 acknowledged by <@U0ONCALL1> after 3 min · IpfsDown: All IPFS gateways failing');
    const text = (m.blocks[0] as { text: { text: string } }).text.text;
    expect(text.split('\n')).toEqual([
      '🚨 *Alert acknowledged: IpfsDown: All IPFS gateways failing*',
      '*Severity*: P0 (outage or data loss in progress; respond within 15 min)',
      '*On-call*: <@U0ONCALL1>',
      '*Status*: Investigating',
      '*Impact*: being assessed',
      '*ETA for update*: 12:30 UTC',
    ]);
    const declared = safe(initialResponseMessage({ incident: incident({ title: HOSTILE, impact: HUGE }), how: 'declare', immediateEscalation: 'data loss' }));
    expect(declared.text).toMatch(/^🚨 INC-20261126-1 declared by <@U0ONCALL1>: P0 · &lt;!channel&gt;/);
    expect(body(declared)).toContain('data loss goes straight to the CTO and security');
  });

  it('ack details, update, severity, owner, note, attachment, review done', () => {
    expect(safe(ackDetailsMessage(incident({ impact: HOSTILE }), 'U0ONCALL1')).text).toBe(
      '📝 INC-20261126-1 impact: &lt;!channel&gt; &lt;@U999|boss&gt; &amp;amp; &lt;https://evil.example|click&gt; `x` · next update 12:30 UTC',
    );
    const update = safe(
      statusUpdateMessage(
        incident({ next_update_at: '2026-11-26T12:50:00.000Z' }),
        { summary: HOSTILE, completed: '- one\n* two\n\n3. three\nfour\nfive', inProgress: HUGE, blocked: HUGE, nextSteps: HUGE, eta: HUGE, status: 'monitoring' },
        new Date('2026-11-26T12:20:00.000Z'),
        'U0ONCALL2',
      ),
    );
    expect(update.text).toMatch(/^🔄 INC-20261126-1 update \[12:20 UTC\]: &lt;!channel&gt;/);
    const text = body(update);
    expect(text).toContain('• ✅ one');
    expect(text).toContain('• ✅ four');
    expect(text).toContain('• … 1 more');
    expect(text).toContain('*Status*: monitoring');
    expect(text).toContain('*ETA*: zzz');
    expect(text).toContain('next update due 12:50 UTC');

    expect(safe(severityChangedMessage(incident({ severity: 'P1' }), 'P0', 'U0ONCALL1')).text).toBe('⬇️ INC-20261126-1 severity P0 → P1');
    expect(body(severityChangedMessage(incident({ severity: 'P0' }), 'P2', 'U0ONCALL1'))).toContain('⬆️ *Severity P2 → P0*');
    expect(safe(ownerChangedMessage(incident({ owner_id: 'U0ONCALL2' }), 'U0ONCALL1', 'U0ONCALL2')).blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', verbatim: true, text: '👤 <@U0ONCALL2> now owns INC-20261126-1 (was <@U0ONCALL1>)' } },
    ]);
    const note = safe(noteMessage(incident(), HUGE, 'U0ONCALL1'));
    expect(note.text.length).toBeLessThanOrEqual(300);
    expect(safe(noteMessage(incident(), HOSTILE, 'U0ONCALL1')).text).toBe(
      '📝 INC-20261126-1 note from <@U0ONCALL1>: &lt;!channel&gt; &lt;@U999|boss&gt; &amp;amp; &lt;https://evil.example|click&gt; `x`',
    );
    expect(safe(attachedResultMessage(incident(), { headline: HOSTILE, command: '/atlas `health`' }, 'U0ONCALL1')).text).toBe(
      "📎 INC-20261126-1: <@U0ONCALL1> added `/atlas 'health'`",
    );
    expect(safe(reviewDoneMessage(incident(), 'U0ONCALL1')).text).toBe('📋 INC-20261126-1 post-incident review marked done by <@U0ONCALL1>');
  });

  it('escalation: the guide\'s sections, with the newest actions when there are many', () => {
    const m = safe(
      escalationMessage({
        incident: incident({ impact: HUGE }),
        target: 'db',
        contactId: null,
        configKey: 'escalation.dbExpert',
        durationMs: 45 * 60_000,
        actionsTaken: Array.from({ length: 40 }, (_, i) => `✅ step ${i + 1} ${'w'.repeat(300)}`),
        why: HOSTILE,
        need: HUGE,
        actorId: 'U0ONCALL1',
      }),
    );
    expect(m.text).toBe('📣 INC-20261126-1 escalated to the database expert (not configured) by <@U0ONCALL1>');
    const text = (m.blocks[0] as { text: { text: string } }).text.text;
    expect(text).toMatch(/^⚠️ No database expert is configured \(`escalation.dbExpert`\): page them by hand - Escalating P0 incident INC-20261126-1\n/);
    expect(text).toContain('*Duration*: 45 min (started 11:57 UTC)');
    expect(text).toContain('• … 34 earlier (`/atlas timeline INC-20261126-1`)');
    expect(text).toContain('✅ step 40');
    expect(text).not.toContain('✅ step 34 ');
    expect(text).toContain('*Escalating Because*: &lt;!channel&gt;');
    expect(text).toContain('*Immediate Need*: zzz');
  });

  it('resolution, checklist, channel announcement and resolved alerts', () => {
    const closed = incident({ status: 'resolved', resolved_at: '2026-11-26T13:00:00.000Z', resolution: HOSTILE, impact: '1 h of failed retrievals' });
    const due = new Date('2026-11-28T13:00:00.000Z');
    const res = safe(resolutionMessage(closed, due, 'U0ONCALL1'));
    expect(res.text).toBe('✅ INC-20261126-1 resolved after 1 h 3 min by <@U0ONCALL1>');
    expect((res.blocks[0] as { text: { text: string } }).text.text.split('\n')).toEqual([
      '✅ *RESOLVED*: IpfsDown: All IPFS gateways failing',
      '*Duration*: 2026-11-26 11:57 UTC – 13:00 UTC (1 h 3 min)',
      '*Resolution*: &lt;!channel&gt; &lt;@U999|boss&gt; &amp;amp; &lt;https://evil.example|click&gt; `x`',
      '*Impact*: 1 h of failed retrievals',
      '*Follow-up*: post-incident review due by 2026-11-28 13:00 UTC (`/atlas review INC-20261126-1` drafts it)',
    ]);
    const checklist = safe(postIncidentChecklistMessage(closed, [], due));
    expect(body(checklist)).toContain('✅ Clear any firing alerts: none firing');
    expect(body(checklist)).toContain('☐ Schedule debrief meeting (by 2026-11-28 13:00 UTC)');
    expect(body(safe(postIncidentChecklistMessage(closed, ['<!channel>'], due)))).toContain('1 still firing (&lt;!channel&gt;)');
    expect(safe(incidentClosedMessage(closed)).text).toBe('✅ INC-20261126-1 (P0) resolved after 1 h 3 min: IpfsDown: All IPFS gateways failing');
    const alerts = safe(alertsResolvedMessage(closed, ['IpfsDown', 'Other'], ['Other'], 'U0ONCALL1'));
    expect(alerts.text).toBe('🔕 INC-20261126-1: resolved 2 firing alerts');
    expect(body(alerts)).toContain('metrics.db was not updated for Other');
  });
});

describe('incidentCard', () => {
  it('shows severity, status, owner, age, last update and the next deadline, and who acknowledged', () => {
    const card = incidentCard(incident({ impact: HOSTILE }), alert(), new Date('2026-11-26T12:10:00.000Z'), 'tech lead escalation 12:27 UTC (in 17 min)');
    assertBlockKitLimits('message', card.blocks);
    expect(card.text).toBe('🔎 INC-20261126-1 P0 investigating: IpfsDown: All IPFS gateways failing');
    const fields = (card.blocks[1] as { fields: { text: string }[] }).fields.map((f) => f.text);
    expect(fields).toEqual([
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

  it('falls back to the promised update, says when it is overdue, and closes with the review', () => {
    const late = incidentCard(incident({ owner_id: 'U0ONCALL2' }), null, new Date('2026-11-26T12:40:00.000Z'));
    const next = (late.blocks[1] as { fields: { text: string }[] }).fields[5]!.text;
    expect(next).toBe('*Next* update overdue since 12:30 UTC');
    expect(late.blocks).toHaveLength(2);
    const resolved = incident({ status: 'resolved', resolved_at: '2026-11-26T13:00:00.000Z', resolution: 'Switched gateway' });
    const card = incidentCard(resolved, alert({ status: 'resolved', resolved_at: '2026-11-26T13:00:00.000Z' }), new Date('2026-11-26T14:00:00.000Z'));
    const fields = (card.blocks[1] as { fields: { text: string }[] }).fields.map((f) => f.text);
    expect(fields[3]).toBe('*Age* lasted 1 h 3 min (since 11:57 UTC)');
    expect(fields[5]).toBe('*Next* post-incident review, `/atlas review INC-20261126-1`');
    expect(JSON.stringify(card.blocks[2])).toContain('Resolved 2026-11-26 13:00 UTC: Switched gateway');
    const done = incidentCard({ ...resolved, review_done_at: '2026-11-27T10:00:00.000Z' }, null, NOW);
    expect((done.blocks[1] as { fields: { text: string }[] }).fields[5]!.text).toBe('*Next* review done');
    const hostile = incidentCard(incident({ title: HOSTILE, impact: HUGE, resolution: HUGE }), alert({ name: HOSTILE }), NOW, HOSTILE);
    assertBlockKitLimits('message', hostile.blocks);
    expect(JSON.stringify(hostile)).not.toContain('<!channel>');
  });
});

describe('reports', () => {
  it('incidents: worst first in the headline, one row each, empty says so', () => {
    const r = incidentsReport([
      { id: 'INC-20261126-2', severity: 'P0', status: 'investigating', title: 'IpfsDown', ownerId: 'U0ONCALL2', openedAt: '', ageMs: 13 * 60_000, nextDeadline: 'tech lead escalation 12:27 UTC (in 17 min)' },
      { id: 'INC-20261126-1', severity: 'P2', status: 'identified', title: 'slow queries', ownerId: null, openedAt: '', ageMs: 2 * 3_600_000 },
    ]);
    expect(r.level).toBe('crit');
    expect(r.headline).toBe('2 open incidents: 1 P0, 1 P2');
    expect(r.sections[0]!.table!.rows[1]).toEqual(['INC-20261126-1', 'P2', 'identified', '—', '2 h', '—', 'slow queries']);
    expect(renderBlocks(r).text).toContain('2 open incidents');
    expect(incidentsReport([]).headline).toBe('No open incidents');
  });

  it('timeline: times in UTC, with the date when the incident spans days', () => {
    const ev = (id: number, at: string, actor: string, text: string): IncidentEvent => ({ id, incident_id: 'INC-20261126-1', at, actor, kind: 'note', text, data: null });
    const oneDay = timelineReport(incident(), [ev(1, '2026-11-26T11:57:00.000Z', 'bot', 'Alert fired'), ev(2, '2026-11-26T12:00:00.000Z', 'U0ONCALL1', 'Acknowledged')], NOW);
    expect(oneDay.headline).toBe('INC-20261126-1 (P0, investigating, open 3 min): 2 events');
    expect(oneDay.sections[0]!.lines).toEqual(['11:57 UTC · bot · Alert fired', '12:00 UTC · <@U0ONCALL1> · Acknowledged']);
    expect(oneDay.footer).toBe('All times 2026-11-26, UTC.');
    const twoDays = timelineReport(incident(), [ev(1, '2026-11-26T23:57:00.000Z', 'alice', 'a'), ev(2, '2026-11-27T00:03:00.000Z', 'alice', 'b')], NOW);
    expect(twoDays.sections[0]!.lines).toEqual(['2026-11-26 23:57 UTC · alice · a', '2026-11-27 00:03 UTC · alice · b']);
  });

  it('review: the markdown as lines, and how to mark it done', () => {
    const r = reviewReport(incident(), '# Incident Report\n\n| a | b |');
    expect(r.sections[0]!.lines).toEqual(['# Incident Report', '', '| a | b |']);
    expect(r.footer).toBe('`review-done INC-20261126-1` when the review is done (stops the 48 h reminder).');
    expect(renderPlainText(r)).toContain('  # Incident Report');
  });
});
