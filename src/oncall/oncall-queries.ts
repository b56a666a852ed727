/**
 * The questions `/atlas oncall` asks of a rotation: who is on call now and next, which overrides
 * are in force or coming, one person's shifts ahead. Asked through RotationSource only, so the
 * config's rotation and PagerDuty's answer alike.
 */
import type { OnCallAt, OnCallRole, Override, RotationSource, Shift } from './rotation-source.js';

const DAY_MS = 86_400_000;
export const ROLES: readonly OnCallRole[] = ['primary', 'secondary'];

/** An override as listed: whom it covers for (the rotation's people of that role during it). */
export interface ListedOverride {
  override: Override;
  coveringFor: string[];
  inForce: boolean;
}

export type OnCallSummary =
  | { kind: 'none' }
  | { kind: 'not-started'; startsAt: Date; first: OnCallAt | null; overrides: ListedOverride[] }
  | { kind: 'on'; current: OnCallAt; next: OnCallAt | null; overrides: ListedOverride[] };

/** Overrides in force and coming are looked for this far ahead, and over at most this many shifts. */
export const OVERRIDE_HORIZON_MS = 90 * DAY_MS;
const OVERRIDE_HORIZON_SHIFTS = 60;

/** One key per override: its chatops.db id, or what a config override is made of. */
export function overrideKey(o: Override): string {
  return o.id !== null ? `#${o.id}` : `config:${o.role}:${o.user}:${o.from.toISOString()}:${o.until.toISOString()}`;
}

function distinct<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}

/** The rotation's own people of `role` while `o` runs (whom it covers for). */
export async function coveredPeople(rotation: RotationSource, o: Pick<Override, 'role' | 'from' | 'until'>): Promise<string[]> {
  return distinct(
    (await rotation.shifts(o.from, o.until))
      .map((s) => s.scheduled[o.role])
      .filter((u): u is string => u !== null),
  );
}

/** The end of the window to look for overrides in: OVERRIDE_HORIZON_MS, or fewer shifts when they are short. */
function overrideHorizon(rotation: RotationSource, from: Date): Date {
  const end = new Date(from.getTime() + OVERRIDE_HORIZON_MS);
  const changes = rotation.shiftChanges(from, end);
  return changes.length > OVERRIDE_HORIZON_SHIFTS ? changes[OVERRIDE_HORIZON_SHIFTS - 1]! : end;
}

/** Overrides not over yet at `now` (in force or coming), by start. */
export async function overridesAhead(rotation: RotationSource, now: Date): Promise<ListedOverride[]> {
  const seen = new Map<string, Override>();
  for (const shift of await rotation.shifts(now, overrideHorizon(rotation, now))) {
    for (const o of shift.overrides) if (o.until > now && !seen.has(overrideKey(o))) seen.set(overrideKey(o), o);
  }
  const ahead = [...seen.values()].sort((a, b) => a.from.getTime() - b.from.getTime());
  return await Promise.all(ahead.map(async (o) => ({ override: o, coveringFor: (await coveredPeople(rotation, o)).filter((u) => u !== o.user), inForce: o.from <= now })));
}

/** Who is on call now and next, and the overrides around. */
export async function onCallSummary(rotation: RotationSource, now: Date): Promise<OnCallSummary> {
  const current = await rotation.at(now);
  if (!current) {
    const startsAt = rotation.nextShiftChange(now);
    if (!startsAt) return { kind: 'none' };
    return { kind: 'not-started', startsAt, first: await rotation.at(startsAt), overrides: await overridesAhead(rotation, now) };
  }
  return { kind: 'on', current, next: await rotation.at(current.until), overrides: await overridesAhead(rotation, now) };
}

/** A part of someone else's time on call that another person covers. */
export interface CoveredPart {
  override: Override;
  from: Date;
  until: Date;
}

/** A stretch one person is on call in one role. */
export interface PersonShift {
  role: OnCallRole;
  from: Date;
  until: Date;
  /** Set when this is an override: the person covers for the rotation's people of the role. */
  override: Override | null;
  coveringFor: string[];
  /** A shift of the rotation's own: the parts others cover (none for an override). */
  coveredBy: CoveredPart[];
  /** Others cover all of it: the person is not on call in it at all. */
  fullyCovered: boolean;
}

function clip(o: Override, shift: Shift): { from: Date; until: Date } {
  return { from: new Date(Math.max(o.from.getTime(), shift.start.getTime())), until: new Date(Math.min(o.until.getTime(), shift.end.getTime())) };
}

/** Whether the parts cover [from, until) without a gap. */
function coversAll(parts: readonly { from: Date; until: Date }[], from: Date, until: Date): boolean {
  let reached = from.getTime();
  for (const p of [...parts].sort((a, b) => a.from.getTime() - b.from.getTime())) {
    if (p.from.getTime() > reached) return false;
    reached = Math.max(reached, p.until.getTime());
  }
  return reached >= until.getTime();
}

/**
 * `user`'s time on call from `now` to `to`, oldest first, at most `limit`: the rotation's shifts
 * that are theirs (saying which parts others cover) and the overrides in which they cover.
 */
export async function shiftsOf(rotation: RotationSource, user: string, now: Date, to: Date, limit: number): Promise<PersonShift[]> {
  const out: PersonShift[] = [];
  const covering = new Map<string, Override>();
  for (const shift of await rotation.shifts(now, to)) {
    for (const role of ROLES) {
      for (const o of shift.overrides) {
        if (o.user === user && o.role === role && o.until > now && shift.scheduled[role] !== user) covering.set(overrideKey(o), o);
      }
      if (shift.scheduled[role] !== user) continue;
      const coveredBy = shift.overrides.filter((o) => o.role === role && o.user !== user && o.until > now).map((o) => ({ override: o, ...clip(o, shift) }));
      // What is left of a shift under way is what counts: is any of it still theirs?
      const left = new Date(Math.max(now.getTime(), shift.start.getTime()));
      out.push({ role, from: shift.start, until: shift.end, override: null, coveringFor: [], coveredBy, fullyCovered: coversAll(coveredBy, left, shift.end) });
    }
  }
  for (const o of covering.values()) {
    out.push({ role: o.role, from: o.from, until: o.until, override: o, coveringFor: (await coveredPeople(rotation, o)).filter((u) => u !== user), coveredBy: [], fullyCovered: false });
  }
  return out.sort((a, b) => a.from.getTime() - b.from.getTime() || a.role.localeCompare(b.role)).slice(0, limit);
}

/** The first stretch of [from, until) in which `user` holds `role`, by asking who is on call as time goes on. */
export async function firstStretchAs(rotation: RotationSource, user: string, role: OnCallRole, from: Date, until: Date): Promise<{ from: Date; until: Date } | null> {
  let t = from;
  let start: Date | null = null;
  while (t < until) {
    const at = await rotation.at(t);
    const next = at ? at.until : rotation.nextShiftChange(t);
    if (at?.[role] === user) start ??= t;
    else if (start) return { from: start, until: t };
    if (!next || next <= t) break;
    t = next;
  }
  return start ? { from: start, until: t < until ? t : until } : null;
}
