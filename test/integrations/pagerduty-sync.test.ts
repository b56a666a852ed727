/**
 * Slack → PagerDuty through the outbox: paging with the Events API v2 (trigger, acknowledge,
 * resolve with one dedup key per alert) and acknowledging / resolving PagerDuty's own incidents
 * with `PUT /incidents/{id}` as the acting person. nock answers as PagerDuty does (bodies from
 * PagerDuty's API reference); Slack is the stand-in the delivery posts to. The domain runs on
 * real chatops.db and metrics.db files with a manual clock.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { webApi } from '@slack/bolt';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Env } from '../../src/config.js';
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import { alertAnchor } from '../../src/db/state/state-records.js';
import { acknowledgeAlert } from '../../src/incidents/acknowledge.js';
import { resolveIncident } from '../../src/incidents/resolution.js';
import { pagerdutyApi } from '../../src/integrations/pagerduty-api.js';
import { applyPagerDutyEvent, type PagerDutyIncidentEvent } from '../../src/integrations/pagerduty-incidents.js';
import { dedupKeyOf, PAGERDUTY_TARGET, pagerdutyCallSender } from '../../src/integrations/pagerduty-sync.js';
import { parsePagerDutyEvent } from '../../src/integrations/pagerduty-webhook.js';
import { openStateStore } from '../../src/db/state/kysely/sqlite-state-store.js';
import { workspacePeople } from '../../src/slack/workspace-people.js';
import type { CallSender } from '../../src/slack/outbox-delivery.js';
import { startDeliveryHarness } from '../helpers/delivery-harness.js';
import { BOUND_MS, NEVER_MS } from '../helpers/busy-machine.js';
import { eventually } from '../helpers/slack-harness.js';
import { at, blockText, incidentConfig, MIN, ONCALL, OTHER, openIncidentEnv, raiseAlert, type IncidentEnv } from '../helpers/incident-env.js';

const API = 'https://api.pagerduty.test';
const EVENTS = 'https://events.pagerduty.test';
const SLACK_API = 'https://slack.test/api/';
const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
const TOKEN = 'pd-token-u+abcdefghij0123456789';
const ENV: Partial<Env> = { PAGERDUTY_TOKEN: TOKEN, PAGERDUTY_API_URL: API, PAGERDUTY_EVENTS_URL: EVENTS, PAGERDUTY_WEBHOOK_SECRET: 'pd-webhook-secret-ChdT1pb9XhV4yTIK' };
/** PagerDuty's answer to an accepted event (Events API v2 reference). */
const ACCEPTED = (dedupKey: string) => ({ status: 'success', message: 'Event processed', dedup_key: dedupKey });

type Body = { event: Record<string, unknown> & { data: Record<string, unknown> } };
const fixture = (name: string): Body => JSON.parse(readFileSync(path.join(import.meta.dirname, '../fixtures/pagerduty', `${name}.json`), 'utf8')) as Body;
const user = () => JSON.parse(readFileSync(path.join(import.meta.dirname, '../fixtures/pagerduty/user.json'), 'utf8')) as { user: Record<string, unknown> };

/** A webhook body as the route parses it. */
function webhookEvent(body: Body): PagerDutyIncidentEvent {
  const parsed = parsePagerDutyEvent(body);
  if (!parsed.ok || parsed.kind !== 'apply') throw new Error('fixture is not an applied event');
  return parsed.event;
}

