import type Database from 'better-sqlite3';
import { iso } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

/**
 * pending: notes or a reminder, not yet posted. posted: the handoff went out. skipped: the bot
 * was down across it and a later one was posted instead. baseline: the shift the bot first
 * started in, which it did not see begin (nothing to catch up before it).
 */
export type HandoffStatus = 'pending' | 'posted' | 'skipped' | 'baseline';

/** One shift's handoff, keyed by the shift's start (the shift change it is posted at). */
export interface HandoffRow {
  shift_start: string;
  notes: string | null;
  notes_by: string | null;
  notes_at: string | null;
  reminded_at: string | null;
  status: HandoffStatus;
  settled_at: string | null;
  outgoing: string | null;
  incoming: string | null;
  late: number;
  /** JSON array of the shift starts skipped in its favour, or null. */
  skipped: string | null;
}

export interface HandoffPost {
  outgoing: string | null;
  incoming: string | null;
  late: boolean;
  /** Earlier shift changes missed while the bot was down: marked skipped in the same transaction. */
  skipped: Date[];
}

export interface HandoffStore {
  get(shiftStart: Date): Promise<HandoffRow | null>;
  /** The newest handoff that is settled (posted, skipped or the baseline). */
  latestSettled(): Promise<HandoffRow | null>;
  /** Saves the outgoing engineer's notes; false when that handoff is already out (notes are then kept by the next one). */
  saveNotes(shiftStart: Date, text: string, by: string, now: Date): Promise<boolean>;
  /** Claims the reminder of a shift change: true once, whichever process asks first. */
  claimReminder(shiftStart: Date, now: Date): Promise<boolean>;
  /**
   * Claims the post of a shift's handoff: true once, whichever process or tick asks first; the
   * caller records the message in the same transaction.
   */
  claimPost(shiftStart: Date, post: HandoffPost, now: Date): Promise<boolean>;
  /** Records where the bot started without posting (its first start, mid-shift); false when a row exists. */
  markBaseline(shiftStart: Date, now: Date): Promise<boolean>;
}

export function handoffStore(db: Database.Database): Synchronous<HandoffStore> {
  const sql = statements(db);
  const ensure = (shiftStart: Date) => sql('INSERT INTO handoffs (shift_start) VALUES (?) ON CONFLICT (shift_start) DO NOTHING').run(iso(shiftStart));
  return {
    get: (shiftStart) => (sql('SELECT * FROM handoffs WHERE shift_start = ?').get(iso(shiftStart)) as HandoffRow | undefined) ?? null,
    latestSettled: () => (sql("SELECT * FROM handoffs WHERE status <> 'pending' ORDER BY shift_start DESC LIMIT 1").get() as HandoffRow | undefined) ?? null,
    saveNotes(shiftStart, text, by, now) {
      ensure(shiftStart);
      return sql("UPDATE handoffs SET notes = ?, notes_by = ?, notes_at = ? WHERE shift_start = ? AND status = 'pending'").run(text, by, iso(now), iso(shiftStart)).changes === 1;
    },
    claimReminder(shiftStart, now) {
      ensure(shiftStart);
      return sql("UPDATE handoffs SET reminded_at = ? WHERE shift_start = ? AND reminded_at IS NULL AND status = 'pending'").run(iso(now), iso(shiftStart)).changes === 1;
    },
    claimPost(shiftStart, post, now) {
      ensure(shiftStart);
      const claimed =
        sql(
          `UPDATE handoffs SET status = 'posted', settled_at = ?, outgoing = ?, incoming = ?, late = ?, skipped = ?
           WHERE shift_start = ? AND status = 'pending'`,
        ).run(iso(now), post.outgoing, post.incoming, post.late ? 1 : 0, post.skipped.length > 0 ? JSON.stringify(post.skipped.map(iso)) : null, iso(shiftStart)).changes === 1;
      if (!claimed) return false;
      for (const s of post.skipped) {
        ensure(s);
        sql("UPDATE handoffs SET status = 'skipped', settled_at = ? WHERE shift_start = ? AND status = 'pending'").run(iso(now), iso(s));
      }
      return true;
    },
    markBaseline(shiftStart, now) {
      ensure(shiftStart);
      return sql("UPDATE handoffs SET status = 'baseline', settled_at = ? WHERE shift_start = ? AND status = 'pending'").run(iso(now), iso(shiftStart)).changes === 1;
    },
  };
}
