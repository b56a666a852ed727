import type { StateDb } from '../db/state-db.js';
import type { AlertRecord } from '../incidents/incident-types.js';

export function getAlert(db: StateDb, key: string): AlertRecord | null {
  return (db.prepare('SELECT * FROM alerts WHERE key = ?').get(key) as AlertRecord | undefined) ?? null;
}

/** The dedupe key of an alert: its name, case-insensitively, whichever source reported it. */
export function alertKey(name: string): string {
  return name.trim().toLowerCase();
}

export function firingAlerts(db: StateDb): AlertRecord[] {
  return db.prepare("SELECT * FROM alerts WHERE status = 'firing' ORDER BY fired_at").all() as AlertRecord[];
}

type AlertPatch = Partial<Omit<AlertRecord, 'key'>>;

const PATCHABLE = new Set<keyof AlertPatch>([
  'name', 'status', 'severity', 'severity_known', 'symptom_id', 'message', 'sources', 'fingerprints', 'runbook_url',
  'fired_at', 'resolved_at', 'source_fired_at', 'fire_count', 'channel_id', 'message_ts', 'incident_id',
  'acknowledged_by', 'acknowledged_at', 'updated_at',
]);

export function updateAlert(db: StateDb, key: string, patch: AlertPatch): void {
  const keys = (Object.keys(patch) as (keyof AlertPatch)[]).filter((k) => PATCHABLE.has(k));
  if (keys.length === 0) return;
  // Column names come from the fixed PATCHABLE set, never from input.
  db.prepare(`UPDATE alerts SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE key = ?`).run(...keys.map((k) => patch[k] ?? null), key);
}
