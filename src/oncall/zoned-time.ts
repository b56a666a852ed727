/** An instant's wall-clock fields in a time zone, from Intl (no tz database of our own). */
export function wallFields(at: Date, timeZone: string): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', string> {
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
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '00';
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

/** The wall-clock date and time of an instant in a zone: { date: "2026-11-30", time: "09:00" }. */
export function wallClock(at: Date, timeZone: string): { date: string; time: string } {
  const f = wallFields(at, timeZone);
  return { date: `${f.year}-${f.month}-${f.day}`, time: `${f.hour}:${f.minute}` };
}

/** Minutes east of UTC of a time zone at an instant. */
function offsetMinutes(timeZone: string, at: Date): number {
  const f = wallFields(at, timeZone);
  const asUtc = Date.UTC(Number(f.year), Number(f.month) - 1, Number(f.day), Number(f.hour), Number(f.minute), Number(f.second));
  return Math.round((asUtc - at.getTime()) / 60_000);
}

/** The UTC instant of a wall-clock date and time in a time zone. */
export function zonedInstant(date: string, time: string, timeZone: string): Date {
  const naive = new Date(`${date}T${time}:00Z`);
  const first = new Date(naive.getTime() - offsetMinutes(timeZone, naive) * 60_000);
  // A second pass settles the offset on the right side of a DST change.
  return new Date(naive.getTime() - offsetMinutes(timeZone, first) * 60_000);
}
