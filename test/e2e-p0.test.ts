/**
 * A whole P0, from the webhook to the review reminder, through the real HTTP receiver with
 * signed requests, the clock, and a restart in the middle (a new app and a new delivery loop on
 * the same chatops.db). Slack is the stand-in: every message the bot sends goes through a real
 * delivery loop into it, and the assertions read the channel and the thread as people see them.
 */
import path from 'node:path';
import { webApi } from '@slack/bolt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertWebhookRoute } from '../src/alerts/alert-webhook.js';
import { createAuthorizer } from '../src/commands/authorize.js';
import { createRegistry } from '../src/commands/index.js';
import type { TimerRow } from '../src/db/state/state-records.js';
import { sweepTimers } from '../src/incidents/timer-sweeper.js';
import { liveMessage } from '../src/presenter/live-messages.js';
import { startSlackStandIn, type SlackStandIn, type StoredMessage } from '../src/sandbox/slack-stand-in.js';
import { createDelivery, type Delivery } from '../src/slack/outbox-delivery.js';
import { boundedClientOptions, silentSlackLogger } from '../src/slack/slack-clients.js';
import { slackPoster } from '../src/slack/slack-poster.js';
import { ALERT_ACK_ACTION, INCIDENT_RESOLVE_ALERTS_ACTION, INCIDENT_REVIEW_DONE_ACTION, INCIDENT_UPDATE_ACTION } from '../src/templates/incident-buttons.js';
import { eventually, settle, startHarness, TEST_USER, type Harness } from './helpers/slack-harness.js';
import { createAtlasFiles, tempDir, testDeps, TEST_NOW, type TestEnv } from './helpers/test-deps.js';

const MIN = 60_000;
const TOKEN = 'e2e-webhook-token-0123456789abcdef';
const CHANNEL = 'C0INCIDENT';
const CONFIG = {
  channels: { incidents: CHANNEL },
  responders: { users: [TEST_USER], channels: [CHANNEL] },
  escalation: { techLead: 'U0TECHLEAD', cto: 'U0CTOBOSS' },
};
const ALERT = 'proof_generation_failing';
const INC = 'INC-20261126-1';

type Button = { action_id: string; value: string };

