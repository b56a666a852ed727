/**
 * `/atlas oncall` and its overrides as Reports. Slack gets one short line per shift or override
 * (read on a phone); the terminal gets aligned tables. Times are UTC (`2026-11-30 08:00 UTC`),
 * with the rotation's own zone beside them when it is not UTC, and how far off they are.
 */
import { wallClock } from '../oncall/zoned-time.js';
import type { OverrideAuthority, OverrideRow } from '../db/state/override-store.js';
import { isSlackUserId } from '../ids.js';
import type { OnCallSummary, PersonShift, ListedOverride } from '../oncall/oncall-queries.js';
import type { OnCallAt, OnCallRole, Override, Shift } from '../oncall/rotation-source.js';
import { formatDuration } from '../time/atlas-time.js';
import { userRef } from './people.js';
import type { Report, ReportLevel, ReportSection } from './report.js';
import { dayTime } from './slack-time.js';

/** Where the answer is read: Slack (lines, mentions) or a terminal (aligned tables, @IDs). */
export type Surface = 'slack' | 'terminal';

/** Overrides listed under `oncall` before "… N more". */
const OVERRIDES_SHOWN = 10;

const isUtc = (timeZone: string) => timeZone === 'UTC' || timeZone === 'Etc/UTC';

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** "in 3 h", "2 d ago", "now". */
function relative(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  if (Math.abs(ms) < 60_000) return 'now';
  const text = formatDuration(Math.abs(Math.round(ms / 60_000) * 60_000));
  return ms > 0 ? `in ${text}` : `${text} ago`;
}

/** The rotation's wall-clock time beside UTC: "09:00 Europe/Berlin", with its date when that differs. */
function zoneNote(at: Date, timeZone: string): string | null {
  if (isUtc(timeZone)) return null;
  const local = wallClock(at, timeZone);
  const sameDay = local.date === at.toISOString().slice(0, 10);
  return `${sameDay ? '' : `${local.date} `}${local.time} ${timeZone}`;
}

/** "2026-11-30 08:00 UTC (09:00 Europe/Berlin, in 3 d 20 h)": the headline's times. */
export function stamp(at: Date, now: Date, timeZone: string, withRelative = true): string {
  const notes = [zoneNote(at, timeZone), withRelative ? relative(at, now) : null].filter((n): n is string => n !== null);
  return notes.length > 0 ? `${dayTime(at)} (${notes.join(', ')})` : dayTime(at);
}

/** "Mon 2026-11-30 08:00 UTC": a time in a list. */
function dayStamp(at: Date): string {
  return `${WEEKDAYS[at.getUTCDay()]} ${dayTime(at)}`;
}

/** "Tue 2026-12-01 09:00 → Thu 2026-12-03 09:00 UTC", or "Tue 2026-12-01 09:00–17:00 UTC" within a day. */
function span(from: Date, until: Date): string {
  const a = dayStamp(from).replace(/ UTC$/, '');
  const b = dayTime(until).replace(/ UTC$/, '');
  return a.slice(4, 14) === b.slice(0, 10) ? `${a}–${b.slice(11)} UTC` : `${a} → ${WEEKDAYS[until.getUTCDay()]} ${b} UTC`;
}

/** A person: a Slack mention (the terminal renderer shows @U…), or in a terminal table `@U…` already, so columns align. */
function person(id: string | null, surface: Surface): string {
  if (!id) return '—';
  if (surface === 'slack') return userRef(id);
  return isSlackUserId(id) ? `@${id}` : id;
}

const people = (ids: readonly string[], surface: Surface) => ids.map((id) => person(id, surface)).join(', ');

/** "#12", or "config" for a planned override of the config file. */
export function overrideLabel(o: Pick<Override, 'id'>): string {
  return o.id === null ? 'config' : `#${o.id}`;
}

const prefixOf = (surface: Surface) => (surface === 'slack' ? '/atlas' : 'atlas');

