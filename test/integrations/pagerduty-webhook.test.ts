/**
 * POST /hooks/pagerduty on the app's HTTP server, with bodies shaped as PagerDuty's v3 webhook
 * examples (test/fixtures/pagerduty/, from PagerDuty/developer-docs docs/webhooks/01-Overview.md)
 * and signed as PagerDuty signs them; what it takes is delivered into the Slack stand-in. Who
 * acknowledged is found by email through nock answering `GET /users/{id}` as PagerDuty does and
 * users.lookupByEmail as Slack does.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { webApi } from '@slack/bolt';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertWebhookRoute } from '../../src/alerts/alert-webhook.js';
import { buildSlackApp, type SlackApp } from '../../src/app.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import { buildConfig } from '../../src/config.js';
import { alertAnchor } from '../../src/db/state/state-records.js';
import { pagerdutyApi } from '../../src/integrations/pagerduty-api.js';
import {
  pagerdutySignature,
  pagerdutyWebhookRoute,
  pagerdutyWebhookRoutes,
  parsePagerDutyEvent,
  parseSignatureHeader,
} from '../../src/integrations/pagerduty-webhook.js';
import { slackLookupByEmail, type PagerDutyUserLookups } from '../../src/integrations/pagerduty-users.js';
import { createLogger } from '../../src/logger.js';
import type { CallRecord } from '../../src/sandbox/slack-stand-in.js';
import { boundedClientOptions, silentSlackLogger } from '../../src/slack/slack-clients.js';
import { allowEveryone } from '../helpers/authorizers.js';
import { startDeliveryHarness, type DeliveryHarness } from '../helpers/delivery-harness.js';
import { captureLogs, TEST_SIGNING_SECRET } from '../helpers/slack-harness.js';
import { tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';

const SECRET = 'pd-webhook-secret-ChdT1pb9XhV4yTIK';
const OLD_SECRET = 'pd-webhook-secret-old-0123456789ab';
const ALERT_TOKEN = 'webhook-token-0123456789abcdef';
const CHANNEL = 'C0INCIDENT';
const ENGINEER = 'U0ENGINEER';

type Body = { event: Record<string, unknown> & { data: Record<string, unknown> } };
const fixture = (name: string): Body => JSON.parse(readFileSync(path.join(import.meta.dirname, '../fixtures/pagerduty', `${name}.json`), 'utf8')) as Body;
const triggered = () => fixture('incident-triggered');
const acknowledged = () => fixture('incident-acknowledged');
const resolved = () => fixture('incident-resolved');
/** The same fixture about another PagerDuty incident. */
function otherIncident(body: Body, id: string, title?: string): Body {
  body.event.id = `${String(body.event.id)}-${id}`;
  body.event.data = { ...body.event.data, id, html_url: `https://acme.pagerduty.com/incidents/${id}`, ...(title ? { title } : {}) };
  return body;
}

