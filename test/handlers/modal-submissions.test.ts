import { assertBlockKitLimits } from '../helpers/slack-judge.js';
/**
 * Each form stands for a subcommand: its fields become the subcommand's arguments and it runs
 * through the registry (tier, channel, audit row via "modal") within Slack's 3 s, so a refusal is
 * shown next to the field it is about. The app runs on the real HTTP receiver with signed
 * requests; its Web API is the Slack stand-in, and a real delivery loop carries the messages.
 */
import { BOUND_MS } from '../helpers/busy-machine.js';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { createRegistry } from '../../src/commands/index.js';
import { acknowledgeAlert } from '../../src/incidents/acknowledge.js';
import { declareIncident } from '../../src/incidents/declare.js';
import type { Incident } from '../../src/db/state/state-records.js';
import { botDmCheck } from '../../src/slack/dm-channels.js';
import { usergroupMembers } from '../../src/slack/usergroup-members.js';

import { INCIDENT_RESOLVE_ALERTS_ACTION } from '../../src/templates/incident-buttons.js';
import {
  FIELD_MAX,
  MODAL_CALLBACK,
  modalFor,
  modalMetadataSchema,
  readAckDetails,
  readEscalate,
  readResolve,
  readStatusUpdate,
} from '../../src/templates/incident-modals.js';
import type { ModalRequest } from '../../src/templates/report.js';
import { startDeliveryHarness, type DeliveryHarness } from '../helpers/delivery-harness.js';
import { incidentRow } from '../helpers/incident-fixtures.js';
import { eventually, settle, startHarness, TEST_USER, type Harness } from '../helpers/slack-harness.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';

const CHANNEL = 'C0INCIDENT';
const ELSEWHERE = 'C0RANDOM';
/** A DM between two people: a D… channel, but not the bot's. */
const PEOPLE_DM = 'D0BETWEEN2';
/** In the channel, not a responder. */
const STRANGER = 'U0READER';
/** In the responders' user group only. */
const GROUP_MEMBER = 'U0RESPONDER';
const GROUP = { id: 'S0ONCALL', handle: 'oncall', name: 'On-call', users: [GROUP_MEMBER] };

const CONFIG = {
  channels: { incidents: CHANNEL },
  responders: { users: [TEST_USER], usergroups: ['S0ONCALL'], channels: [CHANNEL] },
  escalation: { techLead: 'U0TECHLEAD', cto: 'U0CTOBOSS' },
};

type Values = Record<string, Record<string, unknown>>;

const text = (value: string | null) => ({ value: { type: 'plain_text_input', value } });
const select = (value: string | null) => ({ value: { type: 'static_select', selected_option: value === null ? null : { value, text: { type: 'plain_text', text: value } } } });

let dir: { dir: string; cleanup: () => void };
let atlas: { metrics: Database.Database; persistence: Database.Database };
let env: TestEnv;
let d: DeliveryHarness;
let h: Harness;
let seq = 0;

/**
 * The app on a fresh chatops.db with a fresh authorizer (no cached user group). Slack lookups
 * get BOUND_MS, so a busy machine's prompt answers count; a test of the production bound passes
 * null to keep the bot's own.
 */
async function start(config: object = CONFIG, lookupBoundMs: number | null = BOUND_MS) {
  dir = tempDir();
  const dataDir = path.join(dir.dir, '.shadow-atlas');
  atlas = createAtlasFiles(dataDir);
  env = testDeps(dataDir, { file: config });
  d = await startDeliveryHarness(env, { standIn: { usergroups: [GROUP] } });
  let client: Harness['app']['app']['client'] | null = null;
  const registry = createRegistry(createAuthorizer(env.deps.config, usergroupMembers(() => client), undefined, undefined, botDmCheck(() => client, lookupBoundMs === null ? {} : { boundMs: lookupBoundMs }), lookupBoundMs ?? undefined));
  h = await startHarness({ deps: env.deps, registry, slack: d.slack });
  client = h.app.app.client;
}

