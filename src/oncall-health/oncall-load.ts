/**
 * `oncall load`: per person and shift, the pages (alerts posted to them as primary, alerts they
 * acknowledged), the night pages (00:00–06:00 in their zone), the incidents they opened and
 * owned, and the time they owned incidents, for the team's review of the on-call load.
 */
import type { DomainDeps } from '../incidents/incident-deps.js';
import type { UserTimeZone } from '../slack/workspace-people.js';
import type { Incident } from '../db/state/state-records.js';
import type { StateStore } from '../db/state/state-store.js';
import { isNightPage, zoneOf, type PersonZone } from './night-pages.js';
import type { Shift } from '../oncall/rotation-source.js';

export interface LoadRow {
  user: string;
  shift: { start: Date; end: Date };
  /** Their role in the shift's schedule, if any. */
  role: 'primary' | 'secondary' | null;
  pages: number;
  nightPages: number;
  incidentsOpened: number;
  incidentsOwned: number;
  /** Time owning incidents within the shift. */
  ownedMs: number;
  zone: PersonZone;
}

export interface OwnerSpan {
  user: string;
  from: number;
  to: number;
  incidentId: string;
}

/** Who owned an incident when: from its acknowledgement, switching at each owner change on the timeline, to its resolution (or now). */
export async function ownerSpans(state: Pick<StateStore, 'timeline'>, incident: Incident, now: Date): Promise<OwnerSpan[]> {
  const changes = (await state.timeline.list(incident.id))
    .filter((e) => e.kind === 'owner')
    .map((e) => {
      let data: { from?: unknown; to?: unknown } = {};
      try {
        data = JSON.parse(e.data ?? '{}') as typeof data;
      } catch {
        // A row without its data keeps the owner unknown.
      }
      return { at: Date.parse(e.at), from: typeof data.from === 'string' ? data.from : null, to: typeof data.to === 'string' ? data.to : null };
    });
  let owner: string | null = changes[0]?.from ?? incident.owner_id;
  let from = Date.parse(incident.acknowledged_at ?? incident.opened_at);
  const end = incident.resolved_at ? Date.parse(incident.resolved_at) : now.getTime();
  const spans: OwnerSpan[] = [];
  for (const c of changes) {
    if (owner && c.at > from) spans.push({ user: owner, from, to: Math.min(c.at, end), incidentId: incident.id });
    owner = c.to;
    from = c.at;
  }
  if (owner && end > from) spans.push({ user: owner, from, to: end, incidentId: incident.id });
  return spans;
}

/** The shifts that started within the last `weeks` weeks (and the current one), oldest first. */
export async function reviewShifts(deps: Pick<DomainDeps, 'rotation'>, now: Date, weeks: number): Promise<Shift[]> {
  return await deps.rotation.shifts(new Date(now.getTime() - weeks * 7 * 86_400_000), now);
}

export async function oncallLoad(deps: Pick<DomainDeps, 'state' | 'rotation'> & { userTimeZone?: UserTimeZone }, now: Date, weeks: number): Promise<LoadRow[]> {
  const shifts = await reviewShifts(deps, now, weeks);
  if (shifts.length === 0) return [];
  const from = shifts[0]!.start;
  const pages = await deps.state.pages.between(from, now);
  const incidents = await deps.state.pages.incidentsActive(from, now);
  const spans = (await Promise.all(incidents.map(async (i) => await ownerSpans(deps.state, i, now)))).flat();
  const zones = new Map<string, PersonZone>();
  const zone = async (user: string) => {
    let z = zones.get(user);
    if (!z) zones.set(user, (z = await zoneOf(deps, user)));
    return z;
  };
  const rows: LoadRow[] = [];
  for (const shift of shifts) {
    const s = shift.start.getTime();
    const e = Math.min(shift.end.getTime(), now.getTime());
    const inShift = (t: string | number) => {
      const ms = typeof t === 'number' ? t : Date.parse(t);
      return ms >= s && ms < e;
    };
    const people = new Set<string>();
    for (const u of [shift.scheduled.primary, shift.scheduled.secondary, ...shift.overrides.map((o) => o.user)]) if (u) people.add(u);
    const shiftPages = pages.filter((p) => inShift(p.at));
    shiftPages.forEach((p) => people.add(p.user_id));
    const shiftSpans = spans.filter((sp) => sp.from < e && sp.to > s);
    shiftSpans.forEach((sp) => people.add(sp.user));
    const opened = incidents.filter((i) => inShift(i.opened_at));
    opened.forEach((i) => people.add(i.created_by));
    for (const user of people) {
      const mine = shiftPages.filter((p) => p.user_id === user);
      const z = await zone(user);
      const owned = shiftSpans.filter((sp) => sp.user === user);
      const row: LoadRow = {
        user,
        shift: { start: shift.start, end: shift.end },
        role: shift.scheduled.primary === user ? 'primary' : shift.scheduled.secondary === user ? 'secondary' : null,
        pages: mine.length,
        nightPages: mine.filter((p) => isNightPage(p.at, z.timezone)).length,
        incidentsOpened: opened.filter((i) => i.created_by === user).length,
        incidentsOwned: new Set(owned.map((sp) => sp.incidentId)).size,
        ownedMs: owned.reduce((sum, sp) => sum + Math.min(sp.to, e) - Math.max(sp.from, s), 0),
        zone: z,
      };
      rows.push(row);
    }
  }
  return rows;
}
