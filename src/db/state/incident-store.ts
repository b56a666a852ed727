import { type Incident, type Severity } from './state-records.js';

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
