/** Rows of chatops.db as the domain leaves them, for tests of pure presentation (templates, presenter). */
import type { AlertRecord, Incident, TimelineEntry, TimerKind, TimerRow } from '../../src/db/state/state-records.js';

/** An acknowledged P0 incident of the alert IpfsDown, opened 11:57, acknowledged 12:00. */
export function incidentRow(patch: Partial<Incident> = {}): Incident {
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
    anchor: 'alert:ipfsdown:1',
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

/** The alert IpfsDown, firing since 11:57, acknowledged as INC-20261126-1 at 12:00. */
export function alertRow(patch: Partial<AlertRecord> = {}): AlertRecord {
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
    incident_id: 'INC-20261126-1',
    acknowledged_by: 'U0ONCALL1',
    acknowledged_at: '2026-11-26T12:00:00.000Z',
    updated_at: '2026-11-26T12:00:00.000Z',
    resolved_sources: '[]',
    resolved_by: null,
    fired_at_note: null,
    group_key: null,
    group_reason: null,
    group_lead: null,
    ...patch,
  };
}

export function timerRow(kind: TimerKind, dueAt: string, patch: Partial<TimerRow> = {}): TimerRow {
  return {
    id: 1,
    incident_id: 'INC-20261126-1',
    alert_key: null,
    kind,
    due_at: dueAt,
    created_at: '2026-11-26T12:00:00.000Z',
    fired_at: null,
    cancelled_at: null,
    attempts: 0,
    last_error: null,
    ...patch,
  };
}

export function timelineEntry(id: number, at: string, actor: string, kind: string, text: string, data: unknown = null): TimelineEntry {
  return { id, incident_id: 'INC-20261126-1', at, actor, kind, text, data: data === null ? null : JSON.stringify(data) };
}
