import path from 'node:path';
import type Database from 'better-sqlite3';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getAlert } from '../../src/alerts/alert-store.js';
import { createRegistry } from '../../src/commands/index.js';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { buildConfig } from '../../src/config.js';
import { notAResponder } from '../../src/handlers/incident-actions.js';
import { acknowledgeAlert, declareIncident } from '../../src/incidents/incident-service.js';
import { getIncident, timeline } from '../../src/incidents/incident-store.js';
import { iso, type Incident } from '../../src/incidents/incident-types.js';
import { assertBlockKitLimits } from '../../src/templates/block-kit.js';
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
import { INCIDENT_RESOLVE_ALERTS_ACTION } from '../../src/templates/nudge-messages.js';
import { eventually, recordSlackApi, startHarness, TEST_USER, viewSubmissionPayload, type Harness } from '../helpers/slack-harness.js';
import { createAtlasFiles, tempDir, testDeps } from '../helpers/test-deps.js';

const STRANGER = 'U0STRANGER';

const CONFIG = {
  channels: { incidents: 'C0INCIDENT' },
  responders: { users: [TEST_USER] },
  escalation: { techLead: 'U0TECHLEAD', cto: 'U0CTOBOSS' },
};

type Values = Record<string, Record<string, unknown>>;

const text = (value: string | null) => ({ value: { type: 'plain_text_input', value } });
const select = (value: string | null) => ({ value: { type: 'static_select', selected_option: value === null ? null : { value, text: { type: 'plain_text', text: value } } } });

const submission = viewSubmissionPayload;

