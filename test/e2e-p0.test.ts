/**
 * A whole P0, from the alert to the review reminder, through the real HTTP receiver with signed
 * requests, the webhook, the clock and a restart in the middle. Slack's Web API and
 * response_url are nock; everything else is real: SQLite files, the outbox, the timers.
 */
import path from 'node:path';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertWebhookRoute } from '../src/alerts/alert-webhook.js';
import { getAlert } from '../src/alerts/alert-store.js';
import { createAuthorizer } from '../src/commands/authorize.js';
import { createRegistry } from '../src/commands/index.js';
import { buildConfig } from '../src/config.js';
import { getIncident } from '../src/incidents/incident-store.js';
import type { TimerRow } from '../src/incidents/incident-types.js';
import { sweepTimers } from '../src/incidents/timer-sweeper.js';
import { ALERT_ACK_ACTION } from '../src/templates/alert-message.js';
import { MODAL_CALLBACK } from '../src/templates/incident-modals.js';
import {
  blockActionPayload,
  eventually,
  newResponsePath,
  recordSlackApi,
  RESPONSE_ORIGIN,
  startHarness,
  TEST_USER,
  viewSubmissionPayload,
  type Harness,
  type SlackCall,
} from './helpers/slack-harness.js';
import { createAtlasFiles, tempDir, testDeps, TEST_NOW } from './helpers/test-deps.js';

const MIN = 60_000;
const TOKEN = 'e2e-webhook-token-0123456789abcdef';
const CONFIG = {
  channels: { incidents: 'C0INCIDENT' },
  responders: { users: [TEST_USER] },
  escalation: { techLead: 'U0TECHLEAD', cto: 'U0CTOBOSS' },
};
const ALERT = 'proof_generation_failing';
const INC = 'INC-20261126-1';

