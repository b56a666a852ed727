/**
 * The weekly reliability report in the handoff channel (report.cron, read in the rotation's time
 * zone; report.channel, else channels.handoff), posted once per scheduled time whichever bot
 * process or tick gets there first: claimed in chatops.db (reliability_reports) in the
 * transaction that queues its message, as the handoff's own posts are. A post missed while the
 * bot was down goes out when it is back within a day, saying it is late; one missed for longer is
 * left (the next comes on time, and `/atlas report` answers any time).
 */
import { CronExpressionParser } from 'cron-parser';
import type { DomainDeps } from '../incidents/incident-deps.js';
import { REVIEW_REMINDER_MINUTES } from '../incidents/timer-plan.js';
import { reliabilityReport } from '../reports/reliability-report.js';
import { reliabilityRows } from '../reports/reliability-rows.js';
import { DAY_MS, reportTimezone } from '../reports/report-window.js';
import { shareReportChart } from '../charts/draw-chart.js';
import { REPORT_LANE } from '../presenter/event-messages.js';
import { peopleNames } from '../slack/people-names.js';
import type { UserName } from '../slack/workspace-people.js';

/** The weekly report covers the week before its scheduled time, whenever it is posted. */
export const WEEKLY_WINDOW_MS = 7 * DAY_MS;
/** A report still goes out this long after its scheduled time (the bot was down); later, it is skipped. */
export const WEEKLY_CATCH_UP_MS = DAY_MS;
/** Posted more than this after its time, it says it is late. */
export const WEEKLY_LATE_AFTER_MS = 2 * 60_000;

/** The latest time `cron` fires at or before `now`, in `timezone`. */
export function latestScheduled(cron: string, timezone: string, now: Date): Date {
  // cron-parser's prev() is strictly before its current date: a millisecond later includes `now` itself.
  return CronExpressionParser.parse(cron, { tz: timezone, currentDate: new Date(now.getTime() + 1) }).prev().toDate();
}

/** `userName`: users.info, set by the bot (names are then fresh); without it the state's names serve. */
export type WeeklyReportDeps = Pick<DomainDeps, 'state' | 'clock' | 'config' | 'events' | 'logger' | 'flowCharts'> & { userName?: UserName };

/** The scheduled time posted in this run, or null (not due, no channel, or another process or tick posted it). */
export async function postWeeklyReport(deps: WeeklyReportDeps): Promise<Date | null> {
  const channel = deps.config.report.channel ?? deps.config.channels.handoff;
  if (!channel) return null;
  const timezone = reportTimezone(deps.config);
  const now = deps.clock();
  const due = latestScheduled(deps.config.report.cron, timezone, now);
  if (now.getTime() - due.getTime() > WEEKLY_CATCH_UP_MS) return null;
  if (await deps.state.reportPosts.get(due)) return null;
  const from = new Date(due.getTime() - WEEKLY_WINDOW_MS);
  const report = reliabilityReport(await reliabilityRows(deps.state, from, due, timezone, REVIEW_REMINDER_MINUTES * 60_000));
  // Names, not mentions: a weekly post should not ping everyone who was paged.
  const name = await peopleNames(deps, report.pages.map((p) => p.user));
  const names = Object.fromEntries(report.pages.map((p) => [p.user, name(p.user)]));
  const at = deps.clock();
  const late = at.getTime() - due.getTime() > WEEKLY_LATE_AFTER_MS;
  const posted = await deps.state.transaction(async (tx) => {
    if (!await tx.reportPosts.claim(due, channel, at)) return false;
    await deps.events.record(tx, { type: 'reliability-report-posted', report, names, channel, dueAt: due, late }, at);
    return true;
  });
  if (!posted) return null;
  deps.logger.info({ dueAt: due.toISOString(), channel, late }, 'weekly reliability report queued');
  // The incidents-per-day chart follows the report in its lane, drawn after it was queued.
  if (deps.flowCharts) void shareReportChart(deps, report, { channel, lane: REPORT_LANE });
  return due;
}
