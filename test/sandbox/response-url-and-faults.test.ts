/** response_url semantics, and the faults tests of delivery guarantees will inject. */
import { webApi } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { SANDBOX_USERS, startSlackStandIn } from '../../src/sandbox/slack-stand-in.js';
import { clientFor, INCIDENTS, useStandIn } from './stand-in-fixture.js';
import { NEVER_MS } from '../helpers/busy-machine.js';

const user = SANDBOX_USERS.primary;

/** What Bolt's respond() does: POST JSON to the response_url. */
async function respond(url: string, body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('Slack stand-in: response_url', () => {
  const clock = manualClock('2026-11-02T09:00:00Z');
  const ctx = useStandIn({ clock });

  it('answers ephemerally by default, to the user who acted', async () => {
    const url = ctx.standIn.mintResponseUrl({ channel: INCIDENTS, user });
    expect(url).toMatch(new RegExp(`^${ctx.standIn.url}/response/[0-9a-f]+$`));
    expect(await respond(url, { text: 'health: all ok' })).toEqual({ status: 200, body: { ok: true } });
    expect(ctx.standIn.workspace.ephemerals({ channel: INCIDENTS, user })).toEqual([expect.objectContaining({ text: 'health: all ok' })]);
    expect(ctx.standIn.workspace.messages(INCIDENTS)).toEqual([]);
    expect(ctx.standIn.workspace.calls('response_url')).toEqual([expect.objectContaining({ status: 200, args: expect.objectContaining({ text: 'health: all ok' }) })]);
  });

  it('posts in the channel with response_type in_channel, into a thread with thread_ts', async () => {
    const parent = await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'incident' });
    const url = ctx.standIn.mintResponseUrl({ channel: INCIDENTS, user });
    await respond(url, { response_type: 'in_channel', text: 'shared result' });
    await respond(url, { response_type: 'in_channel', text: 'in the thread', thread_ts: parent.ts, replace_original: false });
    expect(ctx.standIn.workspace.messages(INCIDENTS).map((m) => m.text)).toEqual(['incident', 'shared result']);
    expect(ctx.standIn.workspace.replies(INCIDENTS, parent.ts as string).map((m) => m.text)).toEqual(['in the thread']);
  });

  it('replaces and deletes the message the interaction came from', async () => {
    const card = await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'Acknowledge?' });
    const url = ctx.standIn.mintResponseUrl({ channel: INCIDENTS, user, original: { ts: card.ts as string } });
    await respond(url, { replace_original: true, text: 'Acknowledged by Alice' });
    expect(ctx.standIn.workspace.messages(INCIDENTS)).toEqual([expect.objectContaining({ ts: card.ts, text: 'Acknowledged by Alice' })]);
    await respond(url, { delete_original: true });
    expect(ctx.standIn.workspace.messages(INCIDENTS)).toEqual([]);
  });

  it('replaces and deletes an ephemeral original', async () => {
    const eph = await ctx.client.chat.postEphemeral({ channel: INCIDENTS, user, text: 'Confirm restore?' });
    const url = ctx.standIn.mintResponseUrl({ channel: INCIDENTS, user, original: { ts: eph.message_ts as string, ephemeral: true } });
    await respond(url, { replace_original: true, text: 'Restoring…' });
    expect(ctx.standIn.workspace.ephemerals({ user }).map((e) => e.text)).toEqual(['Restoring…']);
    await respond(url, { delete_original: true });
    expect(ctx.standIn.workspace.ephemerals({ user })).toEqual([]);
  });

  it("replaces a slash command's earlier answer in the chain (the command itself has no original)", async () => {
    const url = ctx.standIn.mintResponseUrl({ channel: INCIDENTS, user });
    await respond(url, { text: 'Preview: Confirm?' });
    expect(await respond(url, { replace_original: true, text: 'Expired' })).toEqual({ status: 200, body: { ok: true } });
    expect(ctx.standIn.workspace.ephemerals({ channel: INCIDENTS, user }).map((e) => e.text)).toEqual(['Expired']);
  });

  it('takes 5 posts, then refuses the sixth', async () => {
    const url = ctx.standIn.mintResponseUrl({ channel: INCIDENTS, user });
    for (let i = 1; i <= 5; i += 1) expect((await respond(url, { text: `step ${i}` })).status).toBe(200);
    expect(await respond(url, { text: 'step 6' })).toEqual({ status: 404, body: { ok: false, error: 'used_url' } });
    expect(ctx.standIn.workspace.ephemerals({ user })).toHaveLength(5);
  });

  it('expires 30 minutes after issue', async () => {
    const url = ctx.standIn.mintResponseUrl({ channel: INCIDENTS, user });
    clock.advance(30 * 60 * 1000);
    expect((await respond(url, { text: 'just in time' })).status).toBe(200);
    clock.advance(1);
    expect(await respond(url, { text: 'too late' })).toEqual({ status: 404, body: { ok: false, error: 'expired_url' } });
  });

  it('refuses what chat.postMessage refuses, without counting a use, and unknown urls', async () => {
    const url = ctx.standIn.mintResponseUrl({ channel: INCIDENTS, user });
    expect(await respond(url, {})).toMatchObject({ status: 400, body: { ok: false, error: 'no_text' } });
    const bad = await respond(url, { text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }] });
    expect(bad).toMatchObject({ status: 400, body: { ok: false, error: 'invalid_blocks' } });
    expect(await respond(url, { replace_original: true, text: 'x' })).toMatchObject({ status: 404, body: { error: 'message_not_found' } });
    expect(ctx.standIn.workspace.responseHooks.list()[0]?.uses).toBe(0);
    expect((await respond(`${ctx.standIn.url}/response/abc123`, { text: 'x' })).status).toBe(404);
  });

  it('emits response_url_used', async () => {
    const url = ctx.standIn.mintResponseUrl({ channel: INCIDENTS, user });
    const used = ctx.standIn.events.next('response_url_used');
    await respond(url, { text: 'hello' });
    expect(await used).toMatchObject({ status: 200, payload: { text: 'hello' } });
  });
});

