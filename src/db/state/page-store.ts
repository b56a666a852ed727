import { type Incident } from './state-records.js';

/** A row of `pages`: the on-call engineer paged (an alert posted to them, or acknowledged by them). */
export interface PageRow {
  id: number;
  user_id: string;
  at: string;
  kind: 'posted' | 'acknowledged';
  alert_key: string | null;
  incident_id: string | null;
}

export interface NewPage {
  userId: string;
  at: Date;
  kind: PageRow['kind'];
  alertKey?: string | null;
  incidentId?: string | null;
}

export interface PageStore {
  record(page: NewPage): Promise<void>;
  /** Pages in [from, to), oldest first; of one person when `userId` is given. */
  between(from: Date, to: Date, userId?: string): Promise<PageRow[]>;
  /**
   * Remembers that relief was suggested to `userId` for the shift starting at `shiftStart`;
   * false when it already was (another process, an earlier sweep): once per shift.
   */
  markReliefSuggested(userId: string, shiftStart: Date, nights: number, now: Date): Promise<boolean>;
  /** Incidents open at some time in [from, to) (for `oncall load`), oldest first. */
  incidentsActive(from: Date, to: Date): Promise<Incident[]>;
}
