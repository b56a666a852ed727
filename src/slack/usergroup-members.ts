import type { webApi } from '@slack/bolt';
import type { UsergroupMembers } from '../commands/authorize.js';

/** Members of a Slack user group (usergroups.users.list; scope usergroups:read). */
export function usergroupMembers(client: () => webApi.WebClient | null): UsergroupMembers {
  return async (usergroup) => {
    const c = client();
    if (!c) throw new Error('Slack is not connected');
    return (await c.usergroups.users.list({ usergroup })).users ?? [];
  };
}
