/**
 * What the shift handoff says, as data: the guide's handoff template filled in from chatops.db,
 * the Atlas data directory, the health checks and the maintenance calendar. Each section is
 * gathered on its own and within a time bound; a section that cannot be read is a gap sentence
 * that says what to run by hand, and the others are still there. No Slack markup here: the
 * templates (handoff-message.ts, handoff-markdown.ts) render it.
 */
import type { CheckItem } from '../checks/check-item.js';
import type { JobRow } from '../checks/jobs.js';
import type { IncidentStatus, Severity, TimerRow } from '../db/state/state-records.js';
import type { MaintenanceEntry } from './maintenance-calendar.js';
import type { ShiftPair } from './rotation-source.js';
import { wallClock } from './zoned-time.js';

export type { JobRow, MaintenanceEntry };

export interface HandoffNotes {
  text: string;
  /** Slack user ID of whoever wrote them. */
  by: string;
  at: Date;
}

/** Something about the people of the handoff that the incoming engineer should know and fix. */
export type HandoffProblem =
  /** The rotation names someone Slack no longer knows (left, deactivated). */
  | { kind: 'user-gone'; userId: string; role: string }
  /** The outgoing primary's notes reminder could not be delivered (Slack's error). */
  | { kind: 'reminder-undelivered'; userId: string; error: string };

export interface HandoffInput {
  /** The shift change this handoff is for. */
  shiftChange: Date;
  outgoing: ShiftPair;
  incoming: ShiftPair;
  notes: HandoffNotes | null;
  /** Posted after the fact (the bot was down). */
  late: { scheduled: Date } | null;
  /** Earlier shift changes missed, not posted. */
  skipped: Date[];
  /** Missed shift changes beyond those in `skipped`, counted only. */
  skippedMore?: number;
  /** "Now" for ages and windows (the 24 h of alerts ends here). */
  now: Date;
  problems?: HandoffProblem[];
}

/** A section's items, with what could not be read although the rest was (gaps) and plain notes. */
export interface Listed<T> {
  items: T[];
  /** Each a sentence: something that should have been read was not. Makes the status at least "Issues to watch". */
  gaps: string[];
  /** Each a sentence, no fault: "No maintenance calendar is configured". */
  notes: string[];
}

/** A section that could not be gathered at all: what happened and what to run by hand. */
export interface Gap {
  gap: string;
}

export type HandoffSection<T> = Listed<T> | Gap;

export function isGap<T>(section: HandoffSection<T>): section is Gap {
  return 'gap' in section;
}

export interface HandoffIncident {
  id: string;
  severity: Severity;
  status: IncidentStatus;
  title: string;
  ownerId: string | null;
  /** Why it needs a new owner: its owner is the outgoing primary, or it has none; null otherwise. */
  needsOwner: 'owner-leaves' | 'no-owner' | null;
  openedAt: string;
  ageMs: number;
  lastUpdateAt: string | null;
  /** The earliest pending timer: what comes next on its clock. */
  nextDeadline: TimerRow | null;
}

/** An open GitHub issue carrying every one of github.incidentLabels (the guide's `gh issue list`). */
export interface HandoffGitHubIssue {
  repo: string;
  number: number;
  title: string;
  url: string;
  labels: string[];
  createdAt: string;
}

export type AlertOutcome = 'resolved' | 'still firing' | 'acknowledged, still firing';

/** The firings of one alert in the window. */
export interface HandoffAlertGroup {
  key: string;
  /** The name of its latest firing. */
  name: string;
  /** The worst severity among its firings. */
  severity: Severity;
  firings: number;
  /** What became of its latest firing. */
  outcome: AlertOutcome;
  lastFiredAt: string;
  resolvedAt: string | null;
}

/** A health item that needs watching (warn) or is critical. */
export type HandoffWatchItem = CheckItem & { level: 'warn' | 'crit' };

export type HandoffStatusLevel = 'all-clear' | 'issues' | 'critical';

export interface HandoffStatus {
  level: HandoffStatusLevel;
  /** Why, worst first, in plain words ("INC-20261126-2 (P1) open"). Empty when all is clear. */
  reasons: string[];
}

export interface HandoffContent {
  shiftChange: Date;
  /** The rotation's zone: shown beside UTC when it is not UTC; maintenance times are read in it. */
  timezone: string;
  outgoing: ShiftPair;
  incoming: ShiftPair;
  now: Date;
  late: { scheduled: Date } | null;
  skipped: Date[];
  skippedMore: number;
  status: HandoffStatus;
  /** Open incidents: those that need a new owner first, then worst and oldest first. */
  incidents: HandoffSection<HandoffIncident>;
  /** Open GitHub issues labelled github.incidentLabels, newest first; absent when GitHub is off. */
  githubIssues?: HandoffSection<HandoffGitHubIssue>;
  /** Alerts that fired in the last `alertHours` or still fire: still firing first. */
  alerts: HandoffSection<HandoffAlertGroup>;
  alertHours: number;
  /** Running, pending and partial jobs, and jobs failed in the last `failedHours`: stuck ones first. */
  jobs: HandoffSection<JobRow>;
  stuckHours: number;
  failedHours: number;
  /** Health items at crit, then at warn (firing alerts are in `alerts`). */
  watch: HandoffSection<HandoffWatchItem>;
  /** The health window the watch items were measured over. */
  healthWindowMs: number;
  maintenance: HandoffSection<MaintenanceEntry>;
  maintenanceDays: number;
  notes: HandoffNotes | null;
  /** People problems: someone the rotation names has left, the reminder did not arrive. */
  problems: HandoffProblem[];
  /**
   * The audit chain's head as published with this handoff (recorded in the transaction that
   * queues the post); absent where the handoff is only shown, not posted.
   */
  auditHead?: { seq: number; hash: string } | null;
}


