/** Times on charts: written in the configured zone, as an engineer reads a clock there. */

function wallParts(at: number, timeZone: string): Record<string, number> {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(at));
  const out: Record<string, number> = {};
  for (const p of parts) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

/**
 * The instant's wall-clock time in `timeZone`, written as if it were UTC. Vega draws time axes in
 * the process's zone or in UTC; drawing these shifted instants on a UTC scale shows the zone's
 * clock whatever TZ the bot runs with.
 */
export function wallClockAsUtc(at: number, timeZone: string): number {
  const f = wallParts(at, timeZone);
  const ms = at % 1000;
  return Date.UTC(f.year ?? 1970, (f.month ?? 1) - 1, f.day ?? 1, f.hour ?? 0, f.minute ?? 0, f.second ?? 0) + (ms < 0 ? ms + 1000 : ms);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number | undefined) => String(n ?? 0).padStart(2, '0');

/** "02:14", or "Dec 7 02:14" when the window is longer than a day (a time alone would be ambiguous). */
export function chartTimeText(at: number, timeZone: string, windowMs: number): string {
  const f = wallParts(at, timeZone);
  const time = `${two(f.hour)}:${two(f.minute)}`;
  return windowMs > 86_400_000 ? `${MONTHS[(f.month ?? 1) - 1]} ${f.day} ${time}` : time;
}
