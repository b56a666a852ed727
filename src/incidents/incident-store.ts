import type { StateDb } from '../db/state-db.js';
import type { Severity } from './severity-matrix.js';
import { iso, type Incident, type IncidentEvent } from './incident-types.js';

const ID_PATTERN = /^INC-(\d{8})-(\d{1,4})$/i;

/** Thrown for an incident that does not exist or cannot take the action; the message is for the user. */
export class IncidentError extends Error {
  override name = 'IncidentError';
}

export interface NewIncident {
  title: string;
  severity: Severity;
  createdBy: string;
  ownerId: string | null;
  alertKey?: string | null;
  channelId?: string | null;
  rootTs?: string | null;
  openedAt: Date;
  acknowledgedAt?: Date | null;
  impact?: string | null;
}

/** Creates an incident with the next readable id of its UTC day, INC-YYYYMMDD-N. */
export function createIncident(db: StateDb, input: NewIncident, now: Date): Incident {
  return db.transaction(() => {
    const day = iso(now).slice(0, 10).replaceAll('-', '');
    const { next } = db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM incidents WHERE day = ?').get(day) as { next: number };
    const id = `INC-${day}-${next}`;
    const ackAt = input.acknowledgedAt ?? null;
    db.prepare(
      `INSERT INTO incidents (id, day, seq, title, severity, status, owner_id, created_by, alert_key, channel_id, root_ts,
         opened_at, acknowledged_at, ack_seconds, impact, last_update_at)
       VALUES (?, ?, ?, ?, ?, 'investigating', ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
    ).run(
      id,
      day,
      next,
      input.title,
      input.severity,
      input.ownerId,
      input.createdBy,
      input.alertKey ?? null,
      input.channelId ?? null,
      input.rootTs ?? null,
      iso(input.openedAt),
      ackAt ? iso(ackAt) : null,
      ackAt ? Math.max(0, Math.round((ackAt.getTime() - input.openedAt.getTime()) / 1000)) : null,
      input.impact ?? null,
    );
    return getIncident(db, id)!;
  })();
}

export function getIncident(db: StateDb, id: string): Incident | null {
  return (db.prepare('SELECT * FROM incidents WHERE id = ?').get(id) as Incident | undefined) ?? null;
}

export function openIncidents(db: StateDb): Incident[] {
  return db.prepare("SELECT * FROM incidents WHERE status <> 'resolved' ORDER BY opened_at").all() as Incident[];
}

/**
 * Finds the incident a person meant: an id in any case, or nothing when exactly one incident
 * is open. The error says what to type instead.
 */
export function findIncident(db: StateDb, ref: string | undefined, opts: { mustBeOpen?: boolean } = {}): Incident {
  let incident: Incident | null;
  if (ref === undefined || ref === '') {
    const open = openIncidents(db);
    if (open.length === 0) throw new IncidentError('No incident is open. `/atlas incidents` lists them; `/atlas declare <title>` opens one.');
    if (open.length > 1) {
      throw new IncidentError(`${open.length} incidents are open (${open.map((i) => i.id).join(', ')}); say which one.`);
    }
    incident = open[0]!;
  } else {
    const match = ID_PATTERN.exec(ref.trim());
    if (!match) throw new IncidentError(`\`${ref.slice(0, 40)}\` is not an incident id; they look like INC-20261126-1.`);
    incident = getIncident(db, `INC-${match[1]}-${Number(match[2])}`);
    if (!incident) throw new IncidentError(`No incident ${ref.toUpperCase().slice(0, 40)}. \`/atlas incidents\` lists the open ones.`);
  }
  if (opts.mustBeOpen && incident.status === 'resolved') {
    throw new IncidentError(`${incident.id} is already resolved (${incident.resolved_at?.slice(0, 16).replace('T', ' ')} UTC).`);
  }
  return incident;
}

type IncidentPatch = Partial<Omit<Incident, 'id' | 'day' | 'seq' | 'created_by'>>;

const PATCHABLE = new Set<keyof IncidentPatch>([
  'title', 'severity', 'status', 'owner_id', 'alert_key', 'channel_id', 'root_ts', 'opened_at', 'acknowledged_at',
  'ack_seconds', 'impact', 'next_update_at', 'last_update_at', 'resolved_at', 'resolution', 'review_done_at',
]);

export function updateIncident(db: StateDb, id: string, patch: IncidentPatch): Incident {
  const keys = (Object.keys(patch) as (keyof IncidentPatch)[]).filter((k) => PATCHABLE.has(k));
  if (keys.length > 0) {
    // Column names come from the fixed PATCHABLE set, never from input.
    db.prepare(`UPDATE incidents SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE id = ?`).run(...keys.map((k) => patch[k] ?? null), id);
  }
  const updated = getIncident(db, id);
  if (!updated) throw new IncidentError(`No incident ${id}.`);
  return updated;
}

export function addEvent(
  db: StateDb,
  incidentId: string,
  event: { at: Date; actor: string; kind: string; text: string; data?: unknown },
): void {
  db.prepare('INSERT INTO incident_events (incident_id, at, actor, kind, text, data) VALUES (?, ?, ?, ?, ?, ?)').run(
    incidentId,
    iso(event.at),
    event.actor,
    event.kind,
    event.text,
    event.data === undefined ? null : JSON.stringify(event.data),
  );
}

export function timeline(db: StateDb, incidentId: string): IncidentEvent[] {
  return db.prepare('SELECT * FROM incident_events WHERE incident_id = ? ORDER BY id').all(incidentId) as IncidentEvent[];
}
