import type { OnCallRole, OverrideAuthority, OverrideRow } from '../db/state/override-store.js';

export type { OnCallRole, OverrideAuthority };

/** Someone covering a role for a span: from the config (planned) or `/atlas oncall cover`. */
export interface Override {
  /** The chatops.db row id (what `oncall uncover` takes); null for one from the config. */
  id: number | null;
  user: string;
  role: OnCallRole;
  from: Date;
  until: Date;
  /** Who set it with `oncall cover`; null for the config's. */
  by: string | null;
  /**
   * On whose authority it was set: 'config' (planned in the config), 'remediator' (set by someone
   * holding the remediate tier, or in the terminal), 'own-shift' (the person on call handed over
   * their own shift), 'unchecked' (set before that was checked). Only the first two change who
   * counts as on call for the permission tiers (on-call-authority.ts).
   */
  authority: 'config' | OverrideAuthority | 'unchecked';
}

/** An `oncall cover` row as the rotation reads it. */
export function overrideOfRow(r: OverrideRow): Override {
  return { id: r.id, user: r.user_id, role: r.role, from: new Date(r.from_at), until: new Date(r.until_at), by: r.created_by, authority: r.authority ?? 'unchecked' };
}

/** Who the rotation itself puts on a shift. */
export interface ShiftPair {
  primary: string | null;
  secondary: string | null;
}

/** One shift of the rotation: between two consecutive shift changes. */
export interface Shift {
  index: number;
  start: Date;
  end: Date;
  scheduled: ShiftPair;
  /** Overrides overlapping the shift, by start. */
  overrides: Override[];
}

/** Who is on call at one instant. */
export interface OnCallAt extends ShiftPair {
  shift: Shift;
  /** Who the source itself (the config's rotation, PagerDuty's schedules) puts on at that instant, before any override. */
  bySchedule: ShiftPair;
  /** The overrides in force at that instant, by role. */
  covering: Partial<Record<OnCallRole, Override>>;
  /** When who is on call next changes: the shift's end or an override's bound, whichever comes first. */
  until: Date;
}

/**
 * Who is on call at t in shift `s`: the overrides in force over `scheduled`. Who is on call next
 * changes at the first override bound after t, or at `until` (the shift's end, or earlier when
 * the source knows of a change inside the shift) when that comes first.
 */
export function onCallWithOverrides(s: Shift, t: Date, scheduled: ShiftPair, until: number): OnCallAt {
  const covering: OnCallAt['covering'] = {};
  let next = until;
  for (const o of s.overrides) {
    if (o.from <= t && t < o.until) covering[o.role] = o;
    for (const bound of [o.from.getTime(), o.until.getTime()]) if (bound > t.getTime() && bound < next) next = bound;
  }
  return {
    primary: covering.primary?.user ?? scheduled.primary,
    secondary: covering.secondary?.user ?? scheduled.secondary,
    shift: s,
    bySchedule: { primary: scheduled.primary, secondary: scheduled.secondary },
    covering,
    until: new Date(next),
  };
}

/**
 * Who is on call at instant t, and when that changes. The config's rotation is one source;
 * PagerDuty's schedules (part 7) are another. Everything that asks who is on call (escalation,
 * reminders, the handoff, the permission tiers, the Home tab) asks through this.
 */
export interface RotationSource {
  /** The zone shift changes are written in (the handoff shows it beside UTC when it is not UTC). */
  readonly timezone: string;
  /** Who is on call at t; null without a rotation or before its first shift. */
  at(t: Date): Promise<OnCallAt | null>;
  /** The shift changes after `from` up to and including `to`, oldest first. */
  shiftChanges(from: Date, to: Date): Date[];
  /** The first shift change after t; null without a rotation. */
  nextShiftChange(t: Date): Date | null;
  /** The shifts overlapping [from, to), oldest first. */
  shifts(from: Date, to: Date): Promise<Shift[]>;
  /**
   * A cached source (PagerDuty's schedules) whose source has not answered since `since`: the
   * answers are the last known. Absent or null when the answers are current.
   */
  readonly stale?: { since: Date } | null;
  /** A cached source asks its source again (the pagerduty-rotation job); never throws. */
  refresh?(): Promise<void>;
}

/** No rotation configured: nobody is on call, and no shift ever changes. */
export const NO_ROTATION: RotationSource = {
  timezone: 'UTC',
  at: async () => null,
  shiftChanges: () => [],
  nextShiftChange: () => null,
  shifts: async () => [],
};