/** Without a rotation, every oncall subcommand answers this. */
export function noRotationReport(command: string, level: ReportLevel = 'warn'): Report {
  return {
    command,
    level,
    headline: 'No rotation is configured: set `rotation.start` and `rotation.primary` (and `rotation.secondary`) in the config, and the bot knows who is on call.',
    sections: [],
    data: { rotation: null },
  };
}

/** "primary <@A> (covering for <@B> until …)": one role of who is on call at an instant. */
function roleNow(at: OnCallAt, role: OnCallRole, now: Date, timeZone: string): string {
  const who = at[role];
  if (!who) return `no ${role}`;
  const o = at.covering[role];
  const scheduled = at.shift.scheduled[role];
  if (!o) return `${role} ${userRef(who)}`;
  const instead = scheduled && scheduled !== o.user ? `covering for ${userRef(scheduled)}` : `override ${overrideLabel(o)}`;
  return `${role} ${userRef(who)} (${instead} until ${stamp(o.until, now, timeZone, false)})`;
}

function pair(at: OnCallAt): string {
  return `primary ${userRef(at.primary)}${at.secondary ? `, secondary ${userRef(at.secondary)}` : ', no secondary'}`;
}

function overridesSection(list: readonly ListedOverride[], surface: Surface): ReportSection[] {
  if (list.length === 0) return [];
  const shown = list.slice(0, OVERRIDES_SHOWN);
  const more = list.length - shown.length;
  const title = 'Overrides in force and coming';
  const moreLine = more > 0 ? [`… and ${more} more`] : [];
  if (surface === 'terminal') {
    const rows = shown.map(({ override: o, coveringFor, inForce }) => [
      overrideLabel(o),
      person(o.user, surface),
      o.role,
      dayTime(o.from),
      dayTime(o.until),
      coveringFor.length > 0 ? people(coveringFor, surface) : '—',
      o.by ? person(o.by, surface) : 'config',
      inForce ? 'in force' : 'coming',
    ]);
    return [{ title, table: { columns: ['id', 'who', 'role', 'from', 'until', 'for', 'set by', 'state'], rows } }, ...(more > 0 ? [{ lines: moreLine }] : [])];
  }
  const lines = shown.map(({ override: o, coveringFor, inForce }) => {
    const parts = [`${overrideLabel(o)} ${userRef(o.user)} covers ${o.role}`, span(o.from, o.until)];
    if (coveringFor.length > 0) parts.push(`for ${people(coveringFor, surface)}`);
    if (inForce) parts.push('in force');
    return parts.join(' · ');
  });
  return [{ title, lines: [...lines, ...moreLine] }];
}

/** `/atlas oncall`: who is on call now and until when, who is next, the overrides around. */
/** `/atlas oncall`. `stale`: the source (PagerDuty) has not answered since then; the answer is its last known. */
export function onCallNowReport(summary: OnCallSummary, now: Date, timeZone: string, surface: Surface, stale: { since: Date } | null = null): Report {
  const report = onCallNow(summary, now, timeZone, surface);
  if (!stale) return report;
  return { ...report, level: report.level === 'info' ? 'warn' : report.level, headline: `${report.headline} (PagerDuty not reachable since ${stale.since.toISOString().slice(11, 16)} UTC; last known)` };
}

function onCallNow(summary: OnCallSummary, now: Date, timeZone: string, surface: Surface): Report {
  const prefix = prefixOf(surface);
  const footer = `Shifts ahead: \`${prefix} oncall --weeks 4\` · someone's: \`${prefix} oncall @user\` · swap or holiday: \`${prefix} oncall cover @user --role primary --until 3d\``;
  if (summary.kind === 'none') return noRotationReport('oncall');
  if (summary.kind === 'not-started') {
    const first = summary.first ? `: ${pair(summary.first)}` : '';
    return {
      command: 'oncall',
      level: 'warn',
      headline: `Nobody is on call yet: the rotation starts ${stamp(summary.startsAt, now, timeZone)}${first}.`,
      sections: overridesSection(summary.overrides, surface),
      footer,
      data: { startsAt: summary.startsAt, first: summary.first, overrides: summary.overrides },
    };
  }
  const { current, next } = summary;
  const nowText = `On call now: ${roleNow(current, 'primary', now, timeZone)}, ${roleNow(current, 'secondary', now, timeZone)}; until ${stamp(current.until, now, timeZone)}.`;
  const nextText = next ? ` Next: ${pair(next)} from ${dayTime(current.until)}.` : '';
  return {
    command: 'oncall',
    level: 'info',
    headline: `${nowText}${nextText}`,
    sections: overridesSection(summary.overrides, surface),
    footer,
    data: {
      now: { primary: current.primary, secondary: current.secondary, until: current.until, covering: current.covering, shift: current.shift },
      next: next ? { primary: next.primary, secondary: next.secondary, from: current.until } : null,
      overrides: summary.overrides,
      timezone: timeZone,
    },
  };
}

