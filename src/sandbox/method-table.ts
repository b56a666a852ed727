import * as chat from './chat-methods.js';
import * as conversations from './conversation-methods.js';
import * as directory from './directory-methods.js';
import * as files from './file-methods.js';
import { decodeNestedFields, type MethodHandler } from './method-args.js';
import { SlackRefusal } from './slack-refusal.js';
import * as views from './view-methods.js';
import type { Workspace } from './workspace.js';

/** The Web API methods the stand-in answers. Anything else is unknown_method. */
export const METHODS: Readonly<Record<string, MethodHandler>> = {
  'auth.test': directory.authTest,
  'chat.postMessage': chat.postMessage,
  'chat.update': chat.update,
  'chat.postEphemeral': chat.postEphemeral,
  'chat.delete': chat.deleteMessage,
  'conversations.history': conversations.history,
  'conversations.replies': conversations.replies,
  'conversations.list': conversations.list,
  'conversations.info': conversations.info,
  'conversations.open': conversations.open,
  'files.getUploadURLExternal': files.getUploadURLExternal,
  'files.completeUploadExternal': files.completeUploadExternal,
  'files.info': files.filesInfo,
  'users.info': directory.usersInfo,
  'usergroups.users.list': directory.usergroupsUsersList,
  'views.open': views.viewsOpen,
  'views.update': views.viewsUpdate,
  'views.push': views.viewsPush,
  'views.publish': views.viewsPublish,
};

/**
 * One Web API call, as Slack answers it (always HTTP 200 here; faults are the server's business):
 * unknown_method, then not_authed (no token) / invalid_auth (a token the workspace did not issue),
 * then the method.
 */
export function callMethod(ws: Workspace, method: string, args: Record<string, unknown>, token: string | undefined): Record<string, unknown> {
  const handler = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
  try {
    if (!handler) throw new SlackRefusal('unknown_method');
    if (!token) throw new SlackRefusal('not_authed');
    if (token !== ws.bot.token) throw new SlackRefusal('invalid_auth');
    return handler(ws, decodeNestedFields(args));
  } catch (err) {
    if (err instanceof SlackRefusal) return err.body();
    return { ok: false, error: 'fatal_error', stand_in_error: err instanceof Error ? err.message : String(err) };
  }
}