const SEVERITY_RANK: Record<Severity, number> = { P0: 0, P1: 1, P2: 2, P3: 3 };
/** P0 and P1 make the handoff Critical. */
export const urgent = (s: Severity) => SEVERITY_RANK[s] <= 1;
/** Reasons named in the status, at most; the rest are counted. */
const MAX_REASONS = 5;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The status from the sections: Critical, Issues to watch, or All clear, with its reasons worst first. */
export function handoffStatus(c: Pick<HandoffContent, 'incidents' | 'alerts' | 'jobs' | 'watch' | 'maintenance' | 'problems' | 'githubIssues'>): HandoffStatus {
  const critical: string[] = [];
  const issues: string[] = [];
  /** What the incoming engineer must do at once, whatever the severity. */
  const handOver: string[] = [];
  if (!isGap(c.incidents)) {
    for (const i of c.incidents.items) (urgent(i.severity) ? critical : issues).push(`${i.id} (${i.severity}) open`);
    const orphans = c.incidents.items.filter((i) => i.needsOwner !== null);
    if (orphans.length === 1) handOver.push(`${orphans[0]!.id} needs a new owner`);
    else if (orphans.length > 1) handOver.push(`${orphans.length} incidents need a new owner`);
  }
  if (!isGap(c.alerts)) {
    for (const a of c.alerts.items) {
      if (a.outcome === 'resolved') continue;
      (urgent(a.severity) ? critical : issues).push(`${a.name} (${a.severity}) ${a.outcome}`);
    }
  }
  if (!isGap(c.watch)) for (const w of c.watch.items) (w.level === 'crit' ? critical : issues).push(`${w.label} (${w.level === 'crit' ? 'critical' : 'warning'})`);
  if (!isGap(c.jobs)) {
    const stuck = c.jobs.items.filter((j) => j.stuck).length;
    const failed = c.jobs.items.filter((j) => j.status === 'failed').length;
    const partial = c.jobs.items.filter((j) => j.status === 'partial').length;
    if (stuck > 0) issues.push(`${plural(stuck, 'job')} may be stuck`);
    if (failed > 0) issues.push(`${plural(failed, 'job')} failed`);
    if (partial > 0) issues.push(`${plural(partial, 'job')} partly failed`);
  }
  const sections: HandoffSection<unknown>[] = [c.incidents, c.alerts, c.jobs, c.watch, c.maintenance, ...(c.githubIssues ? [c.githubIssues] : [])];
  const gaps = sections.reduce((n, s) => n + (isGap(s) ? 1 : s.gaps.length), 0);
  if (c.problems.some((p) => p.kind === 'user-gone')) handOver.push('the rotation names someone who left');
  if (c.problems.some((p) => p.kind === 'reminder-undelivered')) issues.push('the notes reminder did not arrive');
  const level: HandoffStatusLevel = critical.length > 0 ? 'critical' : issues.length > 0 || gaps > 0 || handOver.length > 0 ? 'issues' : 'all-clear';
  // A gap leads (everything after it may be incomplete), then what the handover itself needs.
  const all = [...(gaps > 0 ? [`${plural(gaps, 'part')} could not be read`] : []), ...handOver, ...critical, ...issues];
  const reasons = all.length > MAX_REASONS ? [...all.slice(0, MAX_REASONS - 1), `and ${all.length - (MAX_REASONS - 1)} more`] : all;
  return { level, reasons };
}

// --- words both renderings share ------------------------------------------------------------------

export const STATUS_WORDS: Record<HandoffStatusLevel, string> = { 'all-clear': 'All clear', issues: 'Issues to watch', critical: 'Critical' };

/** "2x provider_down (resolved)", as the guide writes its alert summary. */
export function alertGroupText(g: Pick<HandoffAlertGroup, 'firings' | 'name' | 'outcome'>): string {
  return `${g.firings}x ${g.name} (${g.outcome})`;
}

/** "2026-11-30 08:00 UTC", and "(09:00 Europe/Berlin)" beside it when the zone is not UTC (with its date when that differs). */
export function shiftChangeText(at: Date, timezone: string): string {
  const utc = `${at.toISOString().slice(0, 10)} ${at.toISOString().slice(11, 16)} UTC`;
  if (timezone === 'UTC') return utc;
  const local = wallClock(at, timezone);
  const date = local.date === at.toISOString().slice(0, 10) ? '' : `${local.date} `;
  return `${utc} (${date}${local.time} ${timezone})`;
}
