/** The on-call engineer's health: `oncall load`, and the debrief's hidden `debrief-done` behind its button. */
import { z } from 'zod';
import { markDebriefScheduled } from '../incidents/debrief.js';
import { oncallLoad } from '../oncall-health/oncall-load.js';
import { incidentActionReport } from '../templates/incident-answers.js';
import { oncallLoadReport } from '../templates/oncall-load-report.js';
import { defineCommand, type CommandSpec } from './command-spec.js';
import { answer, words } from './incident-args.js';
import { weeksArg } from './oncall-commands.js';

const DEFAULT_WEEKS = 4;

const load = defineCommand({
  name: 'oncall load',
  summary: "Pages, night pages, incidents and time on them per person and shift, for the team's review",
  usage: '[--weeks N]',
  // Read: the team reviews it together, and it shows counts, not anything to act on.
  tier: 'read',
  examples: ['oncall load --weeks 8'],
  group: 'On call and handoff',
  options: { weeks: { type: 'string' } },
  args: z.object({
    _: z.array(z.string()).max(0, { message: 'takes only --weeks N' }),
    weeks: weeksArg.transform((n) => n ?? DEFAULT_WEEKS),
  }),
  async run(args, deps, actor) {
    const rows = await oncallLoad(deps, deps.clock(), args.weeks);
    return oncallLoadReport(rows, args.weeks, actor.source === 'slack' ? 'slack' : 'terminal');
  },
});

const debriefDone = defineCommand({
  name: 'debrief-done',
  summary: "Mark an incident's debrief meeting scheduled (ticks the checklist item)",
  usage: '<INC>',
  tier: 'incident',
  group: 'Incidents',
  hidden: true,
  args: z.object({ _: words(1, 'takes an incident id') }),
  run: (args, deps, actor) =>
    answer('debrief-done', async () => {
      const incident = await markDebriefScheduled(deps, args._[0] ?? '', actor.userId);
      return incidentActionReport('debrief-done', `Debrief of ${incident.id} marked scheduled; the checklist item is ticked in its thread.`, { incidentId: incident.id });
    }),
});

export const oncallHealthCommands: CommandSpec[] = [load, debriefDone];