describe('incident modals', () => {
  const dir = tempDir();
  const dataDir = path.join(dir.dir, '.shadow-atlas');
  let atlas: { metrics: Database.Database; persistence: Database.Database };
  let env: ReturnType<typeof testDeps>;
  let h: Harness;
  let slack: ReturnType<typeof recordSlackApi>;
  let seq = 0;

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    atlas = createAtlasFiles(dataDir);
    env = testDeps(dataDir, { file: CONFIG });
    h = await startHarness({ deps: env.deps, registry: createRegistry(createAuthorizer(buildConfig(dataDir, CONFIG))) });
  });
  beforeEach(() => {
    slack = recordSlackApi();
  });
  afterEach(() => nock.cleanAll());
  afterAll(async () => {
    await h.close();
    env.close();
    atlas.metrics.close();
    atlas.persistence.close();
    dir.cleanup();
    nock.enableNetConnect();
  });

  /** Submits and returns the HTTP answer: {} when accepted, the errors otherwise. */
  async function submit(payload: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await h.signedAction(payload);
    const raw = await res.text();
    return { status: res.status, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {} };
  }

  async function declared(title = 'proofs failing'): Promise<Incident> {
    return (await declareIncident(env.deps, { title, actorId: TEST_USER })).incident;
  }

  function postAlert(): string {
    const name = `tiger_down_${++seq}`;
    const now = iso(env.clock());
    env.deps.state
      .prepare(
        `INSERT INTO alerts (key, name, status, severity, severity_known, message, fired_at, updated_at, channel_id, message_ts)
         VALUES (?, ?, 'firing', 'P1', 1, 'TIGER not answering', ?, ?, 'C0INCIDENT', ?)`,
      )
      .run(name, name, now, now, `1764158400.10${seq}`);
    return name;
  }

  const threadPosts = () => slack.of('chat.postMessage').filter((c) => c.body.thread_ts);

  it('records impact and ETA from the acknowledge modal and posts them in the thread', async () => {
    const { incident } = await acknowledgeAlert(env.deps, postAlert(), TEST_USER);
    const r = await submit(
      submission(MODAL_CALLBACK['ack-details'], { incidentId: incident.id }, { impact: text('No new district lookups since 11:50'), eta: text('45 min') }),
    );
    expect(r).toEqual({ status: 200, body: {} });
    const after = getIncident(env.deps.state, incident.id)!;
    expect(after.impact).toBe('No new district lookups since 11:50');
    expect(after.next_update_at).toBe('2026-11-26T12:45:00.000Z');
    await eventually(() => threadPosts().some((c) => JSON.stringify(c.body.blocks).includes('No new district lookups since 11:50')), 'the details in the thread');
  });

  it('keeps the defaults when both fields are skipped', async () => {
    const { incident } = await acknowledgeAlert(env.deps, postAlert(), TEST_USER);
    const r = await submit(submission(MODAL_CALLBACK['ack-details'], { incidentId: incident.id }, { impact: text(null), eta: text(null) }));
    expect(r).toEqual({ status: 200, body: {} });
    expect(getIncident(env.deps.state, incident.id)!.impact).toBeNull();
  });

  it('shows an ETA it cannot read next to the ETA field', async () => {
    const incident = await declared();
    const r = await submit(submission(MODAL_CALLBACK['ack-details'], { incidentId: incident.id }, { impact: text('users'), eta: text('whenever') }));
    expect(r.body).toEqual({
      response_action: 'errors',
      errors: { eta: '"whenever" is not a time for the next update: give minutes ("30 min"), hours ("2 h") or a UTC time ("14:30"), within a week.' },
    });
    expect(getIncident(env.deps.state, incident.id)!.impact).toBeNull();
  });

  it('posts a status update with its status change, and escapes what the user typed', async () => {
    const incident = await declared('validation failing');
    const r = await submit(
      submission(MODAL_CALLBACK.update, { incidentId: incident.id }, {
        summary: text('Root cause found <!channel>: a bad TIGER shapefile'),
        status: select('identified'),
        completed: text('- rolled back the snapshot'),
        in_progress: text(null),
        blocked: text(null),
        next_steps: text('re-run validation'),
        eta: text('30 min'),
      }),
    );
    expect(r).toEqual({ status: 200, body: {} });
    const after = getIncident(env.deps.state, incident.id)!;
    expect(after.status).toBe('identified');
    expect(after.last_update_at).toBe(iso(env.clock()));
    const post = await eventually(() => threadPosts().find((c) => JSON.stringify(c.body.blocks).includes('bad TIGER shapefile')), 'the update in the thread');
    const blocks = JSON.stringify(post.body.blocks);
    expect(blocks).toContain('&lt;!channel&gt;');
    expect(blocks).not.toContain('<!channel>');
  });

  it('refuses a missing summary, an answer over the limit, and an unknown status, naming each field', async () => {
    const incident = await declared();
    const tooLong = 'x'.repeat(FIELD_MAX.summary + 1);
    const r = await submit(
      submission(MODAL_CALLBACK.update, { incidentId: incident.id }, { summary: text('  '), status: select('resolved'), blocked: text('y'.repeat(FIELD_MAX.blocked + 5)) }),
    );
    expect(r.body).toEqual({
      response_action: 'errors',
      errors: {
        summary: 'Summary is required.',
        status: 'Choose a status.',
        blocked: `Blocked takes at most ${FIELD_MAX.blocked} characters (this is ${FIELD_MAX.blocked + 5}).`,
      },
    });
    const r2 = await submit(submission(MODAL_CALLBACK.update, { incidentId: incident.id }, { summary: text(tooLong), status: select('monitoring') }));
    expect(r2.body).toEqual({ response_action: 'errors', errors: { summary: `Summary takes at most ${FIELD_MAX.summary} characters (this is ${FIELD_MAX.summary + 1}).` } });
    expect(getIncident(env.deps.state, incident.id)!.status).toBe('investigating');
  });

  it('refuses a form that lost its metadata or whose values are not Slack’s shape', async () => {
    const incident = await declared();
    const values = { summary: text('ok'), status: select('monitoring') };
    for (const meta of ['not json', { incidentId: 'INC-1; DROP TABLE incidents' }, { incidentId: incident.id, target: 'everyone' }]) {
      const r = await submit(submission(MODAL_CALLBACK.update, meta, values));
      expect(r.body).toEqual({ response_action: 'errors', errors: { summary: 'This form lost track of its incident; open it again from the incident.' } });
    }
    const r = await submit(submission(MODAL_CALLBACK.update, { incidentId: incident.id }, 'garbage'));
    expect(r.body).toMatchObject({ response_action: 'errors', errors: { summary: expect.stringMatching(/could not be read/) } });
    const unknown = await submit(submission(MODAL_CALLBACK.update, { incidentId: 'INC-20261126-99' }, values));
    expect(unknown.body).toEqual({ response_action: 'errors', errors: { summary: 'No incident INC-20261126-99. `/atlas incidents` lists the open ones.' } });
  });

  it('refuses a submission from someone who is not a responder', async () => {
    const incident = await declared();
    const r = await submit(submission(MODAL_CALLBACK.update, { incidentId: incident.id }, { summary: text('hi'), status: select('monitoring') }, STRANGER));
    expect(r.body).toEqual({ response_action: 'errors', errors: { summary: notAResponder('Posting updates') } });
    expect(getIncident(env.deps.state, incident.id)!.last_update_at).toBe(incident.last_update_at);
  });

  it('escalates to the target the modal was opened for, or the one chosen in it', async () => {
    const incident = await declared('IPFS completely down');
    const r = await submit(
      submission(MODAL_CALLBACK.escalate, { incidentId: incident.id, target: 'techlead' }, { need: text('a decision on rolling back'), why: text(null) }),
    );
    expect(r).toEqual({ status: 200, body: {} });
    const post = await eventually(() => threadPosts().find((c) => JSON.stringify(c.body.blocks).includes('<@U0TECHLEAD>')), 'the escalation');
    expect(JSON.stringify(post.body.blocks)).toContain('a decision on rolling back');

    const r2 = await submit(submission(MODAL_CALLBACK.escalate, { incidentId: incident.id }, { target: select('cto'), need: text('approval'), why: text('1 h passed') }));
    expect(r2.status).toBe(200);
    expect(timeline(env.deps.state, incident.id).filter((e) => e.kind === 'escalated').map((e) => JSON.parse(e.data!).target)).toEqual(['techlead', 'cto']);

    const missing = await submit(submission(MODAL_CALLBACK.escalate, { incidentId: incident.id }, { target: select(null), need: text('') }));
    expect(missing.body).toEqual({ response_action: 'errors', errors: { target: 'Choose who to escalate to.', need: 'Immediate need is required.' } });
  });

  it('resolves, then offers the resolver a button for the alerts still firing', async () => {
    const name = postAlert();
    const { incident } = await acknowledgeAlert(env.deps, name, TEST_USER);
    await env.deps.outbox.flush();
    const r = await submit(submission(MODAL_CALLBACK.resolve, { incidentId: incident.id }, { resolution: text('TIGER is back'), impact: text('lookups failed 20 min') }));
    expect(r).toEqual({ status: 200, body: {} });
    const after = getIncident(env.deps.state, incident.id)!;
    expect(after).toMatchObject({ status: 'resolved', resolution: 'TIGER is back', impact: 'lookups failed 20 min' });
    const prompt = await eventually(() => slack.of('chat.postEphemeral')[0], 'the prompt');
    expect(prompt.body).toMatchObject({ user: TEST_USER, channel: 'C0INCIDENT', thread_ts: getAlert(env.deps.state, name)!.message_ts });
    const button = (prompt.body.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>).find((b) => b.type === 'actions')!.elements![0]!;
    expect(button).toMatchObject({ action_id: INCIDENT_RESOLVE_ALERTS_ACTION, value: incident.id });
    expect(String(prompt.body.text)).toContain('1 alert is still firing');

    // Resolving it again is refused next to the resolution field.
    const again = await submit(submission(MODAL_CALLBACK.resolve, { incidentId: incident.id }, { resolution: text('again') }));
    expect(again.body).toMatchObject({ response_action: 'errors', errors: { resolution: expect.stringMatching(new RegExp(`^${incident.id} is already resolved`)) } });
  });
});

