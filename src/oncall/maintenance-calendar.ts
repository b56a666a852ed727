/**
 * The guide's `ops/maintenance-calendar.md`, as the handoff reads it: a markdown list, one entry
 * per line that begins with a date (`- 2026-12-01 14:00 Quarterly update`). Everything else in
 * the file (headings, prose, nested notes) is the team's own and is left alone.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { zonedInstant } from './zoned-time.js';

/** One dated line of the calendar, as written. */
export interface CalendarLine {
  /** 1-based line number in the file, to point people at it. */
  line: number;
  /** YYYY-MM-DD as written. */
  date: string;
  /** HH:MM as written (zero-padded), or null for the whole day. */
  time: string | null;
  /** The line said UTC (or Z) after its time: read as UTC instead of the rotation's zone. */
  utc: boolean;
  /** What is planned; empty when the line gives only a date. */
  text: string;
}

export interface ParsedCalendar {
  entries: CalendarLine[];
  /** Dated lines that could not be read ("line 4: 2026-02-30 is not a date"): an entry may be missing. */
  problems: string[];
}

/** An entry placed in time. */
export interface MaintenanceEntry extends CalendarLine {
  /** When it starts: its time in its zone, or the start of its day. */
  start: Date;
  /** The end of its day for a whole-day entry; null for a timed one (the calendar gives no length). */
  end: Date | null;
  /** The zone its date and time are written in: the rotation's, or UTC. */
  zone: string;
}

export type CalendarRead =
  | { kind: 'entries'; path: string; entries: MaintenanceEntry[]; problems: string[] }
  /** No file configured: nothing wrong, said once. */
  | { kind: 'not-configured'; note: string }
  /** A file configured but missing or unreadable: the handoff says so plainly. */
  | { kind: 'gap'; gap: string };

const CONFIG_KEY = 'handoff.maintenanceCalendar';
/** A calendar is a page of text; anything far larger is not one, and is not read into memory. */
const MAX_BYTES = 1024 * 1024;
/** Problems named at most (the rest are counted): a broken file must not flood the handoff. */
const MAX_PROBLEMS = 5;

/**
 * `- 2026-12-01`, `* 2026-12-01 14:00 UTC: text`, `- [ ] 2026-12-01 9:30 — text`. The checkbox is
 * the guide's own style for planned work. The date must follow the bullet; a date later in the
 * line is prose.
 */
const DATED_LINE = /^\s*[-*]\s+(?:\[[ xX]\]\s+)?(\d{4}-\d{2}-\d{2})(?=\s|$|[,:;–—-])(.*)$/;
const TIME_PREFIX = /^\s*(?:at\s+)?(\d{1,2}):(\d{2})(?!\d)(?:\s*(UTC|Z)\b)?(.*)$/i;

function realDate(date: string): boolean {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const back = new Date(Date.UTC(y, m - 1, d));
  return back.getUTCFullYear() === y && back.getUTCMonth() === m - 1 && back.getUTCDate() === d;
}

/** The text after the date and time, without the separator people put before it. */
function description(rest: string): string {
  return rest.replace(/^\s*[-–—:|,;]+\s*/, '').trim();
}

/** Reads the dated lines of a calendar; pure. */
export function parseMaintenanceCalendar(text: string): ParsedCalendar {
  const entries: CalendarLine[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const dated = DATED_LINE.exec(raw);
    if (!dated) return;
    const date = dated[1]!;
    if (!realDate(date)) {
      problems.push(`line ${line}: ${date} is not a date`);
      return;
    }
    const timed = TIME_PREFIX.exec(dated[2]!);
    if (!timed) {
      entries.push({ line, date, time: null, utc: false, text: description(dated[2]!) });
      return;
    }
    const hours = Number(timed[1]);
    const minutes = Number(timed[2]);
    if (hours > 23 || minutes > 59) {
      problems.push(`line ${line}: ${timed[1]}:${timed[2]} is not a time of day`);
      return;
    }
    const time = `${String(hours).padStart(2, '0')}:${timed[2]}`;
    entries.push({ line, date, time, utc: timed[3] !== undefined, text: description(timed[4]!) });
  });
  return { entries, problems };
}

function nextDate(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** A line placed in time: its time in `timezone` (or UTC when it says so), or its whole day there. */
export function placeEntry(entry: CalendarLine, timezone: string): MaintenanceEntry {
  const zone = entry.utc ? 'UTC' : timezone;
  if (entry.time !== null) return { ...entry, zone, start: zonedInstant(entry.date, entry.time, zone), end: null };
  return { ...entry, zone, start: zonedInstant(entry.date, '00:00', zone), end: zonedInstant(nextDate(entry.date), '00:00', zone) };
}

/** The entries that start within [now, now + days), or whole days that have not ended by now; by start. */
export function entriesWithin(entries: readonly CalendarLine[], now: Date, days: number, timezone: string): MaintenanceEntry[] {
  const until = now.getTime() + days * 86_400_000;
  return entries
    .map((e) => placeEntry(e, timezone))
    .filter((e) => (e.end ? e.end.getTime() > now.getTime() : e.start.getTime() >= now.getTime()) && e.start.getTime() < until)
    .sort((a, b) => a.start.getTime() - b.start.getTime() || a.line - b.line);
}

/**
 * Where the configured calendar is: a relative path is read from the config file's folder (the
 * team keeps it beside atlas.config.yml), or the working directory when there is no config file.
 * Null when none is configured.
 */
export function calendarPath(configured: string | undefined, configPath: string | null, cwd: string = process.cwd()): string | null {
  if (!configured) return null;
  return path.resolve(configPath ? path.dirname(configPath) : cwd, configured);
}

function errorCode(err: unknown): string {
  return typeof err === 'object' && err && 'code' in err ? String((err as { code: unknown }).code) : '';
}

/**
 * The calendar's entries of the next `days` days, read at `file` (null: none configured), with
 * times read in `timezone`. Never throws: a missing or unreadable file is a gap sentence.
 */
export async function readMaintenanceCalendar(file: string | null, now: Date, days = 7, timezone = 'UTC'): Promise<CalendarRead> {
  if (file === null) return { kind: 'not-configured', note: `No maintenance calendar is configured (${CONFIG_KEY}).` };
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) return { kind: 'gap', gap: `The maintenance calendar at ${file} (${CONFIG_KEY}) is not a file.` };
    if (info.size > MAX_BYTES) return { kind: 'gap', gap: `The maintenance calendar at ${file} (${CONFIG_KEY}) is larger than 1 MB and was not read.` };
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return { kind: 'gap', gap: `No maintenance calendar at ${file} (${CONFIG_KEY}).` };
    const why = errorCode(err) || (err instanceof Error ? err.message.split('\n')[0]! : String(err));
    return { kind: 'gap', gap: `The maintenance calendar at ${file} (${CONFIG_KEY}) could not be read (${why}).` };
  }
  const parsed = parseMaintenanceCalendar(text);
  const problems = parsed.problems.slice(0, MAX_PROBLEMS).map((p) => `${path.basename(file)} ${p}; the entry is left out.`);
  if (parsed.problems.length > MAX_PROBLEMS) problems.push(`${path.basename(file)} has ${parsed.problems.length - MAX_PROBLEMS} more lines that could not be read.`);
  return { kind: 'entries', path: file, entries: entriesWithin(parsed.entries, now, days, timezone), problems };
}
