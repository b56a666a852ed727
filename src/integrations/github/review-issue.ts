/**
 * The post-incident review as a GitHub issue, filed once per incident. The filing is claimed in
 * chatops.db (github_issue_links, 'creating') in an immediate transaction before GitHub is
 * called, so two presses or two bot processes file one issue; GitHub's answer turns it
 * 'created' in the same transaction as the event that puts the link on the timeline and in the
 * thread. A claim whose attempt was cut short (crash, timeout) is taken over after a while, and
 * the repository's issues are searched for the marker in the body before filing again.
 */
import type { Incident } from '../../db/state/state-records.js';
import type { DomainDeps } from '../../incidents/incident-deps.js';
import { findIncident } from '../../incidents/find-incident.js';
import { peopleNames, type NameSources } from '../../slack/people-names.js';
import { peopleInReview, reviewDraft } from '../../templates/review-draft.js';
import { reviewIssueContent, reviewIssueMarker, type ReviewIssueOutcome } from '../../templates/github-messages.js';
import { GitHubError, GITHUB_TIMEOUT_MS, type GitHubClient, type GitHubIssue } from './github-client.js';

/** A claim older than this is an attempt that ended without an answer: taken over, after a search for its issue. */
export const REVIEW_CLAIM_STALE_MS = GITHUB_TIMEOUT_MS + 5_000;
/** The search for an earlier attempt's issue starts this long before that attempt (clocks differ). */
const SEARCH_MARGIN_MS = 10 * 60_000;

export type ReviewIssueResult =
  | { kind: ReviewIssueOutcome; incident: Incident; issue: { repo: string; number: number; url: string } }
  /** Another press is filing it now. */
  | { kind: 'busy'; incident: Incident; since: string }
  /** GitHub refused or did not answer: the sentence for the person. */
  | { kind: 'failed'; incident: Incident; problem: string };

export async function fileReviewIssue(deps: DomainDeps & NameSources, ref: string | undefined, actor: string, client: GitHubClient): Promise<ReviewIssueResult> {
  const incident = await findIncident(deps.state, ref);
  const now = deps.clock();
  const claim = await deps.state.githubIssues.claim(incident.id, client.repo, now, new Date(now.getTime() - REVIEW_CLAIM_STALE_MS));
  if (claim.kind === 'created') {
    const { row } = claim;
    return { kind: 'linked', incident, issue: { repo: row.repo, number: row.number ?? 0, url: row.html_url ?? '' } };
  }
  if (claim.kind === 'busy') return { kind: 'busy', incident, since: claim.row.created_at };

  const done = async (issue: GitHubIssue, kind: 'filed' | 'found'): Promise<ReviewIssueResult> => {
    const link = { repo: client.repo, number: issue.number, url: issue.html_url };
    await deps.state.transaction(async (tx) => {
      await tx.githubIssues.markCreated(incident.id, issue.number, issue.html_url);
      await deps.events.record(tx, { type: 'review-issue-filed', incident, ...link, actor }, deps.clock());
    });
    return { kind, incident, issue: link };
  };

  try {
    if (claim.reconcileSince !== null) {
      const since = new Date(new Date(claim.reconcileSince).getTime() - SEARCH_MARGIN_MS);
      const earlier = await client.findIssueByMarker(reviewIssueMarker(incident.id), since);
      if (earlier) return await done(earlier, 'found');
    }
    // Read on GitHub, outside Slack: people by name.
    const events = await deps.state.timeline.list(incident.id);
    const name = await peopleNames(deps, peopleInReview(incident, events));
    const { title, body } = reviewIssueContent(incident, reviewDraft(incident, events, now, name));
    const issue = await client.createIssue({ title, body, labels: deps.config.github.reviewLabels });
    return await done(issue, 'filed');
  } catch (err) {
    if (!(err instanceof GitHubError)) {
      await deps.state.githubIssues.release(incident.id);
      throw err;
    }
    if (!err.inDoubt) {
      // GitHub answered and made nothing: the next press files afresh.
      await deps.state.githubIssues.release(incident.id);
      return { kind: 'failed', incident, problem: err.message };
    }
    deps.logger.warn({ incidentId: incident.id, kind: err.kind, status: err.status }, 'review issue: GitHub gave no answer; the claim stays for the next press to reconcile');
    const after = Math.ceil(REVIEW_CLAIM_STALE_MS / 1000);
    return { kind: 'failed', incident, problem: `${err.message} The issue may have been filed: press again after ${after} s and the bot looks for it before filing another.` };
  }
}