const post = (client: webApi.WebClient, text = 'x') => client.chat.postMessage({ channel: INCIDENTS, text });

describe('Slack stand-in: faults', () => {
  const ctx = useStandIn();

  it('answers 429 with Retry-After; the WebClient raises WebAPIRateLimitedError with retryAfter', async () => {
    ctx.standIn.faults.inject({ method: 'chat.postMessage', kind: 'ratelimit', retryAfter: 7 });
    const err = await post(ctx.client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(webApi.WebAPIRateLimitedError);
    expect((err as webApi.WebAPIRateLimitedError).retryAfter).toBe(7);
    expect(ctx.standIn.workspace.messages(INCIDENTS)).toEqual([]);
    await expect(post(ctx.client)).resolves.toMatchObject({ ok: true }); // times defaults to 1
    expect(ctx.standIn.workspace.calls('chat.postMessage').map((c) => [c.status, c.fault])).toEqual([[429, 'ratelimit'], [200, undefined]]);
  });

  it('answers other HTTP statuses, platform errors and resets as the WebClient will meet them', async () => {
    const { faults } = ctx.standIn;
    faults.inject({ method: 'chat.postMessage', kind: 'http', status: 503 });
    const http = await post(ctx.client).catch((e: unknown) => e);
    expect(http).toBeInstanceOf(webApi.WebAPIHTTPError);
    expect((http as webApi.WebAPIHTTPError).statusCode).toBe(503);

    faults.inject({ method: 'chat.postMessage', kind: 'error', error: 'fatal_error' });
    const platform = await post(ctx.client).catch((e: unknown) => e);
    expect((platform as webApi.WebAPIPlatformError).data.error).toBe('fatal_error');

    faults.inject({ method: 'chat.postMessage', kind: 'reset' });
    await expect(post(ctx.client)).rejects.toBeInstanceOf(webApi.WebAPIRequestError);
    expect(ctx.standIn.workspace.messages(INCIDENTS)).toEqual([]);
  });

  it('hangs until the client times out, and close() still finishes', async () => {
    const standIn = await startSlackStandIn();
    standIn.faults.inject({ method: 'chat.postMessage', kind: 'hang', times: Infinity });
    const client = clientFor(standIn, { timeout: 150 });
    const started = Date.now();
    await expect(post(client)).rejects.toBeInstanceOf(webApi.WebAPIRequestError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    // This client would wait longer than any test runs: close() returning at all is it ending the hang.
    const stillHanging = post(clientFor(standIn, { timeout: NEVER_MS })).catch((e: unknown) => e);
    await standIn.events.next('api_call', (e) => e.call.fault === 'hang' && e.call.seq === 2);
    await standIn.close();
    expect(await stillHanging).toBeInstanceOf(webApi.WebAPIRequestError);
    expect(standIn.workspace.calls('chat.postMessage').map((c) => c.status)).toEqual([null, null]);
  });

  it('delays answers', async () => {
    ctx.standIn.faults.inject({ method: 'auth.test', kind: 'delay', ms: 120 });
    const started = Date.now();
    await expect(ctx.client.auth.test()).resolves.toMatchObject({ ok: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('hits every n-th call, for ever unless times says otherwise', async () => {
    ctx.standIn.faults.inject({ method: 'chat.postMessage', every: 2, kind: 'error', error: 'ratelimited' });
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i += 1) outcomes.push(await post(ctx.client).then(() => 'ok', (e: webApi.WebAPIPlatformError) => e.data.error as string));
    expect(outcomes).toEqual(['ok', 'ratelimited', 'ok', 'ratelimited', 'ok', 'ratelimited']);
    ctx.standIn.faults.clear();
    await expect(post(ctx.client)).resolves.toMatchObject({ ok: true });
  });

  it('counts times, and removes a fault by its handle', async () => {
    const fault = ctx.standIn.faults.inject({ method: '*', kind: 'error', error: 'service_unavailable', times: 2 });
    await expect(ctx.client.auth.test()).rejects.toBeInstanceOf(webApi.WebAPIPlatformError);
    await expect(post(ctx.client)).rejects.toBeInstanceOf(webApi.WebAPIPlatformError);
    await expect(post(ctx.client)).resolves.toMatchObject({ ok: true });
    expect(fault.hits).toBe(2);
    const forever = ctx.standIn.faults.inject({ method: 'auth.test', kind: 'error', error: 'x', times: Infinity });
    forever.remove();
    await expect(ctx.client.auth.test()).resolves.toMatchObject({ ok: true });
  });

  it('with when: "after", carries the call out and then fails the answer: a send left in doubt', async () => {
    ctx.standIn.faults.inject({ method: 'chat.postMessage', kind: 'reset', when: 'after' });
    await expect(post(ctx.client, 'did it post?')).rejects.toBeInstanceOf(webApi.WebAPIRequestError);
    expect(ctx.standIn.workspace.messages(INCIDENTS).map((m) => m.text)).toEqual(['did it post?']);
    const history = await ctx.client.conversations.history({ channel: INCIDENTS });
    expect(history.messages?.map((m) => m.text)).toEqual(['did it post?']);
  });

  it('applies to response_url posts too', async () => {
    ctx.standIn.faults.inject({ method: 'response_url', kind: 'http', status: 500 });
    const url = ctx.standIn.mintResponseUrl({ channel: INCIDENTS, user: 'U0ONCALL1' });
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"x"}' });
    expect(res.status).toBe(500);
    expect(ctx.standIn.workspace.ephemerals()).toEqual([]);
  });
});
