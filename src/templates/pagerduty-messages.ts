/**
 * What the PagerDuty integration shows in Slack: a line on the alert's message (or its incident's
 * card) saying where PagerDuty stands, a warning there while a change could not be made in
 * PagerDuty, and the thread message when it is given up.
 */
import type { PagerDutyIncidentLink, PagerDutyPage, PagerDutyProblem } from '../db/state/pagerduty-store.js';
import type { DomainEvent, PagerDutyAction } from '../incidents/domain-events.js';
import { safeMrkdwn, type SlackMessage } from './block-kit.js';
import { slackLink } from './github-messages.js';
import { fallback, section } from './message-parts.js';

/** What the card knows of PagerDuty for its alert. */
export interface PagerDutyOnCard {
  link: Pick<PagerDutyIncidentLink, 'status' | 'html_url'> | null;
  page: Pick<PagerDutyPage, 'status'> | null;
  problem: Pick<PagerDutyProblem, 'action' | 'problem' | 'html_url'> | null;
  /** A call to PagerDuty not sent yet: until it is, the card does not claim PagerDuty's state. */
  sending?: { attempts: number; last_error: string | null } | null;
}

const DONE: Record<PagerDutyAction, string> = { page: 'paged', acknowledge: 'acknowledged', resolve: 'resolved' };

/** A problem escaped for mrkdwn, its user mentions (the bot's own words) kept as mentions. */
const problemText = (problem: string, max: number) => safeMrkdwn(problem, max).replace(/&lt;@([UW][A-Z0-9]{2,})&gt;/g, '<@$1>');

/** The card's line on PagerDuty: where it stands, or what it was not told. None without PagerDuty. */
export function pagerdutyCardLines(pd: PagerDutyOnCard | null): string[] {
  if (!pd) return [];
  // A change given up says where PagerDuty stands itself: the status asked for was not reached.
  if (pd.problem) {
    const where = pd.problem.html_url ? ` Do it there: ${slackLink(pd.problem.html_url, 'open in PagerDuty')}` : '';
    return [`⚠️ Not ${DONE[pd.problem.action as PagerDutyAction] ?? 'changed'} in PagerDuty: ${problemText(pd.problem.problem, 300)}.${where}`];
  }
  if (pd.sending) return [`PagerDuty: sending…${pd.sending.attempts > 0 && pd.sending.last_error ? ` (${problemText(pd.sending.last_error, 200)}; trying again)` : ''}`];
  if (pd.link) return [`${pd.link.html_url ? slackLink(pd.link.html_url, 'PagerDuty incident') : 'PagerDuty incident'}: ${safeMrkdwn(pd.link.status, 40)}`];
  return pd.page ? [`PagerDuty: ${pd.page.status === 'triggered' ? 'paged' : pd.page.status}`] : [];
}

/** In the thread (or under the alert): a PagerDuty change given up, and what to do. */
export function pagerdutyNotSyncedMessage(e: Extract<DomainEvent, { type: 'pagerduty-not-synced' }>): SlackMessage {
  const done = DONE[e.action];
  const byHand =
    e.action === 'page'
      ? 'Nobody was paged through PagerDuty for it: page the on-call engineer by hand.'
      : e.htmlUrl
        ? `${e.action === 'acknowledge' ? 'Acknowledge' : 'Resolve'} it there: ${slackLink(e.htmlUrl, 'open in PagerDuty')}.`
        : `${e.action === 'acknowledge' ? 'Acknowledge' : 'Resolve'} it in PagerDuty by hand.`;
  const name = safeMrkdwn(e.alertName, 150);
  return {
    text: fallback(`⚠️ ${e.alertName} was not ${done} in PagerDuty: ${e.problem}`),
    blocks: [section(`⚠️ *${name} was not ${done} in PagerDuty*: ${problemText(e.problem, 500)}.\n${byHand}`)],
  };
}
