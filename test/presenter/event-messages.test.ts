import { describe, expect, it } from 'vitest';
import type { OutboxMessage } from '../../src/db/state/outbox-store.js';
import type { DomainEvent } from '../../src/incidents/domain-events.js';
import { eventMessages } from '../../src/presenter/event-messages.js';
import { alertRow, incidentRow, timelineEntry } from '../helpers/incident-fixtures.js';

const NOW = new Date('2026-11-26T12:10:00.000Z');
const CONFIG = { channels: { incidents: 'C0INCIDENT' } };
const CARD = 'alert:ipfsdown:1';
/** All firings of one alert share one lane. */
const LANE = 'alert:ipfsdown';

const incident = incidentRow();
const declared = incidentRow({ id: 'INC-20261126-2', alert_key: null, anchor: 'incident:INC-20261126-2' });
const unacknowledged = alertRow({ incident_id: null, acknowledged_by: null, acknowledged_at: null });

/** Each message as [op, anchor, its text or "(live)" for a refresh rendered at send time]. */
function shape(messages: OutboxMessage[]): [string, string | null | undefined, string][] {
  return messages.map((m) => [m.op, m.anchor, m.payload ? m.payload.text : '(live)']);
}

const of = (event: DomainEvent) => eventMessages(event, CONFIG, NOW);
const starts = (prefix: string) => expect.stringMatching(new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)) as string;