describe('POST /hooks/pagerduty', () => {
  let env: TestEnv;
  let cleanup: () => void;
  let app: SlackApp;
  let d: DeliveryHarness;
  let baseUrl: string;
  let logs: ReturnType<typeof captureLogs>;
  let lookups: PagerDutyUserLookups;

  async function start(file: object = {}) {
    const t = tempDir();
    cleanup = t.cleanup;
    const dataDir = path.join(t.dir, '.shadow-atlas');
    const fullFile = { channels: { incidents: CHANNEL }, ...file };
    env = testDeps(dataDir, { file: fullFile });
    env.deps.config = buildConfig(dataDir, fullFile, { PAGERDUTY_WEBHOOK_SECRET: SECRET, ALERT_WEBHOOK_TOKEN: ALERT_TOKEN });
    logs = captureLogs();
    env.deps.logger = createLogger('debug', logs, { secrets: [TEST_SIGNING_SECRET, SECRET, OLD_SECRET] });
    d = await startDeliveryHarness(env);
    const bot = d.slack.workspace.bot;
    app = buildSlackApp({
      deps: env.deps,
      registry: new CommandRegistry([], allowEveryone),
      logger: env.deps.logger,
      slack: { botToken: d.slack.token, signingSecret: TEST_SIGNING_SECRET, apiUrl: d.slack.apiUrl },
      botIdentity: { botId: bot.botId, botUserId: bot.userId },
      extraRoutes: [alertWebhookRoute(env.deps, { token: ALERT_TOKEN }), pagerdutyWebhookRoute(env.deps, { secret: SECRET, ...lookupsProxy })],
    });
    baseUrl = `http://127.0.0.1:${await app.start(0, '127.0.0.1')}`;
  }
  // The route reads the lookups through this object, so a test may set them after the start.
  const lookupsProxy: PagerDutyUserLookups = {
    emailOf: (id) => lookups.emailOf?.(id) ?? Promise.resolve(null),
    slackUserByEmail: (email) => lookups.slackUserByEmail?.(email) ?? Promise.resolve(null),
  };

  beforeEach(() => {
    lookups = {};
  });
  afterEach(async () => {
    await app.stop();
    await d.close();
    await env.close();
    cleanup();
  });

  const send = (body: unknown, headers: Record<string, string> = {}) => {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    return fetch(`${baseUrl}/hooks/pagerduty`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-pagerduty-signature': pagerdutySignature(raw, SECRET), ...headers },
      body: raw,
    });
  };
  const sendOk = async (body: unknown) => {
    const res = await send(body);
    expect(res.status).toBe(200);
    return (await res.json()) as { ok: boolean; action: string };
  };
  const delivered = () => d.delivery.drain();
  const calls = (): CallRecord[] => d.slack.workspace.calls().filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update');
  const posts = () => calls().filter((c) => c.method === 'chat.postMessage');
  const blocksOf = (c: CallRecord) => JSON.stringify(c.args.blocks ?? []);
  const alert = async () => await env.deps.state.alerts.get('providerdown');
  const link = async () => await env.deps.state.pagerduty.incident('PGR0VU2');
  const count = (table: string) => (env.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  const timeline = async (incidentId: string) => (await env.deps.state.timeline.list(incidentId)).map((e) => e.text);

  describe('signature', () => {
    beforeEach(() => start());

    it('refuses a body whose signature does not match with 403, and takes nothing', async () => {
      const raw = JSON.stringify(triggered());
      const res = await send(raw, { 'x-pagerduty-signature': pagerdutySignature(raw, 'another-secret-0123456789') });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ ok: false, error: 'signature does not match' });
      // Signed, then changed on the way.
      const tampered = await send(raw.replace('ProviderDown', 'ProviderUp'), { 'x-pagerduty-signature': pagerdutySignature(raw, SECRET) });
      expect(tampered.status).toBe(403);
      expect(count('alerts')).toBe(0);
      expect(count('pagerduty_events')).toBe(0);
    });

    it.each([
      ['no header', undefined],
      ['an empty header', ''],
      ['a signature without its version', 'f03de6f61df6e454f3620c4d6aca17ad072d3f8bbb2760eac3b2ad391b5e8073'],
      ['a short signature', 'v1=f03de6f61df6'],
      ['only another version', 'v2=f03de6f61df6e454f3620c4d6aca17ad072d3f8bbb2760eac3b2ad391b5e8073'],
    ])('refuses %s with 400', async (_what, header) => {
      const raw = JSON.stringify(triggered());
      const res = await fetch(`${baseUrl}/hooks/pagerduty`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(header === undefined ? {} : { 'x-pagerduty-signature': header }) },
        body: raw,
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/X-PagerDuty-Signature/);
      expect(count('alerts')).toBe(0);
    });

    it('accepts during a secret rotation when any of the comma-separated signatures matches', async () => {
      const raw = JSON.stringify(triggered());
      const rotating = pagerdutySignature(raw, OLD_SECRET, SECRET);
      expect(rotating.split(',')).toHaveLength(2);
      const res = await send(raw, { 'x-pagerduty-signature': rotating });
      expect(res.status).toBe(200);
      const other = otherIncident(triggered(), 'PNEW001', 'Disk space low');
      const rawOther = JSON.stringify(other);
      const reversed = await send(rawOther, { 'x-pagerduty-signature': `${pagerdutySignature(rawOther, SECRET)}, ${pagerdutySignature(rawOther, OLD_SECRET)}` });
      expect(reversed.status).toBe(200);
      expect(count('alerts')).toBe(2);
    });

    it('never writes the secret to the log', async () => {
      await sendOk(triggered());
      await send('{}', { 'x-pagerduty-signature': 'v1=' + '0'.repeat(64) });
      expect(logs.raw.join('\n')).not.toContain(SECRET);
    });
  });

  describe('bodies', () => {
    beforeEach(() => start());

    it('refuses a signed body that is not a v3 event with 400 naming the field', async () => {
      const noOccurred = triggered();
      delete noOccurred.event.occurred_at;
      const res = await send(noOccurred);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/^event\.occurred_at:/);
      const badData = triggered();
      badData.event.data.id = 'no spaces allowed';
      const res2 = await send(badData);
      expect(res2.status).toBe(400);
      expect(((await res2.json()) as { error: string }).error).toMatch(/^event\.data\.id:/);
      const notJson = await send('{"event":');
      expect(notJson.status).toBe(400);
      expect(count('pagerduty_events')).toBe(0);
    });

    it('answers 200 to an event type it does not apply, and changes nothing', async () => {
      expect(await sendOk(fixture('incident-priority-updated'))).toMatchObject({ ok: true, action: 'ignored' });
      expect(count('alerts') + count('pagerduty_events') + count('pagerduty_incidents')).toBe(0);
    });
  });

  describe('incidents', () => {
    it('triggered: one alert in #incident-response linking the PagerDuty incident; a redelivery and the same alert from /hooks/alerts do not double it', async () => {
      await start();
      expect(await sendOk(triggered())).toMatchObject({ action: 'alert-new' });
      expect(await sendOk(triggered())).toMatchObject({ action: 'duplicate' });
      const am = await fetch(`${baseUrl}/hooks/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ALERT_TOKEN}` },
        body: JSON.stringify({
          version: '4',
          status: 'firing',
          alerts: [{ status: 'firing', labels: { alertname: 'ProviderDown', severity: 'critical' }, startsAt: '2026-11-26T11:58:00Z', endsAt: '0001-01-01T00:00:00Z' }],
        }),
      });
      expect(((await am.json()) as { results: { action: string }[] }).results[0]!.action).toBe('duplicate');
      await delivered();

      expect(posts()).toHaveLength(1);
      expect(posts()[0]!.args.channel).toBe(CHANNEL);
      expect(String(posts()[0]!.args.text)).toContain('P1 ProviderDown firing since 11:58 UTC');
      expect(blocksOf(posts()[0]!)).toContain('https://acme.pagerduty.com/incidents/PGR0VU2');
      expect(blocksOf(posts()[0]!)).toContain('PagerDuty');
      expect(await alert()).toMatchObject({ status: 'firing', severity: 'P1', sources: '["pagerduty","alertmanager"]', fired_at: '2026-11-26T11:58:00.000Z' });
      expect(await link()).toMatchObject({ alert_key: 'providerdown', status: 'triggered', html_url: 'https://acme.pagerduty.com/incidents/PGR0VU2' });
      expect(count('pagerduty_events')).toBe(1);
    });

    it('triggered with a title the matrix does not know: severity from the urgency (high → P1, low → P2)', async () => {
      await start();
      await sendOk(otherIncident(triggered(), 'PHIGH01', 'Nightly export late'));
      const low = otherIncident(triggered(), 'PLOW001', 'Snapshot mirror slow');
      low.event.data.urgency = 'low';
      await sendOk(low);
      expect(await env.deps.state.alerts.get('nightly export late')).toMatchObject({ severity: 'P1' });
      expect(await env.deps.state.alerts.get('snapshot mirror slow')).toMatchObject({ severity: 'P2' });
    });

    it('acknowledged by a user in pagerduty.users: the card shows them, the timeline says PagerDuty', async () => {
      await start({ pagerduty: { users: { PLH1HKV: ENGINEER } } });
      await sendOk(triggered());
      await delivered();
      const ts = (await env.deps.state.slackMessages.get(alertAnchor((await alert())!)))!.ts;
      expect(await sendOk(acknowledged())).toMatchObject({ action: 'acknowledged' });
      await delivered();
      const a = (await alert())!;
      expect(a).toMatchObject({ acknowledged_by: ENGINEER });
      const incident = (await env.deps.state.incidents.get(a.incident_id!))!;
      expect(incident.owner_id).toBe(ENGINEER);
      const card = calls().filter((c) => c.method === 'chat.update' && c.args.ts === ts).at(-1)!;
      expect(blocksOf(card)).toContain(`<@${ENGINEER}>`);
      expect((await timeline(incident.id)).join('\n')).toContain('Acknowledged in PagerDuty by Tenex Engineer.');
      expect(await link()).toMatchObject({ status: 'acknowledged', incident_id: incident.id });
      // A redelivery acknowledges nothing twice.
      expect(await sendOk(acknowledged())).toMatchObject({ action: 'duplicate' });
      expect(count('incidents')).toBe(1);
    });

    it('acknowledged by a user found by email (users.lookupByEmail)', async () => {
      await start();
      const asked: string[] = [];
      lookups = {
        emailOf: (id) => Promise.resolve(id === 'PLH1HKV' ? 'tenex@example.org' : null),
        slackUserByEmail: (email) => {
          asked.push(email);
          return Promise.resolve(email === 'tenex@example.org' ? ENGINEER : null);
        },
      };
      await sendOk(triggered());
      await sendOk(acknowledged());
      expect(asked).toEqual(['tenex@example.org']);
      expect(await alert()).toMatchObject({ acknowledged_by: ENGINEER });
    });

    it('acknowledged by a user not in pagerduty.users: their email from GET /users/{id} matches a Slack user (users.lookupByEmail), who acknowledged', async () => {
      const PD_API = 'https://pagerduty.example.test';
      const PD_TOKEN = 'u+abcdefghijklmnopqrst';
      const SLACK = 'https://slack.example.test';
      const BOT_TOKEN = 'xoxb-test-0123456789';
      nock.disableNetConnect();
      // The bot's own HTTP server and the Slack stand-in delivery posts to.
      nock.enableNetConnect('127.0.0.1');
      try {
        await start({ pagerduty: { users: { PSOMEONE: 'U0SOMEONE' } } });
        // As src/bot.ts wires them: PagerDuty's REST API for the email, the app's client for Slack.
        const pd = pagerdutyApi({ config: buildConfig(env.deps.config.dataDir, {}, { PAGERDUTY_TOKEN: PD_TOKEN, PAGERDUTY_API_URL: PD_API }), fetch: (...a) => globalThis.fetch(...a) });
        const client = new webApi.WebClient(BOT_TOKEN, boundedClientOptions(`${SLACK}/api/`, silentSlackLogger, 1_000));
        lookups = { emailOf: (id) => pd.userEmail(id), slackUserByEmail: slackLookupByEmail(() => client) };
        const user = nock(PD_API, { reqheaders: { authorization: `Token token=${PD_TOKEN}`, accept: 'application/vnd.pagerduty+json;version=2' } })
          .get('/users/PLH1HKV')
          .reply(200, JSON.parse(readFileSync(path.join(import.meta.dirname, '../fixtures/pagerduty/user.json'), 'utf8')) as Record<string, unknown>);
        const slack = nock(SLACK, { reqheaders: { authorization: `Bearer ${BOT_TOKEN}` } })
          .post('/api/users.lookupByEmail', (body: Record<string, unknown>) => body.email === 'tenex@example.org')
          .reply(200, {
            ok: true,
            user: {
              id: ENGINEER,
              team_id: 'T0ATLAS',
              name: 'tenex',
              deleted: false,
              real_name: 'Tenex Engineer',
              tz: 'Europe/Berlin',
              profile: { real_name: 'Tenex Engineer', display_name: 'tenex', email: 'tenex@example.org', team: 'T0ATLAS' },
              is_bot: false,
              updated: 1764158400,
            },
          });

        await sendOk(triggered());
        await delivered();
        const ts = (await env.deps.state.slackMessages.get(alertAnchor((await alert())!)))!.ts;
        expect(await sendOk(acknowledged())).toMatchObject({ action: 'acknowledged' });
        await delivered();
        expect(user.isDone() && slack.isDone()).toBe(true);
        const a = (await alert())!;
        expect(a).toMatchObject({ acknowledged_by: ENGINEER });
        const incident = (await env.deps.state.incidents.get(a.incident_id!))!;
        expect(incident.owner_id).toBe(ENGINEER);
        const lines = (await timeline(incident.id)).join('\n');
        expect(lines).toContain('Acknowledged in PagerDuty by Tenex Engineer.');
        expect(lines).not.toContain('no Slack user matches them');
        const card = calls().filter((c) => c.method === 'chat.update' && c.args.ts === ts).at(-1)!;
        expect(blocksOf(card)).toContain(`<@${ENGINEER}>`);
      } finally {
        nock.cleanAll();
        nock.enableNetConnect();
      }
    });

    it('acknowledged by someone with no Slack match: acknowledged as the bot, the card and thread say who in PagerDuty', async () => {
      await start();
      lookups = { emailOf: () => Promise.resolve('nobody@example.org'), slackUserByEmail: () => Promise.resolve(null) };
      await sendOk(triggered());
      await sendOk(acknowledged());
      await delivered();
      const a = (await alert())!;
      expect(a.acknowledged_by).toBe('bot');
      const lines = (await timeline(a.incident_id!)).join('\n');
      expect(lines).toContain('Acknowledged in PagerDuty by Tenex Engineer (no Slack user matches them: map them in pagerduty.users).');
      expect(calls().map(blocksOf).join('\n')).toContain('Acknowledged in PagerDuty by Tenex Engineer');
      expect(logs.lines.some((l) => String(l.msg).includes('no Slack user has their email'))).toBe(true);
      // Nobody was woken by the bot's own acknowledgement: no page for `bot` in the on-call load.
      expect(env.db.prepare("SELECT COUNT(*) AS n FROM pages WHERE user_id = 'bot'").get()).toEqual({ n: 0 });
    });

    it('a lookup that fails or hangs is no match: the acknowledgement still goes through in time', async () => {
      await start();
      lookups = { emailOf: () => new Promise(() => {}), slackUserByEmail: () => Promise.reject(new Error('boom')) };
      await sendOk(triggered());
      // The email lookup hangs for good: the acknowledgement going through at all is the lookup's bound at work.
      expect(await sendOk(acknowledged())).toMatchObject({ action: 'acknowledged' });
      expect(await alert()).toMatchObject({ acknowledged_by: 'bot' });
    });

    it('acknowledged in PagerDuty after someone acknowledged in Slack: theirs stands, nothing is said twice', async () => {
      await start({ pagerduty: { users: { PLH1HKV: ENGINEER } } });
      await sendOk(triggered());
      const { acknowledgeAlert } = await import('../../src/incidents/acknowledge.js');
      await acknowledgeAlert(env.deps, 'ProviderDown', 'U0SOMEONE');
      expect(await sendOk(acknowledged())).toMatchObject({ action: 'already-acknowledged' });
      expect(await alert()).toMatchObject({ acknowledged_by: 'U0SOMEONE' });
      expect(count('incidents')).toBe(1);
    });

    it('resolved: the alert is resolved, its card edited and the thread told; the incident stays open for its resolution', async () => {
      await start({ pagerduty: { users: { PLH1HKV: ENGINEER } } });
      await sendOk(triggered());
      await sendOk(acknowledged());
      await delivered();
      const before = calls().length;
      expect(await sendOk(resolved())).toMatchObject({ action: 'alert-resolved' });
      await delivered();
      const a = (await alert())!;
      expect(a).toMatchObject({ status: 'resolved' });
      const incident = (await env.deps.state.incidents.get(a.incident_id!))!;
      expect(incident.status).not.toBe('resolved');
      expect((await timeline(incident.id)).join('\n')).toContain('Resolved in PagerDuty by Tenex Engineer.');
      expect(calls().slice(before).some((c) => c.method === 'chat.update')).toBe(true);
      expect(calls().slice(before).some((c) => c.method === 'chat.postMessage' && c.args.thread_ts)).toBe(true);
      expect(await link()).toMatchObject({ status: 'resolved' });
      expect(await sendOk(resolved())).toMatchObject({ action: 'duplicate' });
    });

    it('resolved without an acknowledgement: the alert message shows it resolved', async () => {
      await start();
      await sendOk(triggered());
      await delivered();
      await sendOk(resolved());
      await delivered();
      expect(await alert()).toMatchObject({ status: 'resolved', incident_id: null });
      expect(String(calls().at(-1)!.args.text)).toMatch(/resolved/);
    });

    it('out of order: resolved before acknowledged keeps the resolution; the late acknowledgement is recorded and ignored', async () => {
      await start({ pagerduty: { users: { PLH1HKV: ENGINEER } } });
      await sendOk(triggered());
      expect(await sendOk(resolved())).toMatchObject({ action: 'alert-resolved' });
      expect(await sendOk(acknowledged())).toMatchObject({ action: 'stale' });
      expect(await alert()).toMatchObject({ status: 'resolved', incident_id: null, acknowledged_by: null });
      expect(await link()).toMatchObject({ status: 'resolved', last_event_at: '2026-11-26T12:30:05.412Z' });
      expect(count('pagerduty_events')).toBe(3);
      expect(count('incidents')).toBe(0);
    });

    it('an incident never triggered here: recorded, said in the log, nothing posted; Slack keeps working', async () => {
      await start();
      const body = otherIncident(acknowledged(), 'PUNKNWN');
      expect(await sendOk(body)).toMatchObject({ action: 'unknown-incident' });
      expect(await sendOk(body)).toMatchObject({ action: 'duplicate' });
      await delivered();
      expect(calls()).toHaveLength(0);
      expect(await env.deps.state.pagerduty.incident('PUNKNWN')).toMatchObject({ alert_key: null, status: 'acknowledged' });
      const warn = logs.lines.find((l) => String(l.msg).includes('incident unknown to the bot'));
      expect(warn).toMatchObject({ pdIncident: 'PUNKNWN', eventType: 'incident.acknowledged' });
      // The bot still answers.
      expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
      expect(await sendOk(triggered())).toMatchObject({ action: 'alert-new' });
    });

    it('fifty concurrent deliveries of the same trigger post once', async () => {
      await start();
      const raw = JSON.stringify(triggered());
      const answers = await Promise.all(Array.from({ length: 50 }, () => send(raw).then((r) => r.json() as Promise<{ action: string }>)));
      expect(answers.filter((a) => a.action === 'alert-new')).toHaveLength(1);
      await delivered();
      expect(posts()).toHaveLength(1);
    });
  });
});

