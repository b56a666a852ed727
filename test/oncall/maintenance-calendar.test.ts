import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { calendarPath, entriesWithin, parseMaintenanceCalendar, readMaintenanceCalendar } from '../../src/oncall/maintenance-calendar.js';

const CALENDAR = `# Maintenance calendar

Planned work for Shadow Atlas. Dates in the rotation's zone.

- 2026-12-01 14:00 Quarterly update of the registry
* 2026-12-02: Census TIGER maintenance window
- [ ] 2026-12-03 9:30 — Rotate IPFS pinning keys
- 2026-12-04 22:00 UTC: Database vacuum
- Call 2026-12-05 with the provider (a date later in the line is prose)
  - 2026-12-06 nested entries count too
1. 2026-12-07 numbered lists are not the calendar's format
- 2026-02-30 10:00 a date that does not exist
- 2026-12-08 25:00 a time that does not exist
- 2026-12-09
`;

describe('parseMaintenanceCalendar', () => {
  it('reads the dated lines, with or without a time, and leaves everything else alone', () => {
    const { entries } = parseMaintenanceCalendar(CALENDAR);
    expect(entries.map((e) => [e.line, e.date, e.time, e.utc, e.text])).toEqual([
      [5, '2026-12-01', '14:00', false, 'Quarterly update of the registry'],
      [6, '2026-12-02', null, false, 'Census TIGER maintenance window'],
      [7, '2026-12-03', '09:30', false, 'Rotate IPFS pinning keys'],
      [8, '2026-12-04', '22:00', true, 'Database vacuum'],
      [10, '2026-12-06', null, false, 'nested entries count too'],
      [14, '2026-12-09', null, false, ''],
    ]);
  });

  it('names the dated lines it cannot read, by line number', () => {
    expect(parseMaintenanceCalendar(CALENDAR).problems).toEqual(['line 12: 2026-02-30 is not a date', 'line 13: 25:00 is not a time of day']);
  });

  it('reads an empty file and Windows line ends', () => {
    expect(parseMaintenanceCalendar('')).toEqual({ entries: [], problems: [] });
    expect(parseMaintenanceCalendar('- 2026-12-01 08:00 a\r\n- 2026-12-02 b\r\n').entries.map((e) => e.text)).toEqual(['a', 'b']);
  });
});

describe('entriesWithin', () => {
  const now = new Date('2026-11-30T08:00:00.000Z');
  const lines = (text: string) => parseMaintenanceCalendar(text).entries;

  it('keeps the next 7 days, by start; not what is past or later', () => {
    const got = entriesWithin(
      lines(['- 2026-12-07 07:59 last minute inside', '- 2026-12-07 08:00 just outside', '- 2026-11-30 07:00 earlier today', '- 2026-12-01 first', '- 2026-11-29 yesterday'].join('\n')),
      now,
      7,
      'UTC',
    );
    expect(got.map((e) => e.text)).toEqual(['first', 'last minute inside']);
  });

  it('keeps a whole day that has begun but not ended', () => {
    const got = entriesWithin(lines('- 2026-11-30 all of today'), now, 7, 'UTC');
    expect(got.map((e) => [e.text, e.start.toISOString(), e.end?.toISOString()])).toEqual([['all of today', '2026-11-30T00:00:00.000Z', '2026-12-01T00:00:00.000Z']]);
  });

  it("reads times in the rotation's zone, and as UTC when the line says so", () => {
    const got = entriesWithin(lines('- 2026-12-01 14:00 Berlin time\n- 2026-12-01 14:00 UTC explicit'), now, 7, 'Europe/Berlin');
    expect(got.map((e) => [e.text, e.zone, e.start.toISOString()])).toEqual([
      ['Berlin time', 'Europe/Berlin', '2026-12-01T13:00:00.000Z'],
      ['explicit', 'UTC', '2026-12-01T14:00:00.000Z'],
    ]);
  });

  it('places a whole day in the zone across a DST change (25 hours in Berlin on 2026-10-25)', () => {
    const [day] = entriesWithin(lines('- 2026-10-25 fall back'), new Date('2026-10-24T12:00:00Z'), 7, 'Europe/Berlin');
    expect(day?.start.toISOString()).toBe('2026-10-24T22:00:00.000Z');
    expect(day?.end?.toISOString()).toBe('2026-10-25T23:00:00.000Z');
  });
});

