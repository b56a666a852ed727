/**
 * What the GitHub integration shows: the Create GitHub issue button under a review draft, the
 * thread message when the review issue is filed (the checklist item done), the answers of
 * `review-issue` and `runbook-feedback`, and the issue bodies the bot files.
 */
import type { types } from '@slack/bolt';
import { z } from 'zod';
import type { DomainEvent } from '../incidents/domain-events.js';
import { fallback, button, section } from './message-parts.js';
import { mention } from './people.js';
import { problemReport, type Report } from './report.js';

export const REVIEW_ISSUE_ACTION = 'atlas_review_issue';

/** The checklist item, as the guide words it. */
export const REVIEW_ISSUE_ITEM = 'Create GitHub issue for post-incident review';

/** A link in mrkdwn: only http(s) URLs, with Slack's three characters escaped; the label plain. */
export function slackLink(url: string, label: string): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (!/^https?:\/\/[^\s|]+$/.test(url)) return esc(label);
  return `<${esc(url)}|${esc(label).replace(/\|/g, '¦')}>`;
}

/** The marker in a review issue's body that finds it again after a crash: one per incident. */
export const reviewIssueMarker = (incidentId: string) => `<!-- atlas:${incidentId} -->`;

/** "Create GitHub issue" under a review draft (not under a refusal). */
export function reviewIssueOffer(report: Report): types.KnownBlock[] {
  if (report.command !== 'review' || report.level === 'error') return [];
  const parsed = z.object({ incidentId: z.string().min(1).max(100) }).safeParse(report.data);
  if (!parsed.success) return [];
  return [{ type: 'actions', elements: [button(REVIEW_ISSUE_ACTION, 'Create GitHub issue', parsed.data.incidentId, 'primary')] }];
}

/** In the incident's thread: the checklist item done, with the issue's link. */
export function reviewIssueFiledMessage(e: Extract<DomainEvent, { type: 'review-issue-filed' }>) {
  const link = slackLink(e.url, `${e.repo}#${e.number}`);
  return {
    text: fallback(`✅ ${e.incident.id}: ${REVIEW_ISSUE_ITEM}: ${e.repo}#${e.number}`),
    blocks: [section(`✅ ${REVIEW_ISSUE_ITEM}: ${link} (by ${mention(e.actor)})`)],
  };
}

/** The review issue's title and body: the draft, the labels' reason, and the marker last. */
export function reviewIssueContent(incident: { id: string; title: string; severity: string }, draft: string): { title: string; body: string } {
  const title = `Post-incident review: ${incident.id} (${incident.severity}) ${incident.title.replace(/\s+/g, ' ').trim()}`.slice(0, 250);
  return { title, body: `${draft.trimEnd()}\n\n---\nFiled by the /atlas bot from the incident's timeline.\n${reviewIssueMarker(incident.id)}\n` };
}

/** The guide's runbook feedback issue: "On-call guide: …" with the text as the body. */
export function runbookFeedbackContent(text: string, who: string, openIncident: string | null): { title: string; body: string } {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  const title = `On-call guide: ${oneLine.length > 100 ? `${oneLine.slice(0, 99)}…` : oneLine}`;
  const context = [`Sent from /atlas runbook-feedback by ${who}`, openIncident ? `while ${openIncident} was open` : null].filter(Boolean).join(' ');
  return { title, body: `${text.trim()}\n\n---\n${context}.\n` };
}

export type ReviewIssueOutcome = 'filed' | 'found' | 'linked';

/** The answer to whoever asked for the review issue. */
export function reviewIssueReport(incidentId: string, outcome: ReviewIssueOutcome, issue: { repo: string; number: number; url: string }): Report {
  const ref = `${issue.repo}#${issue.number}`;
  const headline =
    outcome === 'filed'
      ? `Filed ${ref} for the post-incident review of ${incidentId}: ${issue.url}`
      : outcome === 'found'
        ? `Found ${ref}, filed for ${incidentId} by an earlier attempt that was cut short; linked it: ${issue.url}`
        : `${incidentId}'s review issue is ${ref} already: ${issue.url}`;
  return { command: 'review-issue', level: 'ok', headline, sections: [], data: { incidentId, outcome, ...issue } };
}

/** The answer to `runbook-feedback`: the issue filed, with its link; or why not, and whether it may be there all the same. */
export function runbookFeedbackReport(repo: string, title: string, outcome: { issue: { number: number; html_url: string } } | { problem: string; inDoubt: boolean }): Report {
  if ('problem' in outcome) {
    const doubt = outcome.inDoubt ? ` It may have been filed all the same: look for "${title.slice(0, 60)}" in ${repo} before sending it again.` : '';
    return problemReport('runbook-feedback', `The feedback was not filed: ${outcome.problem}${doubt}`);
  }
  const { issue } = outcome;
  return {
    command: 'runbook-feedback',
    level: 'ok',
    headline: `Filed ${repo}#${issue.number} "${title}": ${issue.html_url}`,
    sections: [],
    data: { repo, number: issue.number, url: issue.html_url },
  };
}
