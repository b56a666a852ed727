import path from 'node:path';
import type Database from 'better-sqlite3';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getAlert } from '../../src/alerts/alert-store.js';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { createRegistry } from '../../src/commands/index.js';
import { buildConfig } from '../../src/config.js';
import { notAResponder, BUTTON_MESSAGES } from '../../src/handlers/incident-actions.js';
import { acknowledgeAlert, declareIncident, resolveIncident } from '../../src/incidents/incident-service.js';
import { getIncident, timeline } from '../../src/incidents/incident-store.js';
import { iso, type TimerRow } from '../../src/incidents/incident-types.js';
import type { Severity } from '../../src/incidents/severity-matrix.js';
import { planAlertTimers, scheduleTimer } from '../../src/incidents/timer-plan.js';
import { ALERT_ACK_ACTION } from '../../src/templates/alert-message.js';
import { assertBlockKitLimits } from '../../src/templates/block-kit.js';
import {
  INCIDENT_ATTACH_ACTION,
  INCIDENT_ESCALATE_ACTION,
  INCIDENT_RESOLVE_ALERTS_ACTION,
  INCIDENT_REVIEW_DONE_ACTION,
  INCIDENT_UPDATE_ACTION,
} from '../../src/templates/nudge-messages.js';
import {
  blockActionPayload,
  eventually,
  newResponsePath,
  recordSlackApi,
  RESPONSE_ORIGIN,
  startHarness,
  TEST_USER,
  type CapturedResponse,
  type Harness,
} from '../helpers/slack-harness.js';
import { createAtlasFiles, tempDir, testDeps } from '../helpers/test-deps.js';

const SECOND_RESPONDER = 'U0ONCALL2';
const GROUP_MEMBER = 'U0GROUPIE';
const STRANGER = 'U0STRANGER';

const CONFIG = {
  channels: { incidents: 'C0INCIDENT' },
  responders: { users: [TEST_USER, SECOND_RESPONDER], usergroups: ['S0ONCALL'] },
  escalation: { techLead: 'U0TECHLEAD', cto: 'U0CTOBOSS' },
};

/** Captures the answers to one click's response_url. */
function responses(h: Harness, count = 1): { url: string; got: CapturedResponse[] } {
  const path = newResponsePath('actions');
  const got: CapturedResponse[] = [];
  for (let i = 0; i < count; i++) void h.expectResponse(path).then((r) => got.push(r));
  return { url: `${RESPONSE_ORIGIN}${path}`, got };
}

const settle = () => new Promise((r) => setTimeout(r, 150));

