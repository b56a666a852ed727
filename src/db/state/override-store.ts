import type Database from 'better-sqlite3';
import { iso } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

export type OnCallRole = 'primary' | 'secondary';

/**
 * On whose authority an override made in Slack or the terminal was set: by someone holding the
 * remediate tier ('remediator'), or by the person on call handing over their own shift ('own-shift').
 */
export type OverrideAuthority = 'remediator' | 'own-shift';

/** A row of `oncall_overrides`: someone covers a role for a span (a swap, a holiday). */
export interface OverrideRow {
  id: number;
  user_id: string;
  role: OnCallRole;
  from_at: string;
  until_at: string;
  created_by: string;
  created_at: string;
  removed_by: string | null;
  removed_at: string | null;
  /** Null on rows set before the authority was recorded. */
  authority: OverrideAuthority | null;
}

export interface NewOverride {
  user: string;
  role: OnCallRole;
  from: Date;
  until: Date;
  createdBy: string;
  authority: OverrideAuthority;
}

export interface OverrideStore {
  /**
   * Adds an override unless one of the same role overlaps it (checked in the same immediate
   * transaction, so two people covering at once cannot both win): its id, or the overlapping row.
   */
  add(o: NewOverride, now: Date): Promise<{ id: number } | { overlaps: OverrideRow }>;
  /** Removes an override still in force or to come; false when there is none with that id. */
  remove(id: number, by: string, now: Date): Promise<boolean>;
  get(id: number): Promise<OverrideRow | null>;
  /** Overrides not removed that overlap [from, to), by start. */
  overlapping(from: Date, to: Date): Promise<OverrideRow[]>;
}

export function overrideStore(db: Database.Database): Synchronous<OverrideStore> {
  const sql = statements(db);
  const overlapping = (role: OnCallRole | null, from: Date, to: Date) =>
    sql(
      `SELECT * FROM oncall_overrides
       WHERE removed_at IS NULL AND from_at < ? AND until_at > ? AND (? IS NULL OR role = ?)
       ORDER BY from_at, id`,
    ).all(iso(to), iso(from), role, role) as OverrideRow[];
  const add = db.transaction((o: NewOverride, now: Date): { id: number } | { overlaps: OverrideRow } => {
    const clash = overlapping(o.role, o.from, o.until)[0];
    if (clash) return { overlaps: clash };
    const info = sql('INSERT INTO oncall_overrides (user_id, role, from_at, until_at, created_by, created_at, authority) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      o.user,
      o.role,
      iso(o.from),
      iso(o.until),
      o.createdBy,
      iso(now),
      o.authority,
    );
    return { id: Number(info.lastInsertRowid) };
  });
  return {
    add: (o, now) => add.immediate(o, now),
    remove: (id, by, now) =>
      sql('UPDATE oncall_overrides SET removed_by = ?, removed_at = ? WHERE id = ? AND removed_at IS NULL AND until_at > ?').run(by, iso(now), id, iso(now)).changes === 1,
    get: (id) => (sql('SELECT * FROM oncall_overrides WHERE id = ?').get(id) as OverrideRow | undefined) ?? null,
    overlapping: (from, to) => overlapping(null, from, to),
  };
}
