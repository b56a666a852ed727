import type { SandboxEvents } from './sandbox-events.js';
import type { EphemeralMessage, MessageMetadata, StoredMessage } from './stored-objects.js';
import { isSlackTs, tsToMicros, withBlockIds } from './slack-ids.js';
import { refuse } from './slack-refusal.js';

export type { EphemeralMessage, MessageMetadata, StoredMessage } from './stored-objects.js';

export interface NewMessage {
  channel: string;
  user: string;
  /** Set when the bot posts: bot_id and app_id. */
  bot?: { botId: string; appId: string };
  text: string;
  blocks?: unknown[] | undefined;
  attachments?: unknown[] | undefined;
  metadata?: MessageMetadata | undefined;
  files?: unknown[] | undefined;
  thread_ts?: string | undefined;
  reply_broadcast?: boolean | undefined;
}

const byTs = (a: { ts: string }, b: { ts: string }) => tsToMicros(a.ts) - tsToMicros(b.ts);

/** Channel messages, threads and ephemeral messages. */
export class MessageStore {
  private readonly channels = new Map<string, StoredMessage[]>();
  private readonly ephemeralList: EphemeralMessage[] = [];

  constructor(
    private readonly events: SandboxEvents,
    private readonly nextTs: () => string,
    private readonly team: string,
  ) {}

  private list(channel: string): StoredMessage[] {
    let list = this.channels.get(channel);
    if (!list) this.channels.set(channel, (list = []));
    return list;
  }

  find(channel: string, ts: string): StoredMessage | undefined {
    return this.channels.get(channel)?.find((m) => m.ts === ts);
  }

  /**
   * The parent a reply goes under. Slack answers invalid_thread_ts for a value that is not a
   * timestamp ("[ERROR] 0 is not a valid thread_ts", seen in public logs); for a well-formed ts
   * that names no top-level message of the channel the stand-in answers thread_not_found (the
   * code conversations.replies documents; what chat.postMessage answers is not documented).
   */
  threadParent(channel: string, threadTs: string): StoredMessage {
    if (!isSlackTs(threadTs)) refuse('invalid_thread_ts', [`${threadTs} is not a valid thread_ts`]);
    const parent = this.find(channel, threadTs);
    if (!parent || (parent.thread_ts !== undefined && parent.thread_ts !== parent.ts)) refuse('thread_not_found');
    return parent;
  }

  post(input: NewMessage): StoredMessage {
    const parent = input.thread_ts === undefined ? undefined : this.threadParent(input.channel, input.thread_ts);
    const message: StoredMessage = {
      type: 'message',
      channel: input.channel,
      ts: this.nextTs(),
      text: input.text,
      user: input.user,
      team: this.team,
      ...(input.bot ? { bot_id: input.bot.botId, app_id: input.bot.appId } : {}),
      ...(input.blocks ? { blocks: withBlockIds(input.blocks) } : {}),
      ...(input.attachments ? { attachments: input.attachments } : {}),
      ...(input.metadata ? { metadata: input.metadata } : {}),
      ...(input.files ? { files: input.files } : {}),
    };
    if (parent) {
      message.thread_ts = parent.ts;
      message.parent_user_id = parent.user;
      if (input.reply_broadcast) message.subtype = 'thread_broadcast';
      this.recountThread(parent, [...this.replies(parent), message]);
    }
    this.list(input.channel).push(message);
    this.events.emit({ type: 'message_posted', channel: input.channel, message });
    return message;
  }

