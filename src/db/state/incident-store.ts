import type Database from 'better-sqlite3';
import { iso, type Incident, type Severity } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

export interface NewIncident {
  title: string;
  severity: Severity;
  createdBy: string;
  ownerId: string | null;
  alertKey?: string | null;
  /** The alert's message when the incident comes from an alert; else the incident gets its own. */
  anchor?: string;
  openedAt: Date;
  acknowledgedAt?: Date | null;
  impact?: string | null;
}

export type IncidentPatch = Partial<Omit<Incident, 'id' | 'day' | 'seq' | 'created_by' | 'anchor'>>;

export interface IncidentStore {
  /** Creates an incident with the next readable id of its UTC day, INC-YYYYMMDD-N. */
  create(input: NewIncident, now: Date): Promise<Incident>;
  get(id: string): Promise<Incident | null>;
  byAnchor(anchor: string): Promise<Incident | null>;
  /** Open incidents, oldest first. */
  open(): Promise<Incident[]>;
  update(id: string, patch: IncidentPatch): Promise<Incident | null>;
  /** Check-and-set: marks an open incident resolved; false when it already was. */
  markResolved(id: string): Promise<boolean>;
  /** Incidents opened in [from, to), oldest first (the reliability report). */
  openedBetween(from: Date, to: Date): Promise<Incident[]>;
  /** Resolved incidents whose post-incident review is not marked done, oldest resolution first. */
  reviewsOpen(): Promise<Incident[]>;
}

/** The columns `update` may change; a patch's other keys are ignored. */
export const PATCHABLE = new Set<keyof IncidentPatch>([
  'title', 'severity', 'status', 'owner_id', 'alert_key', 'opened_at', 'acknowledged_at', 'ack_seconds', 'impact',
  'next_update_at', 'last_update_at', 'resolved_at', 'resolution', 'review_done_at',
]);

export function incidentStore(db: Database.Database): Synchronous<IncidentStore> {
  const sql = statements(db);
  const get = (id: string) => (sql('SELECT * FROM incidents WHERE id = ?').get(id) as Incident | undefined) ?? null;
  return {
    create(input, now) {
      const day = iso(now).slice(0, 10).replaceAll('-', '');
      const { next } = sql('SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM incidents WHERE day = ?').get(day) as { next: number };
      const id = `INC-${day}-${next}`;
      const ackAt = input.acknowledgedAt ?? null;
      sql(
        `INSERT INTO incidents (id, day, seq, title, severity, status, owner_id, created_by, alert_key, anchor,
           opened_at, acknowledged_at, ack_seconds, impact, last_update_at)
         VALUES (?, ?, ?, ?, ?, 'investigating', ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
      ).run(
        id,
        day,
        next,
        input.title,
        input.severity,
        input.ownerId,
        input.createdBy,
        input.alertKey ?? null,
        input.anchor ?? `incident:${id}`,
        iso(input.openedAt),
        ackAt ? iso(ackAt) : null,
        ackAt ? Math.max(0, Math.round((ackAt.getTime() - input.openedAt.getTime()) / 1000)) : null,
        input.impact ?? null,
      );
      return get(id)!;
    },
    get,
    byAnchor: (anchor) => (sql('SELECT * FROM incidents WHERE anchor = ? ORDER BY opened_at DESC LIMIT 1').get(anchor) as Incident | undefined) ?? null,
    open: () => sql("SELECT * FROM incidents WHERE status <> 'resolved' ORDER BY opened_at").all() as Incident[],
    update(id, patch) {
      const keys = (Object.keys(patch) as (keyof IncidentPatch)[]).filter((k) => PATCHABLE.has(k));
      // Column names come from the fixed PATCHABLE set, never from input.
      if (keys.length > 0) sql(`UPDATE incidents SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE id = ?`).run(...keys.map((k) => patch[k] ?? null), id);
      return get(id);
    },
    markResolved: (id) => sql("UPDATE incidents SET status = 'resolved' WHERE id = ? AND status <> 'resolved'").run(id).changes === 1,
    openedBetween: (from, to) => sql('SELECT * FROM incidents WHERE opened_at >= ? AND opened_at < ? ORDER BY opened_at, id').all(iso(from), iso(to)) as Incident[],
    reviewsOpen: () => sql("SELECT * FROM incidents WHERE status = 'resolved' AND review_done_at IS NULL ORDER BY resolved_at, id").all() as Incident[],
  };
}
