import { alertFileWatcher } from './alerts/alert-file-watcher.js';
import { pollMetricsAlerts } from './alerts/metrics-alert-watcher.js';
import type { Watchdog } from './alerts/watchdog.js';
import type { CommandDeps } from './commands/command-spec.js';
import { retentionCutoffs } from './db/state/retention-policy.js';
import { runHandoffs } from './handoff/run-handoffs.js';
import { publishDailyAuditHead } from './handoff/daily-audit-head.js';
import { postWeeklyReport } from './handoff/weekly-report.js';
import { reportInterruptedRuns } from './remediation/remediation-runs.js';
import { expirePreviews } from './remediation/preview-expiry.js';
import { sweepTimers } from './incidents/timer-sweeper.js';
import { checkNightPages } from './oncall-health/night-pages.js';
import type { ScheduledJob } from './scheduler.js';

/** Cron expressions with a seconds field. */
export const BOT_SCHEDULE = {
  alerts: '*/30 * * * * *',
  watchdog: '0 * * * * *',
  timers: '*/15 * * * * *',
  handoff: '5,20,35,50 * * * * *',
  weeklyReport: '10,25,40,55 * * * * *',
  retention: '0 17 * * * *',
  auditHead: '25 */10 * * * *',
  interruptedRemediations: '10,40 * * * * *',
  previewExpiry: '7,22,37,52 * * * * *',
  nightPages: '40 */5 * * * *',
  pagerdutyRotation: '50 * * * * *',
} as const;

/**
 * The bot's clock: the metrics.db alert poll every 30 s, the threshold watchdog every minute,
 * the timer sweep every 15 s, the shift handoff every 15 s (5 s past the sweep: it reads what
 * the sweep settled), the retention of old rows hourly, the audit chain's head in the handoff
 * channel once a day (checked every 10 minutes), the weekly reliability report (checked every
 * 15 s against report.cron, so a restart at its minute still posts it), remediations interrupted
 * by a dead process (every 30 s, and at start) and previews that expired unconfirmed (every 15 s:
 * each is replaced by "Expired at …", without its Confirm button). Alerts come first in a tick,
 * so a fresh alert's reminders are planned before the sweep. Each has a time bound. Replicas
 * sharing the state run each job on one of them at a time (its lease, scheduler.ts); those that
 * read the service's data only on a replica that reaches it.
 */
export function botJobs(deps: CommandDeps, watchdog: Watchdog): ScheduledJob[] {
  const alertFile = alertFileWatcher(deps);
  return [
    { name: 'alerts', needsData: true, cron: BOT_SCHEDULE.alerts, boundMs: 20_000, run: async () => await pollMetricsAlerts(deps) },
    { name: 'alert-file', needsData: true, cron: BOT_SCHEDULE.alerts, boundMs: 20_000, run: async () => await alertFile.poll() },
    { name: 'watchdog', needsData: true, cron: BOT_SCHEDULE.watchdog, boundMs: 50_000, run: () => watchdog.evaluate() },
    { name: 'timers', cron: BOT_SCHEDULE.timers, boundMs: 10_000, run: async () => await sweepTimers(deps) },
    { name: 'handoff', needsData: true, cron: BOT_SCHEDULE.handoff, boundMs: 40_000, run: () => runHandoffs(deps) },
    { name: 'weekly-report', needsData: true, cron: BOT_SCHEDULE.weeklyReport, boundMs: 40_000, run: () => postWeeklyReport(deps) },
    { name: 'audit-head', cron: BOT_SCHEDULE.auditHead, boundMs: 20_000, run: async () => await publishDailyAuditHead(deps) },
    { name: 'interrupted-remediations', cron: BOT_SCHEDULE.interruptedRemediations, boundMs: 20_000, run: async () => await reportInterruptedRuns(deps) },
    { name: 'preview-expiry', cron: BOT_SCHEDULE.previewExpiry, boundMs: 10_000, run: async () => await expirePreviews(deps) },
    { name: 'night-pages', cron: BOT_SCHEDULE.nightPages, boundMs: 30_000, run: () => checkNightPages(deps) },
    ...(deps.rotation.refresh ? [{ name: 'pagerduty-rotation', cron: BOT_SCHEDULE.pagerdutyRotation, boundMs: 30_000, run: () => deps.rotation.refresh?.() }] : []),
    { name: 'retention', cron: BOT_SCHEDULE.retention, boundMs: 30_000, run: async () => await deps.state.retention.prune(retentionCutoffs(deps.config.retention, deps.clock())) },
  ];
}