async function stop() {
  await h.close();
  await d.close();
  await env.close();
  atlas.metrics.close();
  atlas.persistence.close();
  dir.cleanup();
}

const slack = () => d.slack.workspace;
const runs = () => env.db.prepare('SELECT command, via, source, user_id, channel_id, outcome FROM command_runs ORDER BY id').all() as Record<string, string>[];
const declared = async (title = 'proofs failing'): Promise<Incident> => (await declareIncident(env.deps, { title, actorId: TEST_USER })).incident;
const snapshot = () => JSON.stringify(['incidents', 'alerts', 'timers', 'incident_events'].map((t) => env.db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()));

async function postAlert(): Promise<string> {
  const name = `tiger_down_${++seq}`;
  await ingestAlert(env.deps, { name, status: 'firing', message: 'TIGER not answering', source: 'atlas-webhook', severityHint: 'critical', firedAt: env.clock() });
  return name;
}

/** The thread of an incident's card, as Slack shows it. */
async function thread(incident: Incident): Promise<{ text: string; blocks?: unknown[] }[]> {
  await d.delivery.drain();
  const ts = (await env.deps.state.slackMessages.get(incident.anchor))?.ts;
  return ts ? slack().replies(CHANNEL, ts) : [];
}

/**
 * One case per form: a submission a responder may make, and what it changed. `metadata` is what
 * the form carried from where it was opened.
 */
interface FormCase {
  kind: ModalRequest['kind'];
  command: string;
  primary: string;
  outcome: string;
  arrange(): Promise<Incident>;
  values: Values;
  target?: string;
  acted(incident: Incident): Promise<void>;
}

const FORMS: FormCase[] = [
  {
    kind: 'ack-details',
    command: 'ack-details',
    primary: 'impact',
    outcome: 'ok',
    arrange: async () => (await acknowledgeAlert(env.deps, await postAlert(), TEST_USER)).incident,
    values: { impact: text('No new district lookups'), eta: text('45 min') },
    acted: async (i) => expect((await env.deps.state.incidents.get(i.id))!.impact).toBe('No new district lookups'),
  },
  {
    kind: 'update',
    command: 'update',
    primary: 'summary',
    outcome: 'ok',
    arrange: async () => await declared(),
    values: { summary: text('Rolled back'), status: select('monitoring') },
    acted: async (i) => expect((await env.deps.state.incidents.get(i.id))!.status).toBe('monitoring'),
  },
  {
    kind: 'escalate',
    command: 'escalate',
    primary: 'need',
    outcome: 'ok',
    arrange: async () => await declared(),
    target: 'techlead',
    values: { need: text('a decision on rolling back'), why: text(null) },
    acted: async (i) => expect((await env.deps.state.timeline.list(i.id)).map((e) => e.kind)).toContain('escalated'),
  },
  {
    kind: 'resolve',
    command: 'resolve',
    primary: 'resolution',
    outcome: 'ok',
    arrange: async () => await declared(),
    values: { resolution: text('TIGER is back'), impact: text(null) },
    acted: async (i) => expect((await env.deps.state.incidents.get(i.id))!.status).toBe('resolved'),
  },
];

const metaOf = (c: FormCase, incident: Incident, channel: string | undefined) => ({
  incidentId: incident.id,
  ...(c.target ? { target: c.target } : {}),
  ...(channel ? { channel } : {}),
});