describe('PagerDuty both ways: Slack changes sent to PagerDuty', () => {
  let ie: IncidentEnv;
  /** Every request PagerDuty got: method, path, body, From header. */
  let seen: { method: string; path: string; body: unknown; from?: string }[];

  function open(pagerduty: object = {}, env: Partial<Env> = ENV) {
    ie = openIncidentEnv(incidentConfig({ pagerduty: { routingKey: ROUTING_KEY, users: { PLH1HKV: ONCALL }, ...pagerduty } }), env);
  }
  const sender = (state = ie.env.deps.state): CallSender =>
    pagerdutyCallSender({
      state,
      config: ie.env.deps.config,
      api: pagerdutyApi({ config: ie.env.deps.config, fetch: (...a) => globalThis.fetch(...a), timeoutMs: BOUND_MS }),
      events: ie.env.deps.events,
      clock: ie.env.deps.clock,
      slackEmailOf: workspacePeople(() => new webApi.WebClient('xoxb-test', { slackApiUrl: SLACK_API, retryConfig: { retries: 0 } })).email,
    });
  const deliver = () => ie.deliver({ delivery: { callSenders: { [PAGERDUTY_TARGET]: sender() } } });
  /** Events API: answers each event with `status` (202 by default). */
  const events = (times = 1, status = 202, body?: object) =>
    nock(EVENTS)
      .post('/v2/enqueue')
      .times(times)
      .reply(function (_uri, b) {
        const event = b as { dedup_key: string };
        seen.push({ method: 'POST', path: '/v2/enqueue', body: b });
        return [status, body ?? ACCEPTED(event.dedup_key)];
      });
  const putIncident = (id: string, status = 200, body?: object) =>
    nock(API)
      .put(`/incidents/${id}`)
      .reply(function (_uri, b) {
        seen.push({ method: 'PUT', path: `/incidents/${id}`, body: b, from: String(this.req.headers.from) });
        return [status, body ?? { incident: { id, type: 'incident', status: (b as { incident: { status: string } }).incident.status } }];
      });
  const sentEvents = () => seen.filter((s) => s.path === '/v2/enqueue').map((s) => s.body as { event_action: string; dedup_key: string; routing_key: string; payload?: Record<string, unknown> });
  const calls = () => ie.env.db.prepare("SELECT * FROM outbox WHERE op = 'call' ORDER BY id").all() as { sent_at: string | null; failed_at: string | null; last_error: string | null; attempts: number }[];
  /** Runs the delivery's retries due by now. */
  const later = async (ms: number) => {
    ie.env.clock.advance(ms);
    await ie.harness!.delivery.drain();
  };

  beforeEach(() => {
    seen = [];
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(async () => {
    await ie.close();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  describe('paging through the Events API (pagerduty.routingKey)', () => {
    it('pages an alert from metrics.db, then acknowledges and resolves it with the same dedup key, in order and once each', async () => {
      open();
      events(3);
      const alert = await raiseAlert(ie, { name: 'IpfsDown' });
      await deliver();
      const [trigger] = sentEvents();
      expect(trigger).toEqual({
        routing_key: ROUTING_KEY,
        event_action: 'trigger',
        dedup_key: 'shadow-atlas/ipfsdown',
        payload: {
          summary: 'IpfsDown',
          source: 'shadow-atlas (metrics-db)',
          severity: 'critical',
          timestamp: alert.fired_at,
          custom_details: { severity: 'P0', message: 'All IPFS gateways failing. Retrieval of the current snapshot times out.' },
        },
      });
      expect(blockText(await ie.anchored(alertAnchor(alert)))).toContain('PagerDuty: paged');

      const { incident } = await acknowledgeAlert(ie.env.deps, 'IpfsDown', ONCALL);
      await ie.harness!.delivery.drain();
      await resolveIncident(ie.env.deps, incident.id, { resolution: 'Gateway back' }, ONCALL);
      await ie.harness!.delivery.drain();
      expect(sentEvents().map((e) => [e.event_action, e.dedup_key, e.payload])).toEqual([
        ['trigger', 'shadow-atlas/ipfsdown', trigger!.payload],
        ['acknowledge', 'shadow-atlas/ipfsdown', undefined],
        ['resolve', 'shadow-atlas/ipfsdown', undefined],
      ]);
      expect(calls().every((c) => c.sent_at !== null)).toBe(true);
      // The alert clearing after the resolution asks nothing more of PagerDuty.
      await ingestAlert(ie.env.deps, { name: 'IpfsDown', status: 'resolved', message: '', resolvedAt: new Date(at(1)), source: 'metrics-db' });
      await ie.harness!.delivery.drain();
      expect(sentEvents()).toHaveLength(3);
      expect(nock.isDone()).toBe(true);
    });

    it('pages a new firing again after the alert resolved, with the same dedup key (PagerDuty opens a new incident)', async () => {
      open();
      events(3);
      await raiseAlert(ie, { name: 'ProviderDown', resolvedAt: at(-1) });
      await ingestAlert(ie.env.deps, { name: 'ProviderDown', status: 'firing', message: 'again', firedAt: new Date(at(0)), source: 'metrics-db', sourceFiredAt: at(0) });
      expect(await ie.env.deps.state.alerts.get('providerdown')).toMatchObject({ fire_count: 2, status: 'firing' });
      await deliver();
      expect(sentEvents().map((e) => e.event_action)).toEqual(['trigger', 'resolve', 'trigger']);
      expect(new Set(sentEvents().map((e) => e.dedup_key))).toEqual(new Set([dedupKeyOf('providerdown')]));
    });

    it('does not page without pagerduty.routingKey, nor an alert PagerDuty raised itself', async () => {
      open({ routingKey: undefined });
      await raiseAlert(ie, { name: 'IpfsDown' });
      await applyPagerDutyEvent(ie.env.deps, webhookEvent(fixture('incident-triggered')));
      await deliver();
      expect(seen).toEqual([]);
      expect(calls()).toEqual([]);
    });

    it('retries a 500 and a timeout later, and a 429 after PagerDuty\'s pause without counting it; sends each event once it is taken', async () => {
      open();
      events(1, 500, { status: 'error', message: 'Internal error' });
      await raiseAlert(ie, { name: 'IpfsDown' });
      await deliver();
      expect(calls()[0]).toMatchObject({ sent_at: null, failed_at: null, attempts: 1, last_error: expect.stringContaining('PagerDuty answered 500 to the trigger event') });
      // Until PagerDuty has it, the alert does not say it was paged.
      const card = async () => blockText(await ie.anchored(alertAnchor((await ie.env.deps.state.alerts.get('ipfsdown'))!)));
      expect(await card()).toContain('PagerDuty: sending… (PagerDuty answered 500 to the trigger event (Internal error); trying again)');
      expect(await card()).not.toContain('PagerDuty: paged');
      // The next try hangs past the client's bound.
      nock(EVENTS).post('/v2/enqueue').delay(NEVER_MS).reply(202, ACCEPTED('shadow-atlas/ipfsdown'));
      await later(15_000);
      expect(calls()[0]).toMatchObject({ attempts: 2, last_error: expect.stringContaining(`PagerDuty gave no answer within ${BOUND_MS / 1000} s to the trigger event`) });
      events(1, 429, { status: 'throttle event', message: 'Requests for this service are arriving too quickly.  Please retry later.' });
      await later(30_000);
      expect(calls()[0]).toMatchObject({ attempts: 2, sent_at: null, last_error: 'PagerDuty asked to slow down (the trigger event)' });
      events(1);
      await later(15_000);
      expect(calls()[0]!.sent_at).toBeNull(); // still waiting out the 30 s PagerDuty asked for
      await later(15_000);
      expect(calls()[0]!.sent_at).not.toBeNull();
      expect(sentEvents().map((e) => e.event_action)).toEqual(['trigger', 'trigger', 'trigger']);
      // Nothing is said on the card of a call that went through in the end, but that it did.
      expect(await card()).not.toContain('⚠️');
      expect(await card()).toContain('PagerDuty: paged');
    });

    it('gives up an event PagerDuty refuses (400): said on the alert and under it, and tried no more', async () => {
      open();
      events(1, 400, { status: 'invalid event', message: 'Event object is invalid', errors: ["Length of 'routing_key' is incorrect (should be 32 characters)"] });
      const alert = await raiseAlert(ie, { name: 'IpfsDown' });
      await deliver();
      expect(calls()[0]).toMatchObject({ failed_at: expect.any(String), attempts: 0 });
      const card = blockText(await ie.anchored(alertAnchor(alert)));
      expect(card).toContain("⚠️ Not paged in PagerDuty: PagerDuty refused the trigger event (Event object is invalid: Length of 'routing_key' is incorrect (should be 32 characters))");
      const thread = await ie.thread(alertAnchor(alert));
      expect(thread.map((m) => m.text)).toEqual([expect.stringContaining('⚠️ IpfsDown was not paged in PagerDuty')]);
      expect(blockText(thread[0])).toContain('Nobody was paged through PagerDuty for it: page the on-call engineer by hand.');
      await later(60 * MIN);
      expect(sentEvents()).toHaveLength(1);
    });

    it('PagerDuty hanging on every page never holds up Slack: each alert is posted while its page still waits', async () => {
      open();
      // PagerDuty holds every page until the test lets go: no race between two timers to win.
      let letGo!: () => void;
      const held = new Promise<void>((resolve) => (letGo = resolve));
      nock(EVENTS)
        .post('/v2/enqueue')
        .times(8)
        .reply(202, async (_uri, b) => {
          await held;
          return ACCEPTED((b as { dedup_key: string }).dedup_key);
        });
      const slow = pagerdutyCallSender({
        state: ie.env.deps.state,
        config: ie.env.deps.config,
        api: pagerdutyApi({ config: ie.env.deps.config, fetch: (...a) => globalThis.fetch(...a), timeoutMs: NEVER_MS }),
        events: ie.env.deps.events,
        clock: ie.env.deps.clock,
      });
      const names = Array.from({ length: 8 }, (_, i) => `Gateway${i}Down`);
      for (const name of names) await raiseAlert(ie, { name });
      const harness = await startDeliveryHarness(ie.env, { delivery: { callSenders: { [PAGERDUTY_TARGET]: slow } } });
      ie.harness = harness;
      await eventually(() => names.every((n) => ie.channel().some((m) => m.text.includes(n))), 'every alert in Slack while PagerDuty holds the pages');
      expect(calls().every((c) => c.sent_at === null)).toBe(true);
      letGo();
      await harness.delivery.drain();
      expect(calls().every((c) => c.sent_at !== null)).toBe(true);
    });

    it('two bot processes on one chatops.db send each event once', async () => {
      open();
      events(1);
      await deliver();
      const second = openStateStore(path.join(ie.dataDir, 'chatops.db'));
      try {
        ie.harness!.startDelivery({ state: second, delivery: { callSenders: { [PAGERDUTY_TARGET]: sender(second) } } });
        await raiseAlert(ie, { name: 'IpfsDown' });
        await Promise.all([ie.harness!.delivery.drain(), new Promise((r) => setTimeout(r, 300))]);
        expect(sentEvents()).toHaveLength(1);
        expect(calls()[0]!.sent_at).not.toBeNull();
      } finally {
        await ie.harness!.close();
        ie.harness = undefined;
        await second.close();
      }
    });
  });

  describe("PagerDuty's own incidents (its webhook): PUT /incidents/{id} as the person", () => {
    const triggeredInPagerDuty = async () => await applyPagerDutyEvent(ie.env.deps, webhookEvent(fixture('incident-triggered')));
    /** PagerDuty raised ProviderDown; ONCALL (PLH1HKV in PagerDuty) acknowledges it in Slack, PagerDuty answering the PUT with `status`. */
    async function acknowledgedInSlack(status = 200, body?: object) {
      await triggeredInPagerDuty();
      nock(API).get('/users/PLH1HKV').reply(200, user());
      putIncident('PGR0VU2', status, body);
      const { incident } = await acknowledgeAlert(ie.env.deps, 'ProviderDown', ONCALL);
      await deliver();
      return incident;
    }

    it('acknowledges and resolves the PagerDuty incident From: the mapped person\'s PagerDuty email; PagerDuty\'s own echo is not sent back', async () => {
      open();
      const incident = await acknowledgedInSlack();
      expect(seen).toEqual([{ method: 'PUT', path: '/incidents/PGR0VU2', body: { incident: { type: 'incident_reference', status: 'acknowledged' } }, from: 'tenex@example.org' }]);
      const card = blockText(await ie.anchored(incident.anchor));
      expect(card).toContain('PagerDuty incident>: acknowledged');
      expect(card).toContain('https://acme.pagerduty.com/incidents/PGR0VU2');

      // PagerDuty tells the bot of the acknowledgement it made: nothing goes back.
      await applyPagerDutyEvent(ie.env.deps, webhookEvent(fixture('incident-acknowledged')));
      // Resolved in PagerDuty: the bot resolves its side and sends nothing either.
      await applyPagerDutyEvent(ie.env.deps, webhookEvent(fixture('incident-resolved')));
      await ie.harness!.delivery.drain();
      expect(seen).toHaveLength(1);
      expect(calls()).toHaveLength(1);
    });

    it('resolves in PagerDuty what was resolved in Slack, as the person (their Slack email when they are not in pagerduty.users)', async () => {
      open();
      const incident = await acknowledgedInSlack();
      nock(SLACK_API.replace(/\/api\/$/, '')).post('/api/users.info').reply(200, { ok: true, user: { id: OTHER, name: 'sam', profile: { email: 'sam@example.org', real_name: 'Sam' }, tz: 'Europe/Berlin' } });
      putIncident('PGR0VU2');
      await resolveIncident(ie.env.deps, incident.id, { resolution: 'Provider back' }, OTHER);
      await ie.harness!.delivery.drain();
      expect(seen.map((s) => [s.path, (s.body as { incident: { status: string } }).incident.status, s.from])).toEqual([
        ['/incidents/PGR0VU2', 'acknowledged', 'tenex@example.org'],
        ['/incidents/PGR0VU2', 'resolved', 'sam@example.org'],
      ]);
    });

    it('shows on the card and in the thread an acknowledgement PagerDuty could not get: nobody to act as', async () => {
      open({ users: {} });
      await triggeredInPagerDuty();
      nock(SLACK_API.replace(/\/api\/$/, '')).post('/api/users.info').reply(200, { ok: true, user: { id: OTHER, name: 'sam', profile: { real_name: 'Sam' } } });
      const { incident } = await acknowledgeAlert(ie.env.deps, 'ProviderDown', OTHER);
      await deliver();
      expect(seen).toEqual([]);
      const card = blockText(await ie.anchored(incident.anchor));
      expect(card).toContain(`⚠️ Not acknowledged in PagerDuty: no PagerDuty email is known for <@${OTHER}>: add them to pagerduty.users or set pagerduty.fromEmail.`);
      expect(card).toContain('<https://acme.pagerduty.com/incidents/PGR0VU2|open in PagerDuty>');
      const said = (await ie.thread(incident.anchor)).find((m) => m.text.includes('was not acknowledged in PagerDuty'));
      expect(blockText(said)).toContain('Acknowledge it there: <https://acme.pagerduty.com/incidents/PGR0VU2|open in PagerDuty>.');
      expect((await ie.env.deps.state.timeline.list(incident.id)).map((e) => e.text)).toContain(
        `PagerDuty not told (acknowledge ProviderDown): no PagerDuty email is known for <@${OTHER}>: add them to pagerduty.users or set pagerduty.fromEmail`,
      );

      // The resolution by someone whose Slack email PagerDuty knows goes through: the warning goes.
      nock(SLACK_API.replace(/\/api\/$/, '')).post('/api/users.info').reply(200, { ok: true, user: { id: ONCALL, name: 'tenex', profile: { email: 'tenex@example.org' } } });
      putIncident('PGR0VU2');
      await resolveIncident(ie.env.deps, incident.id, { resolution: 'Provider back' }, ONCALL);
      await ie.harness!.delivery.drain();
      expect(seen).toHaveLength(1);
      expect(blockText(await ie.anchored(incident.anchor))).not.toContain('⚠️ Not');
    });

    it('an incident already resolved in PagerDuty counts as done; a refused API key is given up and said, with the bot acting as pagerduty.fromEmail', async () => {
      open({ fromEmail: 'atlas-bot@example.org' });
      const incident = await acknowledgedInSlack(400, { error: { message: 'Invalid Input Provided', code: 2001, errors: ['Incident Already Resolved'] } });
      expect(calls()[0]!.sent_at).not.toBeNull();
      expect(blockText(await ie.anchored(incident.anchor))).not.toContain('⚠️');

      putIncident('PGR0VU2', 401, { error: { message: 'Unauthorized', code: 2006 } });
      ie.env.deps.config.pagerduty.users = {};
      await resolveIncident(ie.env.deps, incident.id, { resolution: 'Provider back' }, 'bot');
      await ie.harness!.delivery.drain();
      expect(seen.at(-1)).toMatchObject({ from: 'atlas-bot@example.org' });
      expect(blockText(await ie.anchored(incident.anchor))).toContain('⚠️ Not resolved in PagerDuty: PagerDuty refused the API key (the resolution of incident PGR0VU2): check PAGERDUTY_TOKEN.');
      expect(calls()[1]).toMatchObject({ failed_at: expect.any(String) });
    });

    it('an incident PagerDuty does not know (404) is given up at once and said, with its link', async () => {
      open();
      const incident = await acknowledgedInSlack(404, { error: { message: 'Not Found', code: 2100 } });
      expect(calls()[0]).toMatchObject({ failed_at: expect.any(String), attempts: 0 });
      expect(blockText(await ie.anchored(incident.anchor))).toContain(
        "⚠️ Not acknowledged in PagerDuty: PagerDuty has no incident PGR0VU2 (deleted, or in another account than PAGERDUTY_TOKEN's). Do it there: <https://acme.pagerduty.com/incidents/PGR0VU2|open in PagerDuty>",
      );
      await later(60 * MIN);
      expect(seen).toHaveLength(1);
    });

    it('an alert paged by the bot and also raised in PagerDuty by another integration: both PagerDuty incidents are acknowledged, each its own way', async () => {
      open();
      events(2);
      await raiseAlert(ie, { name: 'ProviderDown' });
      await deliver();
      // PagerDuty's own incident for the same alert (its incident_key is not the bot's dedup key).
      expect((await applyPagerDutyEvent(ie.env.deps, webhookEvent(fixture('incident-triggered')))).action).not.toBe('linked-to-page');
      nock(API).get('/users/PLH1HKV').reply(200, user());
      putIncident('PGR0VU2');
      await acknowledgeAlert(ie.env.deps, 'ProviderDown', ONCALL);
      await ie.harness!.delivery.drain();
      expect(seen.map((s) => [s.method, s.path, s.path === '/v2/enqueue' ? (s.body as { event_action: string }).event_action : s.from])).toEqual([
        ['POST', '/v2/enqueue', 'trigger'],
        ['POST', '/v2/enqueue', 'acknowledge'],
        ['PUT', '/incidents/PGR0VU2', 'tenex@example.org'],
      ]);
      expect(ie.channel().filter((m) => m.text.includes('ProviderDown'))).toHaveLength(1);
    });

    it('links the incident PagerDuty opened for a page of the bot to its alert: no second alert, and its acknowledgement is not sent back', async () => {
      open();
      events(1);
      const alert = await raiseAlert(ie, { name: 'ProviderDown' });
      await deliver();
      const body = fixture('incident-triggered');
      body.event.data.incident_key = dedupKeyOf('providerdown');
      body.event.data.title = 'ProviderDown';
      expect((await applyPagerDutyEvent(ie.env.deps, webhookEvent(body))).action).toBe('linked-to-page');
      const ack = fixture('incident-acknowledged');
      await applyPagerDutyEvent(ie.env.deps, webhookEvent(ack), { slackUserId: ONCALL });
      await ie.harness!.delivery.drain();
      expect(await ie.env.deps.state.alerts.get('providerdown')).toMatchObject({ fire_count: 1, acknowledged_by: ONCALL });
      expect(ie.channel().filter((m) => m.text.includes('ProviderDown'))).toHaveLength(1);
      expect(sentEvents().map((e) => e.event_action)).toEqual(['trigger']);
      expect(calls()).toHaveLength(1);
      expect(blockText(await ie.anchored(alertAnchor(alert)))).toContain('PagerDuty incident>: acknowledged');
    });
  });
});