describe('eventMessages', () => {
  it("puts everything about an alert and its incidents in the alert's lane, for the incident channel", () => {
    const all: DomainEvent[] = [
      { type: 'alert-raised', alert: unacknowledged },
      { type: 'alert-resolved', alert: alertRow({ status: 'resolved', resolved_at: '2026-11-26T12:09:00.000Z' }) },
      { type: 'incident-opened', how: 'ack', incident, alert: alertRow(), immediateEscalation: null },
      { type: 'status-updated', incident, update: { summary: 'x' }, previousStatus: 'investigating', actor: 'U0ONCALL1' },
      { type: 'incident-resolved', incident: incidentRow({ status: 'resolved', resolved_at: NOW.toISOString() }), firingAlerts: [], reviewDue: NOW, actor: 'U0ONCALL1' },
      { type: 'reminder-fired', reminder: { kind: 'ack-reminder', timerId: 7, alert: unacknowledged } },
    ];
    for (const event of all) {
      for (const m of of(event)) {
        expect(m.lane, event.type).toBe(LANE);
        expect(m.anchor, event.type).toBe(CARD);
        expect(m.channel, event.type).toBe('C0INCIDENT');
      }
    }
    expect(eventMessages({ type: 'alert-raised', alert: unacknowledged }, { channels: {} }, NOW)[0]!.channel).toBeNull();
  });

  it('a new firing is its message, rendered when it is sent', () => {
    expect(shape(of({ type: 'alert-raised', alert: unacknowledged }))).toEqual([['refresh', CARD, '(live)']]);
  });

  it('a resolution edits the message, keeping how this firing ended should the alert fire again first; an incident hears of it in its thread', () => {
    const alone = of({ type: 'alert-resolved', alert: alertRow({ incident_id: null, status: 'resolved', resolved_at: '2026-11-26T12:09:00.000Z' }) });
    expect(shape(alone)).toEqual([['refresh', CARD, starts('P0 IpfsDown resolved at 12:09 UTC')]]);
    const linked = of({ type: 'alert-resolved', alert: alertRow({ status: 'resolved', resolved_at: '2026-11-26T12:09:00.000Z' }) });
    expect(shape(linked)).toEqual([
      ['refresh', CARD, starts('P0 IpfsDown resolved at 12:09 UTC')],
      ['reply', CARD, starts('Alert IpfsDown resolved at 12:09 UTC')],
    ]);
    expect(linked[1]!.payload!.text).toBe('Alert IpfsDown resolved at 12:09 UTC.');
  });

  it("a re-fire is told in the old incident's thread (its new message comes from its own alert-raised)", () => {
    const refired = of({ type: 'alert-refired', incident, alert: alertRow({ fire_count: 2, incident_id: null }) });
    expect(shape(refired)).toEqual([['reply', CARD, starts('Alert IpfsDown fired again at 12:10 UTC')]]);
    // The same lane as the new firing's message: the old thread hears of it first.
    expect(refired[0]!.lane).toBe(LANE);
    expect(of({ type: 'alert-raised', alert: alertRow({ fire_count: 2, incident_id: null }) })[0]!.lane).toBe(LANE);
  });

  it('an incident opens with its card first, then the initial response in its thread', () => {
    expect(shape(of({ type: 'incident-opened', how: 'ack', incident, alert: alertRow(), immediateEscalation: null }))).toEqual([
      ['refresh', CARD, '(live)'],
      ['reply', CARD, starts('🔎 INC-20261126-1 acknowledged by <@U0ONCALL1>')],
    ]);
    const own = of({ type: 'incident-opened', how: 'declare', incident: declared, basis: { kind: 'default' }, immediateEscalation: null });
    expect(shape(own)).toEqual([
      ['refresh', 'incident:INC-20261126-2', '(live)'],
      ['reply', 'incident:INC-20261126-2', starts('🚨 INC-20261126-2 declared by')],
    ]);
    expect(own.every((m) => m.lane === 'incident:INC-20261126-2')).toBe(true);
  });

  it('a change is a reply in the thread, then the card refreshed', () => {
    const changes: [DomainEvent, string][] = [
      [{ type: 'ack-details-set', incident: incidentRow({ impact: 'slow' }), impact: 'slow', eta: null, actor: 'U0ONCALL1' }, '📝 INC-20261126-1 impact: slow'],
      [{ type: 'status-updated', incident, update: { summary: 'x' }, previousStatus: 'investigating', actor: 'U0ONCALL1' }, '🔄 INC-20261126-1 update [12:10 UTC]: x'],
      [{ type: 'severity-changed', incident, from: 'P1', actor: 'U0ONCALL1' }, '⬆️ INC-20261126-1 severity P1 → P0'],
      [{ type: 'owner-changed', incident, previous: 'U0ONCALL2', actor: 'U0ONCALL1' }, '👤 INC-20261126-1 now owned by'],
      [{ type: 'note-added', incident, text: 'w3s 504', actor: 'U0ONCALL1' }, '📝 INC-20261126-1 note from'],
      [{ type: 'review-done', incident, actor: 'U0ONCALL1' }, '📋 INC-20261126-1 post-incident review marked done'],
      [{ type: 'alerts-resolved', incident, names: ['IpfsDown'], notWritten: [], actor: 'U0ONCALL1' }, '🔕 INC-20261126-1: resolved 1 firing alert'],
    ];
    for (const [event, text] of changes) {
      expect(shape(of(event)), event.type).toEqual([
        ['reply', CARD, starts(text)],
        ['refresh', CARD, '(live)'],
      ]);
    }
    // An attached result changes nothing the card shows.
    expect(shape(of({ type: 'result-attached', incident, command: '/atlas health', headline: 'ok', actor: 'U0ONCALL1' }))).toEqual([
      ['reply', CARD, starts('📎 INC-20261126-1: <@U0ONCALL1> added')],
    ]);
  });

  it('an escalation of a P0 is also shown in the channel', () => {
    const escalation = (severity: 'P0' | 'P1'): DomainEvent => ({
      type: 'escalated',
      incident: incidentRow({ severity }),
      target: 'techlead',
      contactId: 'U0TECHLEAD',
      reason: { kind: 'given', text: 'vendor down' },
      need: null,
      history: [timelineEntry(1, '2026-11-26T12:05:00.000Z', 'U0ONCALL1', 'note', 'w3s 504')],
      actor: 'U0ONCALL1',
    });
    const p0 = of(escalation('P0'));
    expect(shape(p0)).toEqual([
      ['reply', CARD, starts('📣 INC-20261126-1 escalated to the tech lead')],
      ['refresh', CARD, '(live)'],
    ]);
    expect(p0[0]!.payload!.broadcast).toBe(true);
    expect(JSON.stringify(p0[0]!.payload!.blocks)).toContain('📝 w3s 504');
    expect(of(escalation('P1'))[0]!.payload!.broadcast).toBeUndefined();
  });

  it('a resolution is the resolution and the checklist in the thread, a line in the channel after them, then the card', () => {
    const closed = incidentRow({ status: 'resolved', resolved_at: NOW.toISOString(), resolution: 'gateway switched' });
    const messages = of({ type: 'incident-resolved', incident: closed, firingAlerts: ['IpfsDown'], reviewDue: new Date('2026-11-28T12:10:00.000Z'), actor: 'U0ONCALL1' });
    expect(shape(messages)).toEqual([
      ['reply', CARD, starts('✅ INC-20261126-1 resolved after 13 min')],
      ['reply', CARD, starts('📋 INC-20261126-1 post-incident checklist')],
      ['post', CARD, starts('✅ INC-20261126-1 (P0) resolved')],
      ['refresh', CARD, '(live)'],
    ]);
    expect(JSON.stringify(messages[1]!.payload!.blocks)).toContain('1 still firing (IpfsDown)');
  });

  it('an alert reminder goes to the channel beside the alert (whose message no longer shows a snooze); an incident reminder to its thread, and the card shows the next deadline', () => {
    expect(shape(of({ type: 'reminder-fired', reminder: { kind: 'ack-reminder', timerId: 7, alert: unacknowledged } }))).toEqual([
      ['post', CARD, starts('⏰ P0 alert IpfsDown not acknowledged')],
      ['refresh', CARD, '(live)'],
    ]);
    expect(shape(of({ type: 'reminder-fired', reminder: { kind: 'ack-secondary', timerId: 8, alert: unacknowledged, secondary: 'U0SECONDA' } }))).toEqual([
      ['post', CARD, starts('📣 P0 alert IpfsDown not acknowledged')],
      ['refresh', CARD, '(live)'],
    ]);
    const reminders: DomainEvent[] = [
      { type: 'reminder-fired', reminder: { kind: 'update-due', timerId: 9, incident, lastUpdateAt: incident.last_update_at! } },
      { type: 'reminder-fired', reminder: { kind: 'escalate-tech-lead', timerId: 10, incident, contact: 'U0TECHLEAD' } },
      { type: 'reminder-fired', reminder: { kind: 'escalate-cto', timerId: 11, incident, contact: null } },
      { type: 'reminder-fired', reminder: { kind: 'handoff-suggest', timerId: 12, incident, onCallPrimary: null } },
      { type: 'reminder-fired', reminder: { kind: 'review-reminder', timerId: 13, incident: incidentRow({ status: 'resolved', resolved_at: '2026-11-24T12:00:00.000Z' }) } },
    ];
    for (const event of reminders) {
      expect(
        shape(of(event)).map(([op, anchor]) => [op, anchor]),
        event.type,
      ).toEqual([
        ['reply', CARD],
        ['refresh', CARD],
      ]);
    }
  });

  it('a snooze is told in the thread and shown on the card; a failed write to metrics.db posts nothing (it is on the timeline)', () => {
    const snoozed = of({ type: 'reminder-snoozed', incidentId: incident.id, anchor: CARD, kind: 'update-due', from: 1, to: 2, minutes: 30, until: NOW, actor: 'U0ONCALL1' });
    expect(snoozed.map((m) => [m.op, m.anchor])).toEqual([
      ['reply', CARD],
      ['refresh', CARD],
    ]);
    expect(snoozed[0]!.payload!.text).toBe('⏰ <@U0ONCALL1> snoozed the status update reminder of INC-20261126-1 for 30 min, until 12:10 UTC');
    expect(of({ type: 'atlas-not-updated', incident, what: 'acknowledged_at', problem: 'locked' })).toEqual([]);
  });
});
