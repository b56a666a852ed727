/** The stand-in refuses what Slack refuses in Block Kit, and runs modals and Home tabs as Slack does. */
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { SANDBOX_USERS } from '../../src/sandbox/slack-stand-in.js';
import { INCIDENTS, refusal, useStandIn } from './stand-in-fixture.js';

const plain = (text: string) => ({ type: 'plain_text', text });
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const section = (text: string) => ({ type: 'section', text: mrkdwn(text) });
const button = (extra: Record<string, unknown> = {}) => ({ type: 'button', text: plain('Ack'), action_id: 'ack', ...extra });
const actions = (...elements: unknown[]) => ({ type: 'actions', elements });
const confirm = (extra: Record<string, unknown> = {}) => ({ title: plain('Sure?'), text: plain('Really'), confirm: plain('Yes'), deny: plain('No'), ...extra });
const option = (text: string, value = 'v') => ({ text: plain(text), value });
const select = (options: unknown[]) => ({ type: 'static_select', action_id: 'pick', placeholder: plain('Pick'), options });
const input = (extra: Record<string, unknown> = {}) => ({ type: 'input', label: plain('Summary'), element: { type: 'plain_text_input', action_id: 'summary' }, ...extra });
const cell = (text: string) => ({ type: 'raw_text', text });
const table = (rows: number, cells: number, extra: Record<string, unknown> = {}) => ({
  type: 'table',
  rows: Array.from({ length: rows }, () => Array.from({ length: cells }, () => cell('x'))),
  ...extra,
});
const x = (n: number) => 'x'.repeat(n);
const many = <T>(n: number, make: (i: number) => T) => Array.from({ length: n }, (_, i) => make(i));

