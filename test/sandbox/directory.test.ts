import { describe, expect, it } from 'vitest';
import { SANDBOX_USERS } from '../../src/sandbox/slack-stand-in.js';
import { HANDOFF, INCIDENTS, refusal, useStandIn } from './stand-in-fixture.js';

describe('Slack stand-in: conversations, users and user groups', () => {
  const ctx = useStandIn();

  it('lists the default channels and pages them', async () => {
    const all = await ctx.client.conversations.list();
    expect(all.channels?.map((c) => [c.id, c.name, c.is_member])).toEqual([
      [INCIDENTS, 'incident-response', true],
      [HANDOFF, 'ops-handoff', true],
    ]);
    const first = await ctx.client.conversations.list({ limit: 1 });
    const second = await ctx.client.conversations.list({ limit: 1, cursor: first.response_metadata?.next_cursor as string });
    expect(first.channels?.map((c) => c.id)).toEqual([INCIDENTS]);
    expect(second.channels?.map((c) => c.id)).toEqual([HANDOFF]);
    expect(second.response_metadata?.next_cursor).toBe('');
  });

  it('describes a channel, and refuses an unknown one', async () => {
    const res = await ctx.client.conversations.info({ channel: HANDOFF, include_num_members: true });
    expect(res.channel).toMatchObject({ id: HANDOFF, name: 'ops-handoff', is_channel: true, is_private: false, num_members: 4 });
    expect((await refusal(ctx.client.conversations.info({ channel: 'C0NOPE' }))).error).toBe('channel_not_found');
  });

  it('opens one DM per user (D…), reused the second time, and group DMs for several', async () => {
    const first = await ctx.client.conversations.open({ users: SANDBOX_USERS.techLead });
    const again = await ctx.client.conversations.open({ users: SANDBOX_USERS.techLead, return_im: true });
    const group = await ctx.client.conversations.open({ users: `${SANDBOX_USERS.primary},${SANDBOX_USERS.secondary}` });
    expect(first.channel?.id).toMatch(/^D/);
    expect(again).toMatchObject({ already_open: true, channel: { id: first.channel?.id, is_im: true, user: SANDBOX_USERS.techLead } });
    expect(group.channel?.id).toMatch(/^G/);
    expect((await refusal(ctx.client.conversations.open({ users: 'U0NOBODY' }))).error).toBe('user_not_found');
    expect((await refusal(ctx.client.conversations.open({}))).error).toBe('users_list_not_supplied');
  });

  it('answers users.info and usergroups.users.list', async () => {
    const user = await ctx.client.users.info({ user: SANDBOX_USERS.primary });
    expect(user.user).toMatchObject({ id: SANDBOX_USERS.primary, name: 'alice', is_bot: false, profile: { title: 'On-call primary' } });
    expect((await refusal(ctx.client.users.info({ user: 'U0NOBODY' }))).error).toBe('user_not_found');
    const group = await ctx.client.usergroups.users.list({ usergroup: 'S0ONCALL' });
    expect(group.users).toEqual([SANDBOX_USERS.primary, SANDBOX_USERS.secondary]);
    expect((await refusal(ctx.client.usergroups.users.list({ usergroup: 'S0NOPE' }))).error).toBe('no_such_subteam');
  });
});

describe('Slack stand-in: a configured workspace', () => {
  const ctx = useStandIn({
    bot: { token: 'xoxb-custom', userId: 'U0CUSTOMBOT' },
    channels: [{ id: 'C0WAR', name: 'war-room', members: ['U0ONE'] }],
    users: [{ id: 'U0ONE', name: 'one', realName: 'One' }],
    usergroups: [{ id: 'S0ONE', handle: 'ones', name: 'Ones', users: ['U0ONE'] }],
  });

  it('uses the given channels, users, user groups and bot', async () => {
    expect(ctx.standIn.token).toBe('xoxb-custom');
    await expect(ctx.client.auth.test()).resolves.toMatchObject({ user_id: 'U0CUSTOMBOT' });
    await expect(ctx.client.chat.postMessage({ channel: '#war-room', text: 'hi' })).resolves.toMatchObject({ channel: 'C0WAR' });
    expect((await refusal(ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'hi' }))).error).toBe('channel_not_found');
    await expect(ctx.client.usergroups.users.list({ usergroup: 'S0ONE' })).resolves.toMatchObject({ users: ['U0ONE'] });
  });
});
