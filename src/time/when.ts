/**
 * `<when>` as people type it for `oncall cover --from/--until`: an ISO time with its offset,
 * `now`, or a duration from now. Pure: reading the words is separate from placing them in time,
 * so argument schemas read them and the command places them against its clock.
 */
import { parseDuration } from './atlas-time.js';

export type When = { kind: 'now' } | { kind: 'in'; ms: number } | { kind: 'at'; at: Date };

/** The sentence fragment for anything else, after `--flag: `. */
export const WHEN_EXPECTED = 'takes an ISO time such as 2026-12-24T09:00Z, now, or a duration such as 2h or 3d';

/** 2026-12-24T09:00Z, 2026-12-24T09:00:30.5+01:00, 2026-12-24T09:00+0100: an instant, so it must say its offset. */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z|([+-])(\d{2}):?(\d{2}))$/i;

const WEEK_MS = 7 * 86_400_000;

/** A duration: parseDuration's 30m, 2h, 3d, 1h30m, with weeks in front (1w, 2w3d). */
function durationMs(text: string): number | null {
  const weeks = /^(\d+)w(.*)$/i.exec(text);
  if (!weeks) return parseDuration(text);
  const rest = weeks[2] === '' ? 0 : parseDuration(weeks[2]!);
  if (rest === null) return null;
  const ms = Number(weeks[1]) * WEEK_MS + rest;
  return ms > 0 ? ms : null;
}

function isoInstant(text: string): Date | null {
  const m = ISO_INSTANT.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone, sign, oh, om] = m;
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0)] as const;
  const utc = Date.UTC(...fields, Number((frac ?? '0').padEnd(3, '0')));
  // Date.UTC rolls 2026-02-30 over to March; a date that does not exist is not a time.
  const back = new Date(utc);
  if (back.getUTCFullYear() !== fields[0] || back.getUTCMonth() !== fields[1] || back.getUTCDate() !== fields[2] || fields[3] > 23 || fields[4] > 59 || fields[5] > 59) return null;
  if (zone!.toUpperCase() === 'Z') return back;
  if (Number(oh) > 18 || Number(om) > 59) return null;
  const offsetMs = (Number(oh) * 60 + Number(om)) * 60_000 * (sign === '-' ? -1 : 1);
  return new Date(utc - offsetMs);
}

/** What `text` says, or null when it is none of the three. */
export function parseWhen(text: string): When | null {
  const t = text.trim();
  if (t.toLowerCase() === 'now') return { kind: 'now' };
  const at = isoInstant(t);
  if (at) return { kind: 'at', at };
  const ms = durationMs(t);
  return ms === null ? null : { kind: 'in', ms };
}

/** The instant `when` stands for at `now`. */
export function resolveWhen(when: When, now: Date): Date {
  if (when.kind === 'now') return new Date(now);
  if (when.kind === 'in') return new Date(now.getTime() + when.ms);
  return when.at;
}

/** A span ahead in time, or why not as one sentence about one flag. */
export type SpanCheck = { ok: true; from: Date; until: Date } | { ok: false; field: 'from' | 'until'; message: string };

export interface SpanRules {
  /** How far ahead `until` may be, from now. */
  maxAheadMs: number;
  /** A `from` this little in the past is read as now (a time typed a minute ago); more is refused. */
  pastToleranceMs: number;
  /** How an instant reads in the messages. */
  show: (at: Date) => string;
}

/**
 * Places `--from` (now when absent) and `--until` in time and checks that they make a span
 * ahead: from not in the past, until after from, until at most `maxAheadMs` from now.
 */
export function resolveSpan(from: When | undefined, until: When, now: Date, rules: SpanRules): SpanCheck {
  let start = resolveWhen(from ?? { kind: 'now' }, now);
  const end = resolveWhen(until, now);
  const lateBy = now.getTime() - start.getTime();
  if (lateBy > rules.pastToleranceMs) {
    return { ok: false, field: 'from', message: `--from: ${rules.show(start)} is in the past; an override starts now or later (leave --from out to start now).` };
  }
  if (lateBy > 0) start = new Date(now);
  if (end.getTime() <= now.getTime()) {
    return { ok: false, field: 'until', message: `--until: ${rules.show(end)} is not ahead of now; give a later time such as 2026-12-24T09:00Z or a duration such as 2h.` };
  }
  if (end.getTime() <= start.getTime()) {
    return { ok: false, field: 'until', message: `--until: ${rules.show(end)} is not after --from (${rules.show(start)}).` };
  }
  const latest = new Date(now.getTime() + rules.maxAheadMs);
  if (end.getTime() > latest.getTime()) {
    const days = Math.round(rules.maxAheadMs / 86_400_000);
    return { ok: false, field: 'until', message: `--until: ${rules.show(end)} is more than ${days} days ahead; an override may run until ${rules.show(latest)} at the latest.` };
  }
  return { ok: true, from: start, until: end };
}