describe('each form runs its command through the registry', () => {
  beforeEach(() => start());
  afterEach(() => stop());

  describe.each(FORMS)('$kind', (c) => {
    it('refuses a non-responder next to the form’s main field, changes nothing, and leaves one denied row', async () => {
      const incident = await c.arrange();
      const before = snapshot();
      const r = await h.submit(MODAL_CALLBACK[c.kind], metaOf(c, incident, CHANNEL), c.values, STRANGER);
      expect(r).toEqual({
        status: 200,
        body: { response_action: 'errors', errors: { [c.primary]: `\`${c.command}\` is for responders; ask the on-call lead to add you in the bot's config.` } },
      });
      expect(snapshot()).toBe(before);
      expect(runs()).toEqual([{ command: c.command, via: 'modal', source: 'slack', user_id: STRANGER, channel_id: CHANNEL, outcome: 'denied' }]);
    });

    it('acts for a responder (a member of the user group will do), closes the form and leaves one row', async () => {
      const incident = await c.arrange();
      const r = await h.submit(MODAL_CALLBACK[c.kind], metaOf(c, incident, CHANNEL), c.values, GROUP_MEMBER);
      expect(r).toEqual({ status: 200, body: {} });
      await c.acted(incident);
      expect(runs()).toEqual([{ command: c.command, via: 'modal', source: 'slack', user_id: GROUP_MEMBER, channel_id: CHANNEL, outcome: c.outcome }]);
    });

    it('is refused when opened outside responders.channels, in a DM between people (or nowhere known), and allowed from the DM with the bot', async () => {
      const incident = await c.arrange();
      const before = snapshot();
      const where = `\`${c.command}\` runs in <#${CHANNEL}> or a DM with the bot, where the team sees it.`;
      for (const channel of [ELSEWHERE, PEOPLE_DM, undefined]) {
        const r = await h.submit(MODAL_CALLBACK[c.kind], metaOf(c, incident, channel), c.values);
        expect(r.body).toEqual({ response_action: 'errors', errors: { [c.primary]: where } });
      }
      expect(snapshot()).toBe(before);
      // The stand-in answers conversations.open with the IM it keeps for this person and the bot.
      const dmWithBot = slack().directory.openConversation([TEST_USER]).channel.id;
      expect(await h.submit(MODAL_CALLBACK[c.kind], metaOf(c, incident, dmWithBot), c.values)).toEqual({ status: 200, body: {} });
      await c.acted(incident);
      expect(runs().map((r) => [r.channel_id, r.outcome])).toEqual([
        [ELSEWHERE, 'denied'],
        [PEOPLE_DM, 'denied'],
        [null, 'denied'],
        [dmWithBot, c.outcome],
      ]);
    });
  });
});

describe('a form submission whose user group lookup hangs (defect 1)', () => {
  // The bot's own bound: the point is that it fits in Slack's 3 s.
  beforeEach(() => start(CONFIG, null));
  afterEach(() => stop());

  it('still answers within Slack’s 3 s: a refusal that says to try again, not a timeout', async () => {
    const incident = await declared();
    d.slack.faults.inject({ method: 'usergroups.users.list', kind: 'hang' });
    const r = await h.submit(MODAL_CALLBACK.update, { incidentId: incident.id, channel: CHANNEL }, { summary: text('Rolled back'), status: select('monitoring') }, GROUP_MEMBER);
    // Bolt answers 404 when a request is not acknowledged in 3 s; a 200 with errors came in time.
    expect(r).toEqual({
      status: 200,
      body: {
        response_action: 'errors',
        errors: { summary: "Slack did not say in time whether you are in the responders' user group; try `update` again in a moment." },
      },
    });
    expect(slack().calls('usergroups.users.list')).toMatchObject([{ fault: 'hang', status: null }]);
    expect((await env.deps.state.incidents.get(incident.id))!.status).toBe('investigating');
    expect(runs()).toEqual([{ command: 'update', via: 'modal', source: 'slack', user_id: GROUP_MEMBER, channel_id: CHANNEL, outcome: 'denied' }]);
    // A configured responder does not wait for the user group at all.
    expect(await h.submit(MODAL_CALLBACK.update, { incidentId: incident.id, channel: CHANNEL }, { summary: text('Rolled back'), status: select('monitoring') })).toEqual({
      status: 200,
      body: {},
    });
  });
});

