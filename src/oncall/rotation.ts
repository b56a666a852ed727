import type { Config } from '../config.js';

export interface OnCall {
  primary: string | null;
  secondary: string | null;
  /** When this shift started and ends (UTC instants). */
  shiftStart: Date;
  shiftEnd: Date;
}

/** Minutes east of UTC of a time zone at an instant, from Intl (no tz database of our own). */
function offsetMinutes(timeZone: string, at: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - at.getTime()) / 60_000);
}

/** The UTC instant of a wall-clock date and time in a time zone. */
export function zonedInstant(date: string, time: string, timeZone: string): Date {
  const naive = new Date(`${date}T${time}:00Z`);
  const first = new Date(naive.getTime() - offsetMinutes(timeZone, naive) * 60_000);
  // A second pass settles the offset on the right side of a DST change.
  return new Date(naive.getTime() - offsetMinutes(timeZone, first) * 60_000);
}

/**
 * Who is on call at `now` under `rotation`: shifts of `shiftDays` starting at `start`
 * `handoffTime` in `timezone`, walking the primary and secondary lists in turn.
 * Null when no rotation is configured.
 */
export function currentOnCall(rotation: Config['rotation'], now: Date): OnCall | null {
  if (!rotation || !rotation.start || rotation.primary.length === 0) return null;
  const shiftMs = rotation.shiftDays * 86_400_000;
  const origin = zonedInstant(rotation.start, rotation.handoffTime, rotation.timezone).getTime();
  const index = Math.floor((now.getTime() - origin) / shiftMs);
  const pick = (list: string[]) => (list.length === 0 ? null : list[((index % list.length) + list.length) % list.length]!);
  const shiftStart = new Date(origin + index * shiftMs);
  return { primary: pick(rotation.primary), secondary: pick(rotation.secondary), shiftStart, shiftEnd: new Date(shiftStart.getTime() + shiftMs) };
}
