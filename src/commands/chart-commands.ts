import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { chartAltText } from '../charts/chart-alt-text.js';
import { chartRenderer } from '../charts/chart-renderer.js';
import { chartSpec, chartTitle } from '../charts/chart-spec.js';
import { sparklines } from '../charts/sparkline.js';
import { CHART_KIND_SUMMARIES, CHART_KINDS, isChartKind, type ChartData, type ChartKind } from '../checks/chart-data.js';
import { metricsReaders } from '../checks/metrics-reader.js';
import { problemReport, type Report } from '../templates/report.js';
import { formatDuration } from '../time/atlas-time.js';
import { defineCommand, windowArg, type Actor, type CommandDeps, type CommandSpec } from './command-spec.js';

export const CHART_MESSAGES = {
  outInSlack: '`--out` is for the terminal; in Slack the chart is posted here as a picture, so run `/atlas chart` without it.',
  noChannel: 'The chart can only be posted into a channel; run `/atlas chart` in one.',
} as const;

/** "errors (errors per minute by family and provider), providers (…), …": what can be charted. */
const KIND_LIST = CHART_KINDS.map((k) => `${k} (${CHART_KIND_SUMMARIES[k]})`).join('; ');

const whatArg = z
  .array(z.string().max(40))
  .max(1, { message: 'takes one thing to chart' })
  .refine((a) => a.length === 1, { message: `takes what to chart: ${KIND_LIST}` })
  .refine((a) => isChartKind(a[0] ?? ''), { message: `can chart ${KIND_LIST}; nothing else` })
  .transform((a) => a[0] as ChartKind);

/**
 * Where the terminal writes a chart: a path ending in .png, in a folder that exists. A picture is
 * redrawn often, so an existing file is replaced; a folder never is.
 */
export function chartOutputPath(out: string, cwd: string = process.cwd()): { file: string } | { refusal: string } {
  const file = path.resolve(cwd, out);
  if (existsSync(file) && statSync(file).isDirectory()) return { refusal: `${file} is a folder; give a file name such as ${path.join(file, 'chart.png')}.` };
  if (!/\.png$/i.test(file)) return { refusal: `--out takes a .png file name (got ${out.slice(0, 80)}).` };
  const folder = path.dirname(file);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) return { refusal: `There is no folder ${folder}; create it or choose another --out.` };
  return { file };
}

/** Where the same figures are as text, when a chart cannot be drawn. */
const TEXT_COMMAND: Record<ChartKind, string> = { errors: 'errors', providers: 'providers', latency: 'health', jobs: 'jobs', proofs: 'health' };

function chartData(deps: CommandDeps, what: ChartKind, windowMs: number): Promise<ChartData> {
  return metricsReaders().chart(deps.atlas.metrics, what, deps.clock(), windowMs, deps.config.thresholds);
}

async function draw(deps: CommandDeps, data: ChartData): Promise<{ ok: true; png: Buffer; width: number; height: number } | { ok: false; report: Report }> {
  const outcome = await chartRenderer().render(chartSpec(data, { timeZone: deps.rotation.timezone }));
  if (!outcome.ok) return { ok: false, report: problemReport('chart', `Could not draw the ${data.kind} chart: ${outcome.reason}. \`/atlas ${TEXT_COMMAND[data.kind]}\` has the figures as text.`) };
  return outcome;
}

const chart = defineCommand({
  name: 'chart',
  summary: 'A chart of errors, providers, latency, jobs or proofs over a window, posted here as a picture (a sparkline per series in a terminal)',
  usage: '<errors|providers|latency|jobs|proofs> [--window 6h] [--out <file.png>]',
  tier: 'read',
  group: 'Diagnostics',
  examples: ['chart errors --window 6h', 'chart providers', 'chart errors --window 6h --out errors.png'],
  options: { window: { type: 'string' }, out: { type: 'string' } },
  args: z.object({ _: whatArg, window: windowArg('6h'), out: z.string().min(1, { message: 'takes a .png file name' }).optional() }),
  slow: true,
  working: (args) => `Drawing the ${args._} chart for the last ${formatDuration(args.window)}…`,
  async run(args, deps, actor: Actor) {
    const what = args._;
    if (actor.source === 'slack') {
      if (args.out !== undefined) return problemReport('chart', CHART_MESSAGES.outInSlack);
      if (!actor.channelId) return problemReport('chart', CHART_MESSAGES.noChannel);
      const data = await chartData(deps, what, args.window);
      const drawn = await draw(deps, data);
      if (!drawn.ok) return drawn.report;
      const altText = chartAltText(data, { timeZone: deps.rotation.timezone });
      const channel = actor.channelId;
      await deps.state.transaction(async (tx) =>
        await deps.events.record(tx, { type: 'chart-drawn', chart: { what, title: chartTitle(data), altText, png: drawn.png, channel, requestedBy: actor.userId } }, deps.clock()),
      );
      return { command: 'chart', level: 'info', headline: `${altText} The chart is being posted in this channel.`, sections: [], data: { altText, series: data.series.length } };
    }
    const data = await chartData(deps, what, args.window);
    const view = { timeZone: deps.rotation.timezone };
    const altText = chartAltText(data, view);
    if (args.out === undefined) {
      const lines = sparklines(data, view);
      return { command: 'chart', level: 'info', headline: `${chartTitle(data)} (${deps.rotation.timezone}): ${altText}`, sections: lines.length > 0 ? [{ lines }] : [], data };
    }
    const target = chartOutputPath(args.out);
    if ('refusal' in target) return problemReport('chart', target.refusal);
    const drawn = await draw(deps, data);
    if (!drawn.ok) return drawn.report;
    try {
      writeFileSync(target.file, drawn.png);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOSPC' ? 'the disk is full' : (code ?? 'write failed');
      return problemReport('chart', `Could not write ${target.file} (${why}); choose another --out.`);
    }
    return { command: 'chart', level: 'info', headline: `Wrote ${target.file} (${drawn.width}×${drawn.height} PNG): ${altText}`, sections: [], data: { path: target.file, altText } };
  },
});

export const chartCommands: CommandSpec[] = [chart];
