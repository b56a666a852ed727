/**
 * The GitHub subcommands: `review-issue` (the Create GitHub issue button under a review draft)
 * files the review as an issue once per incident; `runbook-feedback` files the guide's
 * "On-call guide: …" issue. Without GITHUB_TOKEN and github.repo both say what to set.
 */
import { z } from 'zod';
import { peopleNames } from '../slack/people-names.js';
import { gitHubClient, gitHubSetupProblem, GitHubError } from '../integrations/github/github-client.js';
import { fileReviewIssue } from '../integrations/github/review-issue.js';
import { runbookFeedbackContent, runbookFeedbackReport, reviewIssueReport } from '../templates/github-messages.js';
import { problemReport, type Report } from '../templates/report.js';
import { defineCommand, type CommandSpec } from './command-spec.js';
import { answer, takeRef, words } from './incident-args.js';

/** The guide's labels for feedback on the on-call guide. */
export const RUNBOOK_FEEDBACK_LABELS = ['ops-runbook', 'documentation'] as const;
const FEEDBACK_MAX = 4000;

const reviewIssue = defineCommand({
  name: 'review-issue',
  summary: 'File the post-incident review draft as a GitHub issue (once; again links it)',
  usage: '[INC]',
  tier: 'incident',
  group: 'Incidents',
  args: z.object({ _: words(1, 'takes an incident id') }).transform(({ _ }) => ({ ref: takeRef(_).ref })),
  run: (args, deps, actor) =>
    answer('review-issue', async (): Promise<Report> => {
      const client = gitHubClient(deps.config);
      if (!client) return problemReport('review-issue', `${gitHubSetupProblem(deps.config)} Until then \`/atlas review\` prints the draft to paste by hand.`);
      const r = await fileReviewIssue(deps, args.ref, actor.userId, client);
      switch (r.kind) {
        case 'busy':
          return problemReport('review-issue', `${r.incident.id}'s review issue is being filed by a press moments ago; press again in a few seconds for its link.`);
        case 'failed':
          return problemReport('review-issue', `${r.incident.id}'s review issue was not filed: ${r.problem}`);
        default:
          return reviewIssueReport(r.incident.id, r.kind, r.issue);
      }
    }),
});

const runbookFeedback = defineCommand({
  name: 'runbook-feedback',
  summary: 'File an "On-call guide: …" GitHub issue (labels ops-runbook, documentation)',
  usage: '<text…>',
  tier: 'incident',
  group: 'Incidents',
  args: z.object({ _: z.array(z.string()) }).transform(({ _ }, ctx) => {
    const text = _.join(' ').trim();
    if (text === '') {
      ctx.addIssue({ code: 'custom', message: 'needs the feedback: what in the on-call guide was missing or wrong' });
      return z.NEVER;
    }
    if (text.length > FEEDBACK_MAX) {
      ctx.addIssue({ code: 'custom', message: `takes at most ${FEEDBACK_MAX} characters (got ${text.length})` });
      return z.NEVER;
    }
    return { text };
  }),
  run: async (args, deps, actor) => {
    const client = gitHubClient(deps.config);
    if (!client) return problemReport('runbook-feedback', gitHubSetupProblem(deps.config)!);
    const open = await deps.state.incidents.open();
    // Read on GitHub: the person by name (their ID only when Slack never said it).
    const who = actor.source === 'slack' ? (await peopleNames(deps, [actor.userId]))(actor.userId) : actor.userId;
    const { title, body } = runbookFeedbackContent(args.text, who, open.length === 1 ? open[0]!.id : null);
    try {
      return runbookFeedbackReport(client.repo, title, { issue: await client.createIssue({ title, body, labels: RUNBOOK_FEEDBACK_LABELS }) });
    } catch (err) {
      if (!(err instanceof GitHubError)) throw err;
      return runbookFeedbackReport(client.repo, title, { problem: err.message, inDoubt: err.inDoubt });
    }
  },
});

export const githubCommands: CommandSpec[] = [reviewIssue, runbookFeedback];
