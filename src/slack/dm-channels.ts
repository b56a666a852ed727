import type { webApi } from '@slack/bolt';

const known = new Map<string, string>();

/**
 * The DM channel between the bot and a person (conversations.open, scope im:write), remembered:
 * it never changes. A press on the Home tab carries no channel; the Home is part of that DM, so
 * it is authorized and audited as the DM. Undefined (logged by the caller's refusal) when Slack
 * does not say.
 */
export async function dmChannelOf(client: webApi.WebClient, userId: string): Promise<string | undefined> {
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
