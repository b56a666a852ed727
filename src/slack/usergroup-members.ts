import type { webApi } from '@slack/bolt';

/** Members of a Slack user group (usergroups.users.list; scope usergroups:read), through the app's bounded client. */
export function usergroupMembers(client: () => webApi.WebClient | null): (usergroup: string) => Promise<string[]> {
  return async (usergroup) => {
    const c = client();
    if (!c) throw new Error('Slack is not connected');
    return (await c.usergroups.users.list({ usergroup })).users ?? [];
  };
}
