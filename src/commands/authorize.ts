import type { Config } from '../config.js';
import { onCallForTiers } from '../oncall/on-call-authority.js';
import type { OnCallAt } from '../oncall/rotation-source.js';
import type { Actor, Tier } from './command-spec.js';
import { within } from '../time/within.js';

/** Lists the members of a Slack user group (usergroups.users.list in the app). */
export type UsergroupMembers = (usergroupId: string) => Promise<string[]>;

/**
 * Whether `channelId` is the bot's own DM with `userId` (src/slack/dm-channels.ts, botDmCheck):
 * true, false, or null when Slack did not say.
 */
export type IsBotDm = (userId: string, channelId: string) => Promise<boolean | null>;

export type Decision = { allowed: true } | { allowed: false; reason: string };

/** Which of those on call may remediate (`remediators.onCall`); none unless the config says so. */
export type OnCallRemediators = 'none' | 'primary' | 'primary-and-secondary';

export interface Authorizer {
  /** May `actor` run a command of `tier`, here? The reason says who may, and where. */
  decide(actor: Actor, tier: Tier, command: string): Promise<Decision>;
  /**
   * Whether `actor` holds the remediate tier by who they are (`remediators` users and user
   * groups, and those on call as `remediators.onCall` says), wherever they typed: what changing
   * who is on call needs. True in the terminal; null when Slack did not say in time.
   */
  isRemediator(actor: Actor): Promise<boolean | null>;
  /** Who holds the remediate tier, for a refusal: "<@U1>, <!subteam^S1>, the on-call primary". */
  remediatorsNamed(): string;
  /** Loads the responder user groups in the background, so the first request need not wait for Slack. */
  warm(): void;
}

const MEMBERSHIP_TTL_MS = 5 * 60_000;
/** A modal submission must be answered within Slack's 3 s: a user-group lookup waits at most this long. */
const LOOKUP_BOUND_MS = 1500;

/** Who is on call at this moment (the rotation's `at(now)`, overrides and on whose authority they were set), or null. */
export type OnCallNow = () => Promise<OnCallAt | null>;

type AuthorizerConfig = Pick<Config, 'responders'> & Partial<Pick<Config, 'remediators' | 'channels'>>;

/** Where the place of a request stands: one of the channels, the bot's own DM, elsewhere, or unknown (Slack did not say). */
type Place = 'allowed' | 'elsewhere' | 'unknown';

const ON_CALL_NAMED: Record<OnCallRemediators, string | null> = {
  none: null,
  primary: 'the on-call primary',
  'primary-and-secondary': 'the on-call primary and secondary',
};


/**
 * The one decision about who may do what, for slash commands, buttons and forms alike.
 * read: anyone, anywhere. incident: the configured responders, by user ID or membership of a
 * configured user group (cached five minutes, refreshed in the background, a stale answer kept
 * when Slack is down), and only in the channels `responders.channels` lists (any channel when
 * empty) or the caller's own DM with the bot (a DM between two people is not one: `isBotDm`
 * asks Slack, and without an answer the request is refused). The primary and secondary on call
 * now count as responders for the incident tier, asked at each decision, so a shift's end takes
 * effect at once; an override counts only when the config planned it or a remediator set it
 * (on-call-authority.ts), so being put on call in Slack grants no tier.
 * remediate: `remediators` (users, user groups, and the on-call only as `remediators.onCall` says).
 * The terminal is trusted: whoever can run it already has the data directory in hand.
 */
