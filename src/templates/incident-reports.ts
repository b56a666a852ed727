/** The incident listings: open incidents, one incident's timeline, its review draft. */
import type { Incident, TimelineEntry } from '../db/state/state-records.js';
import type { IncidentSummary } from '../incidents/incident-queries.js';
import type { Severity } from '../incidents/severity-matrix.js';
import { formatDuration } from '../time/atlas-time.js';
import { deadlineText } from './incident-card.js';
import { userRef } from './people.js';
import type { Report } from './report.js';
import { dayTime, hhmm, since } from './slack-time.js';


/** `/atlas incidents`: the open incidents, worst first. */
export function incidentsReport(incidents: readonly IncidentSummary[], now: Date): Report {
  if (incidents.length === 0) {
    return { command: 'incidents', level: 'ok', headline: 'No open incidents', sections: [], footer: '`/atlas declare <title>` opens one.', data: [] };
  }
  const bySeverity = new Map<string, number>();
  for (const i of incidents) bySeverity.set(i.severity, (bySeverity.get(i.severity) ?? 0) + 1);
  const counts = [...bySeverity.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${n} ${s}`);
  const worst = incidents.reduce((w, i) => (i.severity < w ? i.severity : w), 'P3' as Severity);
  return {
    command: 'incidents',
    level: worst === 'P0' ? 'crit' : worst === 'P1' ? 'warn' : 'info',
    headline: `${incidents.length} open incident${incidents.length === 1 ? '' : 's'}: ${counts.join(', ')}`,
    sections: [
      {
        table: {
          columns: ['incident', 'sev', 'status', 'owner', 'age', 'next deadline', 'title'],
          rows: incidents.map((i) => [i.id, i.severity, i.status, userRef(i.ownerId), formatDuration(i.ageMs), deadlineText(i.nextDeadline, now) ?? '—', i.title]),
        },
      },
    ],
    footer: '`/atlas timeline <INC>` for the story of one.',
    data: incidents,
  };
}

/** `/atlas timeline <INC>`: every event with its time (UTC) and actor. */
export function timelineReport(incident: Incident, events: readonly TimelineEntry[], now: Date): Report {
  const spansDays = events.length > 0 && events[0]!.at.slice(0, 10) !== events[events.length - 1]!.at.slice(0, 10);
  const when = (at: string) => (spansDays ? dayTime(at) : hhmm(at));
  const state =
    incident.status === 'resolved' && incident.resolved_at
      ? `resolved after ${since(incident.opened_at, new Date(incident.resolved_at))}`
      : `${incident.status}, open ${since(incident.opened_at, now)}`;
  return {
    command: 'timeline',
    level: 'info',
    headline: `${incident.id} (${incident.severity}, ${state}): ${events.length} event${events.length === 1 ? '' : 's'}`,
    sections: [
      { title: incident.title, lines: events.map((e) => `${when(e.at)} · ${e.actor === 'bot' ? 'bot' : userRef(e.actor)} · ${e.text}`) },
    ],
    footer: spansDays ? undefined : `All times ${events[0]?.at.slice(0, 10) ?? incident.opened_at.slice(0, 10)}, UTC.`,
    data: { incident, events },
  };
}

/** `/atlas review <INC>`: the markdown draft, one line per report line, ready to paste into a GitHub issue. */
export function reviewReport(incident: Incident, markdown: string): Report {
  return {
    command: 'review',
    level: 'info',
    headline: `Post-incident review draft for ${incident.id}: copy it into a GitHub issue`,
    sections: [{ lines: markdown.split('\n') }],
    footer:
      incident.review_done_at !== null
        ? `Review marked done ${dayTime(incident.review_done_at)}.`
        : `\`review-done ${incident.id}\` when the review is done (stops the 48 h reminder).`,
    data: { incidentId: incident.id, markdown },
  };
}