/** [what, blocks refused, the JSON pointer Slack names, blocks just inside the limit]. */
const MESSAGE_LIMITS: [string, unknown[], string, unknown[]][] = [
  ['more than 50 blocks', many(51, () => ({ type: 'divider' })), '/blocks', many(50, () => ({ type: 'divider' }))],
  ['section text over 3,000', [section(x(3001))], '/blocks/0/text/text', [section(x(3000))]],
  ['empty section text', [section('')], '/blocks/0/text/text', [section('x')]],
  ['section without text or fields', [{ type: 'section' }], '/blocks/0', [{ type: 'section', fields: [mrkdwn('a')] }]],
  ['more than 10 fields', [{ type: 'section', fields: many(11, () => mrkdwn('f')) }], '/blocks/0/fields', [{ type: 'section', fields: many(10, () => mrkdwn('f')) }]],
  ['a field over 2,000', [{ type: 'section', fields: [mrkdwn(x(2001))] }], '/blocks/0/fields/0/text', [{ type: 'section', fields: [mrkdwn(x(2000))] }]],
  ['header over 150', [{ type: 'header', text: plain(x(151)) }], '/blocks/0/text/text', [{ type: 'header', text: plain(x(150)) }]],
  ['header in mrkdwn', [{ type: 'header', text: mrkdwn('P1') }], '/blocks/0/text/type', [{ type: 'header', text: plain('P1') }]],
  ['context over 10 elements', [{ type: 'context', elements: many(11, () => mrkdwn('c')) }], '/blocks/0/elements', [{ type: 'context', elements: many(10, () => mrkdwn('c')) }]],
  ['context without elements', [{ type: 'context' }], '/blocks/0', [{ type: 'context', elements: [mrkdwn('c')] }]],
  ['actions over 25 elements', [actions(...many(26, (i) => button({ action_id: `a${i}` })))], '/blocks/0/elements', [actions(...many(25, (i) => button({ action_id: `a${i}` })))]],
  ['actions without elements', [{ type: 'actions' }], '/blocks/0', [actions(button())]],
  ['button text over 75', [actions(button({ text: plain(x(76)) }))], '/blocks/0/elements/0/text/text', [actions(button({ text: plain(x(75)) }))]],
  ['button value over 2,000', [actions(button({ value: x(2001) }))], '/blocks/0/elements/0/value', [actions(button({ value: x(2000) }))]],
  ['button url over 3,000', [actions(button({ url: `https://x/${x(2991)}` }))], '/blocks/0/elements/0/url', [actions(button({ url: `https://x/${x(2990)}` }))]],
  ['action_id over 255', [actions(button({ action_id: x(256) }))], '/blocks/0/elements/0/action_id', [actions(button({ action_id: x(255) }))]],
  ['duplicate action_id in a block', [actions(button(), button())], '/blocks/0/elements/1/action_id', [actions(button(), button({ action_id: 'other' }))]],
  ['block_id over 255', [{ type: 'divider', block_id: x(256) }], '/blocks/0/block_id', [{ type: 'divider', block_id: x(255) }]],
  ['duplicate block_id', [{ type: 'divider', block_id: 'b' }, { type: 'divider', block_id: 'b' }], '/blocks/1/block_id', [{ type: 'divider', block_id: 'b' }, { type: 'divider', block_id: 'c' }]],
  ['confirm title over 100', [actions(button({ confirm: confirm({ title: plain(x(101)) }) }))], '/blocks/0/elements/0/confirm/title/text', [actions(button({ confirm: confirm({ title: plain(x(100)) }) }))]],
  ['confirm text over 300', [actions(button({ confirm: confirm({ text: plain(x(301)) }) }))], '/blocks/0/elements/0/confirm/text/text', [actions(button({ confirm: confirm({ text: plain(x(300)) }) }))]],
  ['confirm button over 30', [actions(button({ confirm: confirm({ confirm: plain(x(31)) }) }))], '/blocks/0/elements/0/confirm/confirm/text', [actions(button({ confirm: confirm({ confirm: plain(x(30)) }) }))]],
  ['deny button over 30', [actions(button({ confirm: confirm({ deny: plain(x(31)) }) }))], '/blocks/0/elements/0/confirm/deny/text', [actions(button({ confirm: confirm({ deny: plain(x(30)) }) }))]],
  ['confirm without deny', [actions(button({ confirm: confirm({ deny: undefined }) }))], '/blocks/0/elements/0/confirm', [actions(button({ confirm: confirm() }))]],
  ['input label over 2,000', [input({ label: plain(x(2001)) })], '/blocks/0/label/text', [input({ label: plain(x(2000)) })]],
  ['input without element', [input({ element: undefined })], '/blocks/0', [input()]],
  ['placeholder over 150', [actions(select([option('a')]), { ...select([option('a')]), action_id: 'p2', placeholder: plain(x(151)) })], '/blocks/0/elements/1/placeholder/text', [actions({ ...select([option('a')]), placeholder: plain(x(150)) })]],
  ['option text over 75', [actions(select([option(x(76))]))], '/blocks/0/elements/0/options/0/text/text', [actions(select([option(x(75))]))]],
  ['option value over 150', [actions(select([option('a', x(151))]))], '/blocks/0/elements/0/options/0/value', [actions(select([option('a', x(150))]))]],
  ['more than 100 options', [actions(select(many(101, (i) => option(`o${i}`, `v${i}`))))], '/blocks/0/elements/0/options', [actions(select(many(100, (i) => option(`o${i}`, `v${i}`))))]],
  ['unknown block type', [{ type: 'sections', text: mrkdwn('x') }], '/blocks/0/type', [section('x')]],
  ['block without type', [{ text: mrkdwn('x') }], '/blocks/0', [section('x')]],
  ['unknown element type', [actions({ type: 'buton', text: plain('x') })], '/blocks/0/elements/0/type', [actions(button())]],
  ['table over 100 rows', [table(101, 2)], '/blocks/0/rows', [table(100, 2)]],
  ['table row over 20 cells', [table(2, 21)], '/blocks/0/rows/0', [table(2, 20)]],
  ['table cell of an unknown type', [{ type: 'table', rows: [[{ type: 'text', text: 'x' }]] }], '/blocks/0/rows/0/0/type', [{ type: 'table', rows: [[{ type: 'rich_text', elements: [] }]] }]],
  ['table column_settings align', [table(1, 2, { column_settings: [{ align: 'middle' }] })], '/blocks/0/column_settings/0/align', [table(1, 2, { column_settings: [{ align: 'center', is_wrapped: true }, null] })]],
  ['table without rows', [{ type: 'table' }], '/blocks/0', [table(1, 1)]],
  ['table cells over 10,000 characters together', [{ type: 'table', rows: [[cell(x(5000)), cell(x(5001))]] }], '/blocks/0/rows', [{ type: 'table', rows: [[cell(x(5000)), cell(x(5000))]] }]],
  ['empty raw_text cell', [{ type: 'table', rows: [[cell('')]] }], '/blocks/0/rows/0/0/text', [{ type: 'table', rows: [[cell(' ')]] }]],
];

