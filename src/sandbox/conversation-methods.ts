import { z } from 'zod';
import { pageOf, type Page } from './history-page.js';
import { count, flag, optionalString, parseArgs, type MethodHandler } from './method-args.js';
import type { StoredMessage } from './message-store.js';
import { channelObject, messageObject } from './slack-objects.js';
import { SLACK_LIMITS } from './slack-limits.js';
import { refuse } from './slack-refusal.js';
import type { Channel } from './workspace-directory.js';
import type { Workspace } from './workspace.js';

const P = SLACK_LIMITS.pagination;

const rangeArgs = {
  channel: optionalString,
  oldest: optionalString,
  latest: optionalString,
  inclusive: flag.default(false),
  limit: count,
  cursor: optionalString,
  include_all_metadata: flag.default(false),
};

/** A channel the bot can read: channel_not_found, or not_in_channel when the bot is not a member. */
function readableChannel(ws: Workspace, id: string | undefined): Channel {
  const channel = id ? ws.directory.channel(id) : undefined;
  if (!channel) refuse('channel_not_found');
  if (!channel.members.has(ws.bot.userId)) refuse('not_in_channel');
  return channel;
}

function pageAnswer(page: Page<StoredMessage>, allMetadata: boolean): Record<string, unknown> {
  return {
    ok: true,
    messages: page.items.map((m) => messageObject(m, allMetadata)),
    has_more: page.hasMore,
    ...(page.nextCursor ? { response_metadata: { next_cursor: page.nextCursor } } : {}),
  };
}

/** conversations.history: top-level messages and broadcast replies, newest first. */
export const history: MethodHandler = (ws, raw) => {
  const args = parseArgs(z.object(rangeArgs), raw);
  const channel = readableChannel(ws, args.channel);
  const page = pageOf(ws.chat.history(channel.id).reverse(), args, P.historyDefaultLimit, true);
  return { ...pageAnswer(page, args.include_all_metadata), pin_count: 0, channel_actions_ts: null, channel_actions_count: 0 };
};

/** conversations.replies: the parent, then its replies oldest first; `ts` may name either. */
export const replies: MethodHandler = (ws, raw) => {
  const args = parseArgs(z.object({ ...rangeArgs, ts: optionalString }), raw);
  const channel = readableChannel(ws, args.channel);
  const thread = args.ts ? ws.chat.thread(channel.id, args.ts) : undefined;
  if (!thread) refuse('thread_not_found');
  return pageAnswer(pageOf(thread, args, P.repliesDefaultLimit, false), args.include_all_metadata);
};

const listSchema = z.object({
  types: optionalString,
  exclude_archived: flag.default(false),
  limit: count,
  cursor: optionalString,
});

function kindOf(c: Channel): string {
  if (c.isIm) return 'im';
  if (c.isMpim) return 'mpim';
  return c.isPrivate ? 'private_channel' : 'public_channel';
}

/** conversations.list: by `types` (default public_channel), paged with an opaque cursor. */
export const list: MethodHandler = (ws, raw) => {
  const args = parseArgs(listSchema, raw);
  const types = new Set((args.types ?? 'public_channel').split(',').map((t) => t.trim()));
  const all = [...ws.directory.channels.values()].filter((c) => types.has(kindOf(c)));
  let start = 0;
  if (args.cursor) {
    const m = /^offset:(\d+)$/.exec(Buffer.from(args.cursor, 'base64').toString('utf8'));
    if (!m) refuse('invalid_cursor');
    start = Number(m[1]);
  }
  const limit = Math.min(args.limit && args.limit > 0 ? args.limit : P.listDefaultLimit, P.maxLimit);
  const end = start + limit;
  return {
    ok: true,
    channels: all.slice(start, end).map((c) => channelObject(c, ws.bot.userId)),
    response_metadata: { next_cursor: end < all.length ? Buffer.from(`offset:${end}`).toString('base64') : '' },
  };
};

export const info: MethodHandler = (ws, raw) => {
  const args = parseArgs(z.object({ channel: optionalString, include_num_members: flag.default(false) }), raw);
  const channel = args.channel ? ws.directory.channel(args.channel) : undefined;
  if (!channel) refuse('channel_not_found');
  return { ok: true, channel: channelObject(channel, ws.bot.userId, args.include_num_members) };
};

/** conversations.open: `users` (comma-separated) gives a DM (D…) or, for several, a group DM. */
export const open: MethodHandler = (ws, raw) => {
  const args = parseArgs(z.object({ users: optionalString, channel: optionalString, return_im: flag.default(false) }), raw);
  if (args.channel) {
    const channel = ws.directory.channels.get(args.channel);
    if (!channel || !(channel.isIm || channel.isMpim)) refuse('channel_not_found');
    return { ok: true, no_op: true, already_open: true, channel: args.return_im ? channelObject(channel, ws.bot.userId) : { id: channel.id } };
  }
  const users = (args.users ?? '').split(',').map((u) => u.trim()).filter(Boolean);
  if (users.length === 0) refuse('users_list_not_supplied');
  if (users.length > 8) refuse('too_many_users');
  for (const u of users) if (!ws.directory.users.has(u)) refuse('user_not_found');
  if (users.every((u) => u === ws.bot.userId)) refuse('cannot_dm_bot');
  const { channel, alreadyOpen } = ws.directory.openConversation(users);
  return {
    ok: true,
    ...(alreadyOpen ? { no_op: true, already_open: true } : {}),
    channel: args.return_im ? channelObject(channel, ws.bot.userId) : { id: channel.id },
  };
};