describe('incident buttons', () => {
  const dir = tempDir();
  const dataDir = path.join(dir.dir, '.shadow-atlas');
  let atlas: { metrics: Database.Database; persistence: Database.Database };
  let env: ReturnType<typeof testDeps>;
  let h: Harness;
  let slack: ReturnType<typeof recordSlackApi>;
  let alertSeq = 0;

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    atlas = createAtlasFiles(dataDir);
    env = testDeps(dataDir, { file: CONFIG });
    const registry = createRegistry(createAuthorizer(buildConfig(dataDir, CONFIG)));
    h = await startHarness({ deps: env.deps, registry });
  });

  beforeEach(() => {
    slack = recordSlackApi({ groupMembers: [GROUP_MEMBER] });
    // Each test starts with no incident open.
    env.deps.state.prepare("UPDATE incidents SET status = 'resolved', resolved_at = ? WHERE status <> 'resolved'").run(iso(env.clock()));
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

  /** A firing alert as the ingest leaves it: posted in the channel, its reminders planned, its metrics.db row. */
  function postAlert(severity: Severity = 'P0'): string {
    const name = `proof_failures_${++alertSeq}`;
    const now = iso(env.clock());
    env.deps.state
      .prepare(
        `INSERT INTO alerts (key, name, status, severity, severity_known, message, fired_at, updated_at, channel_id, message_ts)
         VALUES (?, ?, 'firing', ?, 1, 'Proof generation failing <!channel>', ?, ?, 'C0INCIDENT', ?)`,
      )
      .run(name, name, severity, now, now, `1764158400.00${alertSeq}`);
    for (const t of planAlertTimers(getAlert(env.deps.state, name)!, env.clock())) {
      scheduleTimer(env.deps.state, { kind: t.kind, due: t.due, alertKey: name }, env.clock());
    }
    atlas.metrics.prepare("INSERT INTO alerts (name, status, message, fired_at) VALUES (?, 'firing', 'Proof generation failing', ?)").run(name, now.replace('T', ' ').slice(0, 19));
    return name;
  }

  const click = (actionId: string, value: string, opts: { user?: string; responseUrl?: string } = {}) =>
    h.signedAction(blockActionPayload({ actionId, value, ...opts }));

  const incidentCount = () => (env.deps.state.prepare('SELECT COUNT(*) AS n FROM incidents').get() as { n: number }).n;

  it('acknowledges for a responder: opens the incident, then the impact/ETA modal, and updates the alert message in place', async () => {
    const name = postAlert('P0');
    const alert = getAlert(env.deps.state, name)!;
    const r = responses(h);
    const res = await click(ALERT_ACK_ACTION, name, { responseUrl: r.url });
    expect(res.status).toBe(200);

    const open = await eventually(() => slack.of('views.open')[0], 'views.open');
    expect(open.body.trigger_id).toMatch(/^\d+\.1\.[0-9a-f]+$/);
    const view = open.body.view as { callback_id: string; private_metadata: string; blocks: unknown[] };
    expect(view.callback_id).toBe('atlas_ack_details');
    const incidentId = (JSON.parse(view.private_metadata) as { incidentId: string }).incidentId;
    expect(incidentId).toBe('INC-20261126-' + String(incidentCount()));
    assertBlockKitLimits('modal', view.blocks);

    // The outbox delivered the card (the alert's own message, edited) and the initial response in its thread.
    const update = await eventually(() => slack.of('chat.update').find((c) => c.body.ts === alert.message_ts), 'the card edit');
    expect(String(update.body.text)).toContain(incidentId);
    const initial = await eventually(() => slack.of('chat.postMessage').find((c) => c.body.thread_ts === alert.message_ts), 'the initial response');
    expect(String(initial.body.channel)).toBe('C0INCIDENT');

    const incident = getIncident(env.deps.state, incidentId)!;
    expect(incident).toMatchObject({ owner_id: TEST_USER, alert_key: name, severity: 'P0' });
    expect(getAlert(env.deps.state, name)).toMatchObject({ incident_id: incidentId, acknowledged_by: TEST_USER });
    const ackTimers = env.deps.state.prepare('SELECT * FROM timers WHERE alert_key = ? AND incident_id IS NULL').all(name) as TimerRow[];
    expect(ackTimers.every((t) => t.cancelled_at !== null)).toBe(true);
    const row = atlas.metrics.prepare('SELECT acknowledged_at FROM alerts WHERE name = ?').get(name) as { acknowledged_at: string | null };
    expect(row.acknowledged_at).not.toBeNull();
    // The modal is the answer: no ephemeral message.
    await settle();
    expect(r.got).toHaveLength(0);
  });

  it('refuses a stranger with one sentence and changes nothing', async () => {
    const name = postAlert('P1');
    const before = incidentCount();
    const r = responses(h);
    await click(ALERT_ACK_ACTION, name, { user: STRANGER, responseUrl: r.url });
    const answer = await eventually(() => r.got[0], 'the refusal');
    expect(answer.body).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: notAResponder('Acknowledging') });
    expect(answer.body.text).toBe("Acknowledging is for responders; ask the on-call lead to add you in the bot's config.");
    expect(incidentCount()).toBe(before);
    expect(getAlert(env.deps.state, name)!.incident_id).toBeNull();
    expect(slack.of('views.open')).toHaveLength(0);
    // The user group was consulted (the stranger is not in it); the answer is cached for 5 minutes.
    expect(slack.of('usergroups.users.list').map((c) => c.body.usergroup)).toEqual(['S0ONCALL']);
  });

  it('makes one incident from a double click; the second click is told who won', async () => {
    const name = postAlert('P0');
    const before = incidentCount();
    const first = responses(h);
    const second = responses(h);
    const [a, b] = await Promise.all([
      click(ALERT_ACK_ACTION, name, { responseUrl: first.url }),
      click(ALERT_ACK_ACTION, name, { user: SECOND_RESPONDER, responseUrl: second.url }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const loser = await eventually(() => first.got[0] ?? second.got[0], 'the losing click’s answer');
    await eventually(() => slack.of('views.open').length === 1, 'one modal');
    await settle();
    expect(first.got.length + second.got.length).toBe(1);
    expect(slack.of('views.open')).toHaveLength(1);
    expect(incidentCount()).toBe(before + 1);
    const winner = getAlert(env.deps.state, name)!;
    expect(loser.body.text).toBe(`${name} is already acknowledged by <@${winner.acknowledged_by}> as ${winner.incident_id} at 12:00 UTC.`);
    // The initial response went out once.
    const initial = slack.of('chat.postMessage').filter((c) => c.body.thread_ts === winner.message_ts);
    expect(initial).toHaveLength(1);
  });

  it('still acknowledges when the modal cannot open, and says how to add the details', async () => {
    const name = postAlert('P1');
    slack.answers['views.open'] = () => ({ ok: false, error: 'expired_trigger_id' });
    const r = responses(h);
    await click(ALERT_ACK_ACTION, name, { responseUrl: r.url });
    const answer = await eventually(() => r.got[0], 'the fallback answer');
    const incidentId = getAlert(env.deps.state, name)!.incident_id!;
    expect(answer.body.text).toMatch(new RegExp(`^${name} acknowledged after 0 s: ${incidentId} \\(P1\\) is open and yours`));
    expect(answer.body.text).toContain(`Add impact and the next update time with \`/atlas update ${incidentId}\`.`);
    expect(h.logs.lines.some((l) => l.msg === 'could not open a modal')).toBe(true);
  });

  it('opens the escalate modal for its target from a nudge, for a member of a responder user group', async () => {
    const { incident } = await declareIncident(env.deps, { title: 'IPFS completely down', actorId: TEST_USER });
    await click(INCIDENT_ESCALATE_ACTION, `${incident.id}:techlead`, { user: GROUP_MEMBER });
    const open = await eventually(() => slack.of('views.open')[0], 'views.open');
    const view = open.body.view as { callback_id: string; private_metadata: string; blocks: unknown[] };
    expect(view.callback_id).toBe('atlas_escalate');
    expect(JSON.parse(view.private_metadata)).toEqual({ incidentId: incident.id, target: 'techlead' });
    expect(JSON.stringify(view.blocks)).toContain('Escalating to *the tech lead*');
  });

  it('opens the status update modal from an update nudge', async () => {
    const { incident } = await declareIncident(env.deps, { title: 'slow queries', actorId: TEST_USER });
    await click(INCIDENT_UPDATE_ACTION, incident.id);
    const open = await eventually(() => slack.of('views.open')[0], 'views.open');
    expect((open.body.view as { callback_id: string }).callback_id).toBe('atlas_update');
  });

  it('answers a button on a resolved incident or with a forged value in one sentence, opening nothing', async () => {
    const { incident } = await declareIncident(env.deps, { title: 'stuck job', actorId: TEST_USER });
    await resolveIncident(env.deps, incident.id, { resolution: 'restarted the job' }, TEST_USER);
    const resolved = responses(h);
    await click(INCIDENT_UPDATE_ACTION, incident.id, { responseUrl: resolved.url });
    expect((await eventually(() => resolved.got[0], 'answer')).body.text).toMatch(new RegExp(`^${incident.id} is already resolved`));

    const forged = responses(h);
    await click(INCIDENT_ESCALATE_ACTION, `${incident.id}:everyone`, { responseUrl: forged.url });
    expect((await eventually(() => forged.got[0], 'answer')).body.text).toBe(BUTTON_MESSAGES.malformed);
    expect(slack.of('views.open')).toHaveLength(0);
  });

  it('resolves the alerts still firing after a resolution, in chatops.db and metrics.db', async () => {
    const name = postAlert('P1');
    const { incident } = await acknowledgeAlert(env.deps, name, TEST_USER);
    const resolved = await resolveIncident(env.deps, incident.id, { resolution: 'provider back' }, TEST_USER);
    expect(resolved.firingAlerts).toEqual([name]);
    const r = responses(h);
    await click(INCIDENT_RESOLVE_ALERTS_ACTION, incident.id, { responseUrl: r.url });
    const answer = await eventually(() => r.got[0], 'answer');
    expect(answer.body.text).toContain(name);
    expect(getAlert(env.deps.state, name)!.status).toBe('resolved');
    expect((atlas.metrics.prepare('SELECT status FROM alerts WHERE name = ?').get(name) as { status: string }).status).toBe('resolved');
    // A second press has nothing left to do, and says so.
    const again = responses(h);
    await click(INCIDENT_RESOLVE_ALERTS_ACTION, incident.id, { responseUrl: again.url });
    expect((await eventually(() => again.got[0], 'answer')).body.text).toBe(`No alert of ${incident.id} is firing any more.`);
  });

  it('offers to resolve the firing alerts when /atlas resolve closes an incident whose alert still fires', async () => {
    const name = postAlert('P1');
    const { incident } = await acknowledgeAlert(env.deps, name, TEST_USER);
    const path = newResponsePath();
    const answer = h.expectResponse(path);
    const res = await h.signedCommand(`resolve ${incident.id} --resolution "provider back"`, { responseUrl: `${RESPONSE_ORIGIN}${path}` });
    expect(res.status).toBe(200);
    const body = (await answer).body as { blocks: { type: string; elements?: { action_id?: string; value?: string }[] }[] };
    const buttons = body.blocks.flatMap((b) => b.elements ?? []);
    expect(buttons).toContainEqual(expect.objectContaining({ action_id: INCIDENT_RESOLVE_ALERTS_ACTION, value: incident.id }));
    expect(getIncident(env.deps.state, incident.id)!.status).toBe('resolved');
  });

  it('marks the review done from the reminder and stops the reminder', async () => {
    const { incident } = await declareIncident(env.deps, { title: 'partial job failure', actorId: TEST_USER });
    await resolveIncident(env.deps, incident.id, { resolution: 'reran the job' }, TEST_USER);
    const r = responses(h);
    await click(INCIDENT_REVIEW_DONE_ACTION, incident.id, { user: SECOND_RESPONDER, responseUrl: r.url });
    const answer = await eventually(() => r.got[0], 'answer');
    expect(answer.body.text).toContain(incident.id);
    expect(getIncident(env.deps.state, incident.id)!.review_done_at).not.toBeNull();
    const pending = env.deps.state
      .prepare("SELECT COUNT(*) AS n FROM timers WHERE incident_id = ? AND kind = 'review-reminder' AND fired_at IS NULL AND cancelled_at IS NULL")
      .get(incident.id) as { n: number };
    expect(pending.n).toBe(0);

    const stranger = responses(h);
    await click(INCIDENT_REVIEW_DONE_ACTION, incident.id, { user: STRANGER, responseUrl: stranger.url });
    expect((await eventually(() => stranger.got[0], 'answer')).body.text).toBe(notAResponder('Marking reviews done'));
  });

  it('offers "Add to INC-…" on a diagnostic answer while one incident is open, and the button adds it to the timeline', async () => {
    const { incident } = await declareIncident(env.deps, { title: 'proofs failing', actorId: TEST_USER });
    const path = newResponsePath();
    const reply = h.expectResponse(path);
    await h.signedCommand('alerts', { responseUrl: `${RESPONSE_ORIGIN}${path}` });
    const answer = await reply;
    const blocks = answer.body.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string; text: { text: string } }> }>;
    assertBlockKitLimits('message', blocks);
    const button = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === INCIDENT_ATTACH_ACTION)!;
    expect(button.text.text).toBe(`Add to ${incident.id}`);
    expect(JSON.parse(button.value)).toMatchObject({ incidentId: incident.id, command: 'alerts', headline: expect.any(String) });

    const r = responses(h);
    await click(INCIDENT_ATTACH_ACTION, button.value, { responseUrl: r.url });
    expect((await eventually(() => r.got[0], 'answer')).body.text).toBe(`Added \`/atlas alerts\` to ${incident.id}'s timeline.`);
    expect(timeline(env.deps.state, incident.id).at(-1)).toMatchObject({ kind: 'attached', actor: TEST_USER });

    // With two incidents open the answer carries no such button (which one would it be?).
    await declareIncident(env.deps, { title: 'disk filling', actorId: TEST_USER });
    const path2 = newResponsePath();
    const reply2 = h.expectResponse(path2);
    await h.signedCommand('alerts', { responseUrl: `${RESPONSE_ORIGIN}${path2}` });
    expect(JSON.stringify((await reply2).body)).not.toContain(INCIDENT_ATTACH_ACTION);
  });

  it('opens the modal a slash command asks for, and answers with the flags when it cannot', async () => {
    const { incident } = await declareIncident(env.deps, { title: 'validation failing', actorId: TEST_USER });
    const path = newResponsePath();
    const silent: CapturedResponse[] = [];
    void h.expectResponse(path).then((r) => silent.push(r));
    await h.signedCommand(`update ${incident.id}`, { responseUrl: `${RESPONSE_ORIGIN}${path}` });
    const open = await eventually(() => slack.of('views.open')[0], 'views.open');
    expect(open.body.trigger_id).toMatch(/^\d+\.1\.[0-9a-f]+$/);
    expect((open.body.view as { callback_id: string }).callback_id).toBe('atlas_update');
    await settle();
    expect(silent).toHaveLength(0);

    slack.answers['views.open'] = () => ({ ok: false, error: 'expired_trigger_id' });
    const path2 = newResponsePath();
    const reply = h.expectResponse(path2);
    await h.signedCommand(`resolve ${incident.id}`, { responseUrl: `${RESPONSE_ORIGIN}${path2}` });
    expect(JSON.stringify((await reply).body)).toContain('--resolution');
    expect(getIncident(env.deps.state, incident.id)!.status).not.toBe('resolved');
  });
});