describe('a P0 from webhook to review reminder, with a restart in the middle', () => {
  const dir = tempDir();
  const dataDir = path.join(dir.dir, '.shadow-atlas');
  const files = createAtlasFiles(dataDir);
  const start = new Date(TEST_NOW).getTime();
  let slack: SlackStandIn;
  let env: TestEnv;
  let h: Harness;
  let delivery: Delivery;

  /** The bot starting: its state, its delivery loop and its app, on the same chatops.db and the same Slack. */
  async function boot(at: number) {
    env = testDeps(dataDir, { file: CONFIG });
    env.clock.set(new Date(at));
    const state = env.deps.state;
    delivery = createDelivery({
      store: state,
      poster: slackPoster(new webApi.WebClient(slack.token, boundedClientOptions(slack.apiUrl, silentSlackLogger, 2000))),
      render: async (anchor) => await liveMessage(state, anchor, env.deps.clock()),
      clock: env.deps.clock,
      logger: pino({ level: 'silent' }),
      leaseMs: 2000,
      pollMs: 50,
      pace: { perSecond: 1000, burst: 1000 },
    });
    env.onEvent(delivery.wake);
    delivery.start();
    const registry = createRegistry(createAuthorizer(env.deps.config));
    h = await startHarness({ deps: env.deps, registry, slack, extraRoutes: [alertWebhookRoute(env.deps, { token: TOKEN })], outboxStats: delivery.stats });
  }

  async function shutdown() {
    await h.close();
    await delivery.stop(500);
    await env.close();
  }

  /** Moves the clock to `minutes` after the alert fired, sweeps the timers and delivers. */
  async function at(minutes: number, seconds = 0) {
    env.clock.set(new Date(start + minutes * MIN + seconds * 1000));
    const swept = await sweepTimers(env.deps);
    await delivery.drain();
    return swept;
  }

  const channel = () => slack.workspace.messages(CHANNEL);
  const alertTs = () => channel()[0]!.ts;
  const thread = () => slack.workspace.replies(CHANNEL, alertTs());
  const shown = (m: Pick<StoredMessage, 'text' | 'blocks'>) => `${m.text} ${JSON.stringify(m.blocks ?? [])}`;
  const buttons = (m: Pick<StoredMessage, 'blocks'>): Button[] =>
    ((m.blocks ?? []) as { type: string; elements?: Button[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
  const everythingSent = () => slack.workspace.calls().filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update');

  function webhook(body: unknown, token = TOKEN) {
    return fetch(`${h.baseUrl}/hooks/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  }

  /** `/atlas <text>` typed in the channel; its private answer, after delivering what it caused. */
  async function command(typed: string) {
    const c = await h.command(typed);
    expect(c.res.status).toBe(200);
    const answer = await c.answer();
    await delivery.drain();
    return answer;
  }

  function pendingTimers(): TimerRow[] {
    return env.db.prepare('SELECT * FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL ORDER BY due_at').all() as TimerRow[];
  }

  beforeAll(async () => {
    slack = await startSlackStandIn();
    await boot(start);
  });

  afterAll(async () => {
    await shutdown();
    await slack.close();
    files.metrics.close();
    files.persistence.close();
    dir.cleanup();
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
    expect(await (await webhook(am)).json()).toMatchObject({ results: [{ name: ALERT, action: 'duplicate' }] });
    await at(0);
    expect(channel()).toHaveLength(1);
    const alertMessage = channel()[0]!;
    expect(alertMessage.text).toMatch(/P0/);
    expect(shown(alertMessage)).toContain(ALERT);
    expect(shown(alertMessage)).not.toContain('<!channel>');
    const ack = buttons(alertMessage).find((b) => b.action_id === ALERT_ACK_ACTION);
    expect(ack).toBeDefined();

    // The acknowledgement reminder comes at 5 min, not before, in the channel with its own Acknowledge button.
    expect((await at(4, 59)).fired).toBe(0);
    expect(channel()).toHaveLength(1);
    expect((await at(5)).fired).toBe(1);
    expect(channel()).toHaveLength(2);
    expect(channel()[1]!.text).toBe(`⏰ P0 alert ${ALERT} not acknowledged after 5 min`);
    expect(buttons(channel()[1]!).map((b) => b.action_id)).toContain(ALERT_ACK_ACTION);

    // t+6: the on-call presses Acknowledge on the alert; the alert message becomes the incident card.
    env.clock.set(new Date(start + 6 * MIN));
    const pressed = await h.press(ack!.action_id, ack!.value, { message: { ts: alertTs() } });
    expect(pressed.res.status).toBe(200);
    const form = await eventually(() => slack.workspace.calls('views.open').find((c) => c.status === 200), 'the impact and ETA form');
    const view = form.args.view as { callback_id: string; private_metadata: string };
    await delivery.drain();
    expect(await env.deps.state.incidents.get(INC)).toMatchObject({ severity: 'P0', owner_id: TEST_USER, ack_seconds: 360, anchor: `alert:${ALERT}:1` });
    expect(channel()).toHaveLength(2);
    expect(channel()[0]).toMatchObject({ ts: alertTs(), text: expect.stringContaining(INC) });
    expect(thread()).toHaveLength(1);
    expect(shown(thread()[0]!)).toMatch(/Investigating/);
    await settle();
    expect(pressed.answers()).toEqual([]);

    // t+7: impact and ETA from the form; delivery is down when it comes in.
    env.clock.set(new Date(start + 7 * MIN));
    await delivery.stop(100);
    const submitted = await h.submit(view.callback_id, view.private_metadata, {
      impact: { value: { type: 'plain_text_input', value: 'No proofs for any district' } },
      eta: { value: { type: 'plain_text_input', value: '30 min' } },
    });
    expect(submitted).toEqual({ status: 200, body: {} });
    expect((await env.deps.state.incidents.get(INC))!.impact).toBe('No proofs for any district');
    expect(thread()).toHaveLength(1);

    // Restart: the bot goes away and comes back; timers and messages are rows, so none is lost or sent twice.
    await shutdown();
    await boot(start + 8 * MIN);
    expect(pendingTimers().map((t) => t.kind).sort()).toEqual(['break-nudge', 'escalate-cto', 'escalate-tech-lead', 'handoff-suggest', 'update-due']);
    await delivery.drain();
    expect(thread()).toHaveLength(2);
    expect(shown(thread()[1]!)).toContain('No proofs for any district');
    expect(channel()).toHaveLength(2);

    // t+30: the tech lead deadline, with an Escalate button; not a second before.
    let n = thread().length;
    await at(29, 59);
    expect(thread()).toHaveLength(n);
    await at(30);
    expect(thread()).toHaveLength(n + 1);
    const techLead = thread().at(-1)!;
    expect(techLead.text).toBe(`🆙 ${INC} open for 30 min: escalate to the tech lead`);
    expect(shown(techLead)).toContain('<@U0TECHLEAD>');
    expect(buttons(techLead).map((b) => b.value)).toContain(`${INC}:techlead`);

    // The update reminder when the form promised the update (t+7 + 30 min) and not before, naming the owner, with Post update.
    const updateDue = pendingTimers().find((t) => t.kind === 'update-due')!;
    expect(updateDue.due_at).toBe(new Date(start + 37 * MIN).toISOString());
    n = thread().length;
    await at(36, 59);
    expect(thread()).toHaveLength(n);
    await at(37);
    expect(thread()).toHaveLength(n + 1);
    const nudge = thread().at(-1)!;
    expect(nudge.text).toBe(`⏰ No update on ${INC} for 31 min`);
    expect(shown(nudge)).toContain(`<@${TEST_USER}>`);
    expect(buttons(nudge).map((b) => b.action_id)).toContain(INCIDENT_UPDATE_ACTION);

    // t+40: a status update from the slash command.
    env.clock.set(new Date(start + 40 * MIN));
    n = thread().length;
    expect((await command(`update ${INC} --summary "Rolled back the prover to v1.4"`)).text).toContain(`Update posted in ${INC}'s thread`);
    expect(thread()).toHaveLength(n + 1);
    expect(thread().at(-1)!.text).toBe(`🔄 ${INC} update [12:40 UTC]: Rolled back the prover to v1.4`);

    // t+42: escalate to the CTO by hand; a P0 escalation is shown in the channel too.
    env.clock.set(new Date(start + 42 * MIN));
    n = thread().length;
    await command(`escalate ${INC} cto --need "approve re-running the quarterly build"`);
    expect(thread()).toHaveLength(n + 1);
    const escalation = thread().at(-1)!;
    expect(escalation.text).toBe(`📣 ${INC} escalated to the CTO (<@U0CTOBOSS>) by <@${TEST_USER}>`);
    expect(shown(escalation)).toContain('approve re-running the quarterly build');
    expect(channel().map((m) => m.ts)).toContain(escalation.ts);
    // Escalated by hand, the CTO deadline at 60 min says nothing more.
    expect(pendingTimers().map((t) => t.kind)).not.toContain('escalate-cto');

    // t+50: resolved. The thread gets the resolution and the checklist, the channel is told,
    // the clock stops but for the review reminder in 48 h, and the firing alert is offered.
    env.clock.set(new Date(start + 50 * MIN));
    n = thread().length;
    const resolved = await command(`resolve ${INC} --resolution "Prover rolled back; proofs succeed again"`);
    expect(resolved.text).toContain(`${INC} resolved after 50 min`);
    expect(JSON.stringify(resolved.blocks)).toContain(INCIDENT_RESOLVE_ALERTS_ACTION);
    expect(thread().slice(n).map((m) => m.text)).toEqual([`✅ ${INC} resolved after 50 min by <@${TEST_USER}>`, `📋 ${INC} post-incident checklist`]);
    expect(channel().at(-1)!.text).toMatch(new RegExp(`^✅ ${INC} \\(P0\\) resolved after 50 min: `));
    expect(channel()[0]!.text).toContain(`${INC} P0 resolved`);
    expect((await env.deps.state.incidents.get(INC))!.status).toBe('resolved');
    expect(pendingTimers().map((t) => t.kind)).toEqual(['review-reminder']);

    // The alert resolves at its source: the card is edited, and only the thread hears of it.
    const top = channel().length;
    n = thread().length;
    const edits = slack.workspace.calls('chat.update').length;
    env.clock.set(new Date(start + 51 * MIN));
    expect((await webhook({ ...atlasPayload, status: 'RESOLVED', resolvedAt: new Date(start + 51 * MIN).toISOString() })).status).toBe(200);
    // Alertmanager reported it too: the alert is resolved when both sources have resolved it.
    expect((await env.deps.state.alerts.get(ALERT))!.status).toBe('firing');
    const amResolved = { ...am, status: 'resolved', alerts: [{ ...am.alerts[0]!, status: 'resolved', endsAt: new Date(start + 51 * MIN).toISOString() }] };
    expect((await webhook(amResolved)).status).toBe(200);
    await delivery.drain();
    expect((await env.deps.state.alerts.get(ALERT))!.status).toBe('resolved');
    expect(slack.workspace.calls('chat.update').length).toBeGreaterThan(edits);
    expect(channel()).toHaveLength(top);
    expect(thread().slice(n).map((m) => m.text)).toEqual([`Alert ${ALERT} resolved at 12:51 UTC.`]);

    // Quiet for 48 h; the review reminder at its minute, and not before.
    n = thread().length;
    await at(50 + 48 * 60 - 1);
    await at(50 + 48 * 60, -1);
    expect(thread()).toHaveLength(n);
    await at(50 + 48 * 60);
    expect(thread()).toHaveLength(n + 1);
    const review = thread().at(-1)!;
    expect(review.text).toBe(`📝 Post-incident review of ${INC} is not done yet`);
    const done = buttons(review).find((b) => b.action_id === INCIDENT_REVIEW_DONE_ACTION)!;
    expect((await (await h.press(done.action_id, done.value, { message: { ts: review.ts } })).answer()).text).toBe(`Review of ${INC} marked done; the reminder is off.`);
    expect(pendingTimers()).toEqual([]);
    await delivery.drain();

    // The whole story as Slack shows it: every message once, in order.
    expect(channel().map((m) => m.text)).toEqual([
      expect.stringContaining(`${INC} P0 resolved`),
      `⏰ P0 alert ${ALERT} not acknowledged after 5 min`,
      `📣 ${INC} escalated to the CTO (<@U0CTOBOSS>) by <@${TEST_USER}>`,
      expect.stringMatching(new RegExp(`^✅ ${INC} \\(P0\\) resolved after 50 min: `)),
    ]);
    expect(thread().map((m) => m.text)).toEqual([
      expect.stringContaining(`${INC} acknowledged by <@${TEST_USER}> after 6 min`),
      expect.stringContaining(`${INC} impact: No proofs for any district`),
      `🆙 ${INC} open for 30 min: escalate to the tech lead`,
      `⏰ No update on ${INC} for 31 min`,
      `🔄 ${INC} update [12:40 UTC]: Rolled back the prover to v1.4`,
      `📣 ${INC} escalated to the CTO (<@U0CTOBOSS>) by <@${TEST_USER}>`,
      `✅ ${INC} resolved after 50 min by <@${TEST_USER}>`,
      `📋 ${INC} post-incident checklist`,
      `Alert ${ALERT} resolved at 12:51 UTC.`,
      `📝 Post-incident review of ${INC} is not done yet`,
      `📋 ${INC} post-incident review marked done by <@${TEST_USER}>`,
    ]);
    // Every post Slack took once: as many posts as messages, every call answered ok.
    const posts = everythingSent().filter((c) => c.method === 'chat.postMessage');
    // …and, with the resolution, the debrief offer in a DM to the one responder.
    expect(posts.filter((c) => String((c.args as { text?: unknown }).text).startsWith(`🗓️ Debrief for ${INC}`))).toHaveLength(1);
    expect(posts).toHaveLength(channel().length - 1 + thread().length + 1);
    expect(everythingSent().every((c) => c.status === 200 && c.answer?.ok === true)).toBe(true);
    expect(await delivery.stats()).toEqual({ pending: 0, failed: 0, oldestPendingSec: 0 });
  });
});
