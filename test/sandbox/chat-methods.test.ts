import { webApi } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
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

  it('deletes its messages; a parent with replies stays as a tombstone and a deleted reply is uncounted', async () => {
    const parent = await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'parent' });
    const reply = await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'reply', thread_ts: parent.ts as string });
    const lone = await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'lone' });
    await expect(ctx.client.chat.delete({ channel: INCIDENTS, ts: lone.ts as string })).resolves.toMatchObject({ ok: true, ts: lone.ts });
    await ctx.client.chat.delete({ channel: INCIDENTS, ts: parent.ts as string });
    expect(ctx.standIn.workspace.messages(INCIDENTS)).toEqual([expect.objectContaining({ subtype: 'tombstone', reply_count: 1 })]);
    await ctx.client.chat.delete({ channel: INCIDENTS, ts: reply.ts as string });
    expect(ctx.standIn.workspace.messages(INCIDENTS)[0]?.reply_count).toBeUndefined();
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
