import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { INCIDENTS, refusal, useStandIn } from './stand-in-fixture.js';

const clock = manualClock('2026-11-02T09:00:00Z');

describe('Slack stand-in: conversations.history and conversations.replies', () => {
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