export function createAuthorizer(
  config: AuthorizerConfig,
  members?: UsergroupMembers,
  now: () => number = Date.now,
  onCall?: OnCallNow,
  isBotDm?: IsBotDm,
  /** How long a user group lookup may take: a form must be answered within Slack's 3 s. */
  lookupBoundMs = LOOKUP_BOUND_MS,
): Authorizer {
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
        const answered = await within(fresh, lookupBoundMs, () => 'late' as const);
        // Slack being slow or down must not lock responders out when a cached answer exists.
        if (answered !== 'late' && answered !== null) users = answered;
        else if (!users) unknown = true;
      }
      if (users?.has(userId)) return true;
    }
    return unknown ? null : false;
  }

  /** Whether the user is on call now in one of `roles`, by the schedule and the overrides that grant tiers. */
  async function isOnCall(userId: string, roles: readonly ('primary' | 'secondary')[]): Promise<boolean> {
    if (!onCall || roles.length === 0) return false;
    try {
      const duty = onCallForTiers(await onCall());
      return duty !== null && roles.some((role) => duty[role] === userId);
    } catch {
      // The rotation could not be read (chatops.db busy): the other ways in still decide.
      return false;
    }
  }

  /** Is the request in one of `channels` (any when empty), or in the caller's own DM with the bot? */
  async function placeOf(actor: Actor, channels: readonly string[]): Promise<Place> {
    if (channels.length === 0) return 'allowed';
    const channelId = actor.channelId;
    if (!channelId) return 'elsewhere';
    if (channels.includes(channelId)) return 'allowed';
    if (!isBotDm || !channelId.startsWith('D')) return 'elsewhere';
    let mine: boolean | null;
    try {
      mine = await isBotDm(actor.userId, channelId);
    } catch {
      mine = null;
    }
    if (mine === null) return 'unknown';
    return mine ? 'allowed' : 'elsewhere';
  }

  const dmUnknown = (command: string, channels: readonly string[]) =>
    `Slack did not confirm in time that this is your DM with the bot; try \`${command}\` again in a moment, or in ${channels.map((c) => `<#${c}>`).join(' or ')}.`;

  const remediators = () => {
    const r = config.remediators ?? {};
    return {
      users: r.users ?? config.responders.users,
      groups: r.usergroups ?? config.responders.usergroups,
      onCall: (r.onCall ?? 'none') as OnCallRemediators,
      channels: r.channels ?? (config.channels?.incidents ? [config.channels.incidents] : []),
    };
  };

  function remediatorsNamed(): string {
    const r = remediators();
    const onCallNamed = ON_CALL_NAMED[r.onCall];
    const named = [...r.users.map((u) => `<@${u}>`), ...r.groups.map((g) => `<!subteam^${g}>`), ...(onCallNamed ? [onCallNamed] : [])];
    return named.length > 0 ? named.join(', ') : 'nobody yet (the config names no remediators)';
  }

  async function isRemediator(actor: Actor): Promise<boolean | null> {
    if (actor.source === 'cli') return true;
    const r = remediators();
    const roles = r.onCall === 'primary' ? (['primary'] as const) : r.onCall === 'primary-and-secondary' ? (['primary', 'secondary'] as const) : [];
    if (r.users.includes(actor.userId) || await isOnCall(actor.userId, roles)) return true;
    return inUsergroups(actor.userId, r.groups);
  }

  /**
   * Remediators: `remediators.users` / `.usergroups` (the responders' when unset) and, only when
   * `remediators.onCall` says so, whoever is on call now; in `remediators.channels` (default the
   * incident channel) or the caller's own DM with the bot.
   */
  async function decideRemediation(actor: Actor, command: string): Promise<Decision> {
    const { channels } = remediators();
    const who = remediatorsNamed();
    const where = [...channels.map((c) => `<#${c}>`), 'a DM with the bot'].join(' or ');
    const place = await placeOf(actor, channels);
    if (place === 'unknown') return { allowed: false, reason: dmUnknown(command, channels) };
    if (place === 'elsewhere') return { allowed: false, reason: `\`${command}\` runs in ${where}, where the team sees it; it may be run by ${who}.` };
    const member = await isRemediator(actor);
    if (member) return { allowed: true };
    if (member === null) return { allowed: false, reason: `Slack did not say in time whether you are in the remediators' user group; try \`${command}\` again in a moment.` };
    return { allowed: false, reason: `\`${command}\` changes Shadow Atlas data: it may be run by ${who}, in ${where}.` };
  }

  return {
    async decide(actor, tier, command) {
      if (tier === 'read' || actor.source === 'cli') return { allowed: true };
      if (tier === 'remediate') return decideRemediation(actor, command);
      const channels = config.responders.channels;
      const place = await placeOf(actor, channels);
      if (place === 'unknown') return { allowed: false, reason: dmUnknown(command, channels) };
      if (place === 'elsewhere') {
        const where = channels.map((c) => `<#${c}>`).join(', ');
        return { allowed: false, reason: `\`${command}\` runs in ${where} or a DM with the bot, where the team sees it.` };
      }
      if (config.responders.users.includes(actor.userId)) return { allowed: true };
      if (await isOnCall(actor.userId, ['primary', 'secondary'])) return { allowed: true };
      const member = await inUsergroups(actor.userId, config.responders.usergroups);
      if (member) return { allowed: true };
      if (member === null) return { allowed: false, reason: `Slack did not say in time whether you are in the responders' user group; try \`${command}\` again in a moment.` };
      return { allowed: false, reason: `\`${command}\` is for responders; ask the on-call lead to add you in the bot's config.` };
    },
    isRemediator,
    remediatorsNamed,
    warm() {
      for (const group of new Set([...config.responders.usergroups, ...(config.remediators?.usergroups ?? [])])) void load(group);
    },
  };
}
