import type { webApi } from '@slack/bolt';
import { within } from '../time/within.js';

/** Per client (one per app): a module-wide map would carry one workspace's channels into another app. */
const knownByClient = new WeakMap<webApi.WebClient, Map<string, string>>();

/**
 * The DM channel between the bot and a person (conversations.open, scope im:write), remembered:
 * it never changes. A press on the Home tab carries no channel; the Home is part of that DM, so
 * it is authorized and audited as the DM. Undefined (logged by the caller's refusal) when Slack
 * does not say.
 */
export async function dmChannelOf(client: webApi.WebClient, userId: string): Promise<string | undefined> {
  let known = knownByClient.get(client);
  if (!known) knownByClient.set(client, (known = new Map()));
  const hit = known.get(userId);
  if (hit) return hit;
  try {
    const id = (await client.conversations.open({ users: userId })).channel?.id;
    if (id) known.set(userId, id);
    return id;
  } catch {
    return undefined;
  }
}

/**
 * Whether `channelId` is the bot's own DM with `userId`: true, false, or null when Slack did not
 * say (the caller refuses: fail closed).
 */
export type BotDmCheck = (userId: string, channelId: string) => Promise<boolean | null>;

export interface BotDmCheckOptions {
  now?: () => number;
  /** How long an answer is kept (an IM's id never changes; the bound keeps the map fresh and small). */
  ttlMs?: number;
  /** How long a lookup may take: a form must be answered within Slack's 3 s. */
  boundMs?: number;
}

const DEFAULT_TTL_MS = 60 * 60_000;
const DEFAULT_BOUND_MS = 1_500;
const MAX_ENTRIES = 10_000;

/**
 * A channel id beginning with D is a DM, but not necessarily the bot's: a slash command typed in
 * a DM between two people carries that DM's id. The bot's IM with a person is what
 * conversations.open answers for that person (scope im:write, which the bot holds already;
 * conversations.info on an IM would need im:read too), so the check compares the two. Answers
 * are cached per person for `ttlMs`; a lookup that fails or takes longer than `boundMs` is
 * "unknown", never "yes".
 */
export function botDmCheck(client: () => webApi.WebClient | null, opts: BotDmCheckOptions = {}): BotDmCheck {
  const now = opts.now ?? Date.now;
  const ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS;
  const boundMs = opts.boundMs ?? DEFAULT_BOUND_MS;
  const imOf = new Map<string, { at: number; channelId: string }>();

  async function lookup(userId: string): Promise<string | null> {
    const c = client();
    if (!c) return null;
    const opened = c.conversations
      .open({ users: userId })
      .then((res) => res.channel?.id ?? null)
      .catch(() => null);
    return within(opened, boundMs, () => null);
  }

  return async (userId, channelId) => {
    // Only an IM can be the bot's DM; anything else is answered without asking Slack.
    if (!channelId.startsWith('D')) return false;
    const cached = imOf.get(userId);
    if (cached && now() - cached.at <= ttlMs) return cached.channelId === channelId;
    const im = await lookup(userId);
    if (im === null) return null;
    if (imOf.size >= MAX_ENTRIES) imOf.delete(imOf.keys().next().value as string);
    imOf.set(userId, { at: now(), channelId: im });
    return im === channelId;
  };
}