function shiftNote(s: PersonShift, surface: Surface): string {
  if (s.override) {
    const forWhom = s.coveringFor.length > 0 ? `covering for ${people(s.coveringFor, surface)}` : 'covering';
    return `${forWhom} (${overrideLabel(s.override)})`;
  }
  if (s.coveredBy.length === 0) return '';
  const parts = s.coveredBy.map((c) => `${person(c.override.user, surface)} ${span(c.from, c.until)} (${overrideLabel(c.override)})`);
  return `${s.fullyCovered ? 'covered entirely by' : 'partly covered by'} ${parts.join('; ')}`;
}

/** `/atlas oncall @user`: that person's time on call ahead. */
export function personShiftsReport(user: string, shifts: readonly PersonShift[], limit: number, now: Date, timeZone: string, weeks: number, surface: Surface): Report {
  const ahead = `in the next ${weeks} week${weeks === 1 ? '' : 's'}`;
  const first = shifts.find((s) => !s.fullyCovered);
  let headline: string;
  if (shifts.length === 0) headline = `${userRef(user)} has no shifts ${ahead}, as primary or secondary.`;
  else if (!first) headline = `${userRef(user)} has no time on call ${ahead}: others cover their shifts.`;
  else if (first.from <= now) headline = `${userRef(user)} is on call now as ${first.role} until ${stamp(first.until, now, timeZone)}.`;
  else headline = `${userRef(user)} is next on call as ${first.role} from ${stamp(first.from, now, timeZone)} until ${dayTime(first.until)}.`;
  const title = `On call ${ahead}${shifts.length >= limit ? ` (the first ${limit})` : ''}`;
  const sections: ReportSection[] = [];
  if (shifts.length > 0) {
    if (surface === 'terminal') {
      sections.push({ title, table: { columns: ['role', 'from', 'until', 'note'], rows: shifts.map((s) => [s.role, dayStamp(s.from), dayStamp(s.until), shiftNote(s, surface)]) } });
    } else {
      sections.push({ title, lines: shifts.map((s) => [s.role, span(s.from, s.until), shiftNote(s, surface)].filter((p) => p !== '').join(' · ')) });
    }
  }
  return {
    command: 'oncall',
    level: 'info',
    headline,
    sections,
    data: { user, weeks, shifts: shifts.map((s) => ({ ...s, override: s.override ? overrideLabel(s.override) : null })) },
  };
}

function overrideInShift(o: Override, surface: Surface): string {
  return `${overrideLabel(o)} ${person(o.user, surface)} covers ${o.role} ${span(o.from, o.until)}`;
}

