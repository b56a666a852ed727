
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
