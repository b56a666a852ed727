/**
 * The bot starts, takes alerts and pages while Slack is unreachable (nothing listening at
 * SLACK_API_URL, or a Slack that hangs), says so on /healthz and in `doctor` in one sentence,
 * and posts what waited exactly once and in order when Slack answers again. Only a token Slack
 * refuses stops it. Runs the whole bot in-process through startBot, with the Slack stand-in and a
 * local stand-in for PagerDuty's Events API.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBot, type RunningBot } from '../../src/bot.js';
import { doctor } from '../../src/checks/doctor.js';
import { buildConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { pagerdutyStandIn, type PagerDutyStandIn } from '../../src/sandbox/pagerduty-stand-in.js';
import { DEFAULT_BOT, startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slack-stand-in.js';
import { captureLogs, eventually } from '../helpers/slack-harness.js';
import { createAtlasFiles, tempDir } from '../helpers/test-deps.js';

const CHANNEL = 'C0INCIDENT';
const WEBHOOK_TOKEN = 'offline-test-webhook-token-0123456789';
const SIGNING_SECRET = 'offline-test-signing-secret-abcdef';
const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
/** Slack may take a while to be asked again on a loaded machine: generous, never asserted as fast. */
const WAIT_MS = 60_000;

let dir: ReturnType<typeof tempDir>;
let dataDir: string;
let pd: { server: Server; url: string; standIn: PagerDutyStandIn };
let slack: SlackStandIn | null;
let bot: RunningBot | null;
let logs: ReturnType<typeof captureLogs>;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** PagerDuty's Events API on this machine: POST /v2/enqueue, checked as PagerDuty checks it. */
async function startPagerDuty(): Promise<typeof pd> {
  const standIn = pagerdutyStandIn({ basePath: '', clock: () => new Date() });
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      void Promise.resolve(standIn.route(req, res, new URL(req.url ?? '/', 'http://127.0.0.1'), body)).then((served) => {
        if (!served) res.writeHead(404).end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, standIn };
}

async function start(apiUrl: string, onSlackRefused?: (sentence: string) => void): Promise<RunningBot> {
  const config = buildConfig(
    dataDir,
    {
      channels: { incidents: CHANNEL },
      responders: { users: ['U0ONCALL1'] },
      delivery: { postsPerSecond: 100, burst: 100, leaseSeconds: 1 },
      pagerduty: { routingKey: ROUTING_KEY },
    },
    { SLACK_API_URL: apiUrl, ALERT_WEBHOOK_TOKEN: WEBHOOK_TOKEN, PAGERDUTY_EVENTS_URL: pd.url, PORT: 0 },
  );
  bot = await startBot({
    config,
    logger: createLogger('info', logs),
    credentials: { botToken: DEFAULT_BOT.token, signingSecret: SIGNING_SECRET },
    host: '127.0.0.1',
    slackRetry: { minMs: 100, maxMs: 1_000 },
    ...(onSlackRefused ? { onSlackRefused } : {}),
  });
  return bot;
}

async function health(b: RunningBot): Promise<{ status: string; slack: { state: string; since: string; lastError: string | null; detail: string } }> {
  const res = await fetch(`http://127.0.0.1:${b.port}/healthz`);
  expect(res.status).toBe(200);
  return (await res.json()) as never;
}

async function postAlert(b: RunningBot, name: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${b.port}/hooks/alerts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${WEBHOOK_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ source: 'shadow-atlas', type: 'alert', name, severity: 'critical', status: 'FIRING', message: `${name} is failing`, firedAt: new Date().toISOString() }),
  });
  return res.status;
}

/** The test's alerts' top-level messages in the channel, in the order Slack got them (the watchdog's own are left out). */
function alertPosts(s: SlackStandIn): string[] {
  return s.workspace
    .messages(CHANNEL)
    .map((m) => (m.metadata as { event_payload?: { anchor?: string } } | undefined)?.event_payload?.anchor)
    .filter((a): a is string => a === 'alert:provider_down:1' || a === 'alert:disk_full:1');
}

