import type Database from 'better-sqlite3';
import { iso, type Incident } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

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

export function pageStore(db: Database.Database): Synchronous<PageStore> {
  const sql = statements(db);
  return {
    record(p) {
      sql('INSERT INTO pages (user_id, at, kind, alert_key, incident_id) VALUES (?, ?, ?, ?, ?)').run(p.userId, iso(p.at), p.kind, p.alertKey ?? null, p.incidentId ?? null);
    },
    between: (from, to, userId) =>
      (userId === undefined
        ? sql('SELECT * FROM pages WHERE at >= ? AND at < ? ORDER BY at, id').all(iso(from), iso(to))
        : sql('SELECT * FROM pages WHERE user_id = ? AND at >= ? AND at < ? ORDER BY at, id').all(userId, iso(from), iso(to))) as PageRow[],
    markReliefSuggested: (userId, shiftStart, nights, now) =>
      sql('INSERT OR IGNORE INTO relief_suggestions (user_id, shift_start, nights, suggested_at) VALUES (?, ?, ?, ?)').run(userId, iso(shiftStart), nights, iso(now)).changes > 0,
    incidentsActive: (from, to) =>
      sql('SELECT * FROM incidents WHERE opened_at < ? AND (resolved_at IS NULL OR resolved_at >= ?) ORDER BY opened_at, id').all(iso(to), iso(from)) as Incident[],
  };
}