describe('a P0 from alert to review, with a restart in the middle', () => {
  const dir = tempDir();
  const dataDir = path.join(dir.dir, '.shadow-atlas');
  const files = createAtlasFiles(dataDir);
  let env: ReturnType<typeof testDeps>;
  let h: Harness;
  let slack: ReturnType<typeof recordSlackApi>;
  const start = new Date(TEST_NOW).getTime();

  async function boot(at: number) {
    env = testDeps(dataDir, { file: CONFIG });
    env.clock.set(new Date(at));
    const registry = createRegistry(createAuthorizer(buildConfig(dataDir, CONFIG)));
    h = await startHarness({ deps: env.deps, registry, extraRoutes: [alertWebhookRoute(env.deps, { token: TOKEN })] });
  }

  async function shutdown() {
    await h.close();
    env.close();
  }

  /** Moves the clock to `minutes` after the alert fired, sweeps the timers and delivers. */
  async function at(minutes: number, seconds = 0) {
    env.clock.set(new Date(start + minutes * MIN + seconds * 1000));
    const swept = await sweepTimers(env.deps);
    await env.deps.outbox.flush();
    return swept;
  }

  const posts = () => slack.of('chat.postMessage');
  const text = (c: SlackCall) => `${String(c.body.text)} ${JSON.stringify(c.body.blocks ?? [])}`;
  const newPostsSince = (n: number) => posts().slice(n);

  function webhook(body: unknown, token = TOKEN) {
    return fetch(`${h.baseUrl}/hooks/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  }

  async function command(textTyped: string) {
    const p = newResponsePath();
    const answer = h.expectResponse(p);
    const res = await h.signedCommand(textTyped, { responseUrl: `${RESPONSE_ORIGIN}${p}` });
    expect(res.status).toBe(200);
    const body = (await answer).body;
    await env.deps.outbox.flush();
    return body;
  }

  function pendingTimers(): TimerRow[] {
    return env.deps.state.prepare('SELECT * FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL ORDER BY due_at').all() as TimerRow[];
  }

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    slack = recordSlackApi();
    await boot(start);
  });

  afterAll(async () => {
    await shutdown();
    files.metrics.close();
    files.persistence.close();
    dir.cleanup();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('runs the whole incident', async () => {
    // t+0: the service's alert manager reports; Alertmanager reports the same alert; a forger is refused.
    const atlasPayload = {
      source: 'shadow-atlas',
      type: 'alert',
      name: ALERT,
      severity: 'critical',
      status: 'FIRING',
      message: 'All proofs failing: 0 of 40 succeeded <!channel>',
      firedAt: TEST_NOW,
      context: { extractionSuccessRate: 0.4 },
    };
    expect((await webhook(atlasPayload)).status).toBe(200);
    expect((await webhook(atlasPayload, 'wrong-token-wrong-token-wrong')).status).toBe(401);
    const am = {
      version: '4',
      status: 'firing',
      receiver: 'atlas',
      groupKey: '{}:{alertname="proof_generation_failing"}',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: ALERT, severity: 'critical' },
          annotations: { summary: 'proofs failing' },
          startsAt: TEST_NOW,
          endsAt: '0001-01-01T00:00:00Z',
          fingerprint: 'c0ffee1234567890',
        },
      ],
    };
    expect((await webhook(am)).status).toBe(200);
    await at(0);
    expect(posts()).toHaveLength(1);
    const alertPost = posts()[0]!;
    expect(alertPost.body.channel).toBe('C0INCIDENT');
    expect(text(alertPost)).toMatch(/P0/);
    expect(text(alertPost)).toContain(ALERT);
    expect(text(alertPost)).toContain(ALERT_ACK_ACTION);
    expect(text(alertPost)).not.toContain('<!channel>');
    const alertTs = getAlert(env.deps.state, ALERT)!.message_ts!;

    // The acknowledgement reminder comes at 5 min, not before.
    expect((await at(4, 59)).fired).toBe(0);
    expect(posts()).toHaveLength(1);
    await at(5);
    expect(posts()).toHaveLength(2);
    expect(text(posts()[1]!)).toMatch(/not acknowledged/i);

    // t+6: the on-call acknowledges from the button; the alert message becomes the incident card.
    env.clock.set(new Date(start + 6 * MIN));
    const before = posts().length;
    const ack = await h.signedAction(blockActionPayload({ actionId: ALERT_ACK_ACTION, value: ALERT }));
    expect(ack.status).toBe(200);
    await eventually(() => getIncident(env.deps.state, INC), 'the incident');
    await eventually(() => slack.of('views.open').length === 1, 'the ack details modal');
    await env.deps.outbox.flush();
    const incident = getIncident(env.deps.state, INC)!;
    expect(incident).toMatchObject({ severity: 'P0', owner_id: TEST_USER, ack_seconds: 360, root_ts: alertTs });
    const card = slack.of('chat.update').find((c) => c.body.ts === alertTs);
    expect(card && text(card)).toContain(INC);
    const initial = newPostsSince(before);
    expect(initial).toHaveLength(1);
    expect(initial[0]!.body.thread_ts).toBe(alertTs);
    expect(text(initial[0]!)).toMatch(/Investigating/);

    // t+7: impact and ETA from the modal.
    env.clock.set(new Date(start + 7 * MIN));
    const modal = viewSubmissionPayload(MODAL_CALLBACK['ack-details'], { incidentId: INC }, {
      impact: { value: { type: 'plain_text_input', value: 'No proofs for any district' } },
      eta: { value: { type: 'plain_text_input', value: '30 min' } },
    });
    expect((await h.signedAction(modal)).status).toBe(200);
    await eventually(() => getIncident(env.deps.state, INC)!.impact === 'No proofs for any district', 'the impact');
    await env.deps.outbox.flush();
    expect(text(posts().at(-1)!)).toContain('No proofs for any district');

    // Restart: the bot goes away and comes back; timers are rows, so none is lost.
    await shutdown();
    await boot(start + 8 * MIN);
    expect(pendingTimers().map((t) => t.kind).sort()).toEqual(['escalate-cto', 'escalate-tech-lead', 'handoff-suggest', 'update-due']);

    // t+30: the tech lead deadline, with an Escalate button; not a second before.
    let n = posts().length;
    await at(29, 59);
    expect(newPostsSince(n).filter((p) => /tech lead/i.test(text(p)))).toHaveLength(0);
    await at(30);
    const techLead = newPostsSince(n).filter((p) => /tech lead/i.test(text(p)));
    expect(techLead).toHaveLength(1);
    expect(techLead[0]!.body.thread_ts).toBe(alertTs);
    expect(text(techLead[0]!)).toMatch(/escalate/i);

    // The update nudge at its minute, naming the owner.
    const updateDue = pendingTimers().find((t) => t.kind === 'update-due')!;
    const dueMin = (Date.parse(updateDue.due_at) - start) / MIN;
    n = posts().length;
    env.clock.set(new Date(Date.parse(updateDue.due_at) - 1000));
    await sweepTimers(env.deps);
    await env.deps.outbox.flush();
    expect(newPostsSince(n)).toHaveLength(0);
    await at(dueMin);
    const nudge = newPostsSince(n);
    expect(nudge).toHaveLength(1);
    expect(text(nudge[0]!)).toContain(`<@${TEST_USER}>`);

    // t+40: a status update from the slash command.
    env.clock.set(new Date(start + 40 * MIN));
    n = posts().length;
    await command(`update ${INC} --summary "Rolled back the prover to v1.4"`);
    const update = newPostsSince(n);
    expect(update.map(text).join('\n')).toMatch(/Incident Update.*12:40/);

    // t+42: escalate to the CTO by hand.
    env.clock.set(new Date(start + 42 * MIN));
    n = posts().length;
    await command(`escalate ${INC} cto --need "approve re-running the quarterly build"`);
    expect(newPostsSince(n).map(text).join('\n')).toContain('<@U0CTOBOSS>');

    // t+50: resolved. The thread gets the resolution and the checklist, the channel is told,
    // the clock stops but for the review reminder in 48 h, and the firing alert is offered.
    env.clock.set(new Date(start + 50 * MIN));
    n = posts().length;
    const resolved = await command(`resolve ${INC} --resolution "Prover rolled back; proofs succeed again"`);
    expect(JSON.stringify(resolved)).toContain('atlas_incident_resolve_alerts');
    const after = newPostsSince(n).map(text).join('\n');
    expect(after).toMatch(/50 min/);
    expect(after).toMatch(/checklist/i);
    expect(getIncident(env.deps.state, INC)!.status).toBe('resolved');
    expect(pendingTimers().map((t) => t.kind)).toEqual(['review-reminder']);

    // The alert resolves at its source: the card is edited, nothing is posted anew.
    n = posts().length;
    const updates = slack.of('chat.update').length;
    expect((await webhook({ ...atlasPayload, status: 'RESOLVED', resolvedAt: new Date(start + 51 * MIN).toISOString() })).status).toBe(200);
    await env.deps.outbox.flush();
    expect(getAlert(env.deps.state, ALERT)!.status).toBe('resolved');
    expect(slack.of('chat.update').length).toBeGreaterThan(updates);
    expect(newPostsSince(n).every((p) => p.body.thread_ts === alertTs)).toBe(true);

    // The review reminder 48 h later, and not before.
    n = posts().length;
    await at(50 + 48 * 60 - 1);
    expect(newPostsSince(n)).toHaveLength(0);
    await at(50 + 48 * 60);
    expect(newPostsSince(n).map(text).join('\n')).toMatch(/review/i);
  });
});
