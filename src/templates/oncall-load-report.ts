/** `oncall load`: one line per person and shift in Slack (readable on a phone), an aligned table in the terminal. */
import type { LoadRow } from '../oncall-health/oncall-load.js';
import { formatDuration } from '../time/atlas-time.js';
import { userRef } from './people.js';
import type { Report } from './report.js';
import { dayTime } from './slack-time.js';

const day = (d: Date) => dayTime(d).slice(0, 10);
const shiftText = (r: LoadRow) => `${day(r.shift.start)} → ${day(r.shift.end)}`;
const timeText = (ms: number) => (ms <= 0 ? '0' : formatDuration(ms));
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function oncallLoadReport(rows: readonly LoadRow[], weeks: number, surface: 'slack' | 'terminal'): Report {
  const headline = `On-call load, shifts of the last ${plural(weeks, 'week')}`;
  if (rows.length === 0) return { command: 'oncall load', level: 'info', headline: `${headline}: no shifts (no rotation, or none started yet).`, sections: [] };
  const totals = rows.reduce((t, r) => ({ pages: t.pages + r.pages, night: t.night + r.nightPages }), { pages: 0, night: 0 });
  const borrowed = [...new Set(rows.filter((r) => r.zone.from === 'rotation').map((r) => r.zone.timezone))];
  const zoneNote =
    borrowed.length > 0
      ? `Night pages are 00:00–06:00 in each person's Slack time zone; ${surface === 'terminal' ? 'the terminal has none, so' : 'where Slack did not say,'} the rotation's (${borrowed.join(', ')}) is used.`
      : "Night pages are 00:00–06:00 in each person's Slack time zone.";
  const lines = rows.map((r) => {
    const role = r.role ? ` (${r.role})` : '';
    return `${userRef(r.user)}${role} · ${shiftText(r)}: ${plural(r.pages, 'page')} (${r.nightPages} at night), ${r.incidentsOwned} owned, ${r.incidentsOpened} opened, ${timeText(r.ownedMs)} on incidents`;
  });
  const table = {
    columns: ['Person', 'Role', 'Shift', 'Pages', 'Night', 'Owned', 'Opened', 'Time on incidents'],
    rows: rows.map((r) => [userRef(r.user), r.role ?? '—', shiftText(r), String(r.pages), String(r.nightPages), String(r.incidentsOwned), String(r.incidentsOpened), timeText(r.ownedMs)]),
  };
  return {
    command: 'oncall load',
    level: totals.night > 0 ? 'warn' : 'info',
    headline: `${headline}: ${plural(totals.pages, 'page')}, ${totals.night} at night.`,
    sections: [{ table }, { lines: [zoneNote], context: true }],
    slackSections: [{ lines }, { lines: [zoneNote], context: true }],
    data: rows.map((r) => ({ ...r, shift: { start: r.shift.start.toISOString(), end: r.shift.end.toISOString() } })),
  };
}
