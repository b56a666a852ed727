/**
 * The reliability report (`/atlas report`, and weekly in the handoff channel), computed from the
 * bot's own rows only: a pure function from what the stores read (reliability-rows.ts) to the
 * figures. Every definition here is written out in docs/report.md; tests check each figure
 * against a hand-computed fixture (test/reports/reliability-report.test.ts).
 */
import type { AlertFiringRecord } from '../db/state/alert-store.js';
import type { PageRow } from '../db/state/page-store.js';
import type { Incident, Severity, TimelineEntry } from '../db/state/state-records.js';
import { isNightPage } from '../oncall/night-hours.js';
import { wallClock } from '../oncall/zoned-time.js';
import { interpolatedPercentile } from './interpolated-percentile.js';
import { PROTOCOL_SLA_MINUTES } from './protocol-sla.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

/** What the report is computed from, as the stores read it. */
export interface ReliabilityRows {
  from: Date;
  to: Date;
  /** The configured time zone (rotation.timezone): night pages and the days of the chart. */
  timezone: string;
  /** Incidents opened in [from, to). */
  incidents: readonly Incident[];
  /** Each of those incidents' timeline, in order. */
  timelines: ReadonlyMap<string, readonly TimelineEntry[]>;
  /** Pages in [from, to). */
  pages: readonly PageRow[];
  /** Alert firings that began in [from, to). */
  firings: readonly AlertFiringRecord[];
  /** Resolved incidents whose review is not done, whenever they were resolved. */
  openReviews: readonly Incident[];
  /** The review is due this long after the resolution (the review reminder's timer). */
  reviewWithinMs: number;
}

/** ack, assess and triage have the protocol's SLA; resolve (MTTR) has none in the guide's protocol. */
export type Stage = 'ack' | 'assess' | 'triage' | 'resolve';
export const STAGES: readonly Stage[] = ['ack', 'assess', 'triage', 'resolve'];

export interface StageFigures {
  stage: Stage;
  slaMinutes: number | null;
  /** Incidents that reached the stage within the window (the median's and p90's sample). */
  counted: number;
  medianMs: number | null;
  p90Ms: number | null;
  breaches: number;
}

/** An incident that took longer than the SLA for a stage, or has not reached it and is past it. */
export interface Breach {
  stage: Exclude<Stage, 'resolve'>;
  incidentId: string;
  title: string;
  severity: Severity;
  /** From the opening to the stage, or to the window's end when not reached. */
  elapsedMs: number;
  overByMs: number;
  reached: boolean;
}

export interface PersonPages {
  user: string;
  pages: number;
  /** Pages from 00:00 to before 06:00 in the configured zone. */
  nightPages: number;
}

export type NoisySuggestion = 'raise-threshold' | 'snooze' | 'group';

export interface NoisyAlert {
  alertKey: string;
  name: string;
  fired: number;
  /** Firings that resolved with nobody acknowledging them. */
  resolvedUnacknowledged: number;
  /** The most fire-and-resolve cycles within one 24-hour span. */
  maxCyclesIn24h: number;
  flapping: boolean;
  suggestion: NoisySuggestion;
}

export interface OpenReview {
  incidentId: string;
  title: string;
  severity: Severity;
  resolvedAt: string;
  dueAt: string;
  overdue: boolean;
}

export interface ReliabilityReport {
  from: string;
  to: string;
  windowMs: number;
  timezone: string;
  incidents: { total: number; bySeverity: Record<Severity, number> };
  /** Alert firings that began in the window. */
  alertFirings: number;
  stages: StageFigures[];
  breaches: Breach[];
  pages: PersonPages[];
  noisyAlerts: NoisyAlert[];
  openReviews: OpenReview[];
  /** The series a chart of this report would draw (the lead attaches the picture). */
  chart: {
    /** Every day of the window in the configured zone, oldest first, with the incidents opened that day. */
    incidentsPerDay: ({ day: string } & Record<Severity, number>)[];
    /** Minutes from opening to acknowledgement, per incident opened from an alert, in order of opening. */
    minutesToAck: { incidentId: string; openedAt: string; minutes: number }[];
  };
}

/** Flapping: at least this many firings that each fired and resolved within one 24-hour span. */
export const FLAP_CYCLES = 3;
export const FLAP_SPAN_MS = DAY;
/** The noisiest alerts listed, at most. */
export const NOISY_ALERTS_SHOWN = 5;

const SLA_MS: Record<Exclude<Stage, 'resolve'>, number> = {
  ack: PROTOCOL_SLA_MINUTES.ack * MIN,
  assess: PROTOCOL_SLA_MINUTES.assess * MIN,
  triage: PROTOCOL_SLA_MINUTES.triage * MIN,
};

