import type { HandoffRow } from '../db/state/handoff-store.js';
import type { RotationSource } from './rotation-source.js';

/** A handoff posted more than this after its shift change says it is late, and when it was due. */
export const LATE_AFTER_MS = 2 * 60_000;
/**
 * On its very first start the bot posts the current shift's handoff only if the shift changed
 * this recently; later than that it did not see the shift begin and starts counting from it.
 */
export const FIRST_START_GRACE_MS = 10 * 60_000;

export type HandoffDue =
  | { kind: 'none' }
  /** The bot's first start, mid-shift: nothing before it to catch up. */
  | { kind: 'baseline'; shiftChange: Date }
  | { kind: 'post'; shiftChange: Date; late: boolean; skipped: Date[] };

/** What the handoff store tells the schedule. */
export interface HandoffHistory {
  get(shiftStart: Date): Promise<HandoffRow | null>;
  latestSettled(): Promise<HandoffRow | null>;
}

/**
 * Which handoff is due at `now`: the latest shift change at or before now, unless it is settled.
 * Shift changes missed since the last settled one (the bot was down) are skipped in its favour:
 * only the latest is posted, late, naming the others.
 */
export async function dueHandoff(rotation: RotationSource, history: HandoffHistory, now: Date): Promise<HandoffDue> {
  const current = await rotation.at(now);
  if (!current) return { kind: 'none' };
  const change = current.shift.start;
  const row = await history.get(change);
  if (row && row.status !== 'pending') return { kind: 'none' };
  const late = now.getTime() - change.getTime() > LATE_AFTER_MS;
  const settled = await history.latestSettled();
  if (!settled) {
    return now.getTime() - change.getTime() <= FIRST_START_GRACE_MS ? { kind: 'post', shiftChange: change, late, skipped: [] } : { kind: 'baseline', shiftChange: change };
  }
  const since = new Date(settled.shift_start);
  // A settled row after the current change (a clock set back) leaves nothing to catch up.
  if (since >= change) return { kind: 'none' };
  const skipped = rotation.shiftChanges(since, change).filter((c) => c.getTime() !== change.getTime());
  return { kind: 'post', shiftChange: change, late, skipped };
}

export interface ReminderDue {
  shiftChange: Date;
  /** The outgoing primary, who gets the reminder. */
  outgoing: string;
}

/**
 * The notes reminder due at `now`: the next shift change is within `reminderMinutes` and nobody
 * has been reminded yet (the store's claim makes it once). Null when nobody is on call to remind.
 */
export async function dueReminder(rotation: RotationSource, history: HandoffHistory, now: Date, reminderMinutes: number): Promise<ReminderDue | null> {
  const next = rotation.nextShiftChange(now);
  if (!next || next.getTime() - now.getTime() > reminderMinutes * 60_000) return null;
  const row = await history.get(next);
  if (row && (row.reminded_at || row.status !== 'pending')) return null;
  const outgoing = (await rotation.at(new Date(next.getTime() - 1)))?.primary;
  return outgoing ? { shiftChange: next, outgoing } : null;
}
