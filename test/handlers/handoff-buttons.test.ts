/**
 * The handoff in Slack: `/atlas handoff` previews it privately with Post now and Add notes; the
 * notes form opens for those who may save it and saves through the registry; Take over makes
 * the presser the owner. The real HTTP receiver, signed requests, the stand-in's Web API.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { declareIncident } from '../../src/incidents/declare.js';
import { runHandoffs } from '../../src/handoff/run-handoffs.js';
import { HANDOFF_NOTES_ACTION, HANDOFF_POST_NOW_ACTION, HANDOFF_TAKE_OVER_ACTION } from '../../src/templates/handoff-buttons.js';
import { HANDOFF_NOTES_CALLBACK } from '../../src/templates/handoff-notes-modal.js';
import type { DeliveryHarness } from '../helpers/delivery-harness.js';
import { startSlackEnv, type SlackEnv } from '../helpers/slack-env.js';
import { assertBlockKitLimits } from '../helpers/slack-judge.js';
import { eventually, settle, TEST_USER, type Harness } from '../helpers/slack-harness.js';
import type { TestEnv } from '../helpers/test-deps.js';

const HANDOFF = 'C0HANDOFF';
const OTHER = 'U0ONCALL2';
const READER = 'U0READER';
const DM = 'D0DIRECT1';
const MONDAY = '2026-11-30T00:00:00.000Z';
const CONFIG = {
  channels: { incidents: 'C0INCIDENT', handoff: HANDOFF },
  responders: { users: [TEST_USER] },
  // OTHER is primary until Monday: on call, so a responder for now, though not in the list.
  rotation: { start: '2026-11-02', primary: [TEST_USER, OTHER], secondary: [OTHER, TEST_USER] },
};

let se: SlackEnv;
let env: TestEnv;
let d: DeliveryHarness;
let h: Harness;

beforeEach(async () => {
  se = await startSlackEnv({ file: CONFIG });
  ({ env, d, h } = se);
});

afterEach(() => se.close());

const opened = () => d.slack.workspace.calls('views.open').filter((c) => c.status === 200 && c.answer?.ok === true);
const notes = async () => (await env.deps.state.handoffs.get(new Date(MONDAY)))?.notes ?? null;
type Button = { action_id: string; value: string; text: { text: string } };
const buttonsOf = (blocks: unknown[] | undefined) =>
  ((blocks ?? []) as { type: string; elements?: Button[]; accessory?: Button }[]).flatMap((b) => [...(b.type === 'actions' ? (b.elements ?? []) : []), ...(b.accessory ? [b.accessory] : [])]);

describe('/atlas handoff', () => {
  it('previews the next handoff privately, within Slack limits, with Post now and Add notes', async () => {
    const c = await h.command('handoff', { channel: HANDOFF });
    const answer = await c.answer();
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text).toContain('Handoff for the shift change at 2026-11-30 00:00 UTC');
    assertBlockKitLimits('message', answer.blocks as unknown[]);
    expect(buttonsOf(answer.blocks).map((b) => [b.action_id, b.value])).toEqual(
      expect.arrayContaining([
        [HANDOFF_POST_NOW_ACTION, 'now'],
        [HANDOFF_NOTES_ACTION, MONDAY],
      ]),
    );
  });

  it('Post now posts it in the handoff channel for a responder, saying the scheduled one still comes', async () => {
    const p = await h.press(HANDOFF_POST_NOW_ACTION, 'now', { channel: HANDOFF });
    expect((await p.answer()).text).toBe(`Handoff posted in <#${HANDOFF}>; the scheduled one still goes out at 2026-11-30 00:00 UTC.`);
    await d.delivery.drain();
    const posted = d.slack.workspace.messages(HANDOFF);
    expect(posted).toHaveLength(1);
    expect(JSON.stringify(posted[0]!.blocks)).toContain(`Posted by <@${TEST_USER}> with Post now`);
  });

  it('Post now is refused to a reader, and posts nothing', async () => {
    const p = await h.press(HANDOFF_POST_NOW_ACTION, 'now', { user: READER, channel: HANDOFF });
    expect((await p.answer()).text).toContain('is for responders');
    await d.delivery.drain();
    expect(d.slack.workspace.messages(HANDOFF)).toEqual([]);
  });
});

describe('handoff notes', () => {
  it('opens the form for the outgoing primary (on call, so a responder), filled with the notes so far, and saves what is submitted', async () => {
    await env.deps.state.handoffs.saveNotes(new Date(MONDAY), 'first draft', OTHER, env.clock());
    await h.press(HANDOFF_NOTES_ACTION, MONDAY, { user: OTHER, channel: DM });
    const open = await eventually(() => opened()[0], 'views.open');
    const view = open.args.view as { callback_id: string; private_metadata: string; blocks: { element?: { initial_value?: string } }[] };
    expect(view.callback_id).toBe(HANDOFF_NOTES_CALLBACK);
    expect(JSON.parse(view.private_metadata)).toEqual({ shiftChange: MONDAY, channel: DM });
    expect(view.blocks.some((b) => b.element?.initial_value === 'first draft')).toBe(true);
    assertBlockKitLimits('modal', view.blocks);

    const sent = await h.submit(HANDOFF_NOTES_CALLBACK, { shiftChange: MONDAY, channel: DM }, { notes: { value: { type: 'plain_text_input', value: 'The 03:00 batch is paused; resume after TIGER is back.' } } }, OTHER);
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual({});
    expect(await notes()).toBe('The 03:00 batch is paused; resume after TIGER is back.');
    const run = env.db.prepare("SELECT command, via, user_id FROM command_runs WHERE command = 'handoff-notes'").get();
    expect(run).toEqual({ command: 'handoff-notes', via: 'modal', user_id: OTHER });
  });

  it('does not open the form for a reader, and tells them why', async () => {
    const p = await h.press(HANDOFF_NOTES_ACTION, MONDAY, { user: READER, channel: DM });
    expect((await p.answer()).text).toContain('is for responders');
    await settle();
    expect(opened()).toEqual([]);
  });

  it('shows a refusal under the field once the handoff has gone out, and keeps the posted notes', async () => {
    await runHandoffs(env.deps);
    await env.deps.state.handoffs.saveNotes(new Date(MONDAY), 'as posted', OTHER, env.clock());
    env.clock.set(MONDAY);
    await runHandoffs(env.deps);
    const sent = await h.submit(HANDOFF_NOTES_CALLBACK, { shiftChange: MONDAY }, { notes: { value: { type: 'plain_text_input', value: 'late edit' } } }, TEST_USER);
    expect(sent.body).toMatchObject({ response_action: 'errors', errors: { notes: expect.stringContaining('has gone out already') } });
    expect(await notes()).toBe('as posted');
  });

  it('refuses a form whose shift change is not one of the rotation', async () => {
    const sent = await h.submit(HANDOFF_NOTES_CALLBACK, { shiftChange: '2026-11-30T01:00:00.000Z' }, { notes: { value: { type: 'plain_text_input', value: 'x' } } }, TEST_USER);
    expect(sent.body).toMatchObject({ response_action: 'errors', errors: { notes: expect.stringContaining('not a shift change') } });
  });
});

describe('Take over', () => {
  it('makes the presser the owner, with a timeline entry and a note in the thread', async () => {
    const { incident } = await declareIncident(env.deps, { title: 'TIGER down', actorId: OTHER });
    const p = await h.press(`${HANDOFF_TAKE_OVER_ACTION}:${incident.id}`, incident.id, { channel: HANDOFF });
    expect((await p.answer()).text).toContain(incident.id);
    expect((await env.deps.state.incidents.get(incident.id))!.owner_id).toBe(TEST_USER);
    expect((await env.deps.state.timeline.list(incident.id)).map((e) => e.kind)).toContain('owner');
    await d.delivery.drain();
    const posted = (await env.deps.state.slackMessages.get(incident.anchor))!;
    expect(d.slack.workspace.replies(posted.channel, posted.ts).map((m) => m.text).join('\n')).toContain(`<@${TEST_USER}>`);
  });

  it('refuses a reader and changes nothing', async () => {
    const { incident } = await declareIncident(env.deps, { title: 'TIGER down', actorId: OTHER });
    const p = await h.press(`${HANDOFF_TAKE_OVER_ACTION}:${incident.id}`, incident.id, { user: READER, channel: HANDOFF });
    expect((await p.answer()).text).toContain('is for responders');
    expect((await env.deps.state.incidents.get(incident.id))!.owner_id).toBe(OTHER);
  });
});
