import type { Config } from '../config.js';
import { isSlackUserId } from '../ids.js';
import type { PagerDutyApi } from './pagerduty-api.js';

/**
 * The email PagerDuty's REST API is called "From": the person's (their PagerDuty user through
 * pagerduty.users, else their Slack email), else pagerduty.fromEmail; null when none is known.
 */
export function pagerdutyFromEmail(
  config: Pick<Config, 'pagerduty'>,
  api: Pick<PagerDutyApi, 'userEmail'>,
  slackEmailOf?: (userId: string) => Promise<string | null>,
): (actor: string) => Promise<string | null> {
  /** Slack user → PagerDuty user, the other way round from pagerduty.users. */
  const pdUserOf = new Map(Object.entries(config.pagerduty.users).map(([pd, slack]) => [slack, pd]));
  return async (actor) => {
    if (isSlackUserId(actor)) {
      const pdUser = pdUserOf.get(actor);
      const email = (pdUser ? await api.userEmail(pdUser) : null) ?? (await slackEmailOf?.(actor).catch(() => null)) ?? null;
      if (email) return email;
    }
    return config.pagerduty.fromEmail ?? null;
  };
}
