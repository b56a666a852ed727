import type Database from 'better-sqlite3';
import { iso, type TimelineEntry } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

export interface NewTimelineEntry {
  at: Date;
  actor: string;
  kind: string;
  text: string;
  data?: unknown;
}

export interface TimelineStore {
  add(incidentId: string, entry: NewTimelineEntry): Promise<void>;
  /** Everything on one incident's timeline, in order. */
  list(incidentId: string): Promise<TimelineEntry[]>;
}

export function timelineStore(db: Database.Database): Synchronous<TimelineStore> {
  const sql = statements(db);
  return {
    add(incidentId, e) {
      sql('INSERT INTO incident_events (incident_id, at, actor, kind, text, data) VALUES (?, ?, ?, ?, ?, ?)').run(
        incidentId,
        iso(e.at),
        e.actor,
        e.kind,
        e.text,
        e.data === undefined ? null : JSON.stringify(e.data),
      );
    },
    list: (incidentId) => sql('SELECT * FROM incident_events WHERE incident_id = ? ORDER BY id').all(incidentId) as TimelineEntry[],
  };
}