describe('the incident forms', () => {
  beforeEach(() => start());
  afterEach(() => stop());

  it('records impact and ETA from the acknowledge form and posts them in the thread', async () => {
    const { incident } = await acknowledgeAlert(env.deps, await postAlert(), TEST_USER);
    const r = await h.submit(MODAL_CALLBACK['ack-details'], { incidentId: incident.id, channel: CHANNEL }, { impact: text('No new district lookups since 11:50'), eta: text('45 min') });
    expect(r).toEqual({ status: 200, body: {} });
    const after = (await env.deps.state.incidents.get(incident.id))!;
    expect(after.impact).toBe('No new district lookups since 11:50');
    expect(after.next_update_at).toBe('2026-11-26T12:45:00.000Z');
    expect((await thread(incident)).map((m) => JSON.stringify(m))).toContainEqual(expect.stringContaining('No new district lookups since 11:50'));
  });

  it('keeps the defaults when both fields are skipped', async () => {
    const { incident } = await acknowledgeAlert(env.deps, await postAlert(), TEST_USER);
    const r = await h.submit(MODAL_CALLBACK['ack-details'], { incidentId: incident.id, channel: CHANNEL }, { impact: text(null), eta: text(null) });
    expect(r).toEqual({ status: 200, body: {} });
    expect((await env.deps.state.incidents.get(incident.id))!.impact).toBeNull();
    expect(runs()).toMatchObject([{ command: 'ack-details', via: 'modal', outcome: 'ok' }]);
  });

  it('shows an ETA it cannot read next to the ETA field', async () => {
    const incident = await declared();
    const r = await h.submit(MODAL_CALLBACK['ack-details'], { incidentId: incident.id, channel: CHANNEL }, { impact: text('users'), eta: text('whenever') });
    expect(r.body).toEqual({
      response_action: 'errors',
      errors: { eta: '"whenever" is not a time for the next update: give minutes ("30 min"), hours ("2 h") or a UTC time ("14:30"), within a week.' },
    });
    expect((await env.deps.state.incidents.get(incident.id))!.impact).toBeNull();
  });

  it('posts a status update with its status change, and escapes what the user typed', async () => {
    const incident = await declared('validation failing');
    const r = await h.submit(MODAL_CALLBACK.update, { incidentId: incident.id, channel: CHANNEL }, {
      summary: text('Root cause found <!channel>: a bad TIGER shapefile'),
      status: select('identified'),
      completed: text('- rolled back the snapshot'),
      in_progress: text(null),
      blocked: text(null),
      next_steps: text('re-run validation'),
      eta: text('30 min'),
    });
    expect(r).toEqual({ status: 200, body: {} });
    const after = (await env.deps.state.incidents.get(incident.id))!;
    expect(after.status).toBe('identified');
    expect(after.last_update_at).toBe(env.clock().toISOString());
    const post = (await thread(incident)).find((m) => JSON.stringify(m.blocks).includes('bad TIGER shapefile'));
    expect(post).toBeDefined();
    const blocks = JSON.stringify(post!.blocks);
    expect(blocks).toContain('&lt;!channel&gt;');
    expect(blocks).not.toContain('<!channel>');
  });

  it('refuses a missing summary, an answer over the limit, and an unknown status, naming each field, before asking the registry', async () => {
    const incident = await declared();
    const tooLong = 'x'.repeat(FIELD_MAX.summary + 1);
    const r = await h.submit(MODAL_CALLBACK.update, { incidentId: incident.id, channel: CHANNEL }, {
      summary: text('  '),
      status: select('resolved'),
      blocked: text('y'.repeat(FIELD_MAX.blocked + 5)),
    });
    expect(r.body).toEqual({
      response_action: 'errors',
      errors: {
        summary: 'Summary is required.',
        status: 'Choose a status.',
        blocked: `Blocked takes at most ${FIELD_MAX.blocked} characters (this is ${FIELD_MAX.blocked + 5}).`,
      },
    });
    const r2 = await h.submit(MODAL_CALLBACK.update, { incidentId: incident.id, channel: CHANNEL }, { summary: text(tooLong), status: select('monitoring') });
    expect(r2.body).toEqual({ response_action: 'errors', errors: { summary: `Summary takes at most ${FIELD_MAX.summary} characters (this is ${FIELD_MAX.summary + 1}).` } });
    expect((await env.deps.state.incidents.get(incident.id))!.status).toBe('investigating');
    expect(runs()).toEqual([]);
  });

  it('refuses a form that lost its metadata or whose values are not Slack’s shape', async () => {
    const incident = await declared();
    const values = { summary: text('ok'), status: select('monitoring') };
    for (const meta of ['not json', { incidentId: 'INC-1; DROP TABLE incidents' }, { incidentId: incident.id, target: 'everyone' }, { incidentId: incident.id, channel: 'general' }]) {
      const r = await h.submit(MODAL_CALLBACK.update, meta, values);
      expect(r.body).toEqual({ response_action: 'errors', errors: { summary: 'This form lost track of its incident; open it again from the incident.' } });
    }
    const r = await h.submit(MODAL_CALLBACK.update, { incidentId: incident.id, channel: CHANNEL }, 'garbage');
    expect(r.body).toMatchObject({ response_action: 'errors', errors: { summary: expect.stringMatching(/could not be read/) } });
    const unknown = await h.submit(MODAL_CALLBACK.update, { incidentId: 'INC-20261126-99', channel: CHANNEL }, values);
    expect(unknown.body).toEqual({ response_action: 'errors', errors: { summary: 'No incident INC-20261126-99. `/atlas incidents` lists the open ones.' } });
    expect(runs().map((r) => [r.command, r.outcome])).toEqual([['update', 'error']]);
  });

  it('answers a submission Slack would never send with an error next to the main field, running nothing', async () => {
    const incident = await declared();
    const r = await h.submit(MODAL_CALLBACK.resolve, { incidentId: incident.id, channel: CHANNEL }, { resolution: text('x') }, 'not-a-user');
    expect(r.body).toEqual({ response_action: 'errors', errors: { resolution: 'The form could not be read; open it again.' } });
    expect(runs()).toEqual([]);
  });

  it('escalates to the target the form was opened for, or the one chosen in it', async () => {
    const incident = await declared('IPFS completely down');
    const r = await h.submit(MODAL_CALLBACK.escalate, { incidentId: incident.id, target: 'techlead', channel: CHANNEL }, { need: text('a decision on rolling back'), why: text(null) });
    expect(r).toEqual({ status: 200, body: {} });
    const post = (await thread(incident)).find((m) => JSON.stringify(m.blocks).includes('<@U0TECHLEAD>'));
    expect(JSON.stringify(post?.blocks)).toContain('a decision on rolling back');

    const r2 = await h.submit(MODAL_CALLBACK.escalate, { incidentId: incident.id, channel: CHANNEL }, { target: select('cto'), need: text('approval'), why: text('1 h passed') });
    expect(r2).toEqual({ status: 200, body: {} });
    const escalations = (await env.deps.state.timeline.list(incident.id)).filter((e) => e.kind === 'escalated');
    expect(escalations.map((e) => (JSON.parse(e.data!) as { target: string }).target)).toEqual(['techlead', 'cto']);

    const missing = await h.submit(MODAL_CALLBACK.escalate, { incidentId: incident.id, channel: CHANNEL }, { target: select(null), need: text('') });
    expect(missing.body).toEqual({ response_action: 'errors', errors: { target: 'Choose who to escalate to.', need: 'Immediate need is required.' } });
  });

  it('resolves, then offers the resolver privately in the thread a button for the alerts still firing', async () => {
    const name = await postAlert();
    const { incident } = await acknowledgeAlert(env.deps, name, TEST_USER);
    await d.delivery.drain();
    const r = await h.submit(MODAL_CALLBACK.resolve, { incidentId: incident.id, channel: CHANNEL }, { resolution: text('TIGER is back'), impact: text('lookups failed 20 min') });
    expect(r).toEqual({ status: 200, body: {} });
    expect(await env.deps.state.incidents.get(incident.id)).toMatchObject({ status: 'resolved', resolution: 'TIGER is back', impact: 'lookups failed 20 min' });
    const prompt = await eventually(() => slack().ephemerals({ user: TEST_USER })[0], 'the offer');
    expect(prompt).toMatchObject({ user: TEST_USER, channel: CHANNEL, thread_ts: (await env.deps.state.slackMessages.get(incident.anchor))!.ts });
    const button = (prompt.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>).find((b) => b.type === 'actions')!.elements![0]!;
    expect(button).toMatchObject({ action_id: INCIDENT_RESOLVE_ALERTS_ACTION, value: incident.id });
    expect(prompt.text).toContain('alerts are still firing');
    expect(JSON.stringify(prompt.blocks)).toContain('1 alert is still firing');

    // Resolving it again is refused next to the resolution field.
    const again = await h.submit(MODAL_CALLBACK.resolve, { incidentId: incident.id, channel: CHANNEL }, { resolution: text('again') });
    expect(again.body).toMatchObject({ response_action: 'errors', errors: { resolution: expect.stringMatching(new RegExp(`^${incident.id} is already resolved`)) } });
  });

  it('makes no offer when no alert of the resolved incident fires', async () => {
    const incident = await declared();
    expect(await h.submit(MODAL_CALLBACK.resolve, { incidentId: incident.id, channel: CHANNEL }, { resolution: text('done') })).toEqual({ status: 200, body: {} });
    await settle();
    expect(slack().calls('chat.postEphemeral')).toEqual([]);
  });
});

