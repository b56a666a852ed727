import type { Config } from '../config.js';
import type { Actor, Tier } from './command-spec.js';
import { within } from '../time/within.js';

/** Lists the members of a Slack user group (usergroups.users.list in the app). */
export type UsergroupMembers = (usergroupId: string) => Promise<string[]>;

export type Decision = { allowed: true } | { allowed: false; reason: string };

export interface Authorizer {
  /** May `actor` run a command of `tier`, here? The reason says who may, and where. */
  decide(actor: Actor, tier: Tier, command: string): Promise<Decision>;
  /** Loads the responder user groups in the background, so the first request need not wait for Slack. */
  warm(): void;
}

const MEMBERSHIP_TTL_MS = 5 * 60_000;
/** A modal submission must be answered within Slack's 3 s: a user-group lookup waits at most this long. */
const LOOKUP_BOUND_MS = 1500;

/** Who is on call at this moment (the rotation's `at(now)`), or null when nobody is. */
export type OnCallNow = () => { primary: string | null; secondary: string | null } | null;

/**
 * The one decision about who may do what, for slash commands, buttons and forms alike.
 * read: anyone, anywhere. incident (and remediate, until it has its own list): the configured
 * responders, by user ID or membership of a configured user group (cached five minutes,
 * refreshed in the background, a stale answer kept when Slack is down), and only in the
 * channels `responders.channels` lists (any channel when empty) or a DM with the bot.
 * The primary and secondary on call now (overrides included) count as responders for the
 * incident tier, asked at each decision, so a shift's end or an override takes effect at once.
 * The terminal is trusted: whoever can run it already has the data directory in hand.
 */
export function createAuthorizer(config: Pick<Config, 'responders'> & Partial<Pick<Config, 'remediators' | 'channels'>>, members?: UsergroupMembers, now: () => number = Date.now, onCall?: OnCallNow): Authorizer {
  const cache = new Map<string, { at: number; users: Set<string> }>();
  const loading = new Map<string, Promise<Set<string> | null>>();

  function load(group: string): Promise<Set<string> | null> {
    let p = loading.get(group);
    if (!p) {
      p = (members ? members(group) : Promise.resolve([]))
        .then((users) => {
          const set = new Set(users);
          cache.set(group, { at: now(), users: set });
          return set;
        })
        .catch(() => null)
        .finally(() => loading.delete(group));
      loading.set(group, p);
    }
    return p;
  }

  /** true, false, or null when Slack did not answer in time and nothing is cached. */
  async function inUsergroups(userId: string, groups: readonly string[]): Promise<boolean | null> {
    let unknown = false;
    for (const group of groups) {
      const entry = cache.get(group);
      let users = entry?.users ?? null;
      if (!entry || now() - entry.at > MEMBERSHIP_TTL_MS) {
        const fresh = load(group);
        const answered = await within(fresh, LOOKUP_BOUND_MS, () => 'late' as const);
        // Slack being slow or down must not lock responders out when a cached answer exists.
        if (answered !== 'late' && answered !== null) users = answered;
        else if (!users) unknown = true;
      }
      if (users?.has(userId)) return true;
    }
    return unknown ? null : false;
  }

  function isOnCall(userId: string): boolean {
    if (!onCall) return false;
    try {
      const duty = onCall();
      return duty !== null && (duty.primary === userId || duty.secondary === userId);
    } catch {
      // The rotation could not be read (chatops.db busy): the other ways in still decide.
      return false;
    }
  }

  /**
   * Remediators: `remediators.users` / `.usergroups` (the responders' when unset) and whoever is
   * on call now, in `remediators.channels` (default the incident channel) or a DM with the bot.
   */
  async function decideRemediation(actor: Actor, command: string): Promise<Decision> {
    const r = config.remediators ?? {};
    const users = r.users ?? config.responders.users;
    const groups = r.usergroups ?? config.responders.usergroups;
    const channels = r.channels ?? (config.channels?.incidents ? [config.channels.incidents] : []);
    const who = [...users.map((u) => `<@${u}>`), ...groups.map((g) => `<!subteam^${g}>`), 'the on-call primary and secondary'].join(', ');
    const where = [...channels.map((c) => `<#${c}>`), 'a DM with the bot'].join(' or ');
    const inDm = actor.channelId?.startsWith('D') ?? false;
    if (channels.length > 0 && !inDm && (!actor.channelId || !channels.includes(actor.channelId))) {
      return { allowed: false, reason: `\`${command}\` runs in ${where}, where the team sees it; it may be run by ${who}.` };
    }
    if (users.includes(actor.userId) || isOnCall(actor.userId)) return { allowed: true };
    const member = await inUsergroups(actor.userId, groups);
    if (member) return { allowed: true };
    if (member === null) return { allowed: false, reason: `Slack did not say in time whether you are in the remediators' user group; try \`${command}\` again in a moment.` };
    return { allowed: false, reason: `\`${command}\` changes Shadow Atlas data: it may be run by ${who}, in ${where}.` };
  }

  return {
    async decide(actor, tier, command) {
      if (tier === 'read' || actor.source === 'cli') return { allowed: true };
      if (tier === 'remediate') return decideRemediation(actor, command);
      const channels = config.responders.channels;
      const inDm = actor.channelId?.startsWith('D') ?? false;
      if (channels.length > 0 && !inDm && (!actor.channelId || !channels.includes(actor.channelId))) {
        const where = channels.map((c) => `<#${c}>`).join(', ');
        return { allowed: false, reason: `\`${command}\` runs in ${where} or a DM with the bot, where the team sees it.` };
      }
      if (config.responders.users.includes(actor.userId)) return { allowed: true };
      if (isOnCall(actor.userId)) return { allowed: true };
      const member = await inUsergroups(actor.userId, config.responders.usergroups);
      if (member) return { allowed: true };
      if (member === null) return { allowed: false, reason: `Slack did not say in time whether you are in the responders' user group; try \`${command}\` again in a moment.` };
      return { allowed: false, reason: `\`${command}\` is for responders; ask the on-call lead to add you in the bot's config.` };
    },
    warm() {
      for (const group of new Set([...config.responders.usergroups, ...(config.remediators?.usergroups ?? [])])) void load(group);
    },
  };
}
