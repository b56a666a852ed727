/**
 * What the bot knows about reaching Slack, and the one sentence that says it. /healthz, `doctor`
 * (in Slack and in the terminal) and the bot's log all word it here, so they cannot disagree.
 */

/** Who the bot token is, from auth.test. */
export interface SlackBotIdentity {
  botId: string;
  botUserId: string;
  /** The bot's name and the workspace's, for people. */
  user?: string;
  team?: string;
}

export type SlackConnectionStatus =
  /** auth.test answered ok `since` then, and nothing has failed since. */
  | { state: 'ok'; since: Date; identity: SlackBotIdentity }
  /**
   * Slack has not answered (yet, or again) `since` then: `lastError` is the newest failure, null
   * while the first auth.test is still waiting for its answer.
   */
  | { state: 'degraded'; since: Date; lastError: string | null; attempts: number; nextTryAt: Date | null }
  /** Slack answered that the token is no good; only a new token helps. */
  | { state: 'refused'; since: Date; code: string };

/** auth.test's answers that mean the token is no good: the process stops and says what to fix. */
export const CREDENTIAL_REFUSALS: ReadonlySet<string> = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked']);

const hhmm = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** Slack refused a credential for good; the message is the sentence naming the variable to fix. */
export class SlackCredentialRefused extends Error {
  override name = 'SlackCredentialRefused';
}

/** The sentence that stops the bot when Slack refused its token. */
export function refusedTokenSentence(code: string): string {
  return (
    `Slack refused SLACK_BOT_TOKEN (${code}): set SLACK_BOT_TOKEN to the app's current Bot User OAuth Token (xoxb-…), ` +
    'from OAuth & Permissions in the Slack app settings (reinstall the app to the workspace if it was uninstalled or the token revoked).'
  );
}

/** One sentence about reaching Slack: what works, since when, the newest error. Never holds a token. */
export function describeSlackConnection(status: SlackConnectionStatus): string {
  if (status.state === 'ok') {
    const who = status.identity.user ? `@${status.identity.user}` : 'the bot';
    return `Slack answers: connected as ${who}${status.identity.team ? ` to ${status.identity.team}` : ''} since ${hhmm(status.since)}.`;
  }
  if (status.state === 'refused') return refusedTokenSentence(status.code);
  const tries = status.attempts === 0 ? '' : status.attempts === 1 ? ' (1 try)' : ` (${status.attempts} tries)`;
  const error = status.lastError ? `${status.lastError}${tries}` : 'waiting for the first answer to auth.test';
  const next = status.nextTryAt ? `, next try at ${status.nextTryAt.toISOString().slice(11, 19)} UTC` : '';
  return `Slack not reachable since ${hhmm(status.since)}: ${error}${next}; alerts, webhooks and PagerDuty go on, and Slack messages wait in the outbox.`;
}

/** The status as /healthz shows it (JSON). */
export function slackConnectionJson(status: SlackConnectionStatus): Record<string, unknown> {
  const base = { state: status.state, since: status.since.toISOString(), detail: describeSlackConnection(status) };
  if (status.state === 'degraded') {
    return { ...base, lastError: status.lastError, attempts: status.attempts, nextTryAt: status.nextTryAt?.toISOString() ?? null };
  }
  if (status.state === 'refused') return { ...base, lastError: status.code };
  return base;
}

/** What `doctor` shows: whether Slack answers, and the sentence. */
export function slackStatusAnswer(status: SlackConnectionStatus): { ok: boolean; detail: string } {
  return { ok: status.state === 'ok', detail: describeSlackConnection(status) };
}