describe('readMaintenanceCalendar', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));
  const dir = () => {
    const made = mkdtempSync(path.join(tmpdir(), 'calendar-'));
    cleanups.push(() => rmSync(made, { recursive: true, force: true }));
    return made;
  };
  const now = new Date('2026-11-30T08:00:00.000Z');

  it('gives the entries of the next 7 days and the lines it could not read', async () => {
    const file = path.join(dir(), 'maintenance-calendar.md');
    writeFileSync(file, CALENDAR);
    const read = await readMaintenanceCalendar(file, now, 7, 'Europe/Berlin');
    expect(read.kind).toBe('entries');
    if (read.kind !== 'entries') return;
    expect(read.entries.map((e) => e.date)).toEqual(['2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04', '2026-12-06']);
    expect(read.problems).toEqual([
      'maintenance-calendar.md line 12: 2026-02-30 is not a date; the entry is left out.',
      'maintenance-calendar.md line 13: 25:00 is not a time of day; the entry is left out.',
    ]);
  });

  it('says plainly when none is configured', async () => {
    expect(await readMaintenanceCalendar(null, now)).toEqual({ kind: 'not-configured', note: 'No maintenance calendar is configured (handoff.maintenanceCalendar).' });
  });

  it('is a gap when the file is missing, naming the path and the key', async () => {
    const file = path.join(dir(), 'ops', 'maintenance-calendar.md');
    expect(await readMaintenanceCalendar(file, now)).toEqual({ kind: 'gap', gap: `No maintenance calendar at ${file} (handoff.maintenanceCalendar).` });
  });

  it('is a gap when the path is not a readable file', async () => {
    const folder = path.join(dir(), 'calendar.md');
    mkdirSync(folder);
    const read = await readMaintenanceCalendar(folder, now);
    expect(read).toEqual({ kind: 'gap', gap: `The maintenance calendar at ${folder} (handoff.maintenanceCalendar) is not a file.` });
    const huge = path.join(dir(), 'huge.md');
    writeFileSync(huge, '- 2026-12-01 x\n'.repeat(80_000));
    expect(await readMaintenanceCalendar(huge, now)).toMatchObject({ kind: 'gap', gap: expect.stringContaining('larger than 1 MB') });
  });

  it('counts the unreadable lines past the first five', async () => {
    const file = path.join(dir(), 'cal.md');
    writeFileSync(file, Array.from({ length: 8 }, (_, i) => `- 2026-13-0${i + 1} bad month`).join('\n'));
    const read = await readMaintenanceCalendar(file, now);
    expect(read.kind === 'entries' && read.problems).toHaveLength(6);
    expect(read.kind === 'entries' && read.problems.at(-1)).toBe('cal.md has 3 more lines that could not be read.');
  });
});

describe('calendarPath', () => {
  it("resolves a relative path against the config file's folder, else the working directory", () => {
    expect(calendarPath('ops/maintenance-calendar.md', '/srv/atlas/atlas.config.yml', '/home/x')).toBe('/srv/atlas/ops/maintenance-calendar.md');
    expect(calendarPath('ops/maintenance-calendar.md', null, '/home/x')).toBe('/home/x/ops/maintenance-calendar.md');
    expect(calendarPath('/etc/atlas/cal.md', '/srv/atlas/atlas.config.yml')).toBe('/etc/atlas/cal.md');
    expect(calendarPath(undefined, '/srv/atlas/atlas.config.yml')).toBeNull();
  });
});
