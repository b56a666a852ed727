/**
 * What the shift handoff says, as data: the guide's handoff template filled in from chatops.db,
 * the Atlas data directory, the health checks and the maintenance calendar. Each section is
 * gathered on its own and within a time bound; a section that cannot be read is a gap sentence
 * that says what to run by hand, and the others are still there. No Slack markup here: the
 * templates (handoff-message.ts, handoff-markdown.ts) render it.
 */
import { sharedHealth } from '../checks/health.js';
import type { CheckItem } from '../checks/check-item.js';
import type { JobStatus } from '../checks/job-file.js';
import { listJobs, noJobSource, type JobRow } from '../checks/jobs.js';
import type { CommandDeps } from '../commands/command-spec.js';
import type { AlertFiringRecord } from '../db/state/alert-store.js';
import type { IncidentStatus, Severity, TimerRow } from '../db/state/state-records.js';
import { classifySqliteError, DbProblemError } from '../db/sqlite-problem.js';
import { nextDeadline } from '../incidents/incident-queries.js';
import { calendarPath, readMaintenanceCalendar, type MaintenanceEntry } from './maintenance-calendar.js';
import type { ShiftPair } from './rotation-source.js';

export type { JobRow, MaintenanceEntry };

export interface HandoffNotes {
  text: string;
  /** Slack user ID of whoever wrote them. */
  by: string;
  at: Date;
}

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
}

export interface GatherOptions {
  /** How long the health checks may take before the watch items are a gap (default 20 s). */
  healthTimeoutMs?: number;
  /** How long any other section may take (default 10 s). */
  partTimeoutMs?: number;
  /** Resolves a relative calendar path when there is no config file (default the working directory). */
  cwd?: string;
}

const HOUR = 3_600_000;
const ALERT_HOURS = 24;
const FAILED_HOURS = 24;
const MAINTENANCE_DAYS = 7;
/** The `health` command's default window (`--window 1h`): the handoff shows what the dashboard would. */
const HEALTH_WINDOW_MS = HOUR;
const HEALTH_TIMEOUT_MS = 20_000;
const PART_TIMEOUT_MS = 10_000;
const ONGOING: ReadonlySet<JobStatus> = new Set(['running', 'pending', 'partial']);
/** Reasons named in the status, at most; the rest are counted. */
const MAX_REASONS = 5;

/** "20 s", or "250 ms" below a second. */
const bound = (ms: number) => (ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`);

class TimedOut extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${bound(ms)}`);
  }
}

/** Runs `work` (sync or async) with a time bound; the work itself is not cancelled, only no longer awaited. */
async function bounded<T>(ms: number, work: () => T | Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut(ms)), ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(work), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One sentence for a failed section: what could not be read, why, and what to run by hand. */
function gapSentence(err: unknown, file: string, what: string, command: string): string {
  const byHand = `check by hand: \`${command}\``;
  if (err instanceof TimedOut) return `${what} did not answer within ${bound(err.ms)}; ${byHand}.`;
  if (err instanceof DbProblemError) return `${err.problem.message} ${byHand[0]!.toUpperCase()}${byHand.slice(1)}.`;
  const classified = classifySqliteError(err, file);
  if (classified) return `${classified.message} ${byHand[0]!.toUpperCase()}${byHand.slice(1)}.`;
  const message = err instanceof Error ? err.message : String(err);
  const first = (message.split('\n')[0] ?? '').trim();
  return `${what} could not be read (${first.length > 200 ? `${first.slice(0, 199)}…` : first}); ${byHand}.`;
}

async function section<T>(ms: number, work: () => Listed<T> | Promise<Listed<T>>, fail: (err: unknown) => string): Promise<HandoffSection<T>> {
  try {
    return await bounded(ms, work);
  } catch (err) {
    return { gap: fail(err) };
  }
}

const listed = <T>(items: T[], gaps: string[] = [], notes: string[] = []): Listed<T> => ({ items, gaps, notes });

