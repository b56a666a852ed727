import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/incidents/domain-events.js';
import { timelineLines } from '../../src/templates/timeline-entries.js';
import { alertRow, incidentRow } from '../helpers/incident-fixtures.js';

const NOW = new Date('2026-11-26T12:40:00.000Z');
const incident = incidentRow();
const lines = (event: DomainEvent) => timelineLines(event, NOW).map((l) => [l.incidentId, l.actor, l.kind, l.text]);

describe('timelineLines', () => {
  it('dates the firing of an acknowledged alert when it fired, and the acknowledgement now', () => {
    const out = timelineLines({ type: 'incident-opened', how: 'ack', incident, alert: alertRow(), immediateEscalation: null }, NOW);
    expect(out.map((l) => [l.at.toISOString(), l.actor, l.kind, l.text])).toEqual([
      ['2026-11-26T11:57:00.000Z', 'bot', 'alert-fired', 'Alert IpfsDown fired: All IPFS gateways failing'],
      ['2026-11-26T12:40:00.000Z', 'U0ONCALL1', 'acknowledged', 'Acknowledged after 3 min; incident opened (P0)'],
    ]);
    expect(out[0]!.data).toEqual({ alertKey: 'ipfsdown', severity: 'P0' });
  });

  it('says how a declared incident got its severity', () => {
    const declared = (basis: Extract<DomainEvent, { how: 'declare' }>['basis']) =>
      lines({ type: 'incident-opened', how: 'declare', incident: incidentRow({ title: 'TIGER down', severity: 'P1' }), basis, immediateEscalation: null })[0]![3];
    expect(declared({ kind: 'symptom', title: 'provider outage' })).toBe('Declared P1 (matches "provider outage"): TIGER down');
    expect(declared({ kind: 'given' })).toBe('Declared P1 (as declared): TIGER down');
    expect(declared({ kind: 'default' })).toBe('Declared P1 (no symptom matched: P2 by default): TIGER down');
  });

  it('writes plain text, without mentions, naming who did it', () => {
    expect(lines({ type: 'ack-details-set', incident, impact: 'slow proofs', eta: new Date('2026-11-26T13:00:00.000Z'), actor: 'U0ONCALL1' })).toEqual([
      [incident.id, 'U0ONCALL1', 'ack-details', 'Impact: slow proofs · next update 13:00 UTC'],
    ]);
    expect(lines({ type: 'ack-details-set', incident, impact: null, eta: new Date('2026-11-26T13:00:00.000Z'), actor: 'U0ONCALL1' })[0]![3]).toBe('next update 13:00 UTC');
    expect(lines({ type: 'owner-changed', incident: incidentRow({ owner_id: 'U0ONCALL2' }), previous: null, actor: 'U0ONCALL1' })[0]![3]).toBe('Owner nobody → U0ONCALL2');
    expect(lines({ type: 'escalated', incident, target: 'db', contactId: null, reason: { kind: 'given', text: 'x' }, need: 'a DBA', history: [], actor: 'U0ONCALL1' })).toEqual([
      [incident.id, 'U0ONCALL1', 'escalated', 'Escalated to the database expert (not configured): a DBA'],
    ]);
    expect(lines({ type: 'review-done', incident, actor: 'U0ONCALL2' })).toEqual([[incident.id, 'U0ONCALL2', 'review-done', 'Post-incident review marked done']]);
    expect(lines({ type: 'atlas-not-updated', incident, what: 'acknowledged_at', problem: 'metrics.db is locked' })).toEqual([
      [incident.id, 'bot', 'bot-note', 'metrics.db not updated (acknowledged_at): metrics.db is locked'],
    ]);
  });

  it('puts each incident reminder on the timeline, said by the bot, and no alert reminder', () => {
    const reminder = (r: Extract<DomainEvent, { type: 'reminder-fired' }>['reminder']) => lines({ type: 'reminder-fired', reminder: r });
    expect(reminder({ kind: 'update-due', timerId: 1, incident, lastUpdateAt: '2026-11-26T12:00:00.000Z' })).toEqual([
      [incident.id, 'bot', 'reminder', 'Reminder: no status update for 40 min'],
    ]);
    expect(reminder({ kind: 'escalate-tech-lead', timerId: 2, incident, contact: 'U0TECHLEAD' })[0]![3]).toBe('Reminder: escalate to the tech lead');
    expect(reminder({ kind: 'escalate-cto', timerId: 3, incident, contact: null })[0]![3]).toBe('Reminder: escalate to the CTO (none configured)');
    expect(reminder({ kind: 'handoff-suggest', timerId: 4, incident, onCallPrimary: null })[0]![3]).toBe('Reminder: open past 4 h, consider a handoff');
    expect(reminder({ kind: 'review-reminder', timerId: 5, incident })[0]![3]).toBe('Reminder: post-incident review not marked done');
    expect(reminder({ kind: 'ack-reminder', timerId: 6, alert: alertRow({ incident_id: null }) })).toEqual([]);
  });

  it('notes a snooze of an incident reminder, not of an alert reminder', () => {
    const snooze = (incidentId: string | null, minutes: number) =>
      lines({ type: 'reminder-snoozed', incidentId, anchor: null, kind: 'escalate-cto', from: 1, to: 2, minutes, until: new Date(NOW.getTime() + minutes * 60_000), actor: 'U0ONCALL1' });
    expect(snooze(incident.id, 30)).toEqual([[incident.id, 'U0ONCALL1', 'snooze', 'CTO escalation reminder snoozed for 30 min, until 13:10 UTC']]);
    expect(snooze(incident.id, 120)[0]![3]).toBe('CTO escalation reminder snoozed for 2 h, until 14:40 UTC');
    expect(snooze(null, 30)).toEqual([]);
  });

  it("tells an incident about its alert, and says nothing about an alert nobody acknowledged", () => {
    expect(lines({ type: 'alert-resolved', alert: alertRow({ status: 'resolved', resolved_at: '2026-11-26T12:35:00.000Z' }) })).toEqual([
      [incident.id, 'bot', 'alert-resolved', 'Alert IpfsDown resolved at 12:35 UTC.'],
    ]);
    expect(lines({ type: 'alert-resolved', alert: alertRow({ incident_id: null, status: 'resolved' }) })).toEqual([]);
    expect(lines({ type: 'alert-raised', alert: alertRow({ incident_id: null }) })).toEqual([]);
    expect(lines({ type: 'alert-refired', incident, alert: alertRow({ incident_id: null, fire_count: 2 }) })).toEqual([
      [incident.id, 'bot', 'alert-refired', 'Alert IpfsDown fired again at 12:40 UTC; posted as a new alert.'],
    ]);
    expect(lines({ type: 'alerts-resolved', incident, names: ['IpfsDown', 'Other'], notWritten: [{ name: 'Other', problem: 'locked' }], actor: 'U0ONCALL1' })).toEqual([
      [incident.id, 'U0ONCALL1', 'alerts-resolved', 'Resolved firing alerts: IpfsDown, Other'],
      [incident.id, 'bot', 'bot-note', 'metrics.db not updated for Other: locked'],
    ]);
  });
});
