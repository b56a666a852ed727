import { z } from 'zod';
import { errorTriage } from '../checks/error-triage.js';
import { metricsSummary } from '../checks/metrics-summary.js';
import { errorTriageReport } from '../templates/error-triage-report.js';
import { metricsSummaryReport } from '../templates/metrics-summary-report.js';
import { defineCommand, noPositionals, windowArg, type CommandSpec } from './command-spec.js';

/**
 * A `metrics` window reads every row in it (about 1 s for 7 days of a 5-million-row table on
 * these machines); longer would hold the event loop past Slack's 3-second acknowledgement.
 */
const METRICS_MAX_WINDOW_MS = 7 * 86_400_000;

/** `errors` and `metrics`: what metrics.db says about the last minutes or hours. */
export const metricCommands: CommandSpec[] = [
  defineCommand({
    name: 'errors',
    summary: 'Error rate over a window, by family, with the largest error groups',
    usage: '[--window 10m]',
    tier: 'read',
    options: { window: { type: 'string' } },
    args: z.object({ _: noPositionals, window: windowArg('10m') }),
    async run(args, deps) {
      return errorTriageReport(errorTriage(deps.atlas.metrics, deps.clock(), args.window), args.window);
    },
  }),
  defineCommand({
    name: 'metrics',
    summary: 'Rows per metric type over a window, with avg/min/max and a trend',
    usage: '[--window 1h]',
    tier: 'read',
    options: { window: { type: 'string' } },
    args: z.object({
      _: noPositionals,
      window: windowArg('1h').refine((ms) => ms <= METRICS_MAX_WINDOW_MS, {
        message: 'metrics takes at most 7d (longer windows read too many rows; daily_summaries has the history)',
      }),
    }),
    async run(args, deps) {
      return metricsSummaryReport(metricsSummary(deps.atlas.metrics, deps.clock(), args.window), args.window);
    },
  }),
];