describe('PagerDuty webhook pieces', () => {
  it('is off without PAGERDUTY_WEBHOOK_SECRET, on with it', async () => {
    const t = tempDir();
    const env = testDeps(path.join(t.dir, '.shadow-atlas'));
    try {
      expect(pagerdutyWebhookRoutes(env.deps)).toEqual([]);
      env.deps.config = buildConfig(env.deps.config.dataDir, {}, { PAGERDUTY_WEBHOOK_SECRET: SECRET });
      expect(pagerdutyWebhookRoutes(env.deps).map((r) => [r.path, r.method])).toEqual([['/hooks/pagerduty', 'POST']]);
    } finally {
      await env.close();
      t.cleanup();
    }
  });

  it('reads the signature header as PagerDuty documents it', () => {
    const a = 'f03de6f61df6e454f3620c4d6aca17ad072d3f8bbb2760eac3b2ad391b5e8073';
    const b = '130dcacb53a94d983a37cf2acba98e805a1c37185309ba56fdcccbcf00d6dd8b';
    const parsed = parseSignatureHeader(`v1=${a},v1=${b}`);
    expect(parsed.ok && parsed.signatures.map((s) => s.toString('hex'))).toEqual([a, b]);
    expect(parseSignatureHeader(`v2=${a}, v1=${b}`)).toMatchObject({ ok: true });
    expect(parseSignatureHeader(undefined)).toMatchObject({ ok: false });
  });

  it('parses the documented incident event and ignores the others', () => {
    const parsed = parsePagerDutyEvent(fixture('incident-acknowledged'));
    expect(parsed).toMatchObject({
      ok: true,
      kind: 'apply',
      event: {
        type: 'incident.acknowledged',
        agent: { id: 'PLH1HKV', name: 'Tenex Engineer' },
        incident: { id: 'PGR0VU2', number: 2, title: 'ProviderDown', urgency: 'high', priority: 'P1', service: 'Shadow Atlas' },
      },
    });
    expect(parsePagerDutyEvent(fixture('incident-priority-updated'))).toMatchObject({ ok: true, kind: 'ignore', eventType: 'incident.priority_updated' });
  });
});
