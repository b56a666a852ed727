/** `report`: the reliability report over a window, from the bot's own state (src/reports/). */
import { z } from 'zod';
import { shareReportChart } from '../charts/draw-chart.js';
import { REVIEW_REMINDER_MINUTES } from '../incidents/timer-plan.js';
import { reliabilityReport } from '../reports/reliability-report.js';
import { reliabilityRows } from '../reports/reliability-rows.js';
import { DEFAULT_REPORT_WINDOW, MAX_REPORT_WINDOW_MS, MIN_REPORT_WINDOW_MS, reportTimezone } from '../reports/report-window.js';
import { peopleNames } from '../slack/people-names.js';
import { userRef } from '../templates/people.js';
import { reliabilityReportAnswer } from '../templates/reliability-report.js';
import { parseDuration } from '../time/atlas-time.js';
import { defineCommand, type CommandSpec } from './command-spec.js';

/** `--window 7d`: a duration from 1 day to 90 days. */
const reportWindowArg = z
  .string()
  .default(DEFAULT_REPORT_WINDOW)
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null || ms < MIN_REPORT_WINDOW_MS || ms > MAX_REPORT_WINDOW_MS) {
      ctx.addIssue({ code: 'custom', message: `takes a duration from 1d to 90d, such as 7d or 30d (got "${text.slice(0, 20)}")` });
      return z.NEVER;
    }
    return ms;
  });

const report = defineCommand({
  name: 'report',
  summary: "Reliability report: incidents by severity, MTTA/MTTR against the guide's SLAs with breaches, pages, noisy alerts, open reviews",
  usage: '[--window 7d|30d]',
  // Read: figures for the team's review, nothing to act on.
  tier: 'read',
  examples: ['report', 'report --window 30d'],
  group: 'On call and handoff',
  options: { window: { type: 'string' } },
  args: z.object({
    _: z.array(z.string()).max(0, { message: 'takes only --window, such as --window 30d' }),
    window: reportWindowArg,
  }),
  async run(args, deps, actor) {
    const to = deps.clock();
    const from = new Date(to.getTime() - args.window);
    const model = reliabilityReport(await reliabilityRows(deps.state, from, to, reportTimezone(deps.config), REVIEW_REMINDER_MINUTES * 60_000));
    // Inside Slack people are mentions; in the terminal, names (the state's, or Slack's when the bot asks).
    const name = actor.source === 'slack' ? userRef : await peopleNames(deps, model.pages.map((p) => p.user));
    // In Slack the incidents-per-day chart follows in the channel, as `chart` posts its pictures.
    if (actor.source === 'slack' && actor.channelId) void shareReportChart(deps, model, { channel: actor.channelId, requestedBy: actor.userId });
    return reliabilityReportAnswer(model, name);
  },
});

export const reportCommands: CommandSpec[] = [report];