const paged = () => pd.standIn.events().filter((e) => e.event_action === 'trigger').map((e) => e.payload?.summary);

async function doctorSlackLine(b: RunningBot): Promise<string | undefined> {
  return (await doctor(b.deps)).find((i) => i.key === 'slack')?.detail;
}

beforeEach(async () => {
  dir = tempDir();
  dataDir = path.join(dir.dir, '.shadow-atlas');
  const files = createAtlasFiles(dataDir);
  files.metrics.close();
  files.persistence.close();
  pd = await startPagerDuty();
  slack = null;
  bot = null;
  logs = captureLogs();
});

afterEach(async () => {
  await bot?.stop();
  await slack?.close();
  await new Promise((resolve) => pd.server.close(resolve));
  dir.cleanup();
});

describe('the bot while Slack is unreachable', () => {
  it('with nothing listening at SLACK_API_URL: starts, says degraded, takes alerts and pages; posts them once and in order when Slack answers', async () => {
    const port = await freePort();
    const b = await start(`http://127.0.0.1:${port}/api/`);

    // /healthz answers at once, and names Slack as degraded with the last error and since when.
    const first = await health(b);
    expect(first.status).toBe('degraded');
    expect(first.slack.state).toBe('degraded');
    expect(Number.isNaN(Date.parse(first.slack.since))).toBe(false);
    const down = await eventually(async () => {
      const h = await health(b);
      return h.slack.lastError ? h : undefined;
    }, 'the first failed auth.test', WAIT_MS);
    expect(down.slack.lastError).toMatch(/^could not reach Slack: /);
    expect(down.slack.detail).toMatch(/^Slack not reachable since \d{4}-\d\d-\d\d \d\d:\d\d UTC: could not reach Slack: .*Slack messages wait in the outbox\.$/);
    // `doctor` says the same sentence.
    await eventually(async () => (await doctorSlackLine(b)) === (await health(b)).slack.detail, 'doctor and /healthz to agree', WAIT_MS);
    expect(logs.lines.some((l) => l.level === 'warn' && String(l.msg).startsWith('Slack not reachable since'))).toBe(true);

    // Alerts are taken and paged while Slack is down.
    expect(await postAlert(b, 'provider_down')).toBeLessThan(300);
    expect(await postAlert(b, 'disk_full')).toBeLessThan(300);
    await eventually(() => paged().includes('provider_down') && paged().includes('disk_full'), 'PagerDuty pages while Slack is down', WAIT_MS);
    expect((await b.deps.state.outbox.stats(new Date())).pending).toBeGreaterThanOrEqual(2);

    // Slack comes back on the same address.
    slack = await startSlackStandIn({ port });
    const s = slack;
    await eventually(async () => (await health(b)).status === 'ok', '/healthz to say ok', WAIT_MS);
    expect((await health(b)).slack.detail).toMatch(/^Slack answers: connected as @atlas to Shadow Atlas since /);
    await eventually(() => alertPosts(s).length >= 2, 'the queued alerts in the channel', WAIT_MS);
    await eventually(async () => (await b.deps.state.outbox.stats(new Date())).pending === 0, 'the outbox to empty', WAIT_MS);
    expect(alertPosts(s)).toEqual(['alert:provider_down:1', 'alert:disk_full:1']);
    expect(s.workspace.calls('auth.test').length).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('with a Slack that hangs, then answers: degraded meanwhile, ok after; what waited is posted once, before what came after', async () => {
    slack = await startSlackStandIn();
    const s = slack;
    const hang = s.faults.inject({ method: '*', kind: 'hang', times: Number.POSITIVE_INFINITY });
    const b = await start(s.apiUrl);

    const first = await health(b);
    expect(first.status).toBe('degraded');
    // auth.test has not answered yet: no error to show, only since when it waits.
    expect(first.slack.detail).toMatch(/waiting for the first answer to auth\.test/);
    expect(await postAlert(b, 'provider_down')).toBeLessThan(300);
    await eventually(() => paged().includes('provider_down'), 'PagerDuty pages while Slack hangs', WAIT_MS);
    const timedOut = await eventually(async () => {
      const h = await health(b);
      return h.slack.lastError ? h : undefined;
    }, 'the hanging auth.test to time out', WAIT_MS);
    expect(timedOut.slack.lastError).toMatch(/^could not reach Slack: /);
    expect(alertPosts(s)).toEqual([]);

    hang.remove();
    await eventually(async () => (await health(b)).status === 'ok', '/healthz to say ok', WAIT_MS);
    expect(await postAlert(b, 'disk_full')).toBeLessThan(300);
    await eventually(() => alertPosts(s).length >= 2, 'both alerts in the channel', WAIT_MS);
    await eventually(async () => (await b.deps.state.outbox.stats(new Date())).pending === 0, 'the outbox to empty', WAIT_MS);
    expect(alertPosts(s)).toEqual(['alert:provider_down:1', 'alert:disk_full:1']);
  }, 120_000);

  it('stops only on a definite refusal of the token, with one sentence naming SLACK_BOT_TOKEN', async () => {
    slack = await startSlackStandIn();
    slack.faults.inject({ method: 'auth.test', kind: 'error', error: 'invalid_auth', times: Number.POSITIVE_INFINITY });
    let sentence: string | undefined;
    const b = await start(slack.apiUrl, (s) => (sentence = s));
    await eventually(() => sentence, 'the refusal', WAIT_MS);
    expect(sentence).toMatch(/^Slack refused SLACK_BOT_TOKEN \(invalid_auth\): set SLACK_BOT_TOKEN to the app's current Bot User OAuth Token \(xoxb-…\), from OAuth & Permissions/);
    expect(sentence).not.toContain(DEFAULT_BOT.token);
    expect((await health(b)).slack.state).toBe('refused');
  }, 120_000);

  it('an outage after start: a post that fails for want of Slack makes it degraded, and the post goes out once when Slack is back', async () => {
    slack = await startSlackStandIn();
    const s = slack;
    const b = await start(s.apiUrl);
    await eventually(async () => (await health(b)).status === 'ok', '/healthz to say ok', WAIT_MS);
    const outage = s.faults.inject({ method: '*', kind: 'http', status: 500, times: Number.POSITIVE_INFINITY });
    expect(await postAlert(b, 'provider_down')).toBeLessThan(300);
    const down = await eventually(async () => {
      const h = await health(b);
      return h.status === 'degraded' ? h : undefined;
    }, '/healthz to say degraded', WAIT_MS);
    expect(down.slack.lastError).toBe('Slack answered HTTP 500');
    await eventually(() => paged().includes('provider_down'), 'PagerDuty pages meanwhile', WAIT_MS);
    outage.remove();
    await eventually(async () => (await health(b)).status === 'ok', '/healthz to say ok again', WAIT_MS);
    await eventually(async () => (await b.deps.state.outbox.stats(new Date())).pending === 0 && alertPosts(s).length > 0, 'the alert in the channel', WAIT_MS);
    expect(alertPosts(s)).toEqual(['alert:provider_down:1']);
  }, 120_000);

  it('keeps trying through 5xx answers without stopping', async () => {
    slack = await startSlackStandIn();
    const s = slack;
    const outage = s.faults.inject({ method: '*', kind: 'http', status: 503, times: Number.POSITIVE_INFINITY });
    let refused: string | undefined;
    const b = await start(s.apiUrl, (x) => (refused = x));
    await eventually(() => outage.hits >= 3, 'three tries of auth.test', WAIT_MS);
    expect((await health(b)).slack.lastError).toBe('Slack answered HTTP 503');
    outage.remove();
    await eventually(async () => (await health(b)).status === 'ok', '/healthz to say ok', WAIT_MS);
    expect(refused).toBeUndefined();
  }, 120_000);
});