const SEVERITY_RANK: Record<Severity, number> = { P0: 0, P1: 1, P2: 2, P3: 3 };
const worse = (a: Severity, b: Severity): Severity => (SEVERITY_RANK[a] <= SEVERITY_RANK[b] ? a : b);
const urgent = (s: Severity) => SEVERITY_RANK[s] <= 1;

function gatherIncidents(deps: CommandDeps, input: HandoffInput): Listed<HandoffIncident> {
  const leaving = input.outgoing.primary;
  // Someone on call again in the next shift keeps their incidents.
  const staying = new Set([input.incoming.primary, input.incoming.secondary].filter((u): u is string => u !== null));
  const items = deps.state.incidents.open().map((i): HandoffIncident => {
    const needsOwner = i.owner_id === null ? 'no-owner' : i.owner_id === leaving && !staying.has(i.owner_id) ? 'owner-leaves' : null;
    return {
      id: i.id,
      severity: i.severity,
      status: i.status,
      title: i.title,
      ownerId: i.owner_id,
      needsOwner,
      openedAt: i.opened_at,
      ageMs: input.now.getTime() - new Date(i.opened_at).getTime(),
      lastUpdateAt: i.last_update_at,
      nextDeadline: nextDeadline(deps.state, i.id),
    };
  });
  items.sort(
    (a, b) =>
      Number(b.needsOwner !== null) - Number(a.needsOwner !== null) ||
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      a.openedAt.localeCompare(b.openedAt) ||
      a.id.localeCompare(b.id),
  );
  return listed(items);
}

function outcomeOf(f: AlertFiringRecord): AlertOutcome {
  if (f.resolved_at !== null) return 'resolved';
  return f.acknowledged_at !== null ? 'acknowledged, still firing' : 'still firing';
}

const OUTCOME_RANK: Record<AlertOutcome, number> = { 'still firing': 0, 'acknowledged, still firing': 1, resolved: 2 };

function gatherAlerts(deps: CommandDeps, now: Date): Listed<HandoffAlertGroup> {
  const since = new Date(now.getTime() - ALERT_HOURS * HOUR);
  const groups = new Map<string, HandoffAlertGroup>();
  // Oldest first: the last firing seen for a key is its latest.
  for (const f of deps.state.alerts.firingsSince(since)) {
    const g = groups.get(f.alert_key);
    const latest = { name: f.name, outcome: outcomeOf(f), lastFiredAt: f.fired_at, resolvedAt: f.resolved_at };
    if (!g) groups.set(f.alert_key, { key: f.alert_key, severity: f.severity, firings: 1, ...latest });
    else groups.set(f.alert_key, { ...g, ...latest, severity: worse(g.severity, f.severity), firings: g.firings + 1 });
  }
  const items = [...groups.values()].sort(
    (a, b) =>
      OUTCOME_RANK[a.outcome] - OUTCOME_RANK[b.outcome] ||
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      b.firings - a.firings ||
      b.lastFiredAt.localeCompare(a.lastFiredAt) ||
      a.name.localeCompare(b.name),
  );
  return listed(items);
}

/** Neither the jobs table nor jobs/ could be read: the whole section is a gap, with this sentence. */
class JobsUnread extends Error {}

const JOB_ORDER: Record<JobStatus, number> = { running: 0, pending: 1, partial: 2, failed: 3, completed: 4, cancelled: 5 };

