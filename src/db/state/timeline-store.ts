import { type TimelineEntry } from './state-records.js';

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
