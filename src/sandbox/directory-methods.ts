import { z } from 'zod';
import { optionalString, parseArgs, type MethodHandler } from './method-args.js';
import { userObject } from './slack-objects.js';
import { refuse } from './slack-refusal.js';

/** auth.test: who the token is (AuthTestResponse). */
export const authTest: MethodHandler = (ws) => ({
  ok: true,
  url: `https://${ws.bot.team.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.slack.com/`,
  team: ws.bot.team,
  user: ws.bot.name,
  team_id: ws.bot.teamId,
  user_id: ws.bot.userId,
  bot_id: ws.bot.botId,
  app_id: ws.bot.appId,
  is_enterprise_install: false,
});

export const usersInfo: MethodHandler = (ws, raw) => {
  const args = parseArgs(z.object({ user: optionalString }), raw);
  const user = args.user ? ws.directory.users.get(args.user) : undefined;
  if (!user) refuse('user_not_found');
  return { ok: true, user: userObject(user, ws.bot.teamId) };
};

/** usergroups.users.list: member ids; an unknown group is no_such_subteam. */
export const usergroupsUsersList: MethodHandler = (ws, raw) => {
  const args = parseArgs(z.object({ usergroup: optionalString }), raw);
  const group = args.usergroup ? ws.directory.usergroups.get(args.usergroup) : undefined;
  if (!group) refuse('no_such_subteam');
  return { ok: true, users: [...group.users] };
};
