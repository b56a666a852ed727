import type { Config } from '../config.js';
import type { Actor, Tier } from './command-spec.js';
import type { Authorizer } from './registry.js';

/** Lists the members of a Slack user group (usergroups.users.list in the app). */
export type UsergroupMembers = (usergroupId: string) => Promise<string[]>;

const MEMBERSHIP_TTL_MS = 5 * 60_000;

/**
 * read: anyone. incident and remediate: the configured responders, by user ID or by
 * membership of a configured user group (cached for five minutes).
 * The terminal is trusted: whoever can run it already has the data directory in hand.
 */
export function createAuthorizer(config: Config, members?: UsergroupMembers, now: () => number = Date.now): Authorizer {
  const cache = new Map<string, { at: number; users: Set<string> }>();

  async function inUsergroup(userId: string): Promise<boolean> {
    if (!members) return false;
    for (const group of config.responders.usergroups) {
      let entry = cache.get(group);
      if (!entry || now() - entry.at > MEMBERSHIP_TTL_MS) {
        try {
          entry = { at: now(), users: new Set(await members(group)) };
          cache.set(group, entry);
        } catch {
          // Slack being down must not lock responders out when a cached answer exists.
          if (!entry) continue;
        }
      }
      if (entry.users.has(userId)) return true;
    }
    return false;
  }

  return async (actor: Actor, tier: Tier) => {
    if (tier === 'read' || actor.source === 'cli') return true;
    if (config.responders.users.includes(actor.userId)) return true;
    return inUsergroup(actor.userId);
  };
}
