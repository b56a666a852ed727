import type Database from 'better-sqlite3';
import { iso } from './state-records.js';
import { statements } from './statements.js';

/** A previewed remediation waiting for its one confirmation. */
export interface ConfirmationRow {
  token: string;
  user_id: string;
  channel_id: string | null;
  command: string;
  /** JSON: the arguments as the command took them (re-validated when confirmed). */
  args: string;
  /** JSON: the plan as previewed. */
  plan: string;
  fingerprint: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export type NewConfirmation = Omit<ConfirmationRow, 'created_at' | 'used_at'>;

/** What a press on Confirm finds: the plan it stands for, or why it stands for nothing. */
export type ConfirmationClaim =
  | { kind: 'claimed'; row: ConfirmationRow }
  | { kind: 'unknown' }
  | { kind: 'not-yours'; row: ConfirmationRow }
  | { kind: 'used'; row: ConfirmationRow }
  | { kind: 'expired'; row: ConfirmationRow };

export interface ConfirmationStore {
  save(c: NewConfirmation, now: Date): void;
  /**
   * Uses a token once: only by the person it was made for, before it expires, and only the first
   * time (a double click, a replay and a second process all find it used). Check-and-set in an
   * immediate transaction.
   */
  claim(token: string, userId: string, now: Date): ConfirmationClaim;
}

export function confirmationStore(db: Database.Database): ConfirmationStore {
  const sql = statements(db);
  const claim = db.transaction((token: string, userId: string, now: Date): ConfirmationClaim => {
    const row = sql('SELECT * FROM remediation_confirmations WHERE token = ?').get(token) as ConfirmationRow | undefined;
    if (!row) return { kind: 'unknown' };
    if (row.user_id !== userId) return { kind: 'not-yours', row };
    if (row.used_at) return { kind: 'used', row };
    if (row.expires_at <= iso(now)) return { kind: 'expired', row };
    sql('UPDATE remediation_confirmations SET used_at = ? WHERE token = ? AND used_at IS NULL').run(iso(now), token);
    return { kind: 'claimed', row: { ...row, used_at: iso(now) } };
  });
  return {
    save(c, now) {
      sql(
        'INSERT INTO remediation_confirmations (token, user_id, channel_id, command, args, plan, fingerprint, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(c.token, c.user_id, c.channel_id, c.command, c.args, c.plan, c.fingerprint, iso(now), c.expires_at);
    },
    claim: (token, userId, now) => claim.immediate(token, userId, now),
  };
}
