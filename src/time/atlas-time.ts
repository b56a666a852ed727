/**
 * Shadow Atlas writes three timestamp formats (see DATA-CONTRACT.md, "Timestamps"):
 *   `YYYY-MM-DD HH:MM:SS` (SQLite datetime('now'), UTC), `YYYY-MM-DDTHH:MM:SS.sssZ` and ISO
 * without milliseconds. Comparing them as text across formats is wrong (' ' sorts before 'T'),
 * so windows are expressed as index ranges per format and per UTC day.
 */

const SQL_FORMAT = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?$/;
const ISO_FORMAT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Parses any of the Atlas timestamp formats as UTC; returns null for anything else. */
export function parseAtlasTime(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  let iso: string;
  if (SQL_FORMAT.test(text)) iso = `${text.replace(' ', 'T')}Z`;
  else if (ISO_FORMAT.test(text)) iso = /(Z|[+-]\d{2}:?\d{2})$/.test(text) ? text : `${text}Z`;
  else return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/** `YYYY-MM-DD HH:MM:SS`, the format SQLite's datetime() writes. */
export function toSqlTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** One half-open text range [from, to) on a timestamp column, for one format on one UTC day. */
export interface TextRange {
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;

/**
 * The text ranges that together select exactly the rows with from <= t < to, whatever the
 * row's format. Each range stays inside one UTC day and one format, so `col >= from AND
 * col < to` is exact and uses an index on the column.
 *   SQL format, day D:  'D HH:MM:SS' .. — every ISO string of day D sorts after every SQL one.
 *   ISO format, day D:  'DTHH:MM:SS' .. — '.sssZ' and 'Z' suffixes both sort after the bound.
 */
export function windowRanges(from: Date, to: Date): TextRange[] {
  const ranges: TextRange[] = [];
  if (!(to.getTime() > from.getTime())) return ranges;
  let start = from.getTime();
  const end = to.getTime();
  while (start < end) {
    const dayEnd = Math.floor(start / DAY_MS) * DAY_MS + DAY_MS;
    const segEnd = Math.min(dayEnd, end);
    const a = new Date(start).toISOString().slice(0, 19);
    const day = a.slice(0, 10);
    // The end of a whole day is written as the next prefix character so it stays inside the day.
    const b = segEnd === dayEnd ? null : new Date(segEnd).toISOString().slice(0, 19);
    ranges.push({ from: a.replace('T', ' '), to: b ? b.replace('T', ' ') : `${day}!` });
    ranges.push({ from: a, to: b ?? `${day}U` });
    start = segEnd;
  }
  return ranges;
}

/** Age in milliseconds of an Atlas timestamp, or null when it cannot be parsed. */
export function ageMs(value: unknown, now: Date): number | null {
  const t = parseAtlasTime(value);
  return t ? now.getTime() - t.getTime() : null;
}

/** Durations typed by people: 30s, 10m, 1h, 2d, 1h30m. */
export function parseDuration(text: string): number | null {
  const match = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/i.exec(text.trim());
  if (!match || text.trim() === '') return null;
  const [, d, h, m, s] = match;
  const ms = ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(m ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
  return ms > 0 ? ms : null;
}

/** "3 min", "2 h 5 min", "4 d 3 h": short, for tired eyes. */
export function formatDuration(ms: number): string {
  const negative = ms < 0;
  let rest = Math.round(Math.abs(ms) / 1000);
  const d = Math.floor(rest / 86_400);
  rest -= d * 86_400;
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  let text: string;
  if (d > 0) text = h > 0 ? `${d} d ${h} h` : `${d} d`;
  else if (h > 0) text = m > 0 ? `${h} h ${m} min` : `${h} h`;
  else if (m > 0) text = `${m} min`;
  else text = `${s} s`;
  return negative ? `-${text}` : text;
}
