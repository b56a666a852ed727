import { Faults } from './faults.js';
import { startHttpServer, type ExtraRoute } from './http-server.js';
import type { ResponseHookOptions } from './response-hooks.js';
import type { SandboxEvents } from './sandbox-events.js';
import type { Clock } from './slack-ids.js';
import type { BotIdentity, ChannelSpec, UsergroupSpec, UserSpec } from './workspace-directory.js';
import { Workspace } from './workspace.js';

export interface SlackStandInOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Time for ts values, trigger expiry and response_url lifetimes. Default: the system clock. */
  clock?: Clock;
  /** The bot the stand-in answers as, and its token (default DEFAULT_BOT). */
  bot?: Partial<BotIdentity>;
  channels?: ChannelSpec[];
  users?: UserSpec[];
  usergroups?: UsergroupSpec[];
  /** Served before the stand-in's own routes (the sandbox page); the Web API stays under /api/. */
  extraRoute?: ExtraRoute;
}

export interface SlackStandIn {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  /** `${url}/api/`: the WebClient's slackApiUrl, or SLACK_API_URL. */
  apiUrl: string;
  /** The bot token the stand-in accepts. */
  token: string;
  workspace: Workspace;
  faults: Faults;
  events: SandboxEvents;
  /** A response_url for an interaction by `options.user` in `options.channel`: `${url}/response/<id>`. */
  mintResponseUrl(options: ResponseHookOptions): string;
  /** A trigger_id as an interaction by `user` would carry (from inside modal `viewId`, if given). */
  mintTriggerId(user: string, viewId?: string): string;
  /** Stops listening and drops every open connection, hanging calls included. */
  close(): Promise<void>;
}

/**
 * A local stand-in for Slack's Web API: answers what Slack answers, refuses what Slack refuses,
 * with Slack's error codes. Point a WebClient (or the bot, through SLACK_API_URL) at `apiUrl`:
 *
 *   const slack = await startSlackStandIn({ clock });
 *   const client = new webApi.WebClient(slack.token, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
 *   slack.faults.inject({ method: 'chat.postMessage', kind: 'ratelimit', retryAfter: 7 });
 *   …
 *   expect(slack.workspace.messages('C0INCIDENT')).toHaveLength(1);
 *   await slack.close();
 *
 * Layers: Workspace (state; no HTTP) ← method handlers (chat-, conversation-, directory-,
 * view-methods.ts, via method-table.ts) ← http-server.ts (routing, faults, the calls log).
 */
export async function startSlackStandIn(options: SlackStandInOptions = {}): Promise<SlackStandIn> {
  const workspace = new Workspace({
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.bot ? { bot: options.bot } : {}),
    ...(options.channels ? { channels: options.channels } : {}),
    ...(options.users ? { users: options.users } : {}),
    ...(options.usergroups ? { usergroups: options.usergroups } : {}),
  });
  const faults = new Faults();
  const server = await startHttpServer(workspace, faults, options.host ?? '127.0.0.1', options.port ?? 0, options.extraRoute);
  return {
    url: server.url,
    apiUrl: `${server.url}/api/`,
    token: workspace.bot.token,
    workspace,
    faults,
    events: workspace.events,
    mintResponseUrl: (hook) => `${server.url}/response/${workspace.mintResponseHook(hook).id}`,
    mintTriggerId: (user, viewId) => workspace.mintTriggerId(user, viewId),
    close: () => server.close(),
  };
}

export type { BotIdentity, ChannelSpec, UsergroupSpec, UserSpec } from './workspace-directory.js';
export { DEFAULT_BOT, DEFAULT_CHANNELS, DEFAULT_USERS, SANDBOX_USERS } from './workspace-directory.js';
export type { ExtraRoute } from './http-server.js';
export type { FaultKind, FaultSpec, InjectedFault } from './faults.js';
export type { SandboxEvent } from './sandbox-events.js';
export type { CallRecord } from './call-log.js';
export type { StoredMessage, EphemeralMessage } from './message-store.js';
export type { StoredView } from './view-store.js';
export type { ResponseHookOptions } from './response-hooks.js';
