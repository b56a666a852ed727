/**
 * The incident status card carries its actions (issue 17 §4): Update, Escalate, Severity,
 * Resolve and Take over on an open incident; Reopen and Review on a resolved one. Each press
 * goes through the registry entry of the subcommand it stands for (tier check, one audit row via
 * "button") and opens the same form as the slash command. Driven through the real HTTP receiver
 * with signed requests; delivery posts the card into the Slack stand-in, and the buttons pressed
 * are read from the card as Slack shows it.
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { createRegistry } from '../../src/commands/index.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { resolveIncident } from '../../src/incidents/resolution.js';
import { sweepTimers } from '../../src/incidents/timer-sweeper.js';
import { usergroupMembers } from '../../src/slack/usergroup-members.js';
import { MODAL_CALLBACK } from '../../src/templates/incident-modals.js';
import { startDeliveryHarness, type DeliveryHarness } from '../helpers/delivery-harness.js';
import { assertBlockKitLimits } from '../helpers/slack-judge.js';
import { eventually, startHarness, TEST_USER, type Harness } from '../helpers/slack-harness.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';

const CHANNEL = 'C0INCIDENT';
const SECOND = 'U0ONCALL2';
const STRANGER = 'U0READER';
const CONFIG = {
  channels: { incidents: CHANNEL },
  responders: { users: [TEST_USER, SECOND], channels: [CHANNEL] },
  escalation: { techLead: 'U0TECHLEAD', cto: 'U0CTOBOSS' },
};

type Button = { type: string; action_id: string; value: string; text: { text: string } };
type Block = { type: string; elements?: Button[] };

let dir: { dir: string; cleanup: () => void };
let atlas: { metrics: Database.Database; persistence: Database.Database };
let env: TestEnv;
let d: DeliveryHarness;
let h: Harness;

beforeEach(async () => {
  dir = tempDir();
  const dataDir = path.join(dir.dir, '.shadow-atlas');
  atlas = createAtlasFiles(dataDir);
  env = testDeps(dataDir, { file: CONFIG });
  d = await startDeliveryHarness(env);
  let client: Harness['app']['app']['client'] | null = null;
  const registry = createRegistry(createAuthorizer(env.deps.config, usergroupMembers(() => client)));
  h = await startHarness({ deps: env.deps, registry, slack: d.slack });
  client = h.app.app.client;
});

afterEach(async () => {
  await h.close();
  await d.close();
  await env.close();
  atlas.metrics.close();
  atlas.persistence.close();
  dir.cleanup();
});

const runs = () => env.db.prepare('SELECT command, via, user_id, outcome FROM command_runs ORDER BY id').all() as Record<string, string>[];
const text = (value: string | null) => ({ value: { type: 'plain_text_input', value } });
const select = (value: string) => ({ value: { type: 'static_select', selected_option: { value, text: { type: 'plain_text', text: value } } } });
const views = () => d.slack.workspace.calls('views.open').filter((c) => c.status === 200 && c.answer?.ok === true);
const incident = async (id: string) => (await env.deps.state.incidents.get(id))!;

/** The incident's card as Slack shows it now, after delivery. */
async function card(id: string) {
  await d.delivery.drain();
  const posted = await env.deps.state.slackMessages.get((await incident(id)).anchor);
  expect(posted).not.toBeNull();
  const message = d.slack.workspace.messages(posted!.channel).find((m) => m.ts === posted!.ts)!;
  assertBlockKitLimits('message', message.blocks ?? []);
  const buttons = ((message.blocks ?? []) as Block[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
  return { message, buttons, label: (l: string) => buttons.find((b) => b.text.text === l)! };
}

/** Presses a button of the card, as it is on the card, from the card's message. */
async function press(id: string, label: string, user = TEST_USER) {
  const c = await card(id);
  const b = c.label(label);
  expect(b, `${label} on the card`).toBeDefined();
  return h.press(b.action_id, b.value, { user, message: { ts: c.message.ts } });
}

/** Waits for the n-th form to open; its callback and metadata. */
async function form(n: number) {
  const call = await eventually(() => views()[n - 1], `form ${n} to open`);
  const view = call.args.view as { callback_id: string; private_metadata: string; blocks: unknown[] };
  assertBlockKitLimits('modal', view.blocks);
  return { callbackId: view.callback_id, meta: JSON.parse(view.private_metadata) as Record<string, string>, blocks: view.blocks };
}

describe('the status card of an open incident', () => {
  it('shows Update, Escalate, Severity, Resolve and Take over, in one actions block', async () => {
    const { incident: i } = await declareIncident(env.deps, { title: 'proofs failing', actorId: TEST_USER });
    const c = await card(i.id);
    expect(c.buttons.map((b) => b.text.text)).toEqual(['Update', 'Escalate', 'Severity', 'Resolve', 'Take over']);
    expect(new Set(c.buttons.map((b) => b.action_id)).size).toBe(5);
    expect(c.buttons.every((b) => b.value === i.id)).toBe(true);
  });

  it('Update opens the update form; its submission posts the update, each through the registry', async () => {
    const { incident: i } = await declareIncident(env.deps, { title: 'proofs failing', actorId: TEST_USER });
    await press(i.id, 'Update');
    const f = await form(1);
    expect(f.callbackId).toBe(MODAL_CALLBACK.update);
    expect(await h.submit(f.callbackId, f.meta, { summary: text('Rolled back the deploy'), status: select('monitoring') })).toEqual({ status: 200, body: {} });
    expect((await incident(i.id)).status).toBe('monitoring');
    expect(runs()).toEqual([
      { command: 'update', via: 'button', user_id: TEST_USER, outcome: 'info' },
      { command: 'update', via: 'modal', user_id: TEST_USER, outcome: 'ok' },
    ]);
  });

  it('Escalate opens the escalation form that asks whom; the submission escalates to the one chosen', async () => {
    const { incident: i } = await declareIncident(env.deps, { title: 'proofs failing', actorId: TEST_USER });
    await press(i.id, 'Escalate');
    const f = await form(1);
    expect(f.callbackId).toBe(MODAL_CALLBACK.escalate);
    expect(f.meta.target).toBeUndefined();
    expect(JSON.stringify(f.blocks)).toContain('"block_id":"target"');
    expect(await h.submit(f.callbackId, f.meta, { target: select('cto'), need: text('approval to restore'), why: text(null) })).toEqual({ status: 200, body: {} });
    const escalated = (await env.deps.state.timeline.list(i.id)).find((e) => e.kind === 'escalated');
    expect(escalated?.text).toContain('CTO');
    expect(runs().map((r) => [r.command, r.via, r.outcome])).toEqual([
      ['escalate', 'button', 'info'],
      ['escalate', 'modal', 'ok'],
    ]);
  });

  it('Severity opens a form with the severities; the submission changes it and the card follows', async () => {
    const { incident: i } = await declareIncident(env.deps, { title: 'proofs failing', severity: 'P2', actorId: TEST_USER });
    await press(i.id, 'Severity');
    const f = await form(1);
    expect(f.callbackId).toBe(MODAL_CALLBACK.sev);
    const refused = await h.submit(f.callbackId, f.meta, { severity: select('P9') });
    expect(refused.body).toEqual({ response_action: 'errors', errors: { severity: 'Choose a severity.' } });
    expect((await incident(i.id)).severity).toBe('P2');
    expect(await h.submit(f.callbackId, f.meta, { severity: select('P1') })).toEqual({ status: 200, body: {} });
    expect((await incident(i.id)).severity).toBe('P1');
    expect((await card(i.id)).message.text).toContain('P1');
    expect(runs().map((r) => [r.command, r.via, r.outcome])).toEqual([
      ['sev', 'button', 'info'],
      ['sev', 'modal', 'ok'],
    ]);
  });

  it('Resolve opens the resolution form; after it the card shows Reopen and Review instead', async () => {
    const { incident: i } = await declareIncident(env.deps, { title: 'proofs failing', actorId: TEST_USER });
    await press(i.id, 'Resolve');
    const f = await form(1);
    expect(f.callbackId).toBe(MODAL_CALLBACK.resolve);
    expect(await h.submit(f.callbackId, f.meta, { resolution: text('reran the job'), impact: text(null) })).toEqual({ status: 200, body: {} });
    expect((await incident(i.id)).status).toBe('resolved');
    expect((await card(i.id)).buttons.map((b) => b.text.text)).toEqual(['Reopen', 'Review']);
  });

  it('Take over makes whoever pressed the owner, and says so privately', async () => {
    const { incident: i } = await declareIncident(env.deps, { title: 'proofs failing', actorId: TEST_USER });
    const p = await press(i.id, 'Take over', SECOND);
    expect((await p.answer()).text).toBe(`<@${SECOND}> now owns ${i.id}.`);
    expect((await incident(i.id)).owner_id).toBe(SECOND);
    expect(JSON.stringify((await card(i.id)).message.blocks)).toContain(`<@${SECOND}>`);
    expect(runs()).toEqual([{ command: 'own', via: 'button', user_id: SECOND, outcome: 'ok' }]);
  });

  it('refuses each button to a non-responder, changing nothing, with one denied row each', async () => {
    const { incident: i } = await declareIncident(env.deps, { title: 'proofs failing', actorId: TEST_USER });
    const before = JSON.stringify(await incident(i.id));
    for (const label of ['Update', 'Escalate', 'Severity', 'Resolve', 'Take over']) {
      const p = await press(i.id, label, STRANGER);
      expect((await p.answer()).text).toMatch(/is for responders/);
    }
    expect(views()).toHaveLength(0);
    expect(JSON.stringify(await incident(i.id))).toBe(before);
    expect(runs().map((r) => [r.command, r.outcome])).toEqual([
      ['update', 'denied'],
      ['escalate', 'denied'],
      ['sev', 'denied'],
      ['resolve', 'denied'],
      ['own', 'denied'],
    ]);
  });
});

describe('the status card of a resolved incident', () => {
  it('Reopen opens it again: investigating, the clock running, the thread and the channel told, the five buttons back', async () => {
    const { incident: i } = await declareIncident(env.deps, { title: 'proofs failing', actorId: TEST_USER });
    await resolveIncident(env.deps, i.id, { resolution: 'reran the job' }, TEST_USER);
    const p = await press(i.id, 'Reopen');
    expect((await p.answer()).text).toMatch(new RegExp(`^${i.id} reopened: investigating again`));
    const now = await incident(i.id);
    expect(now).toMatchObject({ status: 'investigating', resolved_at: null, resolution: null });
    const pending = (await env.deps.state.timers.pending({ incidentId: i.id })).map((t) => t.kind);
    expect(pending).toContain('update-due');
    expect(pending).not.toContain('review-reminder');
    const c = await card(i.id);
    expect(c.buttons.map((b) => b.text.text)).toEqual(['Update', 'Escalate', 'Severity', 'Resolve', 'Take over']);
    const posted = (await env.deps.state.slackMessages.get(now.anchor))!;
    const replies = d.slack.workspace.replies(posted.channel, posted.ts);
    expect(replies.some((m) => m.text.includes(`${i.id} reopened`))).toBe(true);
    expect(runs()).toEqual([{ command: 'reopen', via: 'button', user_id: TEST_USER, outcome: 'ok' }]);
    // Reopening what is open is refused with a sentence, and changes nothing.
    const again = await h.press(c.label('Take over').action_id.replace('take_over', 'reopen'), i.id);
    expect((await again.answer()).text).toBe(`${i.id} is not resolved; there is nothing to reopen.`);
  });

  it('Review answers with the review draft, privately', async () => {
    const { incident: i } = await declareIncident(env.deps, { title: 'proofs failing', actorId: TEST_USER });
    await resolveIncident(env.deps, i.id, { resolution: 'reran the job' }, TEST_USER);
    const p = await press(i.id, 'Review', STRANGER);
    const answer = await p.answer();
    expect(answer.response_type).toBe('ephemeral');
    expect(JSON.stringify(answer.blocks)).toContain(`Incident Report: ${i.id}`);
    expect(runs()).toEqual([{ command: 'review', via: 'button', user_id: STRANGER, outcome: 'info' }]);
  });
});

describe('"Next update" / --eta schedules the update reminder then', () => {
  const MIN = 60_000;
  const updateDue = async (id: string) => (await env.deps.state.timers.pending({ incidentId: id })).find((t) => t.kind === 'update-due')?.due_at;

  it('`update --eta 45m` typed: the reminder fires at 45 min, not on the 30 min cadence', async () => {
    const { incident: i } = await declareIncident(env.deps, { title: 'proofs failing', severity: 'P0', actorId: TEST_USER });
    const start = env.clock().getTime();
    const c = await h.command(`update ${i.id} --summary "Rolling back" --eta 45m`);
    expect((await c.answer()).text).toContain('the next one is due by 12:45 UTC');
    expect(await updateDue(i.id)).toBe(new Date(start + 45 * MIN).toISOString());
    env.clock.advance(31 * MIN);
    expect((await sweepTimers(env.deps)).reminders.filter((r) => r.kind === 'update-due')).toHaveLength(0);
    env.clock.advance(14 * MIN);
    expect((await sweepTimers(env.deps)).reminders.filter((r) => r.kind === 'update-due')).toHaveLength(1);
  });

  it('"Next update" in the form does the same; words that are no time keep the cadence', async () => {
    const { incident: i } = await declareIncident(env.deps, { title: 'proofs failing', severity: 'P0', actorId: TEST_USER });
    const start = env.clock().getTime();
    await press(i.id, 'Update');
    const f = await form(1);
    expect(await h.submit(f.callbackId, f.meta, { summary: text('Rolled back'), status: select('monitoring'), eta: text('14:00') })).toEqual({ status: 200, body: {} });
    expect(await updateDue(i.id)).toBe('2026-11-26T14:00:00.000Z');
    expect(await h.submit(f.callbackId, f.meta, { summary: text('Watching'), status: select('monitoring'), eta: text('investigating') })).toEqual({ status: 200, body: {} });
    expect(await updateDue(i.id)).toBe(new Date(start + 30 * MIN).toISOString());
  });
});
