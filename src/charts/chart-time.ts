/** Times on charts: written in the configured zone, as an engineer reads a clock there. */
import { wallFields } from '../oncall/zoned-time.js';

function wallParts(at: number, timeZone: string): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number> {
  const f = wallFields(new Date(at), timeZone);
  return { year: Number(f.year), month: Number(f.month), day: Number(f.day), hour: Number(f.hour), minute: Number(f.minute), second: Number(f.second) };
}

/**
 * The instant's wall-clock time in `timeZone`, written as if it were UTC. Vega draws time axes in
 * the process's zone or in UTC; drawing these shifted instants on a UTC scale shows the zone's
 * clock whatever TZ the bot runs with.
 */
export function wallClockAsUtc(at: number, timeZone: string): number {
  const f = wallParts(at, timeZone);
  const ms = at % 1000;
  return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) + (ms < 0 ? ms + 1000 : ms);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** "02:14", or "Dec 7 02:14" when the window is longer than a day (a time alone would be ambiguous). */
export function chartTimeText(at: number, timeZone: string, windowMs: number): string {
  const f = wallParts(at, timeZone);
  const time = `${two(f.hour)}:${two(f.minute)}`;
  return windowMs > 86_400_000 ? `${MONTHS[f.month - 1]} ${f.day} ${time}` : time;
}
