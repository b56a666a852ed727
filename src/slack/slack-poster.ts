import type { types, webApi } from '@slack/bolt';
import type { SlackPoster } from './outbox.js';

/** The outbox's two Slack calls on the app's WebClient. */
export function slackPoster(client: webApi.WebClient): SlackPoster {
  return {
    async post({ channel, text, blocks, thread_ts, reply_broadcast }) {
      // The argument type is a union of mutually exclusive shapes; this object is one of them.
      const args = {
        channel,
        text,
        blocks: (blocks ?? []) as types.KnownBlock[],
        unfurl_links: false,
        unfurl_media: false,
        ...(thread_ts ? { thread_ts, reply_broadcast: reply_broadcast === true } : {}),
      } as webApi.ChatPostMessageArguments;
      const res = await client.chat.postMessage(args);
      if (!res.ts || !res.channel) throw Object.assign(new Error('chat.postMessage returned no ts'), { code: 'no_ts' });
      return { channel: res.channel, ts: res.ts };
    },
    async update({ channel, ts, text, blocks }) {
      await client.chat.update({ channel, ts, text, blocks: (blocks ?? []) as types.KnownBlock[] } as webApi.ChatUpdateArguments);
    },
  };
}