describe('Slack stand-in: Block Kit limits in messages', () => {
  const ctx = useStandIn();

  it.each(MESSAGE_LIMITS)('refuses %s with invalid_blocks and takes the payload inside the limit', async (_what, refused, pointer, accepted) => {
    const answer = await refusal(ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'fallback', blocks: refused as never }));
    expect(answer.error).toBe('invalid_blocks');
    expect(answer.errors).toEqual(expect.arrayContaining([expect.stringContaining(`[json-pointer:${pointer}]`)]));
    expect((answer.response_metadata as { messages: string[] }).messages[0]).toMatch(/^\[ERROR\] .+ \[json-pointer:\/blocks/);
    await expect(ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'fallback', blocks: accepted as never })).resolves.toMatchObject({ ok: true });
  });

  it("words length problems as Slack does", async () => {
    const answer = await refusal(ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'x', blocks: [section(x(3001))] as never }));
    expect(answer.errors).toEqual(['must be less than 3001 characters [json-pointer:/blocks/0/text/text]']);
  });

  it('refuses a second table with invalid_attachments (only_one_table_allowed)', async () => {
    const answer = await refusal(ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'x', blocks: [table(1, 1), table(1, 1)] as never }));
    expect(answer.error).toBe('invalid_attachments');
    expect(JSON.stringify(answer)).toContain('only_one_table_allowed');
  });

  it('refuses more than about 12,000 characters of block text with msg_blocks_too_long', async () => {
    const five = many(5, () => section(x(2500)));
    expect((await refusal(ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'x', blocks: five as never }))).error).toBe('msg_blocks_too_long');
    const four = [...many(4, () => section(x(2500))), section(x(2000))];
    await expect(ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'x', blocks: four as never })).resolves.toMatchObject({ ok: true });
  });

  it('judges chat.update, chat.postEphemeral and blocks in attachments the same way', async () => {
    const posted = await ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'x' });
    const bad = [{ type: 'header', text: plain(x(151)) }] as never;
    expect((await refusal(ctx.client.chat.update({ channel: INCIDENTS, ts: posted.ts as string, text: 'x', blocks: bad }))).error).toBe('invalid_blocks');
    expect((await refusal(ctx.client.chat.postEphemeral({ channel: INCIDENTS, user: 'U0ONCALL1', text: 'x', blocks: bad }))).error).toBe('invalid_blocks');
    const inAttachment = await refusal(ctx.client.chat.postMessage({ channel: INCIDENTS, text: 'x', attachments: [{ blocks: bad }] }));
    expect(inAttachment.errors).toEqual(['must be less than 151 characters [json-pointer:/attachments/0/blocks/0/text/text]']);
  });

  it('refuses blocks that are not JSON', async () => {
    const res = await fetch(`${ctx.standIn.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${ctx.standIn.token}` },
      body: new URLSearchParams({ channel: INCIDENTS, text: 'x', blocks: '[{"type":' }).toString(),
    });
    expect(await res.json()).toMatchObject({ ok: false, error: 'invalid_blocks_format' });
  });
});

const summaryInput = { type: 'input', block_id: 'summary', label: plain('Summary'), element: { type: 'plain_text_input', action_id: 'summary' } };
const modal = (extra: Record<string, unknown> = {}) => ({
  type: 'modal',
  callback_id: 'incident_update',
  title: plain('Incident update'),
  submit: plain('Post'),
  close: plain('Cancel'),
  blocks: [summaryInput],
  ...extra,
});

