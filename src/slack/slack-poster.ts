import type { types, webApi } from '@slack/bolt';

/** The metadata every posted message carries, so a post whose fate is unknown can be found. */
export const OUTBOX_EVENT_TYPE = 'atlas_outbox';

export interface OutboxMark {
  outbox_id: number;
  /** Set on the post that creates a named message (an alert's, an incident's card). */
  anchor?: string;
}

export interface PostArgs {
  channel: string;
  text: string;
  blocks?: unknown[];
  threadTs?: string;
  broadcast?: boolean;
  mark: OutboxMark;
}

/** The Slack calls delivery makes; the app implements it with a bounded WebClient. */
export interface SlackPoster {
  post(args: PostArgs): Promise<{ channel: string; ts: string }>;
  update(args: { channel: string; ts: string; text: string; blocks?: unknown[] }): Promise<void>;
  /**
   * Looks through the channel's recent history (or one thread) for a message this bot posted
   * with a mark that `matches`; the ts, or null when none is there.
   */
  findPosted(args: { channel: string; threadTs?: string; matches: (mark: OutboxMark) => boolean }): Promise<string | null>;
  /** Joins a public channel, so its history can be read. */
  join(channel: string): Promise<void>;
  /** The DM channel with a person (conversations.open), for messages addressed to a user ID. */
  openDm(user: string): Promise<string>;
}

/** How far back a search for a post in doubt looks: 5 pages of 200 messages. */
const SEARCH_PAGES = 5;

function markOf(message: { metadata?: { event_type?: string; event_payload?: unknown } }): OutboxMark | null {
  if (message.metadata?.event_type !== OUTBOX_EVENT_TYPE) return null;
  const p = message.metadata.event_payload as { outbox_id?: unknown; anchor?: unknown } | undefined;
  if (!p || typeof p.outbox_id !== 'number') return null;
  return { outbox_id: p.outbox_id, ...(typeof p.anchor === 'string' ? { anchor: p.anchor } : {}) };
}

export function slackPoster(client: webApi.WebClient): SlackPoster {
  return {
    async post({ channel, text, blocks, threadTs, broadcast, mark }) {
      // The argument type is a union of mutually exclusive shapes; this object is one of them.
      const args = {
        channel,
        text,
        blocks: (blocks ?? []) as types.KnownBlock[],
        unfurl_links: false,
        unfurl_media: false,
        metadata: { event_type: OUTBOX_EVENT_TYPE, event_payload: { ...mark } },
        ...(threadTs ? { thread_ts: threadTs, reply_broadcast: broadcast === true } : {}),
      } as webApi.ChatPostMessageArguments;
      const res = await client.chat.postMessage(args);
      if (!res.ts || !res.channel) throw Object.assign(new Error('chat.postMessage returned no ts'), { code: 'no_ts' });
      return { channel: res.channel, ts: res.ts };
    },
    async update({ channel, ts, text, blocks }) {
      await client.chat.update({ channel, ts, text, blocks: (blocks ?? []) as types.KnownBlock[] } as webApi.ChatUpdateArguments);
    },
    async findPosted({ channel, threadTs, matches }) {
      let cursor: string | undefined;
      for (let page = 0; page < SEARCH_PAGES; page++) {
        const common = { channel, limit: 200, include_all_metadata: true, ...(cursor ? { cursor } : {}) };
        const res = threadTs ? await client.conversations.replies({ ...common, ts: threadTs }) : await client.conversations.history(common);
        for (const m of (res.messages ?? []) as { ts?: string; metadata?: { event_type?: string; event_payload?: unknown } }[]) {
          const mark = markOf(m);
          if (mark && m.ts && matches(mark)) return m.ts;
        }
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!cursor || !res.has_more) return null;
      }
      return null;
    },
    async join(channel) {
      await client.conversations.join({ channel });
    },
    async openDm(user) {
      const res = await client.conversations.open({ users: user });
      if (!res.channel?.id) throw Object.assign(new Error('conversations.open returned no channel'), { code: 'no_channel' });
      return res.channel.id;
    },
  };
}