async function gatherJobs(deps: CommandDeps, now: Date, stuckHours: number): Promise<Listed<JobRow>> {
  const byHand = 'Check by hand: `/atlas jobs`.';
  // Every job both sources hold (the listing is bounded by its own read limits), filtered here.
  const listing = await listJobs(deps.atlas, now, { limit: Number.MAX_SAFE_INTEGER, stuckHours });
  const { table, files } = listing.sources;
  if (noJobSource(listing.sources)) {
    const why = [table.problem, files.problem ?? (files.folderMissing ? 'There is no jobs/ folder.' : null)].filter(Boolean).join(' ');
    throw new JobsUnread(`${why} ${byHand}`);
  }
  const gaps: string[] = [];
  if (!table.ok && table.problem) gaps.push(`${table.problem} ${byHand}`);
  else if (table.problem) gaps.push(table.problem);
  if (!files.ok && files.problem) gaps.push(`${files.problem} ${byHand}`);
  const notes: string[] = [];
  if (listing.skipped.count > 0) notes.push(`${listing.skipped.count} job file(s) in jobs/ could not be read and are not listed.`);
  if (files.found > files.read) notes.push(`Only the newest ${files.read} of ${files.found} job files were read.`);
  const recentFailure = FAILED_HOURS * HOUR;
  const items = listing.jobs
    .filter((j) => ONGOING.has(j.status) || (j.status === 'failed' && j.sinceUpdateMs !== null && j.sinceUpdateMs <= recentFailure))
    // Stuck ones first, longest silent first; then by status, most recently updated first.
    .sort(
      (a, b) =>
        Number(b.stuck) - Number(a.stuck) ||
        (a.stuck ? (b.sinceUpdateMs ?? 0) - (a.sinceUpdateMs ?? 0) : 0) ||
        JOB_ORDER[a.status] - JOB_ORDER[b.status] ||
        (a.sinceUpdateMs ?? Infinity) - (b.sinceUpdateMs ?? Infinity) ||
        a.id.localeCompare(b.id),
    );
  return listed(items, gaps, notes);
}

/** Firing alerts have their own section, judged by the bot's severity; health rates every firing alert crit. */
const isAlertItem = (item: CheckItem) => item.key === 'alerts' || item.key.startsWith('alert:');

async function gatherWatch(deps: CommandDeps): Promise<Listed<HandoffWatchItem>> {
  const result = await sharedHealth(deps, HEALTH_WINDOW_MS);
  const items = result.items.filter((i) => !isAlertItem(i));
  const watch = items
    .filter((i): i is HandoffWatchItem => i.level === 'crit' || i.level === 'warn')
    .sort((a, b) => Number(b.level === 'crit') - Number(a.level === 'crit'));
  const notes: string[] = [];
  const unknown = items.filter((i) => i.level === 'unknown').map((i) => i.label);
  if (unknown.length > 0) notes.push(`Not measured: ${unknown.join(', ')}; \`/atlas health\` says why.`);
  const coverage = result.metricsCoverage;
  if (coverage && !coverage.complete) notes.push('The metric items cover only the newest part of the hour (the read was cut short); `/atlas health` to retry.');
  return listed(watch, [], notes);
}

/** The calendar is configured but missing or unreadable: the whole section is a gap, with this sentence. */
class CalendarUnread extends Error {}

