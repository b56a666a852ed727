import { webApi, type types } from '@slack/bolt';
import { classifySlackFailure } from './slack-errors.js';

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
  /** files.getUploadURLExternal: a file id and the URL its bytes go to. */
  reserveUpload(args: { filename: string; length: number; altText?: string }): Promise<{ fileId: string; uploadUrl: string }>;
  /** The bytes to the upload URL (POST, bounded in time); the same URL may take them again. */
  sendUploadBytes(uploadUrl: string, bytes: Buffer): Promise<void>;
  /** files.completeUploadExternal: shares the file in the channel (thread) with its comment. */
  completeUpload(args: { fileId: string; title: string; channel: string; threadTs?: string; initialComment?: string }): Promise<void>;
  /** files.info: whether the file is shared in `channel` (`gone` when Slack has no such file). */
  fileShared(fileId: string, channel: string): Promise<'shared' | 'not-shared' | 'gone'>;
}

/** How long the bytes of one upload may take to reach the upload URL. */
export const UPLOAD_BYTES_TIMEOUT_MS = 30_000;

/** An error the way classifySlackFailure reads the WebClient's, for the upload URL's answers. */
function uploadUrlError(status: number, retryAfter: string | null): Error {
  if (status === 429) {
    const sec = Number(retryAfter);
    return Object.assign(new Error('upload URL rate-limited'), { code: webApi.ErrorCode.RateLimitedError, retryAfter: Number.isFinite(sec) && sec > 0 ? sec : 1 });
  }
  if (status >= 500) return Object.assign(new Error(`upload URL answered HTTP ${status}`), { code: webApi.ErrorCode.HTTPError, statusCode: status });
  // The URL refused the bytes (expired, unknown): a new upload is needed, which a retry starts.
  return Object.assign(new Error(`upload URL answered HTTP ${status}`), { code: UPLOAD_URL_REFUSED });
}

/** The code of an upload URL that refused the bytes: the upload starts over with a new URL. */
export const UPLOAD_URL_REFUSED = 'upload_url_refused';

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
    async reserveUpload({ filename, length, altText }) {
      // The method's page names the argument alt_txt, the SDK's types alt_text: both are sent.
      const res = await client.files.getUploadURLExternal({ filename, length, ...(altText ? { alt_text: altText, alt_txt: altText } : {}) });
      if (!res.file_id || !res.upload_url) throw Object.assign(new Error('files.getUploadURLExternal returned no upload URL'), { code: 'no_upload_url' });
      return { fileId: res.file_id, uploadUrl: res.upload_url };
    },
    async sendUploadBytes(uploadUrl, bytes) {
      let res: Response;
      try {
        res = await fetch(uploadUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: new Uint8Array(bytes),
          signal: AbortSignal.timeout(UPLOAD_BYTES_TIMEOUT_MS),
        });
      } catch (err) {
        throw Object.assign(new Error(`could not send the file's bytes: ${(err as Error).message}`), { code: webApi.ErrorCode.RequestError });
      }
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw uploadUrlError(res.status, res.headers.get('retry-after'));
    },
    async completeUpload({ fileId, title, channel, threadTs, initialComment }) {
      await client.files.completeUploadExternal({
        files: [{ id: fileId, title }],
        channel_id: channel,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(initialComment ? { initial_comment: initialComment } : {}),
      } as webApi.FilesCompleteUploadExternalArguments);
    },
    async fileShared(fileId, channel) {
      try {
        const res = await client.files.info({ file: fileId });
        const shares = (res.file as { shares?: Record<string, Record<string, unknown> | undefined> } | undefined)?.shares ?? {};
        return Object.values(shares).some((byChannel) => byChannel !== undefined && Object.hasOwn(byChannel, channel)) ? 'shared' : 'not-shared';
      } catch (err) {
        const f = classifySlackFailure(err);
        if (f.kind === 'refused' && f.code === 'file_not_found') return 'gone';
        throw err;
      }
    },
  };
}
