/** The stand-in answers chat, conversations, users and user-group calls as Slack does, through the real WebClient. */
import { webApi } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { SANDBOX_USERS } from '../../src/sandbox/slack-stand-in.js';
import { clientFor, HANDOFF, INCIDENTS, refusal, useStandIn } from './stand-in-fixture.js';

describe('Slack stand-in: chat methods', () => {
  const ctx = useStandIn();

  it('posts a message and answers as chat.postMessage does, with a monotonic ts', async () => {
    const first = await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'P1: TIGER provider failing' });
    const second = await ctx.client.chat.postMessage({ channel: '#incident-response', text: 'second' });
    expect(first.ok).toBe(true);
    expect(first.channel).toBe(INCIDENTS);
    expect(first.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
    expect(first.message).toMatchObject({ type: 'message', text: 'P1: TIGER provider failing', bot_id: 'B0ATLASBOT', user: 'U0ATLASBOT' });
    expect(ctx.standIn.workspace.messages(INCIDENTS).map((m) => m.text)).toEqual(['P1: TIGER provider failing', 'second']);
  });

  it('takes the form body the WebClient sends: blocks, metadata and booleans JSON-encoded in fields', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*P1* firing' } }];
    await ctx.client.chat.postMessage({
      channel: INCIDENTS,
      text: 'fallback',
      blocks,
      metadata: { event_type: 'atlas_outbox', event_payload: { outbox_id: 7 } },
      unfurl_links: false,
    });
    const [call] = ctx.standIn.workspace.calls('chat.postMessage');
    expect(call?.args).toMatchObject({ channel: INCIDENTS, blocks, metadata: { event_type: 'atlas_outbox' }, unfurl_links: 'false' });
    expect(ctx.standIn.workspace.messages(INCIDENTS)[0]).toMatchObject({ blocks, metadata: { event_payload: { outbox_id: 7 } } });
  });

  it('also takes JSON bodies with charset', async () => {
    const res = await fetch(`${ctx.standIn.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${ctx.standIn.token}` },
      body: JSON.stringify({ channel: INCIDENTS, text: 'json', blocks: [{ type: 'divider' }] }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, channel: INCIDENTS });
  });

  it('threads replies under a top-level message and counts them; reply_broadcast also shows in the channel', async () => {
    const parent = await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'incident INC-1' });
    await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'update 1', thread_ts: parent.ts as string });
    await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'resolved', thread_ts: parent.ts as string, reply_broadcast: true });
    const ws = ctx.standIn.workspace;
    expect(ws.replies(INCIDENTS, parent.ts as string).map((m) => m.text)).toEqual(['update 1', 'resolved']);
    expect(ws.messages(INCIDENTS).map((m) => [m.text, m.subtype])).toEqual([['incident INC-1', undefined], ['resolved', 'thread_broadcast']]);
    expect(ws.messages(INCIDENTS)[0]).toMatchObject({ thread_ts: parent.ts, reply_count: 2, reply_users: ['U0ATLASBOT'] });
  });

  it('refuses a thread_ts that is not a ts, or names no top-level message of the channel', async () => {
    const parent = await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'parent' });
    const reply = await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'reply', thread_ts: parent.ts as string });
    expect((await refusal(ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'x', thread_ts: '0' }))).error).toBe('invalid_thread_ts');
    expect((await refusal(ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'x', thread_ts: '1700000000.000001' }))).error).toBe('thread_not_found');
    expect((await refusal(ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'x', thread_ts: reply.ts as string }))).error).toBe('thread_not_found');
    expect((await refusal(ctx.client.chat.postMessage({ channel: HANDOFF, text: 'x', thread_ts: parent.ts as string }))).error).toBe('thread_not_found');
  });

  it('refuses unknown channels, channels the bot is not in, no text and text over 40,000 characters', async () => {
    ctx.standIn.workspace.directory.addChannel({ id: 'C0ELSEWHERE', name: 'elsewhere', members: [], botIsMember: false });
    expect((await refusal(ctx.client.chat.postMessage({ channel: 'C0NOPE', text: 'x' }))).error).toBe('channel_not_found');
    expect((await refusal(ctx.client.chat.postMessage({ channel: 'C0ELSEWHERE', text: 'x' }))).error).toBe('not_in_channel');
    expect((await refusal(ctx.client.chat.postMessage({ channel: INCIDENTS, text: '' }))).error).toBe('no_text');
    expect((await refusal(ctx.client.chat.postMessage({ channel: INCIDENTS, text: '', blocks: [] }))).error).toBe('no_text');
    expect((await refusal(ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'x'.repeat(40_001) }))).error).toBe('msg_too_long');
    await expect(ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'x'.repeat(40_000) })).resolves.toMatchObject({ ok: true });
  });

  it('posts to a user id through the bot DM', async () => {
    const res = await ctx.client.chat.postMessage({ channel: SANDBOX_USERS.primary, text: 'your shift starts in 15 min' });
    expect(res.channel).toMatch(/^D/);
    expect(ctx.standIn.workspace.messages(res.channel as string)).toHaveLength(1);
  });

  it('updates its own messages and keeps or drops blocks as chat.update does', async () => {
    const blocks = [{ type: 'section', text: { type: 'plain_text', text: 'card v1' } }];
    const posted = await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'v1', blocks });
    const ts = posted.ts as string;
    const v2 = [{ type: 'section', text: { type: 'plain_text', text: 'card v2' } }];
    const res = await ctx.client.chat.update({ channel: INCIDENTS, ts, text: 'v2', blocks: v2 });
    expect(res).toMatchObject({ ok: true, channel: INCIDENTS, ts, text: 'v2' });
    expect(ctx.standIn.workspace.messages(INCIDENTS)[0]).toMatchObject({ text: 'v2', blocks: v2 });
    await ctx.client.chat.update({ channel: INCIDENTS, ts, text: 'text only' });
    expect(ctx.standIn.workspace.messages(INCIDENTS)[0]?.blocks).toBeUndefined();
    expect(ctx.standIn.workspace.messages(INCIDENTS)[0]?.edited).toBeDefined();
  });

  it('refuses to update or delete what is not there or not its own', async () => {
    const human = ctx.standIn.workspace.postAsUser({ channel: INCIDENTS, user: SANDBOX_USERS.primary, text: 'ack from a human' });
    const c = ctx.client;
    expect((await refusal(c.chat.update({ channel: INCIDENTS, ts: '1700000000.000001', text: 'x' }))).error).toBe('message_not_found');
    expect((await refusal(c.chat.update({ channel: INCIDENTS, ts: human.ts, text: 'x' }))).error).toBe('cant_update_message');
    expect((await refusal(c.chat.delete({ channel: INCIDENTS, ts: '1700000000.000001' }))).error).toBe('message_not_found');
    expect((await refusal(c.chat.delete({ channel: INCIDENTS, ts: human.ts }))).error).toBe('cant_delete_message');
    const mine = await c.chat.postMessage({ channel: INCIDENTS, text: 'mine' });
    expect((await refusal(c.chat.update({ channel: HANDOFF, ts: mine.ts as string, text: 'x' }))).error).toBe('message_not_found');
  });

  it('deletes its messages; a parent with replies stays as a tombstone until its last reply goes', async () => {
    const parent = await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'parent' });
    const reply = await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'reply', thread_ts: parent.ts as string });
    const lone = await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'lone' });
    await expect(ctx.client.chat.delete({ channel: INCIDENTS, ts: lone.ts as string })).resolves.toMatchObject({ ok: true, ts: lone.ts });
    await ctx.client.chat.delete({ channel: INCIDENTS, ts: parent.ts as string });
    expect(ctx.standIn.workspace.messages(INCIDENTS)).toEqual([expect.objectContaining({ subtype: 'tombstone', reply_count: 1 })]);
    await ctx.client.chat.delete({ channel: INCIDENTS, ts: reply.ts as string });
    expect(ctx.standIn.workspace.messages(INCIDENTS)).toEqual([]);
  });

  it('recounts a thread when a reply is deleted', async () => {
    const parent = await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'parent' });
    const first = await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'one', thread_ts: parent.ts as string });
    const second = await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'two', thread_ts: parent.ts as string });
    await ctx.client.chat.delete({ channel: INCIDENTS, ts: second.ts as string });
    expect(ctx.standIn.workspace.messages(INCIDENTS)[0]).toMatchObject({ reply_count: 1, latest_reply: first.ts });
    await ctx.client.chat.delete({ channel: INCIDENTS, ts: first.ts as string });
    expect(ctx.standIn.workspace.messages(INCIDENTS)[0]).not.toHaveProperty('reply_count');
  });

  it('refuses message metadata without event_type and event_payload', async () => {
    const answer = await refusal(ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'x', metadata: { event_type: 'atlas_outbox' } as never }));
    expect(answer.error).toBe('invalid_metadata_schema');
  });

  it('posts ephemeral messages only to members of the channel', async () => {
    const res = await ctx.client.chat.postEphemeral({ channel: HANDOFF, user: SANDBOX_USERS.primary, text: 'only you' });
    expect(res.message_ts).toMatch(/^\d+\.\d{6}$/);
    expect(ctx.standIn.workspace.ephemerals({ user: SANDBOX_USERS.primary })).toEqual([expect.objectContaining({ channel: HANDOFF, text: 'only you' })]);
    expect(ctx.standIn.workspace.messages(HANDOFF)).toEqual([]);
    const c = ctx.client;
    expect((await refusal(c.chat.postEphemeral({ channel: HANDOFF, user: SANDBOX_USERS.reader, text: 'x' }))).error).toBe('user_not_in_channel');
    expect((await refusal(c.chat.postEphemeral({ channel: HANDOFF, user: 'U0NOBODY', text: 'x' }))).error).toBe('user_not_found');
  });

  it('emits what happens, for a page to follow', async () => {
    const seen: string[] = [];
    const off = ctx.standIn.events.subscribe((e) => seen.push(e.type));
    const posted = await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'a' });
    await ctx.client.chat.update({ channel: INCIDENTS, ts: posted.ts as string, text: 'b' });
    await ctx.client.chat.postEphemeral({ channel: INCIDENTS, user: SANDBOX_USERS.reader, text: 'c' });
    await ctx.client.chat.delete({ channel: INCIDENTS, ts: posted.ts as string });
    off();
    expect(seen).toEqual(['message_posted', 'api_call', 'message_updated', 'api_call', 'ephemeral_posted', 'api_call', 'message_deleted', 'api_call']);
  });

  it('answers not_authed without a token, invalid_auth for a stranger, unknown_method for the rest', async () => {
    const res = await fetch(`${ctx.standIn.apiUrl}auth.test`, { method: 'POST' });
    expect(await res.json()).toEqual({ ok: false, error: 'not_authed' });
    const stranger = clientFor(ctx.standIn, { token: 'xoxb-someone-else' });
    expect((await refusal(stranger.auth.test())).error).toBe('invalid_auth');
    expect((await refusal(ctx.client.apiCall('chat.meMessage', { channel: INCIDENTS, text: 'x' }))).error).toBe('unknown_method');
    await expect(ctx.client.auth.test()).resolves.toMatchObject({ ok: true, user_id: 'U0ATLASBOT', bot_id: 'B0ATLASBOT', team_id: 'T0ATLAS' });
    expect(ctx.standIn.workspace.calls().map((c) => c.method)).toEqual(['auth.test', 'auth.test', 'chat.meMessage', 'auth.test']);
  });

  it('surfaces refusals as WebAPIPlatformError, as the bot will see them', async () => {
    await expect(ctx.client.chat.postMessage({ channel: 'C0NOPE', text: 'x' })).rejects.toBeInstanceOf(webApi.WebAPIPlatformError);
  });
});


