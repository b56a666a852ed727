import { assertBlockKitLimits } from '../helpers/slack-judge.js';
import { describe, expect, it } from 'vitest';
import {
  type SlackMessage,
} from '../../src/templates/block-kit.js';
import {
  ackDetailsMessage,
  actionsTaken,
  alertNoteMessage,
  alertsResolvedMessage,
  attachedResultMessage,
  escalationMessage,
  escalationReasonText,
  incidentClosedMessage,
  initialResponseMessage,
  noteMessage,
  ownerChangedMessage,
  postIncidentChecklistMessage,
  resolutionMessage,
  reviewDoneMessage,
  severityChangedMessage,
  statusUpdateMessage,
} from '../../src/templates/incident-messages.js';
import { mention, userRef } from '../../src/templates/people.js';
import { incidentRow as incident, timelineEntry } from '../helpers/incident-fixtures.js';

const HOSTILE = '<!channel> <@U999|boss> &amp; <https://evil.example|click> `x`';
const HUGE = 'z'.repeat(5000);

const body = (m: { blocks: unknown[] }) => JSON.stringify(m.blocks);

/** Every message: within Block Kit's limits, and no user text un-escaped. */
function safe(m: SlackMessage): SlackMessage {
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
  it("initial response: the guide's five lines, first line the point", () => {
    const m = safe(initialResponseMessage({ incident: incident(), how: 'ack', immediateEscalation: null }));
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
    expect(body(m)).not.toContain('straight to the CTO');
    const declared = safe(initialResponseMessage({ incident: incident({ title: HOSTILE, impact: HUGE }), how: 'declare', immediateEscalation: 'data loss' }));
    expect(declared.text).toMatch(/^🚨 INC-20261126-1 declared by <@U0ONCALL1>: P0 · &lt;!channel&gt;/);
    expect(body(declared)).toContain('data loss goes straight to the CTO and security: `/atlas escalate INC-20261126-1 cto`');
  });

  it('ack details, update, severity, owner, note, attachment, review done', () => {
    expect(safe(ackDetailsMessage(incident({ impact: HOSTILE }), 'U0ONCALL1')).text).toBe(
      '📝 INC-20261126-1 impact: &lt;!channel&gt; &lt;@U999|boss&gt; &amp;amp; &lt;https://evil.example|click&gt; `x` · next update 12:30 UTC',
    );
    expect(body(ackDetailsMessage(incident({ impact: 'Proof verification slow' }), 'U0ONCALL1'))).toContain(
      '*Impact*: Proof verification slow · *Next update*: 12:30 UTC',
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
    expect(body(ownerChangedMessage(incident({ owner_id: 'U0ONCALL2' }), 'U0ONCALL1', 'U0ONCALL1'))).toContain('(was <@U0ONCALL1>) (set by <@U0ONCALL1>)');
    const note = safe(noteMessage(incident(), HUGE, 'U0ONCALL1'));
    expect(note.text.length).toBeLessThanOrEqual(300);
    expect(body(note)).toContain('…');
    expect(safe(noteMessage(incident(), HOSTILE, 'U0ONCALL1')).text).toBe(
      '📝 INC-20261126-1 note from <@U0ONCALL1>: &lt;!channel&gt; &lt;@U999|boss&gt; &amp;amp; &lt;https://evil.example|click&gt; `x`',
    );
    expect(safe(attachedResultMessage(incident(), { headline: HOSTILE, command: '/atlas `health`' }, 'U0ONCALL1')).text).toBe(
      "📎 INC-20261126-1: <@U0ONCALL1> added `/atlas 'health'`",
    );
    expect(safe(reviewDoneMessage(incident(), 'U0ONCALL1')).text).toBe('📋 INC-20261126-1 post-incident review marked done by <@U0ONCALL1>');
  });

  it("escalation: the guide's sections, with the newest actions when there are many", () => {
    const history = Array.from({ length: 40 }, (_, i) =>
      timelineEntry(i + 1, '2026-11-26T12:10:00.000Z', 'U0ONCALL1', 'status-update', 'Update', { summary: 's', completed: `step ${i + 1} ${'w'.repeat(300)}` }),
    );
    const m = safe(
      escalationMessage({
        incident: incident({ impact: HUGE }),
        target: 'db',
        contactId: null,
        configKey: 'escalation.dbExpert',
        at: new Date('2026-11-26T12:42:00.000Z'),
        history,
        reason: { kind: 'given', text: HOSTILE },
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

    const named = safe(
      escalationMessage({
        incident: incident(),
        target: 'techlead',
        contactId: 'U0TECHLEAD',
        configKey: 'escalation.techLead',
        at: new Date('2026-11-26T12:42:00.000Z'),
        history: [],
        reason: { kind: 'threshold', severity: 'P0', afterMinutes: 30, reached: true, ageMs: 45 * 60_000 },
        need: null,
        actorId: 'U0ONCALL1',
      }),
    );
    expect(named.text).toBe('📣 INC-20261126-1 escalated to the tech lead (<@U0TECHLEAD>) by <@U0ONCALL1>');
    expect(body(named)).toContain('<@U0TECHLEAD> - Escalating P0 incident INC-20261126-1');
    expect(body(named)).toContain('• nothing recorded on the timeline yet');
    expect(body(named)).toContain('*Immediate Need*: eyes on the incident: see the thread');
  });

  it('says why an escalation happens now, in the guide\'s words', () => {
    expect(escalationReasonText({ kind: 'threshold', severity: 'P0', afterMinutes: 30, reached: true, ageMs: 45 * 60_000 }, 'techlead')).toBe(
      '30 min threshold for a P0 reached (open 45 min)',
    );
    expect(escalationReasonText({ kind: 'threshold', severity: 'P0', afterMinutes: 60, reached: false, ageMs: 10 * 60_000 }, 'cto')).toBe(
      'judgement call of the responder, before the 1 h threshold for a P0',
    );
    expect(escalationReasonText({ kind: 'judgement', severity: 'P2', target: 'cto' }, 'cto')).toBe('judgement call of the responder (no CTO deadline for a P2)');
    expect(escalationReasonText({ kind: 'immediate', symptom: 'data loss' }, 'cto')).toBe('data loss: the guide sends it straight to the CTO and security');
    expect(escalationReasonText({ kind: 'given', text: 'vendor down' }, 'cto')).toBe('vendor down');
  });

  it('lists the actions taken from the timeline: done, blocked, ran, noted and changed', () => {
    const at = '2026-11-26T12:10:00.000Z';
    expect(
      actionsTaken([
        timelineEntry(1, at, 'U0ONCALL1', 'status-update', 'Update: x', { summary: 'x', completed: '- Emergency backup created', blocked: 'Gateway vendor unreachable' }),
        timelineEntry(2, at, 'U0ONCALL1', 'status-update', 'Update: y', { summary: 'Still down' }),
        timelineEntry(3, at, 'U0ONCALL1', 'attached', '/atlas health: IPFS 41 s'),
        timelineEntry(4, at, 'U0ONCALL1', 'note', 'w3s returns 504'),
        timelineEntry(5, at, 'U0ONCALL1', 'severity', 'Severity P1 → P0'),
        timelineEntry(6, at, 'bot', 'reminder', 'Reminder: no status update for 30 min'),
        timelineEntry(7, at, 'U0ONCALL1', 'status-update', 'Update: broken', null),
      ]),
    ).toEqual([
      '✅ Emergency backup created',
      '❌ Gateway vendor unreachable',
      '🔄 Still down',
      '✅ ran /atlas health: IPFS 41 s',
      '📝 w3s returns 504',
      '↕️ Severity P1 → P0',
    ]);
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
    const checklist = safe(postIncidentChecklistMessage(closed, { firingAlerts: [], reviewDue: due }));
    expect(checklist.text).toBe('📋 INC-20261126-1 post-incident checklist');
    expect(body(checklist)).toContain('✅ Clear any firing alerts: none firing');
    expect(body(checklist)).toContain('☐ Schedule debrief meeting (by 2026-11-28 13:00 UTC)');
    expect(body(safe(postIncidentChecklistMessage(closed, { firingAlerts: ['IpfsDown'], reviewDue: due })))).toContain('☐ Clear any firing alerts: 1 still firing (IpfsDown)');
    expect(body(safe(postIncidentChecklistMessage(closed, { firingAlerts: ['<!channel>'], reviewDue: due })))).toContain('1 still firing (&lt;!channel&gt;)');
    expect(safe(incidentClosedMessage(closed)).text).toBe('✅ INC-20261126-1 (P0) resolved after 1 h 3 min: IpfsDown: All IPFS gateways failing');
    const alerts = safe(alertsResolvedMessage(closed, ['IpfsDown', 'Other'], ['Other'], 'U0ONCALL1'));
    expect(alerts.text).toBe('🔕 INC-20261126-1: resolved 2 firing alerts');
    expect(body(alerts)).toContain('metrics.db was not updated for Other');
    expect(safe(alertsResolvedMessage(closed, ['IpfsDown'], [], 'U0ONCALL1')).text).toBe('🔕 INC-20261126-1: resolved 1 firing alert');
  });

  it("notes in the thread that the incident's alert resolved or fired again", () => {
    expect(safe(alertNoteMessage('IpfsDown', 'resolved', '2026-11-26T12:45:00.000Z')).text).toBe('Alert IpfsDown resolved at 12:45 UTC.');
    expect(safe(alertNoteMessage('<!channel>', 'refired', new Date('2026-11-26T12:50:00.000Z'))).text).toBe(
      'Alert &lt;!channel&gt; fired again at 12:50 UTC; posted as a new alert.',
    );
  });
});
