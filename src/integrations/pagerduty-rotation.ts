/**
 * `rotation.source: pagerduty`: who is on call comes from PagerDuty's schedules
 * (`pagerduty.schedules.primary` / `.secondary`). RotationSource is synchronous (the domain asks it
 * inside transactions), so this source answers from a cache of PagerDuty's
 * `GET /oncalls?schedule_ids[]=…&since=…&until=…` (a window from a day ago to 28 days ahead),
 * refreshed by the `pagerduty-rotation` job every minute and once at start. A shift change is a
 * boundary of the primary schedule's on-call spans. PagerDuty users become Slack users through
 * `pagerduty.users`, else (with `lookups`) by email: `GET /users/{id}` then users.lookupByEmail,
 * asked in the refresh for each on-call user not in the map; a match is kept, a miss or a failure
 * is asked again at most every 10 minutes. One matched neither way is nobody (null), logged once.
 * When PagerDuty cannot be reached (timeout, 429, 5xx, a malformed answer) the last good answer
 * is kept and `stale` says since when; `oncall cover` overrides and the config's planned ones
 * still win for their span.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { StateStore } from '../db/state/state-store.js';
import { configOverrides, type OverrideLookup } from '../oncall/config-rotation.js';
import { onCallWithOverrides, overrideOfRow, type Override, type RotationSource, type Shift, type ShiftPair } from '../oncall/rotation-source.js';
import { PagerDutyCallError, pagerdutyApi, type OnCallsPage } from './pagerduty-api.js';
import { slackUserOfAgent, type PagerDutyUserLookups } from './pagerduty-users.js';

/** How long one PagerDuty call may take, answer body included. */
export const PAGERDUTY_TIMEOUT_MS = 10_000;
/** The cached window: from this long ago… */
export const WINDOW_BEHIND_MS = 24 * 3_600_000;
/** …to this far ahead. */
export const WINDOW_AHEAD_MS = 28 * 24 * 3_600_000;
/** Pages of /oncalls followed at most (100 entries each). */
const MAX_PAGES = 20;
/** An on-call user whose email matched nobody (or whose lookup failed) is looked up again after this long. */
export const EMAIL_RETRY_MS = 10 * 60_000;

/** One on-call span of a schedule, as PagerDuty answered it. */
export interface OnCallSpan {
  schedule: string;
  pdUser: string;
  name: string;
  start: number;
  end: number;
}

export interface PagerDutyRotation extends RotationSource {
  /** Since when PagerDuty has not answered (the cache is the last good answer); null when fresh. */
  readonly stale: { since: Date } | null;
  /** Asks PagerDuty again; never throws (a failure keeps the last answer and marks it stale). */
  refresh(): Promise<void>;
}

export interface PagerDutyRotationOptions {
  config: Pick<Config, 'rotation' | 'pagerduty' | 'env'>;
  fetch: typeof fetch;
  clock: Clock;
  logger: Logger;
  overrides?: OverrideLookup;
  timeoutMs?: number;
  /**
   * Email matching for on-call users not in `pagerduty.users` (GET /users/{id}, then
   * users.lookupByEmail); without both lookups only the map names people.
   */
  lookups?: PagerDutyUserLookups;
}

type OnCallEntry = { user?: { id?: unknown; summary?: unknown } | null; schedule?: { id?: unknown } | null; start?: unknown; end?: unknown };

class PagerDutyUnreachable extends Error {
  override name = 'PagerDutyUnreachable';
}

