import { CallLog, type CallRecord } from './call-log.js';
import { MessageStore, type EphemeralMessage, type StoredMessage } from './message-store.js';
import { ResponseHooks, type ResponseHook, type ResponseHookOptions } from './response-hooks.js';
import { SandboxEvents } from './sandbox-events.js';
import { tsClock, type Clock } from './slack-ids.js';
import { refuse } from './slack-refusal.js';
import { ViewStore } from './view-store.js';
import {
  DEFAULT_BOT, DEFAULT_CHANNELS, DEFAULT_USERGROUPS, DEFAULT_USERS, WorkspaceDirectory,
  type BotIdentity, type Channel, type ChannelSpec, type UsergroupSpec, type UserSpec,
} from './workspace-directory.js';

export interface WorkspaceOptions {
  clock?: Clock;
  bot?: Partial<BotIdentity>;
  channels?: ChannelSpec[];
  users?: UserSpec[];
  usergroups?: UsergroupSpec[];
}

/**
 * The state of the stand-in's Slack workspace, independent of HTTP: who is where, what was
 * said, which views are open, which response URLs and triggers were issued, every call made.
 * The Web API methods read and change it; tests and (later) the sandbox page read it and act
 * in it as users would.
 */
export class Workspace {
  readonly clock: Clock;
  readonly bot: BotIdentity;
  readonly events = new SandboxEvents();
  readonly log = new CallLog();
  readonly directory: WorkspaceDirectory;
  /** Channel messages, threads and ephemeral messages. */
  readonly chat: MessageStore;
  readonly views: ViewStore;
  readonly responseHooks: ResponseHooks;

  constructor(options: WorkspaceOptions = {}) {
    this.clock = options.clock ?? (() => new Date());
    this.bot = { ...DEFAULT_BOT, ...options.bot };
    this.directory = new WorkspaceDirectory(
      this.bot,
      {
        channels: options.channels ?? DEFAULT_CHANNELS,
        users: options.users ?? DEFAULT_USERS,
        usergroups: options.usergroups ?? DEFAULT_USERGROUPS,
      },
      Math.floor(this.clock().getTime() / 1000),
    );
    this.chat = new MessageStore(this.events, tsClock(this.clock), this.bot.teamId);
    this.views = new ViewStore(this.events, this.clock, this.bot);
    this.responseHooks = new ResponseHooks(this.chat, this.events, this.clock, this.bot);
  }

  /** Every call, or those of one method ("chat.postMessage", …, "response_url"). */
  calls(method?: string): CallRecord[] {
    return this.log.calls(method);
  }

  /** A channel's top-level messages (and broadcast replies), oldest first. */
  messages(channel: string): StoredMessage[] {
    return this.chat.history(this.channelId(channel));
  }

  /** The replies in the thread under `ts` (the parent left out), oldest first. */
  replies(channel: string, ts: string): StoredMessage[] {
    return (this.chat.thread(this.channelId(channel), ts) ?? []).slice(1);
  }

  ephemerals(filter: { channel?: string; user?: string } = {}): EphemeralMessage[] {
    return this.chat.ephemerals({ ...filter, ...(filter.channel ? { channel: this.channelId(filter.channel) } : {}) });
  }

  channel(idOrName: string): Channel | undefined {
    return this.directory.channel(idOrName);
  }

  private channelId(idOrName: string): string {
    return this.directory.channel(idOrName)?.id ?? idOrName;
  }

  /** A person says something (in a thread, with `threadTs`): what the bot may not edit or delete. */
  postAsUser(input: { channel: string; user: string; text: string; threadTs?: string }): StoredMessage {
    const channel = this.directory.channel(input.channel);
    if (!channel) refuse('channel_not_found');
    if (!this.directory.users.has(input.user)) refuse('user_not_found');
    return this.chat.post({ channel: channel.id, user: input.user, text: input.text, thread_ts: input.threadTs });
  }

  /** A trigger_id as an interaction by `user` would carry (from inside `viewId`, if given). */
  mintTriggerId(user: string, viewId?: string): string {
    return this.views.mintTrigger(user, viewId);
  }

  /** A response_url hook; the stand-in turns it into `${url}/response/<id>`. */
  mintResponseHook(options: ResponseHookOptions): ResponseHook {
    const channel = this.directory.channel(options.channel);
    return this.responseHooks.mint({ ...options, channel: channel?.id ?? options.channel });
  }
}
