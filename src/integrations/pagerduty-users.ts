/**
 * Who a PagerDuty user is in Slack: the `pagerduty.users` map first, else their email looked up
 * with users.lookupByEmail (scope users:read.email). Either lookup is bounded in time; a miss or a
 * failure is no match, and the caller says the PagerDuty name instead.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { isSlackUserId } from '../ids.js';
import { within } from '../time/within.js';
import type { PagerDutyAgent } from './pagerduty-incidents.js';

/** Time allowed for each lookup: PagerDuty wants its answer within 5 s. */
export const USER_LOOKUP_TIMEOUT_MS = 1_500;

export interface PagerDutyUserLookups {
  /**
   * A PagerDuty user's email. A v3 webhook's agent is a reference without one: the REST API
   * (`GET /users/{id}`) has it. Absent until that client is configured.
   */
  emailOf?: (pdUserId: string) => Promise<string | null>;
  /** users.lookupByEmail: the Slack user ID with that email, or null. */
  slackUserByEmail?: (email: string) => Promise<string | null>;
}

const bounded = <T>(work: Promise<T>, ms: number): Promise<T | null> => within(work, ms, () => null);

/** The Slack user ID of a PagerDuty agent, or null (nobody matches, or a lookup failed: logged). */
export async function slackUserOfAgent(
  agent: PagerDutyAgent | null,
  config: Pick<Config, 'pagerduty'>,
  lookups: PagerDutyUserLookups,
  logger: Logger,
  timeoutMs = USER_LOOKUP_TIMEOUT_MS,
): Promise<string | null> {
  if (!agent) return null;
  const mapped = config.pagerduty.users[agent.id];
  if (mapped) return mapped;
  const { emailOf, slackUserByEmail } = lookups;
  if (!emailOf || !slackUserByEmail) return null;
  try {
    const email = await bounded(emailOf(agent.id), timeoutMs);
    if (!email) {
      logger.info({ pdUser: agent.id }, 'PagerDuty user: no email known, not in pagerduty.users');
      return null;
    }
    const user = await bounded(slackUserByEmail(email), timeoutMs);
    if (!user || !isSlackUserId(user)) {
      logger.info({ pdUser: agent.id }, 'PagerDuty user: no Slack user has their email; add them to pagerduty.users');
      return null;
    }
    return user;
  } catch (err) {
    logger.warn({ err, pdUser: agent.id }, 'PagerDuty user: lookup failed; said by name instead');
    return null;
  }
}

/** users.lookupByEmail through a Web API client; `users_not_found` is no match, other errors throw. */
export function slackLookupByEmail(client: () => { users: { lookupByEmail(args: { email: string }): Promise<{ user?: { id?: string } }> } } | null): (email: string) => Promise<string | null> {
  return async (email) => {
    const c = client();
    if (!c) return null;
    try {
      const res = await c.users.lookupByEmail({ email });
      return res.user?.id ?? null;
    } catch (err) {
      if ((err as { data?: { error?: string } }).data?.error === 'users_not_found') return null;
      throw err;
    }
  };
}