describe('modalFor', () => {
  const incident: Incident = {
    id: 'INC-20261126-3',
    day: '20261126',
    seq: 3,
    title: `Proofs failing <!channel> ${'x'.repeat(5000)}`,
    severity: 'P0',
    status: 'identified',
    owner_id: TEST_USER,
    created_by: TEST_USER,
    alert_key: null,
    channel_id: 'C0INCIDENT',
    root_ts: '1764158400.000100',
    opened_at: '2026-11-26T11:50:00.000Z',
    acknowledged_at: '2026-11-26T11:53:00.000Z',
    ack_seconds: 180,
    impact: 'y'.repeat(4000),
    next_update_at: null,
    last_update_at: null,
    resolved_at: null,
    resolution: null,
    review_done_at: null,
  };

  type Block = { type: string; block_id?: string; optional?: boolean; element?: Record<string, unknown>; hint?: { text: string } };

  const requests: ModalRequest[] = [
    { kind: 'ack-details', incidentId: incident.id },
    { kind: 'update', incidentId: incident.id },
    { kind: 'escalate', incidentId: incident.id, target: 'cto' },
    { kind: 'escalate', incidentId: incident.id },
    { kind: 'resolve', incidentId: incident.id },
  ];

  it.each(requests)('builds a valid $kind modal within Slack’s limits, with hostile text escaped', (request) => {
    const view = modalFor(request, incident);
    expect(view.callback_id).toBe(MODAL_CALLBACK[request.kind]);
    for (const t of [view.title, view.submit!, view.close!]) expect(t.text.length).toBeLessThanOrEqual(24);
    assertBlockKitLimits('modal', view.blocks);
    expect(view.private_metadata!.length).toBeLessThanOrEqual(3000);
    expect(modalMetadataSchema.parse(JSON.parse(view.private_metadata!))).toEqual({ incidentId: incident.id, ...(request.target ? { target: request.target } : {}) });
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

  it('states the defaults of the optional acknowledge fields', () => {
    const blocks = modalFor({ kind: 'ack-details', incidentId: incident.id }, incident).blocks as Block[];
    const byId = Object.fromEntries(blocks.filter((b) => b.block_id).map((b) => [b.block_id, b]));
    expect(byId.impact).toMatchObject({ optional: true, hint: { text: 'Who or what is affected. Left empty: "being assessed".' } });
    expect(byId.eta).toMatchObject({ optional: true, hint: { text: 'Like "30 min" or "14:30" (UTC). Left empty: in 30 min, the P0 update cadence.' } });
  });

  it('reads back what Slack sends for each modal’s own blocks', () => {
    const fill = (kind: ModalRequest['kind'], target?: string) => {
      const values: Values = {};
      for (const b of modalFor({ kind, incidentId: incident.id, target }, incident).blocks as Block[]) {
        if (b.type !== 'input') continue;
        values[b.block_id!] =
          b.element!.type === 'static_select'
            ? select((b.element!.initial_option as { value: string }).value)
            : text(`${b.block_id} answer`);
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
