import { z } from 'zod';
import { metricsReaders } from '../checks/metrics-reader.js';
import { errorTriageReport } from '../templates/error-triage-report.js';
import { metricsSummaryReport } from '../templates/metrics-summary-report.js';
import { defineCommand, noPositionals, windowArg, type CommandSpec } from './command-spec.js';

/**
 * A `metrics` window reads every row in it, in a metrics reader's worker thread (0.7 s for
 * 7 days of a 5-million-row table on these machines, 5 s for 30); past a week the trend's
 * buckets are days, which daily_summaries already holds.
 */
const METRICS_MAX_WINDOW_MS = 7 * 86_400_000;

/** `errors` and `metrics`: what metrics.db says about the last minutes or hours, read off the event loop. */
export const metricCommands: CommandSpec[] = [
  defineCommand({
    name: 'errors',
    summary: 'Error rate over a window, by family, with the largest error groups',
    usage: '[--window 10m]',
    tier: 'read',
    examples: ['errors --window 1h'],
    group: 'Diagnostics',
    options: { window: { type: 'string' } },
    args: z.object({ _: noPositionals, window: windowArg('10m') }),
    async run(args, deps) {
      return errorTriageReport(await metricsReaders().errorTriage(deps.atlas.metrics, deps.clock(), args.window), args.window);
    },
  }),
  defineCommand({
    name: 'metrics',
    summary: 'Rows per metric type over a window, with avg/min/max and a trend',
    usage: '[--window 1h]',
    tier: 'read',
    group: 'Diagnostics',
    options: { window: { type: 'string' } },
    args: z.object({
      _: noPositionals,
      window: windowArg('1h').refine((ms) => ms <= METRICS_MAX_WINDOW_MS, {
        message: 'metrics takes at most 7d (longer windows read too many rows; daily_summaries has the history)',
      }),
    }),
    async run(args, deps) {
      return metricsSummaryReport(await metricsReaders().summary(deps.atlas.metrics, deps.clock(), args.window), args.window);
    },
  }),
];
