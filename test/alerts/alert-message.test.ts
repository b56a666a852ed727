import { assertBlockKitLimits } from '../helpers/slack-judge.js';
import { describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../src/db/state/state-records.js';
import { alertMessage, severityText } from '../../src/templates/alert-message.js';
import { ALERT_ACK_ACTION, ALERT_HEALTH_ACTION } from '../../src/templates/incident-buttons.js';


const NOW = new Date('2026-11-26T12:00:00.000Z');

function record(over: Partial<AlertRecord> = {}): AlertRecord {
  return {
    key: 'provider_down',
    name: 'provider_down',
    status: 'firing',
    severity: 'P1',
    severity_known: 1,
    symptom_id: 'provider-outage',
    message: 'Provider Census TIGER availability 40%',
    sources: '["metrics-db","alertmanager"]',
    fingerprints: '[]',
    runbook_url: null,
    fired_at: '2026-11-26T11:48:00.000Z',
    resolved_at: null,
    source_fired_at: null,
    fire_count: 1,
    incident_id: null,
    acknowledged_by: null,
    acknowledged_at: null,
    updated_at: '2026-11-26T11:48:00.000Z',
    resolved_sources: '[]',
    resolved_by: null,
    fired_at_note: null,
    group_key: null,
    group_reason: null,
    group_lead: null,
    ...over,
  };
}

type Block = { type: string; text?: { text: string }; elements?: { text?: unknown; action_id?: string; value?: string }[] };
const blocksOf = (m: { blocks: unknown[] }) => m.blocks as Block[];
const firstLine = (m: { blocks: unknown[] }) => blocksOf(m)[0]!.text!.text;
const contextText = (m: { blocks: unknown[] }) =>
  blocksOf(m)
    .filter((b) => b.type === 'context')
    .flatMap((b) => b.elements!.map((e) => String(e.text)))
    .join(' | ');

describe('alertMessage', () => {
  it('opens with severity, name, firing and since when; offers Acknowledge and Health', () => {
    const m = alertMessage(record(), NOW);
    expect(firstLine(m)).toBe('🔴 *P1 · provider_down* firing since 11:48 UTC (12 min)');
    expect(m.text).toBe('P1 provider_down firing since 11:48 UTC (12 min)');
    expect(blocksOf(m)[1]!.text!.text).toBe('Provider Census TIGER availability 40%');
    expect(contextText(m)).toContain('Severity P1 · respond within 1 h');
    expect(contextText(m)).toContain('From metrics.db, Alertmanager');
    expect(contextText(m)).toContain('Runbook: `/atlas runbook upstream-failure`');
    const actions = blocksOf(m).find((b) => b.type === 'actions')!;
    expect(actions.elements!.map((e) => [e.action_id, e.value])).toEqual([
      [ALERT_ACK_ACTION, 'provider_down'],
      [ALERT_HEALTH_ACTION, 'provider_down'],
    ]);
    assertBlockKitLimits('message', m.blocks);
  });

  it('marks P0 loudest and says "just now" in the first minute', () => {
    const m = alertMessage(record({ severity: 'P0', fired_at: '2026-11-26T11:59:30.000Z' }), NOW);
    expect(firstLine(m)).toBe('🚨 *P0 · provider_down* firing since 11:59 UTC (just now)');
  });

  it('shows a resolved alert with its duration and without buttons', () => {
    const m = alertMessage(record({ status: 'resolved', resolved_at: '2026-11-26T11:58:00.000Z', fire_count: 3 }), NOW);
    expect(firstLine(m)).toBe('✅ *P1 · provider_down* resolved at 11:58 UTC after 10 min');
    expect(blocksOf(m).some((b) => b.type === 'actions')).toBe(false);
    expect(contextText(m)).toContain('Fired 3 times');
    expect(contextText(m)).not.toContain('respond within');
  });

  it('says when an alert is not in the severity matrix', () => {
    expect(severityText({ severity: 'P2', severity_known: 0 })).toBe('P2 (not in the severity matrix: P2 by default)');
    expect(severityText({ severity: 'P0', severity_known: 1 })).toBe('P0');
    const m = alertMessage(record({ name: 'odd_thing', key: 'odd_thing', severity: 'P2', severity_known: 0, symptom_id: null }), NOW);
    expect(contextText(m)).toContain('Severity P2 (not in the severity matrix: P2 by default) · respond within 4 h');
    expect(contextText(m)).toContain('/atlas runbook incident-response');
  });

  it("says when the severity is the source's own because the matrix does not know the alert", () => {
    expect(severityText({ severity: 'P1', severity_known: 2 })).toBe('P1 (source says critical; not in the severity matrix)');
    expect(severityText({ severity: 'P2', severity_known: 2 })).toBe('P2 (source says warning; not in the severity matrix)');
    const m = alertMessage(record({ name: 'replica_lag_high', key: 'replica_lag_high', severity: 'P1', severity_known: 2, symptom_id: null }), NOW);
    expect(firstLine(m)).toContain('*P1 · replica_lag_high*');
    expect(contextText(m)).toContain('Severity P1 (source says critical; not in the severity matrix) · respond within 1 h');
  });

  it('links a runbook URL without letting a | smuggle a label in', () => {
    const m = alertMessage(record({ runbook_url: 'https://runbooks.example/a|click-me' }), NOW);
    expect(contextText(m)).toContain('Runbook: <https://runbooks.example/a%7Cclick-me>');
  });

  it('drops the buttons once an incident owns the alert, and names who acknowledged', () => {
    const owned = alertMessage(record({ incident_id: 'INC-20261126-1' }), NOW);
    expect(blocksOf(owned).some((b) => b.type === 'actions')).toBe(false);
    const acked = alertMessage(record({ acknowledged_by: 'U0ONCALL1' }), NOW);
    expect(contextText(acked)).toContain('Acknowledged by <@U0ONCALL1>');
  });

  it('escapes the name and message and stays within Block Kit limits at the longest inputs', () => {
    const m = alertMessage(record({ name: `<!here>${'n'.repeat(193)}`, message: `<!channel> *bold* ${'x'.repeat(2990)}` }), NOW);
    expect(JSON.stringify(m.blocks)).not.toMatch(/<!here>|<!channel>/);
    expect(m.text).not.toContain('<!here>');
    expect(m.text.length).toBeLessThanOrEqual(300);
    assertBlockKitLimits('message', m.blocks);
  });

  it('survives a sources column that is not JSON', () => {
    const m = alertMessage(record({ sources: 'garbage' }), NOW);
    expect(contextText(m)).not.toContain('From');
  });
});