/** Timeline kinds that show the incident was assessed: impact written, a status update, a diagnostic attached, or the resolution. */
const ASSESSED_KINDS = new Set(['ack-details', 'status-update', 'attached', 'resolved']);
/** Statuses past `investigating`: the cause is identified, or a fix is being watched. */
const TRIAGED_STATUSES = new Set(['identified', 'monitoring']);

function updatedStatus(entry: TimelineEntry): string | null {
  if (!entry.data) return null;
  try {
    const data = JSON.parse(entry.data) as { status?: unknown };
    return typeof data.status === 'string' ? data.status : null;
  } catch {
    return null;
  }
}

/** When each stage was reached (ms), from the incident's timeline up to the window's end; null when not (yet). */
export function stageTimes(incident: Incident, timeline: readonly TimelineEntry[], to: Date): Record<Stage, number | null> {
  const seen = timeline.filter((e) => Date.parse(e.at) < to.getTime());
  const first = (match: (e: TimelineEntry) => boolean) => {
    const times = seen.filter(match).map((e) => Date.parse(e.at));
    return times.length > 0 ? Math.min(...times) : null;
  };
  const resolvedTimes = seen.filter((e) => e.kind === 'resolved').map((e) => Date.parse(e.at));
  return {
    // A declared incident is acknowledged by whoever declares it: there was no wait to measure.
    ack: incident.alert_key ? first((e) => e.kind === 'acknowledged') : null,
    assess: first((e) => ASSESSED_KINDS.has(e.kind)),
    triage: first((e) => e.kind === 'resolved' || (e.kind === 'status-update' && TRIAGED_STATUSES.has(updatedStatus(e) ?? ''))),
    // Reopened and not resolved again: still open. The last resolution is the one that held.
    resolve: incident.status === 'resolved' && resolvedTimes.length > 0 ? Math.max(...resolvedTimes) : null,
  };
}

/** The most firings that fired and resolved within one span of FLAP_SPAN_MS (a span starting at each firing). */
export function maxCyclesWithin(firings: readonly Pick<AlertFiringRecord, 'fired_at' | 'resolved_at'>[], spanMs: number = FLAP_SPAN_MS): number {
  const cycles = firings.filter((f) => f.resolved_at !== null).map((f) => ({ fired: Date.parse(f.fired_at), resolved: Date.parse(f.resolved_at!) }));
  let best = 0;
  for (const start of cycles) {
    const end = start.fired + spanMs;
    const within = cycles.filter((c) => c.fired >= start.fired && c.resolved < end).length;
    best = Math.max(best, within);
  }
  return best;
}

function suggestionFor(a: Pick<NoisyAlert, 'flapping' | 'fired' | 'resolvedUnacknowledged'>): NoisySuggestion {
  if (a.flapping) return 'raise-threshold';
  if (a.resolvedUnacknowledged > 0 && a.resolvedUnacknowledged * 2 >= a.fired) return 'snooze';
  return 'group';
}

function noisyAlerts(firings: readonly AlertFiringRecord[], to: Date): NoisyAlert[] {
  const byKey = new Map<string, AlertFiringRecord[]>();
  for (const f of firings) byKey.set(f.alert_key, [...(byKey.get(f.alert_key) ?? []), f]);
  const out: NoisyAlert[] = [];
  for (const [alertKey, list] of byKey) {
    // What happened after the window's end is not in the report (the weekly post is computed late at times).
    const settled = list.map((f) => (f.resolved_at && Date.parse(f.resolved_at) < to.getTime() ? f : { ...f, resolved_at: null }));
    const resolvedUnacknowledged = settled.filter((f) => f.resolved_at !== null && f.acknowledged_at === null).length;
    const maxCyclesIn24h = maxCyclesWithin(settled);
    const flapping = maxCyclesIn24h >= FLAP_CYCLES;
    const base = { fired: list.length, resolvedUnacknowledged, flapping };
    // One acknowledged firing is an alert doing its job, not noise.
    if (list.length < 2 && resolvedUnacknowledged === 0) continue;
    out.push({ alertKey, name: list[list.length - 1]!.name, ...base, maxCyclesIn24h, suggestion: suggestionFor(base) });
  }
  return out
    .sort((a, b) => b.fired - a.fired || b.resolvedUnacknowledged - a.resolvedUnacknowledged || b.maxCyclesIn24h - a.maxCyclesIn24h || a.name.localeCompare(b.name))
    .slice(0, NOISY_ALERTS_SHOWN);
}