/** The on-call spans of `schedules` in [since, until), every page; throws PagerDutyUnreachable. */
export async function fetchOnCalls(
  opts: Pick<PagerDutyRotationOptions, 'config' | 'fetch' | 'timeoutMs'>,
  schedules: readonly string[],
  since: Date,
  until: Date,
): Promise<OnCallSpan[]> {
  const api = pagerdutyApi({ config: opts.config, fetch: opts.fetch, timeoutMs: opts.timeoutMs ?? PAGERDUTY_TIMEOUT_MS });
  const spans: OnCallSpan[] = [];
  for (let page = 0, offset = 0; page < MAX_PAGES; page++) {
    let answer: OnCallsPage;
    try {
      answer = await api.onCalls(schedules, since, until, offset);
    } catch (err) {
      throw new PagerDutyUnreachable(err instanceof PagerDutyCallError ? err.problem : (err as Error).message);
    }
    for (const o of answer.oncalls as OnCallEntry[]) {
      const schedule = o.schedule?.id;
      const pdUser = o.user?.id;
      if (typeof schedule !== 'string' || typeof pdUser !== 'string') continue;
      // Always-on-call levels have no start or end: on call for the whole window.
      const start = typeof o.start === 'string' ? Date.parse(o.start) : since.getTime();
      const end = typeof o.end === 'string' ? Date.parse(o.end) : until.getTime();
      if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) continue;
      spans.push({ schedule, pdUser, name: typeof o.user?.summary === 'string' ? o.user.summary : pdUser, start, end });
    }
    if (!answer.more) break;
    offset += answer.limit;
  }
  // A schedule in several escalation policies (or levels) comes back once for each.
  const seen = new Set<string>();
  return spans
    .filter((s) => {
      const key = `${s.schedule} ${s.pdUser} ${s.start} ${s.end}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.start - b.start);
}

/** The index of the last element ≤ t in a sorted list, or -1. */
function lastAtOrBefore(sorted: readonly number[], t: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export function pagerdutyRotation(opts: PagerDutyRotationOptions): PagerDutyRotation {
  const { config, clock, logger } = opts;
  const schedules = config.pagerduty.schedules;
  const overrides: OverrideLookup = opts.overrides ?? (async () => []);
  const timezone = config.rotation?.timezone ?? 'UTC';
  let primarySpans: OnCallSpan[] = [];
  let secondarySpans: OnCallSpan[] = [];
  /** The primary schedule's span boundaries, sorted: the shift changes. */
  let changes: number[] = [];
  let stale: { since: Date } | null = null;
  const unmappedLogged = new Set<string>();
  const lookups = opts.lookups?.emailOf && opts.lookups.slackUserByEmail ? opts.lookups : null;
  /** PagerDuty users found by email: PagerDuty user ID → Slack user ID. */
  const byEmail = new Map<string, string>();
  /** When each user's email last matched nobody (or its lookup failed): asked again EMAIL_RETRY_MS later. */
  const missedAt = new Map<string, number>();

  const slackOf = (span: OnCallSpan | undefined): string | null => {
    if (!span) return null;
    const user = config.pagerduty.users[span.pdUser] ?? byEmail.get(span.pdUser);
    if (user) return user;
    if (!unmappedLogged.has(span.pdUser)) {
      unmappedLogged.add(span.pdUser);
      logger.warn(
        { pdUser: span.pdUser, name: span.name },
        lookups
          ? 'PagerDuty rotation: this on-call user is not in pagerduty.users and not matched by email (asked again every 10 minutes); nobody is named for their shifts'
          : 'PagerDuty rotation: this on-call user is not in pagerduty.users; nobody is named for their shifts',
      );
    }
    return null;
  };

  /** Looks up by email the on-call users of `spans` not in pagerduty.users, not found yet and not missed in the last EMAIL_RETRY_MS. */
  async function matchByEmail(spans: readonly OnCallSpan[], now: number): Promise<void> {
    if (!lookups) return;
    const unmatched = new Map<string, OnCallSpan>();
    for (const s of spans) {
      if (config.pagerduty.users[s.pdUser] || byEmail.has(s.pdUser) || unmatched.has(s.pdUser)) continue;
      const missed = missedAt.get(s.pdUser);
      if (missed !== undefined && now - missed < EMAIL_RETRY_MS) continue;
      unmatched.set(s.pdUser, s);
    }
    // slackUserOfAgent bounds each lookup in time and never throws (a failure is no match, logged).
    await Promise.all(
      [...unmatched.values()].map(async (s) => {
        const user = await slackUserOfAgent({ id: s.pdUser, name: s.name }, config, lookups, logger);
        if (user) {
          byEmail.set(s.pdUser, user);
          missedAt.delete(s.pdUser);
        } else missedAt.set(s.pdUser, now);
      }),
    );
  }
  const spanAt = (spans: readonly OnCallSpan[], t: number) => spans.find((s) => s.start <= t && t < s.end);

  const shift = async (index: number): Promise<Shift> => {
    const start = new Date(changes[index]!);
    const end = new Date(changes[index + 1]!);
    const scheduled: ShiftPair = { primary: slackOf(spanAt(primarySpans, start.getTime())), secondary: slackOf(spanAt(secondarySpans, start.getTime())) };
    return { index, start, end, scheduled, overrides: await overrides(start, end) };
  };
  /** The shift holding t: between two known changes; -1 outside them. */
  const indexAt = (t: number) => {
    const i = lastAtOrBefore(changes, t);
    return i < 0 || i >= changes.length - 1 ? -1 : i;
  };

  let inFlight: Promise<void> | null = null;

  /** One answer of PagerDuty's on-calls API into the cache; a failure keeps the last answer and marks it stale. */
  async function load(): Promise<void> {
    if (!schedules) return;
    const now = clock();
    const ids = [schedules.primary, ...(schedules.secondary ? [schedules.secondary] : [])];
    try {
      const spans = await fetchOnCalls(opts, ids, new Date(now.getTime() - WINDOW_BEHIND_MS), new Date(now.getTime() + WINDOW_AHEAD_MS));
      // Before the answer is used, so that nobody found by email is said to be nobody meanwhile.
      await matchByEmail(spans, now.getTime());
      primarySpans = spans.filter((s) => s.schedule === schedules.primary);
      secondarySpans = schedules.secondary ? spans.filter((s) => s.schedule === schedules.secondary) : [];
      changes = [...new Set(primarySpans.flatMap((s) => [s.start, s.end]))].sort((a, b) => a - b);
      if (stale) logger.info({ since: stale.since }, 'PagerDuty rotation: PagerDuty answers again');
      stale = null;
    } catch (err) {
      if (!stale) {
        stale = { since: now };
        logger.warn({ err: (err as Error).message }, 'PagerDuty rotation: PagerDuty not reachable; the last known on-call answer is kept');
      }
    }
  }

  return {
    timezone,
    get stale() {
      return stale;
    },
    refresh() {
      // Callers at the same moment (the start, the job, the terminal waiting) share one call.
      inFlight ??= load().finally(() => {
        inFlight = null;
      });
      return inFlight;
    },
    async at(t) {
      const index = indexAt(t.getTime());
      if (index < 0) return null;
      const s = await shift(index);
      let until = s.end.getTime();
      // The secondary schedule changes on its own boundaries: who is on call next changes there too.
      const secondaryNow = spanAt(secondarySpans, t.getTime());
      if (secondaryNow && secondaryNow.end < until) until = secondaryNow.end;
      const nextSecondary = secondarySpans.find((x) => x.start > t.getTime());
      if (nextSecondary && nextSecondary.start < until) until = nextSecondary.start;
      return onCallWithOverrides(s, t, { primary: s.scheduled.primary, secondary: slackOf(secondaryNow) }, until);
    },
    shiftChanges(from, to) {
      return changes.filter((c) => c > from.getTime() && c <= to.getTime()).map((c) => new Date(c));
    },
    nextShiftChange(t) {
      const next = changes.find((c) => c > t.getTime());
      return next === undefined ? null : new Date(next);
    },
    async shifts(from, to) {
      const out: Shift[] = [];
      for (let i = 0; i < changes.length - 1; i++) {
        if (changes[i]! < to.getTime() && changes[i + 1]! > from.getTime()) out.push(await shift(i));
      }
      return out;
    },
  };
}

/** The bot's PagerDuty rotation, with the config's planned overrides and those in chatops.db. */
export function pagerdutyRotationOf(
  config: Pick<Config, 'rotation' | 'pagerduty' | 'env'>,
  state: Pick<StateStore, 'overrides'>,
  opts: Omit<PagerDutyRotationOptions, 'config' | 'overrides'>,
): PagerDutyRotation {
  const planned: Override[] = config.rotation ? configOverrides(config.rotation) : [];
  return pagerdutyRotation({
    ...opts,
    config,
    overrides: async (from, to) =>
      [
        ...planned.filter((o) => o.from < to && from < o.until),
        ...(await state.overrides.overlapping(from, to)).map(overrideOfRow),
      ].sort((a, b) => a.from.getTime() - b.from.getTime()),
  });
}
