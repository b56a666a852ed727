
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