describe('Slack stand-in: conversations.history and conversations.replies', () => {
  const clock = manualClock('2026-11-02T09:00:00Z');
  const ctx = useStandIn({ clock });

  async function post(text: string, extra: Record<string, unknown> = {}): Promise<string> {
    clock.advance(1000);
    const res = await ctx.client.chat.postMessage({ channel: INCIDENTS, text, ...extra } as never);
    return res.ts as string;
  }

  it('lists top-level messages newest first, stamped by the injected clock', async () => {
    const a = await post('a');
    await post('b');
    const res = await ctx.client.conversations.history({ channel: INCIDENTS });
    expect(a).toBe(`${Date.parse('2026-11-02T09:00:01Z') / 1000}.000000`);
    expect(res.messages?.map((m) => m.text)).toEqual(['b', 'a']);
    expect(res).toMatchObject({ ok: true, has_more: false, pin_count: 0 });
  });

  it('gives metadata whole only with include_all_metadata, event_type alone without (per the metadata docs)', async () => {
    await post('with metadata', { metadata: { event_type: 'atlas_outbox', event_payload: { outbox_id: 42 } } });
    await post('plain');
    const without = await ctx.client.conversations.history({ channel: INCIDENTS });
    const withAll = await ctx.client.conversations.history({ channel: INCIDENTS, include_all_metadata: true });
    expect(without.messages?.[1]?.metadata).toEqual({ event_type: 'atlas_outbox' });
    expect(withAll.messages?.[1]?.metadata).toEqual({ event_type: 'atlas_outbox', event_payload: { outbox_id: 42 } });
    expect(withAll.messages?.[0]?.metadata).toBeUndefined();
  });

  it('pages with limit and cursor until has_more is false', async () => {
    for (const t of ['1', '2', '3', '4', '5']) await post(t);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await ctx.client.conversations.history({ channel: INCIDENTS, limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...(res.messages ?? []).map((m) => m.text as string));
      cursor = res.has_more ? res.response_metadata?.next_cursor : undefined;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(['5', '4', '3', '2', '1']);
    expect(pages).toBe(3);
  });

  it('filters by oldest and latest, exclusive unless inclusive', async () => {
    const [a, b, c] = [await post('a'), await post('b'), await post('c')];
    const exclusive = await ctx.client.conversations.history({ channel: INCIDENTS, oldest: a, latest: c });
    const inclusive = await ctx.client.conversations.history({ channel: INCIDENTS, oldest: a, latest: c, inclusive: true });
    expect(exclusive.messages?.map((m) => m.ts)).toEqual([b]);
    expect(inclusive.messages?.map((m) => m.ts)).toEqual([c, b, a]);
  });

  it('lists a thread parent first, then replies oldest first, from the parent or any reply ts', async () => {
    const parent = await post('incident', { metadata: { event_type: 'atlas_outbox', event_payload: { outbox_id: 1 } } });
    const r1 = await post('update 1', { thread_ts: parent });
    await post('update 2', { thread_ts: parent, metadata: { event_type: 'atlas_outbox', event_payload: { outbox_id: 3 } } });
    const byParent = await ctx.client.conversations.replies({ channel: INCIDENTS, ts: parent });
    const byReply = await ctx.client.conversations.replies({ channel: INCIDENTS, ts: r1, include_all_metadata: true });
    expect(byParent.messages?.map((m) => m.text)).toEqual(['incident', 'update 1', 'update 2']);
    expect(byParent.messages?.[2]?.metadata).toEqual({ event_type: 'atlas_outbox' });
    expect(byReply.messages?.[2]?.metadata).toEqual({ event_type: 'atlas_outbox', event_payload: { outbox_id: 3 } });
    const page = await ctx.client.conversations.replies({ channel: INCIDENTS, ts: parent, limit: 2 });
    expect(page.messages?.map((m) => m.text)).toEqual(['incident', 'update 1']);
    const rest = await ctx.client.conversations.replies({ channel: INCIDENTS, ts: parent, cursor: page.response_metadata?.next_cursor as string });
    expect(rest.messages?.map((m) => m.text)).toEqual(['update 2']);
    expect(rest.has_more).toBe(false);
  });

  it('keeps replies out of history, except broadcasts', async () => {
    const parent = await post('parent');
    await post('quiet', { thread_ts: parent });
    await post('loud', { thread_ts: parent, reply_broadcast: true });
    const res = await ctx.client.conversations.history({ channel: INCIDENTS });
    expect(res.messages?.map((m) => m.text)).toEqual(['loud', 'parent']);
  });

  it('refuses unknown channels, unknown threads and bad cursors', async () => {
    expect((await refusal(ctx.client.conversations.history({ channel: 'C0NOPE' }))).error).toBe('channel_not_found');
    expect((await refusal(ctx.client.conversations.replies({ channel: INCIDENTS, ts: '1700000000.000001' }))).error).toBe('thread_not_found');
    expect((await refusal(ctx.client.conversations.history({ channel: INCIDENTS, cursor: 'bm9wZQ==' }))).error).toBe('invalid_cursor');
  });
});

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
    expect((await refusal(ctx.client.conversations.open({} as never))).error).toBe('users_list_not_supplied');
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
