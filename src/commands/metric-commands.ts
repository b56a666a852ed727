import { z } from 'zod';
import { metricsReaders } from '../checks/metrics-reader.js';
import { errorTriageReport } from '../templates/error-triage-report.js';
import { metricsSummaryReport } from '../templates/metrics-summary-report.js';
import { defineCommand, noPositionals, windowArg, type CommandSpec } from './command-spec.js';

/*
 * A `metrics` window takes up to 30 days like every window (windowArg): it is read in a metrics
 * reader's worker thread, its whole five-minute buckets from the rollups (docs/architecture.md,
 * "Metrics rollups"), so 30 days cost about what 7 did before them.
 */

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
      window: windowArg('1h'),
    }),
    async run(args, deps) {
      return metricsSummaryReport(await metricsReaders().summary(deps.atlas.metrics, deps.clock(), args.window), args.window);
    },
  }),
];
