import { z } from 'zod';
import { pollMetricsAlerts } from '../alerts/metrics-alert-watcher.js';
import { explainAlert, listAlerts } from '../checks/alerts.js';
import { problemReport } from '../templates/report.js';
import { JOB_STATUSES, type JobStatus } from '../db/job-file.js';
import { listJobs, stuckJobs } from '../checks/jobs.js';
import { snapshotStatus } from '../checks/snapshots.js';
import { alertExplainReport, alertsReport } from '../templates/alerts-report.js';
import { jobsReport, stuckJobsReport } from '../templates/jobs-report.js';
import { snapshotsReport } from '../templates/snapshots-report.js';
import { defineCommand, limitArg, noPositionals, type CommandSpec } from './command-spec.js';

const statusArg = z
  .string()
  .optional()
  .transform((text, ctx): JobStatus | undefined => {
    if (text === undefined) return undefined;
    const status = JOB_STATUSES.find((s) => s === text.trim().toLowerCase());
    if (!status) {
      ctx.addIssue({ code: 'custom', message: `takes one of ${JOB_STATUSES.join(', ')} (got "${text.slice(0, 20)}")` });
      return z.NEVER;
    }
    return status;
  });

const jobsArgs = z
  .object({
    _: z
      .array(z.string())
      .max(1, { message: 'takes at most one word: `stuck`' })
      .refine((words) => words.every((w) => w.toLowerCase() === 'stuck'), { message: 'the only word it takes is `stuck`' }),
    limit: limitArg(10, 100),
    status: statusArg,
  })
  .transform(({ _, limit, status }) => ({ stuck: _.length === 1, limit, status }))
  .refine((a) => !(a.stuck && a.status), { message: '`jobs stuck` looks at running jobs only; drop --status' });

const jobs = defineCommand({
  name: 'jobs',
  summary: 'Batch jobs (jobs/*.json and persistence.db), newest first; `jobs stuck`: running jobs gone silent',
  usage: '[stuck] [--limit N] [--status S]',
  tier: 'read',
  examples: ['jobs stuck', 'jobs --status running --limit 5'],
  group: 'Diagnostics',
  options: { limit: { type: 'string' }, status: { type: 'string' } },
  args: jobsArgs,
  async run(args, deps) {
    const now = deps.clock();
    const stuckHours = deps.config.thresholds.stuckJobHours;
    if (args.stuck) return stuckJobsReport(await stuckJobs(deps.atlas, now, stuckHours));
    return jobsReport(await listJobs(deps.atlas, now, { limit: args.limit, stuckHours, ...(args.status ? { status: args.status } : {}) }));
  },
});

const snapshots = defineCommand({
  name: 'snapshots',
  summary: 'The current snapshot (age, IPFS CID) and the ones before it',
  usage: '[--limit N]',
  tier: 'read',
  group: 'Diagnostics',
  options: { limit: { type: 'string' } },
  args: z.object({ _: noPositionals, limit: limitArg(5, 50) }),
  async run(args, deps) {
    return snapshotsReport(snapshotStatus(deps.atlas.persistence, deps.clock(), args.limit), deps.config.thresholds);
  },
});

const alerts = defineCommand({
  name: 'alerts',
  summary: 'Firing alerts from every source and whether they are acknowledged; --all adds those resolved in the last 24 h, and by whom',
  usage: '[--all] [--explain <alert>]',
  tier: 'read',
  examples: ['alerts', 'alerts --all'],
  group: 'Diagnostics',
  options: { all: { type: 'boolean' }, explain: { type: 'string' } },
  args: z.object({ _: noPositionals, all: z.boolean().default(false), explain: z.string().trim().min(1, { message: 'takes the alert name' }).max(200).optional() }),
  async run(args, deps) {
    const now = deps.clock();
    if (args.explain !== undefined) {
      const e = await explainAlert(deps.state.alerts, args.explain, now, deps.config.alerts.groupBy);
      if (!e) return problemReport('alerts', `No alert named "${args.explain.slice(0, 80).replace(/[^\P{Cc}]/gu, '')}"; \`alerts --all\` lists them.`);
      return alertExplainReport(e);
    }
    // metrics.db's alerts are brought into the list first (the watcher does it every 30 s): the answer is as fresh as metrics.db.
    const polled = await pollMetricsAlerts(deps);
    return alertsReport({ ...await listAlerts(deps.state.alerts, now, { all: args.all, recentHours: 24 }), metricsProblem: polled.problem }, now);
  },
});

/** `jobs`, `snapshots`, `alerts`: read-only views of the service's data. */
export const dataCommands: CommandSpec[] = [alerts, jobs, snapshots];
