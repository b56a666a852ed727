import type { Incident, IncidentStatus, TimelineEntry, TimerRow } from '../db/state/state-records.js';
import type { StateStore } from '../db/state/state-store.js';
import { findIncident } from './find-incident.js';
import type { Severity } from './severity-matrix.js';

/** The earliest pending timer of an incident: what comes next on its clock. */
export async function nextDeadline(state: StateStore, incidentId: string): Promise<TimerRow | null> {
  return (await state.timers.pending({ incidentId }))[0] ?? null;
}

export interface IncidentSummary {
  id: string;
  severity: Severity;
  status: IncidentStatus;
  title: string;
  ownerId: string | null;
  openedAt: string;
  ageMs: number;
  nextDeadline: TimerRow | null;
}

/** The open incidents, most severe first, then oldest first. */
export async function listIncidents(state: StateStore, now: Date): Promise<IncidentSummary[]> {
  const open = (await state.incidents.open()).sort((a, b) => a.severity.localeCompare(b.severity) || a.opened_at.localeCompare(b.opened_at));
  return await Promise.all(
    open.map(async (i) => ({
      id: i.id,
      severity: i.severity,
      status: i.status,
      title: i.title,
      ownerId: i.owner_id,
      openedAt: i.opened_at,
      ageMs: now.getTime() - new Date(i.opened_at).getTime(),
      nextDeadline: await nextDeadline(state, i.id),
    })),
  );
}

/** One incident and everything on its timeline, in order. */
export async function incidentTimeline(state: StateStore, incidentRef: string | undefined): Promise<{ incident: Incident; events: TimelineEntry[] }> {
  const incident = await findIncident(state, incidentRef);
  return { incident, events: await state.timeline.list(incident.id) };
}
