import { CronExpressionParser } from 'cron-parser';
import type { Config } from '../config.js';
import type { StateStore } from '../db/state/state-store.js';
import type { Override, RotationSource, Shift, ShiftPair } from './rotation-source.js';
import { NO_ROTATION, onCallWithOverrides, overrideOfRow } from './rotation-source.js';
import { zonedInstant } from './zoned-time.js';

type RotationConfig = NonNullable<Config['rotation']>;

/** Overrides overlapping [from, to): the config's and those set with `oncall cover`. */
export type OverrideLookup = (from: Date, to: Date) => Promise<Override[]>;

/** The instant a rotation starts: a date is midnight in the rotation's zone. */
export function rotationOrigin(rotation: Pick<RotationConfig, 'start' | 'timezone'>): Date | null {
  if (!rotation.start) return null;
  return /^\d{4}-\d{2}-\d{2}$/.test(rotation.start) ? zonedInstant(rotation.start, '00:00', rotation.timezone) : new Date(rotation.start);
}

/** The config's own overrides as the rotation reads them. */
export function configOverrides(rotation: Pick<RotationConfig, 'overrides'>): Override[] {
  return rotation.overrides.map((o) => ({ id: null, user: o.user, role: o.role, from: o.from, until: o.until, by: null, authority: 'config' }));
}

/**
 * The rotation of the config file: shift changes on the `handoff` cron in `timezone` (cron-parser
 * enumerates them, DST included), shift N being the Nth interval between fire times from `start`,
 * `primary` and `secondary` walked in turn, and overrides winning for their span.
 */
export function configRotation(rotation: Config['rotation'], overrides: OverrideLookup = async () => []): RotationSource {
  const origin = rotation ? rotationOrigin(rotation) : null;
  if (!rotation || !origin || rotation.primary.length === 0) return NO_ROTATION;
  const { primary, secondary, timezone } = rotation;
  const fires = CronExpressionParser.parse(rotation.handoff, { tz: timezone, currentDate: new Date(origin.getTime() - 1) });
  /** Shift changes from the origin on, grown as far as asked; fire times never change, so they are kept. */
  const changes: number[] = [];
  const extendPast = (t: number) => {
    while (changes.length === 0 || changes[changes.length - 1]! <= t) changes.push(fires.next().getTime());
  };
  /** The index of the shift holding t (the last change at or before t), or -1 before the first. */
  const indexAt = (t: number): number => {
    extendPast(t);
    let lo = 0;
    let hi = changes.length - 1;
    if (t < changes[0]!) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (changes[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const pick = (list: readonly string[], index: number) => (list.length === 0 ? null : list[index % list.length]!);
  const shift = async (index: number): Promise<Shift> => {
    extendPast(changes[index]!);
    const start = new Date(changes[index]!);
    const end = new Date(changes[index + 1]!);
    const scheduled: ShiftPair = { primary: pick(primary, index), secondary: pick(secondary, index) };
    return { index, start, end, scheduled, overrides: await overrides(start, end) };
  };
  return {
    timezone,
    async at(t) {
      const index = indexAt(t.getTime());
      if (index < 0) return null;
      const s = await shift(index);
      return onCallWithOverrides(s, t, s.scheduled, s.end.getTime());
    },
    shiftChanges(from, to) {
      extendPast(to.getTime());
      return changes.filter((c) => c > from.getTime() && c <= to.getTime()).map((c) => new Date(c));
    },
    nextShiftChange(t) {
      const index = indexAt(t.getTime());
      return new Date(changes[index + 1]!);
    },
    async shifts(from, to) {
      extendPast(to.getTime());
      const first = Math.max(0, indexAt(from.getTime()));
      const out: Shift[] = [];
      for (let i = first; changes[i] !== undefined && changes[i]! < to.getTime(); i++) {
        if (changes[i + 1]! > from.getTime()) out.push(await shift(i));
      }
      return out;
    },
  };
}

/** The bot's rotation: the config's, with its overrides and those in chatops.db. */
export function rotationOf(config: Pick<Config, 'rotation'>, state: Pick<StateStore, 'overrides'>): RotationSource {
  const planned = config.rotation ? configOverrides(config.rotation) : [];
  return configRotation(config.rotation, async (from, to) =>
    [
      ...planned.filter((o) => o.from < to && from < o.until),
      ...(await state.overrides.overlapping(from, to)).map(overrideOfRow),
    ].sort((a, b) => a.from.getTime() - b.from.getTime()),
  );
}