async function gatherMaintenance(deps: CommandDeps, now: Date, cwd: string | undefined): Promise<Listed<MaintenanceEntry>> {
  const file = calendarPath(deps.config.handoff.maintenanceCalendar, deps.config.configPath, cwd);
  const read = await readMaintenanceCalendar(file, now, MAINTENANCE_DAYS, deps.rotation.timezone);
  if (read.kind === 'gap') throw new CalendarUnread(read.gap);
  if (read.kind === 'not-configured') return listed([], [], [read.note]);
  return listed(read.entries, read.problems);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The status from the sections: Critical, Issues to watch, or All clear, with its reasons worst first. */
export function handoffStatus(c: Pick<HandoffContent, 'incidents' | 'alerts' | 'jobs' | 'watch' | 'maintenance'>): HandoffStatus {
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
  const sections: HandoffSection<unknown>[] = [c.incidents, c.alerts, c.jobs, c.watch, c.maintenance];
  const gaps = sections.reduce((n, s) => n + (isGap(s) ? 1 : s.gaps.length), 0);
  const level: HandoffStatusLevel = critical.length > 0 ? 'critical' : issues.length > 0 || gaps > 0 || handOver.length > 0 ? 'issues' : 'all-clear';
  // A gap leads (everything after it may be incomplete), then what the handover itself needs.
  const all = [...(gaps > 0 ? [`${plural(gaps, 'part')} could not be read`] : []), ...handOver, ...critical, ...issues];
  const reasons = all.length > MAX_REASONS ? [...all.slice(0, MAX_REASONS - 1), `and ${all.length - (MAX_REASONS - 1)} more`] : all;
  return { level, reasons };
}

/**
 * Gathers the handoff: every section concurrently, each within its bound (health 20 s, the others
 * 10 s), so the whole takes at most about 20 s whatever fails. Never throws for a section.
 */
export async function gatherHandoff(deps: CommandDeps, input: HandoffInput, opts: GatherOptions = {}): Promise<HandoffContent> {
  const partMs = opts.partTimeoutMs ?? PART_TIMEOUT_MS;
  const stuckHours = deps.config.thresholds.stuckJobHours;
  const chatops = 'chatops.db';
  const [incidents, alerts, jobs, watch, maintenance] = await Promise.all([
    section(partMs, () => gatherIncidents(deps, input), (err) => gapSentence(err, chatops, 'The incident list', '/atlas incidents')),
    section(partMs, () => gatherAlerts(deps, input.now), (err) => gapSentence(err, chatops, 'The alert history', '/atlas alerts --all')),
    section(
      partMs,
      () => gatherJobs(deps, input.now, stuckHours),
      (err) => (err instanceof JobsUnread ? err.message : gapSentence(err, deps.atlas.persistence.label, 'The job listing', '/atlas jobs')),
    ),
    section(opts.healthTimeoutMs ?? HEALTH_TIMEOUT_MS, () => gatherWatch(deps), (err) => gapSentence(err, 'the data directory', 'The health checks', '/atlas health')),
    section(
      partMs,
      () => gatherMaintenance(deps, input.now, opts.cwd),
      (err) =>
        err instanceof CalendarUnread
          ? err.message
          : `The maintenance calendar could not be read (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); open it by hand (handoff.maintenanceCalendar).`,
    ),
  ]);
  return {
    shiftChange: input.shiftChange,
    timezone: deps.rotation.timezone,
    outgoing: input.outgoing,
    incoming: input.incoming,
    now: input.now,
    late: input.late,
    skipped: input.skipped,
    skippedMore: input.skippedMore ?? 0,
    status: handoffStatus({ incidents, alerts, jobs, watch, maintenance }),
    incidents,
    alerts,
    alertHours: ALERT_HOURS,
    jobs,
    stuckHours,
    failedHours: FAILED_HOURS,
    watch,
    healthWindowMs: HEALTH_WINDOW_MS,
    maintenance,
    maintenanceDays: MAINTENANCE_DAYS,
    notes: input.notes,
  };
}

// --- words both renderings share ------------------------------------------------------------------

export const STATUS_WORDS: Record<HandoffStatusLevel, string> = { 'all-clear': 'All clear', issues: 'Issues to watch', critical: 'Critical' };

/** "2x provider_down (resolved)", as the guide writes its alert summary. */
export function alertGroupText(g: Pick<HandoffAlertGroup, 'firings' | 'name' | 'outcome'>): string {
  return `${g.firings}x ${g.name} (${g.outcome})`;
}

/** The wall-clock date and time of an instant in a zone: { date: "2026-11-30", time: "09:00" }. */
export function wallClock(at: Date, timeZone: string): { date: string; time: string } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '00';
  return { date: `${get('year')}-${get('month')}-${get('day')}`, time: `${get('hour')}:${get('minute')}` };
}

/** "2026-11-30 08:00 UTC", and "(09:00 Europe/Berlin)" beside it when the zone is not UTC (with its date when that differs). */
export function shiftChangeText(at: Date, timezone: string): string {
  const utc = `${at.toISOString().slice(0, 10)} ${at.toISOString().slice(11, 16)} UTC`;
  if (timezone === 'UTC') return utc;
  const local = wallClock(at, timezone);
  const date = local.date === at.toISOString().slice(0, 10) ? '' : `${local.date} `;
  return `${utc} (${date}${local.time} ${timezone})`;
}
