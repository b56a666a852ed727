/**
 * The guide's self-care rule for nights: a primary paged (an alert posted to them or acknowledged
 * by them) between 00:00 and 06:00 in their own time zone on two or more nights of one shift is
 * suggested to ask for relief, and the secondary is told. Once per person and shift.
 */
import type { DomainDeps } from '../incidents/incident-deps.js';
import type { UserTimeZone } from '../slack/workspace-people.js';
import type { PageRow } from '../db/state/page-store.js';
import { wallClock } from '../oncall/zoned-time.js';

/** Nights with pages at or above this suggest relief. */
export const RELIEF_NIGHTS = 2;
import { isNightPage, NIGHT_END_HOUR } from '../oncall/night-hours.js';

export { isNightPage, NIGHT_END_HOUR };

export type NightPagesDeps = Pick<DomainDeps, 'state' | 'clock' | 'rotation' | 'events' | 'logger'> & { userTimeZone?: UserTimeZone };

/** Whose zone a count used: the person's own from Slack, or the rotation's (the terminal, or Slack did not say). */
export interface PersonZone {
  timezone: string;
  from: 'slack' | 'rotation';
}

/** A person's zone: Slack's users.info tz when the bot has Slack, else the rotation's. */
export async function zoneOf(deps: Pick<DomainDeps, 'rotation'> & { userTimeZone?: UserTimeZone }, userId: string): Promise<PersonZone> {
  const tz = deps.userTimeZone ? await deps.userTimeZone(userId).catch(() => null) : null;
  return tz ? { timezone: tz, from: 'slack' } : { timezone: deps.rotation.timezone, from: 'rotation' };
}


/** The distinct local nights (their dates, in the zone) with at least one page between 00:00 and 06:00. */
export function nightsPaged(pages: readonly Pick<PageRow, 'at'>[], timezone: string): string[] {
  const nights = new Set<string>();
  for (const p of pages) {
    const wall = wallClock(new Date(p.at), timezone);
    if (Number(wall.time.slice(0, 2)) < NIGHT_END_HOUR) nights.add(wall.date);
  }
  return [...nights].sort();
}

export interface NightCheck {
  primary: string | null;
  nights: string[];
  suggested: boolean;
}

/**
 * The scheduled check: the current primary's night pages within the current shift; at
 * RELIEF_NIGHTS or more, relief is suggested once (remembered in chatops.db, so a restart or a
 * second process does not suggest it again).
 */
export async function checkNightPages(deps: NightPagesDeps): Promise<NightCheck> {
  const now = deps.clock();
  const on = await deps.rotation.at(now);
  const primary = on?.primary ?? null;
  if (!on || !primary) return { primary, nights: [], suggested: false };
  const pages = await deps.state.pages.between(on.shift.start, now, primary);
  if (pages.length < RELIEF_NIGHTS) return { primary, nights: [], suggested: false };
  const zone = await zoneOf(deps, primary);
  const nights = nightsPaged(pages, zone.timezone);
  if (nights.length < RELIEF_NIGHTS) return { primary, nights, suggested: false };
  const at = deps.clock();
  const suggested = await deps.state.transaction(async (tx) => {
    if (!await tx.pages.markReliefSuggested(primary, on.shift.start, nights.length, at)) return false;
    await deps.events.record(
      tx, { type: 'relief-suggested', primary, secondary: on.secondary && on.secondary !== primary ? on.secondary : null, nights, shiftEnd: on.shift.end, timezone: zone.timezone, zoneFrom: zone.from },
      at,
    );
    return true;
  });
  if (suggested) deps.logger.info({ primary, nights: nights.length }, 'relief suggested after night pages');
  return { primary, nights, suggested };
}
