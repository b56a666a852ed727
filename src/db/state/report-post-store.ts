import type Database from 'better-sqlite3';
import { iso } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

/** One weekly reliability report as posted: the scheduled time it was for, where, and when it was queued. */
export interface ReportPostRow {
  due_at: string;
  channel: string;
  posted_at: string;
}

/** The weekly reliability report's posts (report.cron), so each scheduled time is posted once. */
export interface ReportPostStore {
  /**
   * Claims the post of the report scheduled at `dueAt`: true once, whichever process or tick asks
   * first; the caller queues the message in the same transaction.
   */
  claim(dueAt: Date, channel: string, now: Date): Promise<boolean>;
  get(dueAt: Date): Promise<ReportPostRow | null>;
}

export function reportPostStore(db: Database.Database): Synchronous<ReportPostStore> {
  const sql = statements(db);
  return {
    claim: (dueAt, channel, now) =>
      sql('INSERT INTO reliability_reports (due_at, channel, posted_at) VALUES (?, ?, ?) ON CONFLICT (due_at) DO NOTHING').run(iso(dueAt), channel, iso(now)).changes === 1,
    get: (dueAt) => (sql('SELECT * FROM reliability_reports WHERE due_at = ?').get(iso(dueAt)) as ReportPostRow | undefined) ?? null,
  };
}