describe('the forms a slash command opens', () => {
  beforeEach(() => start());
  afterEach(() => stop());

  it('opens the form the command asks for (and says nothing more), and answers with the flags when it cannot', async () => {
    const incident = await declared('validation failing');
    const c = await h.command(`update ${incident.id}`);
    expect(c.res.status).toBe(200);
    const open = await eventually(() => slack().calls('views.open').find((v) => v.status === 200), 'views.open');
    const view = open.args.view as { callback_id: string; private_metadata: string; blocks: unknown[] };
    expect(view.callback_id).toBe('atlas_update');
    expect(JSON.parse(view.private_metadata)).toEqual({ incidentId: incident.id, channel: CHANNEL });
    await settle();
    expect(c.answers()).toEqual([]);
    expect(runs()).toEqual([{ command: 'update', via: 'command', source: 'slack', user_id: TEST_USER, channel_id: CHANNEL, outcome: 'info' }]);

    d.slack.faults.inject({ method: 'views.open', kind: 'error', error: 'expired_trigger_id' });
    const again = await h.command(`resolve ${incident.id}`);
    expect(JSON.stringify(await again.answer())).toContain('--resolution');
    expect((await env.deps.state.incidents.get(incident.id))!.status).not.toBe('resolved');
  });

  it('submitting the form the slash command opened does what the command would have', async () => {
    const incident = await declared('validation failing');
    await h.command(`escalate ${incident.id} cto`);
    const open = await eventually(() => slack().calls('views.open').find((v) => v.status === 200), 'views.open');
    const view = open.args.view as { callback_id: string; private_metadata: string };
    expect(JSON.parse(view.private_metadata)).toEqual({ incidentId: incident.id, target: 'cto', channel: CHANNEL });
    expect(await h.submit(view.callback_id, view.private_metadata, { need: text('approve the rebuild'), why: text(null) })).toEqual({ status: 200, body: {} });
    const post = (await thread(incident)).find((m) => m.text.startsWith('📣'));
    expect(post?.text).toContain('<@U0CTOBOSS>');
  });
});

