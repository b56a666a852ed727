import type Database from 'better-sqlite3';
import { iso } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

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
  /** Where the preview can be replaced (the response_url of the message it is), when Slack gave one. */
  response_url: string | null;
  /** The arguments as the person typed them, for "run it again". */
  shown_args: string | null;
  /** When the expiry sweep claimed it (and said so on the preview); null while pending or once used. */
  expired_at: string | null;
}

export type NewConfirmation = Omit<ConfirmationRow, 'created_at' | 'used_at' | 'expired_at' | 'response_url' | 'shown_args'> &
  Partial<Pick<ConfirmationRow, 'response_url' | 'shown_args'>>;

/** What a press on Confirm finds: the plan it stands for, or why it stands for nothing. */
export type ConfirmationClaim =
  | { kind: 'claimed'; row: ConfirmationRow }
  | { kind: 'unknown' }
  | { kind: 'not-yours'; row: ConfirmationRow }
  | { kind: 'used'; row: ConfirmationRow }
  | { kind: 'expired'; row: ConfirmationRow };

export interface ConfirmationStore {
  save(c: NewConfirmation, now: Date): Promise<void>;
  /**
   * Uses a token once: only by the person it was made for, before it expires, and only the first
   * time (a double click, a replay and a second process all find it used). Check-and-set in an
   * immediate transaction.
   */
  claim(token: string, userId: string, now: Date): Promise<ConfirmationClaim>;
  /**
   * Claims, at most `limit`, the previews that expired unconfirmed and were not swept yet: marks
   * them expired in an immediate transaction, so of two processes sweeping one gets each. A
   * preview used (confirmed) is never among them.
   */
  claimExpired(now: Date, limit: number): Promise<ConfirmationRow[]>;
}

export function confirmationStore(db: Database.Database): Synchronous<ConfirmationStore> {
  const sql = statements(db);
  const claim = db.transaction((token: string, userId: string, now: Date): ConfirmationClaim => {
    const row = sql('SELECT * FROM remediation_confirmations WHERE token = ?').get(token) as ConfirmationRow | undefined;
    if (!row) return { kind: 'unknown' };
    if (row.user_id !== userId) return { kind: 'not-yours', row };
    if (row.used_at) return { kind: 'used', row };
    // Swept as expired by a process whose clock ran ahead: its preview already says so.
    if (row.expires_at <= iso(now) || row.expired_at) return { kind: 'expired', row };
    // The response_url is of no more use once the preview is settled: it is not kept (it lets anyone post there for 30 min).
    sql('UPDATE remediation_confirmations SET used_at = ?, response_url = NULL WHERE token = ? AND used_at IS NULL').run(iso(now), token);
    return { kind: 'claimed', row: { ...row, used_at: iso(now) } };
  });
  const claimExpired = db.transaction((now: Date, limit: number): ConfirmationRow[] => {
    const rows = sql(
      'SELECT * FROM remediation_confirmations WHERE used_at IS NULL AND expired_at IS NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?',
    ).all(iso(now), limit) as ConfirmationRow[];
    for (const row of rows) {
      sql('UPDATE remediation_confirmations SET expired_at = ?, response_url = NULL WHERE token = ? AND used_at IS NULL AND expired_at IS NULL').run(iso(now), row.token);
    }
    return rows.map((row) => ({ ...row, expired_at: iso(now) }));
  });
  return {
    save(c, now) {
      sql(
        'INSERT INTO remediation_confirmations (token, user_id, channel_id, command, args, plan, fingerprint, created_at, expires_at, response_url, shown_args) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(c.token, c.user_id, c.channel_id, c.command, c.args, c.plan, c.fingerprint, iso(now), c.expires_at, c.response_url ?? null, c.shown_args ?? null);
    },
    claim: (token, userId, now) => claim.immediate(token, userId, now),
    claimExpired: (now, limit) => claimExpired.immediate(now, limit),
  };
}