/** The days (YYYY-MM-DD in `timezone`) from the one holding `from` to the one holding the last instant before `to`. */
function daysOf(from: Date, to: Date, timezone: string): string[] {
  const first = wallClock(from, timezone).date;
  const last = wallClock(new Date(to.getTime() - 1), timezone).date;
  const days: string[] = [];
  for (let d = new Date(`${first}T00:00:00Z`); ; d = new Date(d.getTime() + DAY)) {
    const day = d.toISOString().slice(0, 10);
    days.push(day);
    if (day >= last) break;
  }
  return days;
}

const emptyBySeverity = (): Record<Severity, number> => ({ P0: 0, P1: 0, P2: 0, P3: 0 });

export function reliabilityReport(rows: ReliabilityRows): ReliabilityReport {
  const { from, to, timezone } = rows;
  const bySeverity = emptyBySeverity();
  for (const i of rows.incidents) bySeverity[i.severity] += 1;

  const samples: Record<Stage, number[]> = { ack: [], assess: [], triage: [], resolve: [] };
  const breaches: Breach[] = [];
  const minutesToAck: ReliabilityReport['chart']['minutesToAck'] = [];
  for (const incident of rows.incidents) {
    const opened = Date.parse(incident.opened_at);
    const times = stageTimes(incident, rows.timelines.get(incident.id) ?? [], to);
    for (const stage of STAGES) {
      const reached = times[stage];
      if (reached !== null) samples[stage].push(Math.max(0, reached - opened));
      if (stage === 'resolve') continue;
      // A declared incident has no acknowledgement to wait for: never an ack breach.
      if (stage === 'ack' && !incident.alert_key) continue;
      const elapsed = Math.max(0, (reached ?? to.getTime()) - opened);
      if (elapsed > SLA_MS[stage]) {
        breaches.push({ stage, incidentId: incident.id, title: incident.title, severity: incident.severity, elapsedMs: elapsed, overByMs: elapsed - SLA_MS[stage], reached: reached !== null });
      }
    }
    if (times.ack !== null) minutesToAck.push({ incidentId: incident.id, openedAt: incident.opened_at, minutes: Math.max(0, times.ack - opened) / MIN });
  }
  const stages = STAGES.map(
    (stage): StageFigures => ({
      stage,
      slaMinutes: stage === 'resolve' ? null : PROTOCOL_SLA_MINUTES[stage],
      counted: samples[stage].length,
      medianMs: interpolatedPercentile(samples[stage], 0.5),
      p90Ms: interpolatedPercentile(samples[stage], 0.9),
      breaches: breaches.filter((b) => b.stage === stage).length,
    }),
  );

  const people = new Map<string, PersonPages>();
  for (const p of rows.pages) {
    const person = people.get(p.user_id) ?? { user: p.user_id, pages: 0, nightPages: 0 };
    person.pages += 1;
    if (isNightPage(p.at, timezone)) person.nightPages += 1;
    people.set(p.user_id, person);
  }

  const perDay = new Map(daysOf(from, to, timezone).map((day) => [day, emptyBySeverity()]));
  for (const i of rows.incidents) {
    const counts = perDay.get(wallClock(new Date(i.opened_at), timezone).date);
    if (counts) counts[i.severity] += 1;
  }

  return {
    from: from.toISOString(),
    to: to.toISOString(),
    windowMs: to.getTime() - from.getTime(),
    timezone,
    incidents: { total: rows.incidents.length, bySeverity },
    alertFirings: rows.firings.length,
    stages,
    breaches: breaches.sort((a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage) || b.overByMs - a.overByMs || a.incidentId.localeCompare(b.incidentId)),
    pages: [...people.values()].sort((a, b) => b.pages - a.pages || b.nightPages - a.nightPages || a.user.localeCompare(b.user)),
    noisyAlerts: noisyAlerts(rows.firings, to),
    openReviews: rows.openReviews.map((i) => {
      const resolvedAt = i.resolved_at ?? i.opened_at;
      const due = Date.parse(resolvedAt) + rows.reviewWithinMs;
      return { incidentId: i.id, title: i.title, severity: i.severity, resolvedAt, dueAt: new Date(due).toISOString(), overdue: due <= to.getTime() };
    }),
    chart: { incidentsPerDay: [...perDay].map(([day, counts]) => ({ day, ...counts })), minutesToAck },
  };
}

/** Nothing happened in the window: no incident, no page, no alert firing. */
export const isQuietWindow = (r: ReliabilityReport): boolean => r.incidents.total === 0 && r.pages.length === 0 && r.alertFirings === 0;
