/**
 * Gathers the shift handoff's content (src/oncall/handoff-content.ts): chatops.db, the Atlas data
 * directory, the health checks and the maintenance calendar. Each section is gathered on its own
 * and within a time bound; a section that cannot be read is a gap sentence that says what to run
 * by hand, and the others are still there.
 */
import { sharedHealth } from '../checks/health.js';
import type { CheckItem } from '../checks/check-item.js';
import type { JobStatus } from '../db/job-file.js';
import { listJobs, noJobSource, type JobRow } from '../checks/jobs.js';
import type { AlertFiringRecord } from '../db/state/alert-store.js';
import type { Severity } from '../db/state/state-records.js';
import { classifySqliteError, DbProblemError } from '../db/sqlite-problem.js';
import { nextDeadline } from '../incidents/incident-queries.js';
import { gitHubClient, GitHubError, type GitHubClient } from '../integrations/github/github-client.js';
import {
  handoffStatus,
  type AlertOutcome,
  type HandoffAlertGroup,
  type HandoffContent,
  type HandoffGitHubIssue,
  type HandoffIncident,
  type HandoffInput,
  type HandoffSection,
  type HandoffWatchItem,
  type Listed,
} from '../oncall/handoff-content.js';
import { calendarPath, readMaintenanceCalendar, type MaintenanceEntry } from '../oncall/maintenance-calendar.js';
import type { HandoffDeps } from './handoff-deps.js';
import { within } from '../time/within.js';

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

/** "20 s", or "250 ms" below a second. */
const bound = (ms: number) => (ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`);

class TimedOut extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${bound(ms)}`);
  }
}

/** Runs `work` (sync or async) with a time bound; the work itself is not cancelled, only no longer awaited. */
function bounded<T>(ms: number, work: () => T | Promise<T>): Promise<T> {
  return within(Promise.resolve().then(work), ms, () => {
    throw new TimedOut(ms);
  });
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

async function gatherIncidents(deps: HandoffDeps, input: HandoffInput): Promise<Listed<HandoffIncident>> {
  const leaving = input.outgoing.primary;
  // Someone on call again in the next shift keeps their incidents.
  const staying = new Set([input.incoming.primary, input.incoming.secondary].filter((u): u is string => u !== null));
  const open = await deps.state.incidents.open();
  const items = await Promise.all(open.map(async (i): Promise<HandoffIncident> => {
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
      nextDeadline: await nextDeadline(deps.state, i.id),
    };
  }));
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

async function gatherAlerts(deps: HandoffDeps, now: Date): Promise<Listed<HandoffAlertGroup>> {
  const since = new Date(now.getTime() - ALERT_HOURS * HOUR);
  const groups = new Map<string, HandoffAlertGroup>();
  // Oldest first: the last firing seen for a key is its latest.
  for (const f of await deps.state.alerts.firingsSince(since)) {
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

async function gatherJobs(deps: HandoffDeps, now: Date, stuckHours: number): Promise<Listed<JobRow>> {
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

async function gatherWatch(deps: HandoffDeps): Promise<Listed<HandoffWatchItem>> {
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

async function gatherMaintenance(deps: HandoffDeps, now: Date, cwd: string | undefined): Promise<Listed<MaintenanceEntry>> {
  const file = calendarPath(deps.config.handoff.maintenanceCalendar, deps.config.configPath, cwd);
  const read = await readMaintenanceCalendar(file, now, MAINTENANCE_DAYS, deps.rotation.timezone);
  if (read.kind === 'gap') throw new CalendarUnread(read.gap);
  if (read.kind === 'not-configured') return listed([], [], [read.note]);
  return listed(read.entries, read.problems);
}

/** Open GitHub issues listed at most; the rest are counted in a note. */
const GITHUB_ISSUES_SHOWN = 15;

async function gatherGitHubIssues(client: GitHubClient, labels: readonly string[]): Promise<Listed<HandoffGitHubIssue>> {
  const issues = await client.listOpenIssues(labels, GITHUB_ISSUES_SHOWN + 1);
  const items = issues
    .slice(0, GITHUB_ISSUES_SHOWN)
    .map((i): HandoffGitHubIssue => ({ repo: client.repo, number: i.number, title: i.title, url: i.html_url, labels: i.labels, createdAt: i.created_at }));
  const notes = issues.length > GITHUB_ISSUES_SHOWN ? [`Only the newest ${GITHUB_ISSUES_SHOWN} are listed; ${client.repo} has more.`] : [];
  return listed(items, [], notes);
}

/** The GitHub section's gap: GitHub's own sentence, and the guide's command to run by hand. */
function gitHubGap(err: unknown, labels: readonly string[], repo: string): string {
  const byHand = `check by hand: \`gh issue list --repo ${repo} --label "${labels.join(',')}" --state open\``;
  if (err instanceof TimedOut) return `GitHub's open incident issues did not come within ${bound(err.ms)}; ${byHand}.`;
  const why = err instanceof GitHubError ? err.message : (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200);
  return `GitHub's open incident issues could not be read. ${why} Meanwhile ${byHand}.`;
}

/**
 * Gathers the handoff: every section concurrently, each within its bound (health 20 s, the others
 * 10 s), so the whole takes at most about 20 s whatever fails. Never throws for a section.
 */
export async function gatherHandoff(deps: HandoffDeps, input: HandoffInput, opts: GatherOptions = {}): Promise<HandoffContent> {
  const partMs = opts.partTimeoutMs ?? PART_TIMEOUT_MS;
  const stuckHours = deps.config.thresholds.stuckJobHours;
  const chatops = 'chatops.db';
  const github = gitHubClient(deps.config);
  const labels = deps.config.github.incidentLabels;
  const [incidents, alerts, jobs, watch, maintenance, githubIssues] = await Promise.all([
    section(partMs, async () => await gatherIncidents(deps, input), (err) => gapSentence(err, chatops, 'The incident list', '/atlas incidents')),
    section(partMs, async () => await gatherAlerts(deps, input.now), (err) => gapSentence(err, chatops, 'The alert history', '/atlas alerts --all')),
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
    github ? section(partMs, () => gatherGitHubIssues(github, labels), (err) => gitHubGap(err, labels, github.repo)) : Promise.resolve(undefined),
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
    status: handoffStatus({ incidents, alerts, jobs, watch, maintenance, githubIssues, problems: input.problems ?? [] }),
    incidents,
    ...(githubIssues ? { githubIssues } : {}),
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
    problems: input.problems ?? [],
  };
}
