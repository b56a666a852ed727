import { z } from 'zod';
import { incidentTimeline, listIncidents } from '../incidents/incident-queries.js';
import { incidentsReport, reviewReport, timelineReport } from '../templates/incident-reports.js';
import { problemReport } from '../templates/report.js';
import { peopleNames } from '../slack/people-names.js';
import { peopleInReview, reviewDraft } from '../templates/review-draft.js';
import { defineCommand, noPositionals, type CommandSpec } from './command-spec.js';
import { answer, takeRef, words } from './incident-args.js';

const incidents = defineCommand({
  name: 'incidents',
  summary: 'Open incidents: id, severity, owner, age, next deadline',
  usage: '',
  tier: 'read',
  examples: ['incidents'],
  group: 'Incidents',
  args: z.object({ _: noPositionals }),
  run: async (_args, deps) => {
    const now = deps.clock();
    return incidentsReport(await listIncidents(deps.state, now), now);
  },
});

const timelineCommand = defineCommand({
  name: 'timeline',
  summary: 'Everything that happened in an incident, with time (UTC) and who',
  usage: '[INC]',
  tier: 'read',
  group: 'Incidents',
  args: z.object({ _: words(1, 'takes an incident id') }),
  run: (args, deps) =>
    answer('timeline', async () => {
      const { incident, events } = await incidentTimeline(deps.state, args._[0]);
      return timelineReport(incident, events, deps.clock());
    }),
});

const review = defineCommand({
  name: 'review',
  summary: 'A post-incident review draft from the timeline, in markdown for a GitHub issue',
  usage: '[INC]',
  tier: 'read',
  group: 'Incidents',
  args: z.object({ _: words(2, 'takes an incident id') }).transform(({ _ }, ctx) => {
    const { ref, rest } = takeRef(_);
    const done = rest.length === 1 && rest[0]!.toLowerCase() === 'done';
    if (rest.length > 0 && !done) {
      ctx.addIssue({ code: 'custom', message: 'takes an incident id' });
      return z.NEVER;
    }
    return { ref, done };
  }),
  run: (args, deps) =>
    answer('review', async () => {
      const { incident, events } = await incidentTimeline(deps.state, args.ref);
      // Printing is for anyone; marking done is a responder's act, so it is its own command with its own tier.
      if (args.done) return problemReport('review', `Marking the review done is \`review-done ${incident.id}\` (for responders).`);
      const name = await peopleNames(deps, peopleInReview(incident, events));
      return reviewReport(incident, reviewDraft(incident, events, deps.clock(), name));
    }),
});

/** What anyone may read about incidents: the open ones, one's timeline, its review draft. */
export const incidentReadCommands: CommandSpec[] = [incidents, timelineCommand, review];