describe('modalFor', () => {
  const incident = incidentRow({
    id: 'INC-20261126-3',
    seq: 3,
    title: `Proofs failing <!channel> ${'x'.repeat(5000)}`,
    status: 'identified',
    impact: 'y'.repeat(4000),
  });

  type Block = { type: string; block_id?: string; optional?: boolean; element?: Record<string, unknown>; hint?: { text: string } };

  const requests: ModalRequest[] = [
    { kind: 'ack-details', incidentId: incident.id },
    { kind: 'update', incidentId: incident.id },
    { kind: 'escalate', incidentId: incident.id, target: 'cto' },
    { kind: 'escalate', incidentId: incident.id },
    { kind: 'resolve', incidentId: incident.id },
  ];

  it.each(requests)('builds a valid $kind form within Slack’s limits, with hostile text escaped', (request) => {
    const view = modalFor(request, incident, CHANNEL);
    expect(view.callback_id).toBe(MODAL_CALLBACK[request.kind]);
    for (const t of [view.title, view.submit!, view.close!]) expect(t.text.length).toBeLessThanOrEqual(24);
    assertBlockKitLimits('modal', view.blocks);
    expect(view.private_metadata!.length).toBeLessThanOrEqual(3000);
    expect(modalMetadataSchema.parse(JSON.parse(view.private_metadata!))).toEqual({ incidentId: incident.id, channel: CHANNEL, ...(request.target ? { target: request.target } : {}) });
    const blocks = view.blocks as Block[];
    const inputs = blocks.filter((b) => b.type === 'input');
    expect(inputs.length).toBeGreaterThan(0);
    for (const input of inputs) {
      if (input.element!.type === 'plain_text_input') {
        expect(input.element!.max_length, `${input.block_id} max_length`).toBeGreaterThan(0);
        expect(input.element!.max_length as number).toBeLessThanOrEqual(3000);
        const initial = input.element!.initial_value as string | undefined;
        if (initial) expect(initial.length).toBeLessThanOrEqual(input.element!.max_length as number);
      }
    }
    const all = JSON.stringify(view.blocks);
    expect(all).toContain('&lt;!channel&gt;');
    expect(all).not.toContain('<!channel>');
  });

  it('carries no channel when opened from nowhere known', () => {
    expect(JSON.parse(modalFor({ kind: 'update', incidentId: incident.id }, incident).private_metadata!)).toEqual({ incidentId: incident.id });
  });

  it('states the defaults of the optional acknowledge fields', () => {
    const blocks = modalFor({ kind: 'ack-details', incidentId: incident.id }, incident).blocks as Block[];
    const byId = Object.fromEntries(blocks.filter((b) => b.block_id).map((b) => [b.block_id, b]));
    expect(byId.impact).toMatchObject({ optional: true, hint: { text: 'Who or what is affected. Left empty: "being assessed".' } });
    expect(byId.eta).toMatchObject({ optional: true, hint: { text: 'Like "30 min" or "14:30" (UTC). Left empty: in 30 min, the P0 update cadence.' } });
  });

  it('reads back what Slack sends for each form’s own blocks', () => {
    const fill = (kind: ModalRequest['kind'], target?: string) => {
      const values: Values = {};
      for (const b of modalFor({ kind, incidentId: incident.id, target }, incident).blocks as Block[]) {
        if (b.type !== 'input') continue;
        values[b.block_id!] = b.element!.type === 'static_select' ? select((b.element!.initial_option as { value: string }).value) : text(`${b.block_id} answer`);
      }
      return values;
    };
    expect(readAckDetails(fill('ack-details'))).toEqual({ ok: true, data: { impact: 'impact answer', eta: 'eta answer' } });
    expect(readStatusUpdate(fill('update'))).toEqual({
      ok: true,
      data: {
        summary: 'summary answer',
        status: 'identified',
        completed: 'completed answer',
        inProgress: 'in_progress answer',
        blocked: 'blocked answer',
        nextSteps: 'next_steps answer',
        eta: 'eta answer',
      },
    });
    expect(readEscalate(fill('escalate'))).toEqual({ ok: true, data: { target: 'techlead', need: 'need answer', why: 'why answer' } });
    expect(readEscalate(fill('escalate', 'security'), 'security')).toEqual({ ok: true, data: { target: 'security', need: 'need answer', why: 'why answer' } });
    expect(readResolve(fill('resolve'))).toEqual({ ok: true, data: { resolution: 'resolution answer', impact: 'impact answer' } });
  });
});