describe('Slack stand-in: views', () => {
  const clock = manualClock('2026-11-02T09:00:00Z');
  const ctx = useStandIn({ clock });
  const user = SANDBOX_USERS.primary;

  it('opens a modal with a fresh trigger_id and answers the view as Slack does', async () => {
    const trigger = ctx.standIn.mintTriggerId(user);
    const res = await ctx.client.views.open({ trigger_id: trigger, view: modal() as never });
    expect(res.view).toMatchObject({ type: 'modal', callback_id: 'incident_update', app_id: 'A0ATLAS', state: { values: {} } });
    expect(res.view?.id).toMatch(/^V/);
    expect(res.view?.root_view_id).toBe(res.view?.id);
    expect(ctx.standIn.workspace.views.list(user)).toHaveLength(1);
  });

  it('takes a trigger_id once (exchanged_trigger_id), for 3 seconds (expired_trigger_id), and only one it issued', async () => {
    const used = ctx.standIn.mintTriggerId(user);
    await ctx.client.views.open({ trigger_id: used, view: modal() as never });
    expect((await refusal(ctx.client.views.open({ trigger_id: used, view: modal() as never }))).error).toBe('exchanged_trigger_id');

    const late = ctx.standIn.mintTriggerId(user);
    clock.advance(3001);
    expect((await refusal(ctx.client.views.open({ trigger_id: late, view: modal() as never }))).error).toBe('expired_trigger_id');

    const justInTime = ctx.standIn.mintTriggerId(user);
    clock.advance(3000);
    await expect(ctx.client.views.open({ trigger_id: justInTime, view: modal() as never })).resolves.toMatchObject({ ok: true });

    expect((await refusal(ctx.client.views.open({ trigger_id: '1.2.3', view: modal() as never }))).error).toBe('invalid_trigger_id');
    expect((await refusal(ctx.client.views.open({ view: modal() } as never))).error).toBe('invalid_arguments');
  });

  it('refuses a bad view with invalid_arguments and Slack-style messages, without spending the trigger', async () => {
    const trigger = ctx.standIn.mintTriggerId(user);
    const cases: [Record<string, unknown>, string][] = [
      [modal({ title: plain('x'.repeat(25)) }), 'must be less than 25 characters [json-pointer:/view/title/text]'],
      [modal({ submit: plain('x'.repeat(25)) }), '[json-pointer:/view/submit/text]'],
      [modal({ close: plain('x'.repeat(25)) }), '[json-pointer:/view/close/text]'],
      [modal({ submit: undefined }), 'submit'],
      [modal({ private_metadata: 'x'.repeat(3001) }), '[json-pointer:/view/private_metadata]'],
      [modal({ callback_id: 'x'.repeat(256) }), '[json-pointer:/view/callback_id]'],
      [modal({ blocks: Array.from({ length: 101 }, () => ({ type: 'divider' })) }), 'no more than 100 items allowed [json-pointer:/view/blocks]'],
      [modal({ blocks: [{ ...summaryInput, label: plain('x'.repeat(2001)) }] }), '[json-pointer:/view/blocks/0/label/text]'],
      [modal({ title: undefined }), 'title'],
    ];
    for (const [view, expected] of cases) {
      const answer = await refusal(ctx.client.views.open({ trigger_id: trigger, view: view as never }));
      expect(answer.error).toBe('invalid_arguments');
      expect((answer.response_metadata as { messages: string[] }).messages.join('\n')).toContain(expected);
    }
    // 100 blocks are fine in a view (50 in a message).
    const hundred = modal({ blocks: Array.from({ length: 100 }, () => ({ type: 'divider' })), submit: undefined });
    await expect(ctx.client.views.open({ trigger_id: trigger, view: hundred as never })).resolves.toMatchObject({ ok: true });
  });

  it('pushes up to three views on a stack, then push_limit_reached', async () => {
    const root = await ctx.client.views.open({ trigger_id: ctx.standIn.mintTriggerId(user), view: modal() as never });
    const second = await ctx.client.views.push({ trigger_id: ctx.standIn.mintTriggerId(user, root.view?.id), view: modal({ callback_id: 'two' }) as never });
    expect(second.view).toMatchObject({ root_view_id: root.view?.id, previous_view_id: root.view?.id });
    await ctx.client.views.push({ trigger_id: ctx.standIn.mintTriggerId(user, second.view?.id), view: modal({ callback_id: 'three' }) as never });
    const fourth = ctx.client.views.push({ trigger_id: ctx.standIn.mintTriggerId(user, root.view?.id), view: modal() as never });
    expect((await refusal(fourth)).error).toBe('push_limit_reached');
    expect(ctx.standIn.workspace.views.stack(root.view?.id as string).map((v) => v.view.callback_id)).toEqual(['incident_update', 'two', 'three']);
  });

  it('updates a view by id or external_id, refusing a stale hash and an unknown view', async () => {
    const opened = await ctx.client.views.open({ trigger_id: ctx.standIn.mintTriggerId(user), view: modal({ external_id: 'inc-1-update' }) as never });
    const id = opened.view?.id as string;
    const hash = opened.view?.hash as string;
    const updated = await ctx.client.views.update({ view_id: id, hash, view: modal({ external_id: 'inc-1-update', title: plain('Updated') }) as never });
    expect(updated.view).toMatchObject({ id, title: plain('Updated') });
    expect(updated.view?.hash).not.toBe(hash);
    expect((await refusal(ctx.client.views.update({ view_id: id, hash, view: modal() as never }))).error).toBe('hash_conflict');
    await expect(ctx.client.views.update({ external_id: 'inc-1-update', view: modal({ external_id: 'inc-1-update' }) as never })).resolves.toMatchObject({ ok: true });
    expect((await refusal(ctx.client.views.update({ view_id: 'V0NOPE', view: modal() as never }))).error).toBe('not_found');
  });

  it('publishes a Home tab per user', async () => {
    const home = { type: 'home', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*On call:* you' } }] };
    const first = await ctx.client.views.publish({ user_id: user, view: home as never });
    const second = await ctx.client.views.publish({ user_id: user, view: home as never, hash: first.view?.hash as string });
    expect(second.view?.id).toBe(first.view?.id);
    expect((await refusal(ctx.client.views.publish({ user_id: user, view: home as never, hash: 'stale' }))).error).toBe('hash_conflict');
    expect((await refusal(ctx.client.views.publish({ user_id: user, view: modal() as never }))).error).toBe('invalid_arguments');
    expect((await refusal(ctx.client.views.publish({ user_id: 'U0NOBODY', view: home as never }))).error).toBe('user_not_found');
  });

  it('emits view events', async () => {
    const seen = ctx.standIn.events.next('view_opened');
    await ctx.client.views.open({ trigger_id: ctx.standIn.mintTriggerId(user), view: modal() as never });
    expect((await seen).user).toBe(user);
  });
});