/** `/atlas oncall --weeks N`: one line per shift: when it starts, who, the overrides in it. */
export function scheduleReport(shifts: readonly Shift[], now: Date, timeZone: string, weeks: number, surface: Surface): Report {
  const overrides = new Set(shifts.flatMap((s) => s.overrides.map((o) => overrideLabel(o) + o.from.toISOString())));
  const n = shifts.length;
  const headline =
    n === 0
      ? `No shifts in the next ${weeks} week${weeks === 1 ? '' : 's'}.`
      : `Next ${weeks} week${weeks === 1 ? '' : 's'}: ${n} shift${n === 1 ? '' : 's'}, ${overrides.size} override${overrides.size === 1 ? '' : 's'}${isUtc(timeZone) ? '' : `; the rotation's zone is ${timeZone}`}.`;
  const sections: ReportSection[] = [];
  if (n > 0 && surface === 'terminal') {
    const local = !isUtc(timeZone);
    const rows = shifts.map((s) => [
      `${dayStamp(s.start)}${s.start <= now ? ' (now)' : ''}`,
      ...(local ? [zoneNote(s.start, timeZone)!.replace(` ${timeZone}`, '')] : []),
      person(s.scheduled.primary, surface),
      person(s.scheduled.secondary, surface),
      s.overrides.map((o) => overrideInShift(o, surface)).join('; '),
    ]);
    sections.push({ table: { columns: ['shift starts', ...(local ? [timeZone] : []), 'primary', 'secondary', 'overrides'], rows } });
  } else if (n > 0) {
    const lines = shifts.map((s) => {
      const local = zoneNote(s.start, timeZone);
      const notes = [...(local ? [local.replace(` ${timeZone}`, ' local')] : []), ...(s.start <= now ? ['now'] : [])];
      const when = `${dayStamp(s.start)}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
      const parts = [when, `primary ${person(s.scheduled.primary, surface)}`, ...(s.scheduled.secondary ? [`secondary ${person(s.scheduled.secondary, surface)}`] : [])];
      for (const o of s.overrides) parts.push(overrideInShift(o, surface));
      return parts.join(' · ');
    });
    sections.push({ lines });
  }
  return {
    command: 'oncall',
    level: 'info',
    headline,
    sections,
    footer: n > 0 ? `Each shift runs until the next one starts; \`${prefixOf(surface)} oncall @user\` for one person's.` : undefined,
    data: { weeks, timezone: timeZone, shifts },
  };
}

/** `/atlas oncall cover`: done. */
export function coverReport(
  o: { id: number; user: string; role: OnCallRole; from: Date; until: Date; fromNow: boolean; authority: OverrideAuthority },
  coveringFor: readonly string[],
  alsoOtherRole: { from: Date; until: Date } | null,
  now: Date,
  timeZone: string,
  surface: Surface,
): Report {
  const from = o.fromNow ? 'now' : stamp(o.from, now, timeZone);
  const headline = `${userRef(o.user)} covers ${o.role} from ${from} until ${stamp(o.until, now, timeZone)}; override #${o.id}. Undo: ${prefixOf(surface)} oncall uncover ${o.id}`;
  const lines: string[] = [];
  if (coveringFor.length > 0) lines.push(`Covering for ${people(coveringFor, 'slack')}, the rotation's ${o.role} then.`);
  if (o.authority === 'own-shift') {
    lines.push(`Handed over by the ${o.role} on call, not by a remediator: ${userRef(o.user)} is paged and named in the handoff, but may act on incidents or remediate only as far as the config already lets them.`);
  }
  const other: OnCallRole = o.role === 'primary' ? 'secondary' : 'primary';
  if (alsoOtherRole) {
    lines.push(`${userRef(o.user)} is also the ${other} ${span(alsoOtherRole.from, alsoOtherRole.until)}: escalating to the ${other} would reach the same person, so cover ${other} with someone else.`);
  }
  return {
    command: 'oncall cover',
    level: alsoOtherRole ? 'warn' : 'ok',
    headline,
    sections: lines.length > 0 ? [{ lines }] : [],
    data: { id: o.id, user: o.user, role: o.role, from: o.from, until: o.until, coveringFor, authority: o.authority },
  };
}

/**
 * `/atlas oncall cover` by someone who is neither a remediator nor the person on call in that
 * role for the whole span: who can set it instead.
 */
export function coverRefusal(role: OnCallRole, onCallThen: readonly string[], remediators: string, remediatorUnknown: boolean): Report {
  let headline: string;
  if (remediatorUnknown) {
    headline = `Slack did not say in time whether you are a remediator, which changing who is on call needs; try \`oncall cover\` again in a moment.`;
  } else if (onCallThen.length === 0) {
    headline = `Nobody is on call as ${role} then, so only a remediator (${remediators}) may put someone on call as ${role}.`;
  } else {
    const them = onCallThen.map((u) => userRef(u)).join(' and ');
    headline = `Changing who is on call as ${role} then needs a remediator (${remediators}) or ${them}, on call as ${role} then, handing over their own shift: ask ${onCallThen.length === 1 ? 'them' : 'one of them'} to run it.`;
  }
  return { command: 'oncall cover', level: 'error', headline, sections: [] };
}

/** `/atlas oncall uncover` by someone who may not: who may. */
export function uncoverNotAllowed(row: OverrideRow, remediators: string, remediatorUnknown: boolean): Report {
  const mayToo = row.authority !== 'remediator' && row.created_by !== row.user_id && isSlackUserId(row.created_by) ? `, or by ${userRef(row.created_by)} who handed over the shift` : '';
  const headline = remediatorUnknown
    ? `Slack did not say in time whether you are a remediator, which removing override #${row.id} needs; try \`oncall uncover ${row.id}\` again in a moment.`
    : `Override #${row.id} may be removed by a remediator (${remediators}), or by ${userRef(row.user_id)} who covers${mayToo}.`;
  return { command: 'oncall uncover', level: 'error', headline, sections: [], data: { id: row.id } };
}

/** `/atlas oncall cover` of someone for a span that is theirs already. */
export function coverNothingReport(user: string, role: OnCallRole): Report {
  return { command: 'oncall cover', level: 'error', headline: `${userRef(user)} is the rotation's ${role} for all of that span already; there is nobody to cover for.`, sections: [], field: 'user' };
}

/** `/atlas oncall cover` refused: the override it would overlap, named. */
export function coverOverlapReport(clash: Override, role: OnCallRole, surface: Surface): Report {
  const what = `${userRef(clash.user)} already covers ${role} ${span(clash.from, clash.until)}`;
  const headline =
    clash.id === null
      ? `${what}, planned in the config (rotation.overrides); choose a span that does not overlap it, or change the config.`
      : `${what} (override #${clash.id}${clash.by ? `, set by ${userRef(clash.by)}` : ''}); remove it first with \`${prefixOf(surface)} oncall uncover ${clash.id}\`, or choose a span that does not overlap it.`;
  return { command: 'oncall cover', level: 'error', headline, sections: [], data: { overlaps: { ...clash, label: overrideLabel(clash) } } };
}

/** `/atlas oncall uncover <id>`: done, or why not. */
export function uncoverReport(row: OverrideRow, onCallNow: string | null, now: Date, timeZone: string): Report {
  const inForce = new Date(row.from_at) <= now;
  const after = inForce ? ` The ${row.role} now is ${onCallNow ? userRef(onCallNow) : 'nobody'}.` : '';
  return {
    command: 'oncall uncover',
    level: 'ok',
    headline: `Removed override #${row.id}: ${userRef(row.user_id)} no longer covers ${row.role} from ${stamp(new Date(row.from_at), now, timeZone, false)} until ${stamp(new Date(row.until_at), now, timeZone, false)}.${after}`,
    sections: [],
    data: { id: row.id, user: row.user_id, role: row.role, from: row.from_at, until: row.until_at },
  };
}

/** Why an override cannot be removed: none with that id, removed already, or over. */
export function uncoverRefusal(id: number, row: OverrideRow | null, surface: Surface): Report {
  let headline: string;
  if (!row) {
    headline = `There is no override #${id} (\`${prefixOf(surface)} oncall\` lists them with their ids); a planned override from the config (rotation.overrides) is removed by editing the config.`;
  } else if (row.removed_at) {
    headline = `Override #${id} was removed already, by ${userRef(row.removed_by)} at ${dayTime(row.removed_at)}.`;
  } else {
    headline = `Override #${id} ended at ${dayTime(row.until_at)}; there is nothing to undo.`;
  }
  return { command: 'oncall uncover', level: 'error', headline, sections: [], data: { id } };
}
