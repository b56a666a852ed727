/**
 * The alert webhook on the app's HTTP server; what it takes is delivered by a real delivery loop
 * into the Slack stand-in.
 */
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import { alertWebhookRoute, alertWebhookRoutes, parseAlertPayload } from '../../src/alerts/alert-webhook.js';
import { buildSlackApp, type SlackApp } from '../../src/app.js';
import type { CustomRoute } from '@slack/bolt';
import { CommandRegistry } from '../../src/commands/registry.js';
import { buildConfig } from '../../src/config.js';
import { alertAnchor } from '../../src/db/state/state-records.js';
import { createLogger } from '../../src/logger.js';
import type { CallRecord } from '../../src/sandbox/slack-stand-in.js';
import { allowEveryone } from '../helpers/authorizers.js';
import { startDeliveryHarness, type DeliveryHarness } from '../helpers/delivery-harness.js';
import { captureLogs, SLACK_API_URL, TEST_BOT, TEST_BOT_TOKEN, TEST_SIGNING_SECRET } from '../helpers/slack-harness.js';
import { tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';

const TOKEN = 'webhook-token-0123456789abcdef';
const CHANNEL = 'C0INCIDENT';
const MAX_BYTES = 4096;

const atlasAlert = (over: Record<string, unknown> = {}) => ({
  source: 'shadow-atlas',
  type: 'alert',
  name: 'provider_down',
  severity: 'critical',
  status: 'FIRING',
  message: 'Provider Census TIGER availability 40%',
  firedAt: '2026-11-26T11:55:00.000Z',
  context: { extractionSuccessRate: 0.97, validationPassRate: 1, avgJobDurationMs: 42_000 },
  ...over,
});

const alertmanagerBody = (alerts: Record<string, unknown>[], status = 'firing') => ({
  version: '4',
  groupKey: '{}:{alertname="ProviderDown"}',
  truncatedAlerts: 0,
  status,
  receiver: 'atlas-bot',
  groupLabels: { alertname: 'ProviderDown' },
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'http://alertmanager.example:9093',
  alerts,
});

const amAlert = (over: Record<string, unknown> = {}) => ({
  status: 'firing',
  labels: { alertname: 'ProviderDown', severity: 'critical', provider: 'census-tiger', instance: 'atlas-1:9090' },
  annotations: {
    summary: 'Provider census-tiger is down',
    description: 'Health checks below 0.5 for 5 minutes',
    runbook_url: 'https://docs.voter-protocol.org/runbooks/provider-down',
  },
  startsAt: '2026-11-26T11:58:00.123456789Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus.example:9090/graph',
  fingerprint: 'c6b2f1d0a9e8d7c6',
  ...over,
});

describe('POST /hooks/alerts', () => {
  let env: TestEnv;
  let cleanup: () => void;
  let app: SlackApp;
  let d: DeliveryHarness;
  let baseUrl: string;
  const logs = captureLogs();

  async function start(routes: (deps: typeof env.deps) => CustomRoute[]) {
    const logger = createLogger('debug', logs, { secrets: [TEST_SIGNING_SECRET, TOKEN] });
    const bot = d.slack.workspace.bot;
    app = buildSlackApp({
      deps: env.deps,
      registry: new CommandRegistry([], allowEveryone),
      logger,
      slack: { botToken: d.slack.token, signingSecret: TEST_SIGNING_SECRET, apiUrl: d.slack.apiUrl },
      botIdentity: { botId: bot.botId, botUserId: bot.userId },
      extraRoutes: routes(env.deps),
    });
    baseUrl = `http://127.0.0.1:${await app.start(0, '127.0.0.1')}`;
  }

  beforeEach(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const dataDir = path.join(t.dir, '.shadow-atlas');
    const file = { channels: { incidents: CHANNEL } };
    env = testDeps(dataDir, { file });
    env.deps.config = buildConfig(dataDir, file, { ALERT_WEBHOOK_TOKEN: TOKEN });
    d = await startDeliveryHarness(env);
    await start((deps) => [alertWebhookRoute(deps, { token: TOKEN, maxBytes: MAX_BYTES })]);
  });
  afterEach(async () => {
    await app.stop();
    await d.close();
    await env.close();
    cleanup();
  });

  /** Every message the bot sent to Slack (posts and edits), in order. */
  const calls = (): CallRecord[] => d.slack.workspace.calls().filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update');
  const textOf = (c: CallRecord) => String(c.args.text);
  const blocksOf = (c: CallRecord) => JSON.stringify(c.args.blocks ?? []);

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${baseUrl}/hooks/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  /** Delivers everything the route queued. */
  const delivered = () => d.delivery.drain();
  const alertCount = () => (env.db.prepare('SELECT COUNT(*) AS n FROM alerts').get() as { n: number }).n;
  const alert = async (key: string) => await env.deps.state.alerts.get(key);
  /** The ts of the Slack message of the alert's current firing. */
  const messageTs = async (key: string) => (await env.deps.state.slackMessages.get(alertAnchor((await alert(key))!)))?.ts;

  describe('alert truth under hostile input (18 §9, §10)', () => {
    it('a RESOLVED for an alert only metrics.db reports changes nothing, and the answer says why', async () => {
      await ingestAlert(env.deps, { name: 'provider_down', status: 'firing', message: 'from metrics.db', source: 'metrics-db' });
      await delivered();
      const before = calls().length;
      const res = await post(atlasAlert({ name: 'PROVIDER_DOWN', status: 'RESOLVED', resolvedAt: '2026-11-26T11:59:00.000Z' }));
      expect(res.status).toBe(200);
      const body = (await res.json()) as { results: { action: string; note?: string }[] };
      expect(body.results[0]).toMatchObject({ action: 'not-a-source', note: expect.stringContaining('never reported provider_down firing') });
      expect(await alert('provider_down')).toMatchObject({ status: 'firing', resolved_by: null, resolved_sources: '[]' });
      await delivered();
      expect(calls().length).toBe(before);
    });

    it('an alert reported by two sources resolves only when both have resolved it, saying by whom', async () => {
      await post(atlasAlert());
      await post(alertmanagerBody([amAlert({ labels: { alertname: 'provider_down', severity: 'critical' } })]));
      expect(JSON.parse((await alert('provider_down'))!.sources)).toEqual(['atlas-webhook', 'alertmanager']);
      const resolvedBody = alertmanagerBody([amAlert({ status: 'resolved', labels: { alertname: 'provider_down' }, endsAt: '2026-11-26T11:59:30Z' })], 'resolved');
      const first = (await (await post(resolvedBody)).json()) as { results: { action: string }[] };
      expect(first.results[0]?.action).toBe('source-resolved');
      expect(await alert('provider_down')).toMatchObject({ status: 'firing', resolved_sources: '["alertmanager"]' });
      await delivered();
      const ts = await messageTs('provider_down');
      const second = (await (await post(atlasAlert({ status: 'RESOLVED' }))).json()) as { results: { action: string }[] };
      expect(second.results[0]?.action).toBe('resolved');
      expect(await alert('provider_down')).toMatchObject({ status: 'resolved', resolved_by: 'sources:atlas-webhook,alertmanager' });
      await delivered();
      const edit = calls().filter((c) => c.method === 'chat.update' && c.args.ts === ts).at(-1)!;
      expect(blocksOf(edit)).toContain('Resolved by Shadow Atlas webhook and Alertmanager');
    });

    it.each([
      ['the year 9999', '9999-12-31T23:59:59.000Z', 'in the future'],
      ['ten years ago', '2016-11-26T12:00:00.000Z', 'days before it arrived'],
    ])('clamps a firedAt of %s to the time received and shows the clamp on the alert', async (_what, firedAt, words) => {
      const res = await post(atlasAlert({ firedAt }));
      expect(res.status).toBe(200);
      const a = (await alert('provider_down'))!;
      expect(a.fired_at).toBe(env.deps.clock().toISOString());
      expect(a.fired_at_note).toContain(firedAt);
      expect(a.fired_at_note).toContain(words);
      await delivered();
      const posted = calls().find((c) => c.method === 'chat.postMessage')!;
      expect(blocksOf(posted)).toContain(firedAt);
      expect(blocksOf(posted)).toContain(words);
      expect(textOf(posted)).toContain('firing since 12:00 UTC');
    });
  });

  describe('authentication', () => {
    it.each([
      ['no Authorization header', {}],
      ['a wrong token', { authorization: 'Bearer webhook-token-0123456789abcdeX' }],
      ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
      ['the token with another scheme', { authorization: `Basic ${TOKEN}` }],
      ['an empty bearer', { authorization: 'Bearer ' }],
    ])('refuses %s with 401 and takes nothing', async (_what, headers) => {
      const res = await fetch(`${baseUrl}/hooks/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(atlasAlert()),
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await res.json()).toEqual({ ok: false, error: 'missing or wrong bearer token' });
      expect(alertCount()).toBe(0);
    });

    it('never writes the token to the log', async () => {
      await post(atlasAlert(), { authorization: 'Bearer not-the-token-at-all-xx' });
      await post(atlasAlert());
      await delivered();
      expect(logs.raw.join('\n')).not.toContain(TOKEN);
    });
  });

  it('takes a Shadow Atlas alert and posts it once to the incidents channel', async () => {
    const res = await post(atlasAlert());
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, accepted: 1, results: [{ name: 'provider_down', action: 'new' }] });
    await delivered();
    expect(calls()).toHaveLength(1);
    expect(calls()[0]!.args.channel).toBe(CHANNEL);
    expect(textOf(calls()[0]!)).toContain('P1 provider_down firing since 11:55 UTC');
    expect(blocksOf(calls()[0]!)).toContain('Provider Census TIGER availability 40%');
    expect(blocksOf(calls()[0]!)).toContain('atlas_alert_ack');
    expect(d.slack.workspace.messages(CHANNEL)).toHaveLength(1);
    expect(await alert('provider_down')).toMatchObject({ sources: '["atlas-webhook"]', fired_at: '2026-11-26T11:55:00.000Z' });
  });

  it('takes an Alertmanager notification: each alert, its fingerprint, runbook and labels', async () => {
    const res = await post(
      alertmanagerBody([
        amAlert(),
        amAlert({ status: 'resolved', labels: { alertname: 'CacheHitRateLow' }, endsAt: '2026-11-26T11:59:00Z', fingerprint: 'ffff' }),
      ]),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ok: true,
      accepted: 2,
      results: [
        { name: 'ProviderDown', action: 'new' },
        { name: 'CacheHitRateLow', action: 'unknown-resolved' },
      ],
    });
    await delivered();
    const row = (await alert('providerdown'))!;
    expect(row).toMatchObject({
      severity: 'P1',
      fired_at: '2026-11-26T11:58:00.123Z',
      fingerprints: '["c6b2f1d0a9e8d7c6"]',
      sources: '["alertmanager"]',
      runbook_url: 'https://docs.voter-protocol.org/runbooks/provider-down',
    });
    expect(row.message).toBe('Provider census-tiger is down\nHealth checks below 0.5 for 5 minutes\nLabels: provider=census-tiger, instance=atlas-1:9090');
    expect(calls()).toHaveLength(1);
    expect(blocksOf(calls()[0]!)).toContain('Provider census-tiger is down');
  });

  it('deduplicates a flood: 50 concurrent posts of one alert give one row and one Slack message', async () => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? post(atlasAlert()) : post(alertmanagerBody([amAlert({ labels: { alertname: 'provider_down' } })])))),
    );
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { results: { action: string }[] }[];
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const actions = bodies.flatMap((b) => b.results.map((r) => r.action));
    expect(actions.filter((a) => a === 'new')).toHaveLength(1);
    expect(actions.filter((a) => a === 'duplicate')).toHaveLength(49);
    await delivered();
    await delivered();
    expect(alertCount()).toBe(1);
    expect(calls()).toHaveLength(1);
    expect(d.slack.workspace.messages(CHANNEL)).toHaveLength(1);
    expect(await env.deps.state.outbox.stats(env.deps.clock())).toMatchObject({ pending: 0, failed: 0 });
    expect(JSON.parse((await alert('provider_down'))!.sources)).toEqual(['atlas-webhook', 'alertmanager']);
  });

  it('updates the posted message once on resolution, and posts a new message when it fires again', async () => {
    await post(atlasAlert());
    await delivered();
    const firstTs = await messageTs('provider_down');
    expect(firstTs).toBe(d.slack.workspace.messages(CHANNEL)[0]!.ts);

    env.clock.advance(15 * 60_000);
    const resolved = await post(atlasAlert({ status: 'RESOLVED', resolvedAt: '2026-11-26T12:14:00.000Z' }));
    expect(await resolved.json()).toMatchObject({ results: [{ name: 'provider_down', action: 'resolved' }] });
    await delivered();
    expect(calls().map((c) => c.method)).toEqual(['chat.postMessage', 'chat.update']);
    expect(calls()[1]!.args.ts).toBe(firstTs);
    expect(textOf(calls()[1]!)).toContain('resolved at 12:14 UTC');

    expect(await (await post(atlasAlert({ status: 'RESOLVED' }))).json()).toMatchObject({ results: [{ action: 'already-resolved' }] });

    env.clock.advance(15 * 60_000);
    const again = await post(atlasAlert({ firedAt: '2026-11-26T12:29:00.000Z' }));
    expect(await again.json()).toMatchObject({ results: [{ name: 'provider_down', action: 'refired' }] });
    await delivered();
    expect(calls().map((c) => c.method)).toEqual(['chat.postMessage', 'chat.update', 'chat.postMessage']);
    expect(calls()[2]!.args.ts).toBeUndefined();
    expect(calls()[2]!.args.thread_ts).toBeUndefined();
    expect(await messageTs('provider_down')).not.toBe(firstTs);
    // In Slack: the first firing's message, edited to resolved, and the second firing's own message.
    const shown = d.slack.workspace.messages(CHANNEL);
    expect(shown.map((m) => m.ts)).toEqual([firstTs, await messageTs('provider_down')]);
    expect(shown[0]!.text).toContain('resolved at 12:14 UTC');
  });

  it("posts an alert the matrix does not know at its source's own severity, and says so", async () => {
    await post(atlasAlert({ name: 'replica_lag_high', severity: 'critical', message: 'replica 2 is 40 s behind' }));
    await post(alertmanagerBody([amAlert({ labels: { alertname: 'QueueBacklogGrowing', severity: 'warning' }, annotations: { summary: 'Queue backlog is growing' }, fingerprint: 'aaaa' })]));
    await delivered();
    expect(await alert('replica_lag_high')).toMatchObject({ severity: 'P1', severity_known: 2 });
    expect(await alert('queuebackloggrowing')).toMatchObject({ severity: 'P2', severity_known: 2 });
    expect(calls()).toHaveLength(2);
    const byName = (n: string) => calls().find((c) => textOf(c).includes(n))!;
    expect(textOf(byName('replica_lag_high'))).toContain('P1 replica_lag_high firing since 11:55 UTC');
    expect(blocksOf(byName('replica_lag_high'))).toContain('Severity P1 (source says critical; not in the severity matrix) · respond within 1 h');
    expect(blocksOf(byName('QueueBacklogGrowing'))).toContain('Severity P2 (source says warning; not in the severity matrix)');
  });

  it('escapes <!channel> and other markup from the alert in what it posts', async () => {
    await post(atlasAlert({ name: 'odd <!channel>', message: 'wake <!channel> <@U0BOSS> up' }));
    await delivered();
    const shown = JSON.stringify(calls()[0]!.args.blocks, (k, v: unknown) => (k === 'value' ? undefined : v));
    expect(shown).not.toMatch(/<!channel>|<@U0BOSS>/);
    expect(shown).toContain('wake &lt;!channel&gt; &lt;@U0BOSS&gt; up');
    expect(textOf(calls()[0]!)).not.toContain('<!channel>');
  });

  describe('bad bodies', () => {
    it('answers 400 for a body that is not JSON', async () => {
      const res = await post('{"source": "shadow-atlas",');
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ ok: false, error: 'body is not valid JSON' });
    });

    it.each([
      ['a JSON array', [atlasAlert()], 'body must be a JSON object'],
      ['neither payload', { hello: 'world' }, 'body is neither a Shadow Atlas alert (source "shadow-atlas") nor an Alertmanager webhook (version "4")'],
      ['an Atlas alert without a name', atlasAlert({ name: undefined }), /^name: /],
      ['an Atlas alert with a bad status', atlasAlert({ status: 'EXPLODED' }), /^status: /],
      ['an Atlas alert with a bad firedAt', atlasAlert({ firedAt: 'last tuesday' }), 'firedAt: must be an ISO-8601 timestamp'],
      ['an Atlas alert with an overlong name', atlasAlert({ name: 'n'.repeat(201) }), 'name: must be at most 200 characters'],
      ['an Atlas alert with a newline in its name', atlasAlert({ name: 'a\nb' }), 'name: must not contain control characters'],
      ['an Alertmanager body of another version', { ...alertmanagerBody([amAlert()]), version: '3' }, /^version: /],
      ['an Alertmanager alert without alertname', alertmanagerBody([amAlert(), amAlert({ labels: { severity: 'critical' } })]), /^alerts\[1\]\.labels\.alertname: /],
      ['an Alertmanager body without alerts', alertmanagerBody([]), 'alerts: must hold at least one alert'],
      ['an Alertmanager alert with a bad startsAt', alertmanagerBody([amAlert({ startsAt: 'soon' })]), 'alerts[0].startsAt: must be an ISO-8601 timestamp'],
    ])('answers 400 naming the field for %s', async (_what, body, reason) => {
      const res = await post(body);
      expect(res.status).toBe(400);
      const answer = (await res.json()) as { ok: boolean; error: string };
      expect(answer.ok).toBe(false);
      if (typeof reason === 'string') expect(answer.error).toBe(reason);
      else expect(answer.error).toMatch(reason);
      expect(answer.error).not.toContain('\n');
      expect(alertCount()).toBe(0);
    });

    it('answers 413 for a declared length past the limit', async () => {
      const res = await post({ ...atlasAlert(), message: 'x'.repeat(MAX_BYTES) });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ ok: false, error: `body larger than ${MAX_BYTES} bytes` });
      expect(alertCount()).toBe(0);
    });

    it('answers 413 for a chunked body once it passes the limit, without reading the rest', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${baseUrl}/hooks/alerts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'transfer-encoding': 'chunked' },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        // Keeps sending far past the limit; the server answers and stops listening.
        let sent = 0;
        const chunk = Buffer.alloc(1024, 'x');
        const pump = () => {
          while (sent < 64 && req.write(chunk)) sent++;
          if (sent < 64) req.once('drain', pump);
          else req.end();
        };
        req.write('{"source":"shadow-atlas","message":"');
        pump();
      });
      expect(status).toBe(413);
      expect(alertCount()).toBe(0);
    });
  });

  it('parses both payloads without a server too', () => {
    const parsed = parseAlertPayload(alertmanagerBody([amAlert({ labels: { alertname: 'MemoryUsageHigh', severity: 'warning' }, annotations: null })]));
    expect(parsed).toMatchObject({ ok: true, kind: 'alertmanager', reports: [{ name: 'MemoryUsageHigh', severityHint: 'warning', message: '' }] });
    const atlas = parseAlertPayload(atlasAlert({ firedAt: Date.parse('2026-11-26T11:00:00Z'), resolvedAt: null }));
    expect(atlas).toMatchObject({ ok: true, kind: 'shadow-atlas', reports: [{ firedAt: new Date('2026-11-26T11:00:00Z'), resolvedAt: undefined }] });
  });
});

describe('alertWebhookRoutes', () => {
  it('serves the route only when ALERT_WEBHOOK_TOKEN is set, and refuses a short token', async () => {
    const t = tempDir();
    const env = testDeps(path.join(t.dir, '.shadow-atlas'));
    try {
      expect(alertWebhookRoutes(env.deps)).toEqual([]);
      const app = buildSlackApp({
        deps: env.deps,
        registry: new CommandRegistry([], allowEveryone),
        logger: createLogger('silent', captureLogs()),
        slack: { botToken: TEST_BOT_TOKEN, signingSecret: TEST_SIGNING_SECRET, apiUrl: SLACK_API_URL },
        botIdentity: TEST_BOT,
        extraRoutes: alertWebhookRoutes(env.deps),
      });
      const port = await app.start(0, '127.0.0.1');
      try {
        const res = await fetch(`http://127.0.0.1:${port}/hooks/alerts`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{}' });
        expect(res.status).toBe(404);
      } finally {
        await app.stop();
      }
      env.deps.config = buildConfig(env.deps.config.dataDir, {}, { ALERT_WEBHOOK_TOKEN: TOKEN });
      expect(alertWebhookRoutes(env.deps).map((r) => [r.path, r.method])).toEqual([['/hooks/alerts', 'POST']]);
      expect(() => alertWebhookRoute(env.deps, { token: 'short' })).toThrow(/at least 16/);
    } finally {
      await env.close();
      t.cleanup();
    }
  });
});