  private replies(parent: StoredMessage): StoredMessage[] {
    return this.list(parent.channel).filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts);
  }

  private recountThread(parent: StoredMessage, replies: StoredMessage[]): void {
    if (replies.length === 0) {
      for (const key of ['thread_ts', 'reply_count', 'reply_users', 'reply_users_count', 'latest_reply'] as const) delete parent[key];
      return;
    }
    const users = [...new Set(replies.map((r) => r.user))];
    Object.assign(parent, {
      thread_ts: parent.ts,
      reply_count: replies.length,
      reply_users: users,
      reply_users_count: users.length,
      latest_reply: replies.reduce((a, b) => (tsToMicros(b.ts) > tsToMicros(a.ts) ? b : a)).ts,
    });
  }

  /** Replaces what a message says; the caller has checked who may. */
  update(message: StoredMessage, patch: Partial<Pick<StoredMessage, 'text' | 'blocks' | 'attachments' | 'metadata' | 'edited'>>): StoredMessage {
    const previous = structuredClone(message);
    for (const [key, value] of Object.entries({ ...patch, ...(patch.blocks ? { blocks: withBlockIds(patch.blocks) } : {}) })) {
      if (value === undefined) delete (message as unknown as Record<string, unknown>)[key];
      else (message as unknown as Record<string, unknown>)[key] = value;
    }
    this.events.emit({ type: 'message_updated', channel: message.channel, message, previous });
    return message;
  }

  /**
   * Deletes a message. A thread parent with replies stays as a tombstone ("This message was
   * deleted.") until its last reply goes, as in Slack; a reply's parent is recounted.
   * The message_deleted event carries what remains: the tombstone, or the message as it was.
   */
  delete(message: StoredMessage): void {
    const list = this.list(message.channel);
    if (message.thread_ts === message.ts && (message.reply_count ?? 0) > 0) {
      Object.assign(message, { subtype: 'tombstone', text: 'This message was deleted.' });
      for (const key of ['blocks', 'attachments', 'metadata', 'bot_id', 'app_id', 'edited'] as const) delete message[key];
      this.events.emit({ type: 'message_deleted', channel: message.channel, ts: message.ts, message });
      return;
    }
    list.splice(list.indexOf(message), 1);
    this.events.emit({ type: 'message_deleted', channel: message.channel, ts: message.ts, message });
    if (message.thread_ts === undefined || message.thread_ts === message.ts) return;
    const parent = this.find(message.channel, message.thread_ts);
    if (!parent) return;
    const replies = this.replies(parent);
    this.recountThread(parent, replies);
    if (parent.subtype === 'tombstone' && replies.length === 0) this.delete(parent);
  }

  /** Top-level messages and broadcast replies, oldest first: what conversations.history lists. */
  history(channel: string): StoredMessage[] {
    return this.list(channel)
      .filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts || m.subtype === 'thread_broadcast')
      .sort(byTs);
  }

  /** A thread, parent first, then replies oldest first: what conversations.replies lists. */
  thread(channel: string, ts: string): StoredMessage[] | undefined {
    const message = this.find(channel, ts);
    if (!message) return undefined;
    const parent = message.thread_ts !== undefined && message.thread_ts !== message.ts ? this.find(channel, message.thread_ts) : message;
    if (!parent) return undefined;
    return [parent, ...this.replies(parent).sort(byTs)];
  }

  postEphemeral(input: Omit<EphemeralMessage, 'ts'>): EphemeralMessage {
    // Slack's message_ts for an ephemeral message is a ts from the same clock as channel messages.
    const message: EphemeralMessage = { ...input, ...(input.blocks ? { blocks: withBlockIds(input.blocks) } : {}), ts: this.nextTs() };
    this.ephemeralList.push(message);
    this.events.emit({ type: 'ephemeral_posted', channel: message.channel, user: message.user, message });
    return message;
  }

  ephemerals(filter: { channel?: string; user?: string } = {}): EphemeralMessage[] {
    return this.ephemeralList.filter((e) => (filter.channel === undefined || e.channel === filter.channel) && (filter.user === undefined || e.user === filter.user));
  }

  replaceEphemeral(message: EphemeralMessage, patch: Pick<EphemeralMessage, 'text' | 'blocks' | 'attachments'>): void {
    Object.assign(message, patch, patch.blocks ? { blocks: withBlockIds(patch.blocks) } : {});
    if (patch.blocks === undefined) delete message.blocks;
    if (patch.attachments === undefined) delete message.attachments;
    this.events.emit({ type: 'ephemeral_updated', channel: message.channel, user: message.user, message });
  }

  deleteEphemeral(message: EphemeralMessage): void {
    this.ephemeralList.splice(this.ephemeralList.indexOf(message), 1);
    this.events.emit({ type: 'ephemeral_deleted', channel: message.channel, user: message.user, id: message.ts });
  }
}
