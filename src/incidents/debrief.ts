/**
 * The post-incident debrief: offered with a suggested time when the incident is resolved (the
 * review reminder offers it too, for an incident resolved without one), ticked when marked scheduled.
 */
import { isSlackUserId } from '../ids.js';
import type { Incident } from '../db/state/state-records.js';
import type { StateTransaction } from '../db/state/state-store.js';
import { wallClock, zonedInstant } from '../oncall/zoned-time.js';
import { withIncident } from './find-incident.js';
import { IncidentError } from './incident-errors.js';
import type { DomainDeps } from './incident-deps.js';
import { actorOf } from './incident-input.js';

/** Working-day meeting slots, local time. */
export const DEBRIEF_SLOTS = ['10:00', '14:00'] as const;
/** A slot at least this far ahead, so the invitation can go out. */
const LEAD_MS = 60 * 60_000;

/** The next working-day (Mon–Fri) slot at least an hour after `from`, in the zone. */
export function suggestDebriefSlot(from: Date, timezone: string): Date {
  const earliest = from.getTime() + LEAD_MS;
  const start = wallClock(from, timezone).date;
  for (let d = 0; d < 10; d++) {
    const date = new Date(Date.parse(`${start}T12:00:00Z`) + d * 86_400_000).toISOString().slice(0, 10);
    const weekday = new Date(`${date}T12:00:00Z`).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    for (const time of DEBRIEF_SLOTS) {
      const at = zonedInstant(date, time, timezone);
      if (at.getTime() >= earliest) return at;
    }
  }
  return new Date(earliest);
}

/** Who responded: the owner, whoever opened it, and every Slack user on its timeline. */
export async function respondersOf(state: StateTransaction, incident: Incident): Promise<string[]> {
  const people = [incident.owner_id, incident.created_by, ...(await state.timeline.list(incident.id)).map((e) => e.actor)];
  return [...new Set(people.filter((p): p is string => typeof p === 'string' && isSlackUserId(p)))];
}

/** When the debrief was marked scheduled, or null. */
export async function debriefScheduledAt(state: StateTransaction, incidentId: string): Promise<string | null> {
  return (await state.timeline.list(incidentId)).find((e) => e.kind === 'debrief-scheduled')?.at ?? null;
}

/**
 * At the resolution and with the review reminder (inside their transactions): each responder is
 * offered the debrief in a DM with a suggested time in the rotation's zone, once, unless it is
 * already scheduled.
 */
export async function offerDebrief(tx: StateTransaction, deps: Pick<DomainDeps, 'events' | 'rotation'>, incident: Incident, now: Date): Promise<void> {
  if (await debriefScheduledAt(tx, incident.id)) return;
  // Once: a snoozed review reminder firing again does not send the DMs again.
  if ((await tx.timeline.list(incident.id)).some((e) => e.kind === 'debrief-offered')) return;
  const responders = await respondersOf(tx, incident);
  if (responders.length === 0) return;
  const timezone = deps.rotation.timezone;
  await deps.events.record(tx, { type: 'debrief-offered', incident, responders, suggestedAt: suggestDebriefSlot(now, timezone), timezone }, now);
}

/** `debrief-done`: the debrief meeting is scheduled; the checklist item is ticked in the thread. */
export async function markDebriefScheduled(deps: DomainDeps, incidentRef: string, actorId: string): Promise<Incident> {
  const who = actorOf(actorId);
  return await withIncident(deps, incidentRef, { mustBeOpen: false }, async (tx, incident, now) => {
    const done = await debriefScheduledAt(tx, incident.id);
    if (done) throw new IncidentError(`The debrief of ${incident.id} was already marked scheduled (${done.slice(0, 16).replace('T', ' ')} UTC).`);
    await deps.events.record(tx, { type: 'debrief-scheduled', incident, actor: who }, now);
    return incident;
  });
}
