import { z } from 'zod';
import { checkMessage } from './message-check.js';
import { flag, optionalString, parseArgs, type MethodHandler } from './method-args.js';
import type { MessageMetadata, StoredMessage } from './message-store.js';
import { messageObject } from './slack-objects.js';
import { microsToTs } from './slack-ids.js';
import { refuse } from './slack-refusal.js';
import type { Channel } from './workspace-directory.js';
import type { Workspace } from './workspace.js';

/**
 * The channel a chat method names: an id, a name ("#incident-response"), or a user id, which
 * posts into the bot's DM with that user (as Slack does).
 */
export function targetChannel(ws: Workspace, value: string | undefined): Channel {
  if (!value) refuse('channel_not_found');
  const channel = ws.directory.channel(value);
  if (channel) return channel;
  if (/^[UW]/.test(value) && value !== ws.bot.userId && ws.directory.users.has(value)) return ws.directory.openConversation([value]).channel;
  refuse('channel_not_found');
}

function assertBotIn(ws: Workspace, channel: Channel): void {
  if (!channel.members.has(ws.bot.userId)) refuse('not_in_channel');
}

/**
 * Message metadata: { event_type, event_payload }. JSON that does not parse is
 * invalid_metadata_format (method-args.ts); the wrong shape is invalid_metadata_schema. Both codes
 * are in Slack's chat.postMessage error list as public code quotes it; which one Slack picks for
 * which mistake is the stand-in's reading.
 */
function metadataOf(value: unknown): MessageMetadata | undefined {
  if (value === undefined) return undefined;
  const parsed = z.object({ event_type: z.string().min(1), event_payload: z.record(z.string(), z.unknown()) }).safeParse(value);
  if (!parsed.success) refuse('invalid_metadata_schema');
  return parsed.data;
}

const content = {
  channel: optionalString,
  text: z.string().optional(),
  blocks: z.unknown().optional(),
  attachments: z.unknown().optional(),
  metadata: z.unknown().optional(),
};

const postSchema = z.object({
  ...content,
  thread_ts: optionalString,
  reply_broadcast: flag.default(false),
  unfurl_links: flag.optional(),
  unfurl_media: flag.optional(),
});

const asArray = (v: unknown) => (v === undefined ? undefined : (v as unknown[]));

export const postMessage: MethodHandler = (ws, raw) => {
  const args = parseArgs(postSchema, raw);
  const channel = targetChannel(ws, args.channel);
  assertBotIn(ws, channel);
  checkMessage(args);
  const metadata = metadataOf(args.metadata);
  const message = ws.chat.post({
    channel: channel.id,
    user: ws.bot.userId,
    bot: { botId: ws.bot.botId, appId: ws.bot.appId },
    text: args.text ?? '',
    blocks: asArray(args.blocks),
    attachments: asArray(args.attachments),
    metadata,
    thread_ts: args.thread_ts,
    reply_broadcast: args.reply_broadcast,
  });
  return { ok: true, channel: channel.id, ts: message.ts, message: messageObject(message, true) };
};

/** A message the bot may change: it exists, and the bot posted it. */
function ownMessage(ws: Workspace, channel: Channel, ts: string | undefined, cannot: string): StoredMessage {
  const message = ts ? ws.chat.find(channel.id, ts) : undefined;
  if (!message) refuse('message_not_found');
  if (message.bot_id !== ws.bot.botId || message.subtype === 'tombstone') refuse(cannot);
  return message;
}

const updateSchema = z.object({ ...content, ts: optionalString });

/**
 * chat.update: "If you don't include blocks, the message's previous blocks will only be retained
 * if the text argument is not provided. If the text argument is provided and blocks are not
 * provided, the blocks will be removed" (chat.update argument docs). Only the bot's own messages:
 * cant_update_message otherwise; message_not_found for an unknown ts.
 */
export const update: MethodHandler = (ws, raw) => {
  const args = parseArgs(updateSchema, raw);
  const channel = targetChannel(ws, args.channel);
  const message = ownMessage(ws, channel, args.ts, 'cant_update_message');
  if (args.text === undefined && args.blocks === undefined && args.attachments === undefined) refuse('no_text');
  const text = args.text ?? message.text;
  const blocks = args.blocks !== undefined ? asArray(args.blocks) : args.text !== undefined ? undefined : message.blocks;
  const attachments = args.attachments !== undefined ? asArray(args.attachments) : message.attachments;
  checkMessage({ text, blocks, attachments });
  const metadata = metadataOf(args.metadata) ?? message.metadata;
  const edited = blocks === undefined ? { user: ws.bot.userId, ts: microsToTs(ws.clock().getTime() * 1000) } : undefined;
  ws.chat.update(message, { text, blocks, attachments, metadata, edited });
  return { ok: true, channel: channel.id, ts: message.ts, text, message: messageObject(message, true) };
};

const ephemeralSchema = z.object({ ...content, user: optionalString, thread_ts: optionalString });

/** chat.postEphemeral: the user must be in the channel (user_not_in_channel). */
export const postEphemeral: MethodHandler = (ws, raw) => {
  const args = parseArgs(ephemeralSchema, raw);
  const channel = targetChannel(ws, args.channel);
  if (!args.user || !ws.directory.users.has(args.user)) refuse('user_not_found');
  if (!channel.members.has(args.user)) refuse('user_not_in_channel');
  assertBotIn(ws, channel);
  checkMessage(args);
  if (args.thread_ts !== undefined) ws.chat.threadParent(channel.id, args.thread_ts);
  const message = ws.chat.postEphemeral({
    channel: channel.id,
    user: args.user,
    text: args.text ?? '',
    ...(args.blocks !== undefined ? { blocks: asArray(args.blocks) } : {}),
    ...(args.attachments !== undefined ? { attachments: asArray(args.attachments) } : {}),
    ...(args.thread_ts !== undefined ? { thread_ts: args.thread_ts } : {}),
  });
  return { ok: true, message_ts: message.ts };
};

const deleteSchema = z.object({ channel: optionalString, ts: optionalString });

export const deleteMessage: MethodHandler = (ws, raw) => {
  const args = parseArgs(deleteSchema, raw);
  const channel = targetChannel(ws, args.channel);
  const message = ownMessage(ws, channel, args.ts, 'cant_delete_message');
  ws.chat.delete(message);
  return { ok: true, channel: channel.id, ts: message.ts };
};
