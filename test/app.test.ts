import { createServer } from 'node:net';
import { webApi } from '@slack/bolt';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildSlackApp, slackConnectionStatus } from '../src/app.js';
import { defineCommand, noPositionals, type CommandDeps } from '../src/commands/command-spec.js';
import { CommandRegistry } from '../src/commands/registry.js';
import { commandTextFromSlack } from '../src/handlers/slash-command.js';
import { SHARE_MESSAGES } from '../src/handlers/share-result.js';
import { createLogger } from '../src/logger.js';
import { assertBlockKitLimits, SHARE_ACTION_ID } from '../src/templates/block-kit.js';
import {
  blockActionPayload,
  captureLogs,
  eventually,
  newResponsePath,
  RESPONSE_ORIGIN,
  SLACK_API_ORIGIN,
  SLACK_API_URL,
  slashCommandBody,
  startHarness,
  TEST_BOT_TOKEN,
  TEST_SIGNING_SECRET,
  TEST_USER,
  type CapturedResponse,
  type Harness,
} from './helpers/slack-harness.js';
import { tempDir, testDeps } from './helpers/test-deps.js';

type Block = { type: string; text?: { text: string }; elements?: Array<Record<string, unknown> & { text?: unknown }> };

/** Opened by the `gated` command's test once the HTTP answer (the ack) has arrived. */
let openGate: () => void = () => {};
let gate: Promise<void> = Promise.resolve();
let gatedStarted = false;

function testRegistry(): CommandRegistry {
  const none = z.object({ _: noPositionals });
  return new CommandRegistry(
    [
      defineCommand({
        name: 'fast',
        summary: 'answers at once',
        usage: '',
        tier: 'read',
        args: none,
        run: async () => ({
          command: 'fast',
          level: 'ok',
          headline: 'persistence.db: ok',
          sections: [{ title: 'Files', table: { columns: ['file', 'size'], rows: [['persistence.db', '12 MB'], ['metrics.db', '3 MB']] } }],
          footer: 'Runbook: https://runbooks.example/health',
        }),
      }),
      defineCommand({
        name: 'gated',
        summary: 'waits for the test',
        usage: '',
        tier: 'read',
        args: none,
        run: async () => {
          gatedStarted = true;
          await gate;
          return { command: 'gated', level: 'info', headline: 'gate opened', sections: [] };
        },
      }),
      defineCommand({
        name: 'slow',
        summary: 'takes a while',
        usage: '[--deep]',
        tier: 'read',
        slow: true,
        options: { deep: { type: 'boolean' } },
        args: z.object({ _: noPositionals, deep: z.boolean().optional() }),
        run: async () => {
          await new Promise((r) => setTimeout(r, 50));
          return { command: 'slow', level: 'warn', headline: 'integrity: 1 warning', sections: [{ lines: ['freelist pages: 12'] }] };
        },
      }),
      defineCommand({
        name: 'boom',
        summary: 'always fails',
        usage: '',
        tier: 'read',
        args: none,
        run: async () => {
          throw new Error('the disk exploded');
        },
      }),
      defineCommand({
        name: 'echo',
        summary: 'repeats its words',
        usage: '<words…>',
        tier: 'read',
        args: z.object({ _: z.array(z.string()) }),
        run: async (args: { _: string[] }) => ({
          command: 'echo',
          level: 'info',
          headline: `${args._.length} words`,
          sections: [{ lines: args._ }],
        }),
      }),
      defineCommand({
        name: 'slack',
        summary: 'checks the Slack connection',
        usage: '',
        tier: 'read',
        args: none,
        run: async (_args, deps: CommandDeps) => {
          const status = (await deps.slackStatus?.()) ?? { ok: false, detail: 'no slackStatus' };
          return { command: 'slack', level: status.ok ? 'ok' : 'crit', headline: `Slack: ${status.detail}`, sections: [] };
        },
      }),
    ],
    async () => true,
  );
}

function blocksOf(r: CapturedResponse): Block[] {
  return (r.body.blocks ?? []) as Block[];
}

function allText(r: CapturedResponse): string {
  return JSON.stringify(r.body);
}

function shareValue(r: CapturedResponse): string | undefined {
  const actions = blocksOf(r).find((b) => b.type === 'actions');
  const button = actions?.elements?.find((e) => e.action_id === SHARE_ACTION_ID);
  return button?.value as string | undefined;
}

describe('the Slack app over HTTP', () => {
  const dir = tempDir();
  const env = testDeps(dir.dir);
  let h: Harness;

  const runs = () => env.deps.state.prepare('SELECT command, outcome, user_id, channel_id, error_id FROM command_runs ORDER BY id').all() as Array<Record<string, string | null>>;

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    h = await startHarness({ deps: env.deps, registry: testRegistry() });
  });

  afterEach(() => {
    nock.cleanAll();
  });

  afterAll(async () => {
    await h.close();
    env.close();
    dir.cleanup();
    nock.enableNetConnect();
    // Whatever happened above, no secret reached the log.
    const log = h.logs.raw.join('');
    expect(log).not.toContain(TEST_BOT_TOKEN);
    expect(log).not.toContain(TEST_SIGNING_SECRET);
  });

  it('answers GET /healthz with a small JSON status and no secrets', async () => {
    const res = await fetch(`${h.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ ok: true, mode: 'http', uptimeSec: expect.any(Number) });
    expect(JSON.stringify(body)).not.toMatch(/xox|secret/i);
    expect((await fetch(`${h.baseUrl}/nothing-here`)).status).toBe(404);
  });

  it('acks a command within the request and answers ephemerally through response_url with a share button', async () => {
    const path = newResponsePath();
    const reply = h.expectResponse(path);
    const started = Date.now();
    const res = await h.signedCommand('fast', { responseUrl: `${RESPONSE_ORIGIN}${path}` });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(Date.now() - started).toBeLessThan(2000);
    const r = await reply;
    expect(r.body).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: '✅ persistence.db: ok' });
    assertBlockKitLimits('message', blocksOf(r));
    expect(blocksOf(r)[0]?.text?.text).toBe('✅ persistence.db: ok');
    expect(allText(r)).toContain('persistence.db  12 MB');
    expect(allText(r)).toContain('<https://runbooks.example/health>');
    expect(shareValue(r)).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const stored = env.deps.state.prepare('SELECT user_id FROM shared_results WHERE id = ?').get(shareValue(r)) as { user_id: string };
    expect(stored.user_id).toBe(TEST_USER);
    expect(runs().at(-1)).toMatchObject({ command: 'fast', outcome: 'ok', user_id: TEST_USER, channel_id: 'C0INCIDENT' });
  });

  it('acks before any work starts', async () => {
    gate = new Promise((resolve) => (openGate = resolve));
    gatedStarted = false;
    const path = newResponsePath();
    const reply = h.expectResponse(path);
    const res = await h.signedCommand('gated', { responseUrl: `${RESPONSE_ORIGIN}${path}` });
    // The command is still blocked on the gate, so the 200 can only have come from the ack.
    expect(res.status).toBe(200);
    await eventually(() => gatedStarted, 'the command to start');
    openGate();
    expect((await reply).body.text).toBe('ℹ️ gate opened');
  });

  it('says a slow command is running in the ack, then replaces that message with the answer', async () => {
    const path = newResponsePath();
    const reply = h.expectResponse(path);
    const res = await h.signedCommand('slow --deep', { responseUrl: `${RESPONSE_ORIGIN}${path}` });
    expect(res.status).toBe(200);
    const ack = (await res.json()) as Record<string, unknown>;
    expect(ack).toEqual({ response_type: 'ephemeral', text: '⏳ Running `slow --deep`… the answer follows here' });
    const r = await reply;
    expect(r.body).toMatchObject({ response_type: 'ephemeral', replace_original: true, text: '⚠️ integrity: 1 warning' });
    expect(allText(r)).toContain('freelist pages: 12');
  });

  it('answers an unknown subcommand with usage text, no share button, and stays up', async () => {
    const path = newResponsePath();
    const reply = h.expectResponse(path);
    expect((await h.signedCommand('frobnicate --now', { responseUrl: `${RESPONSE_ORIGIN}${path}` })).status).toBe(200);
    const r = await reply;
    expect(r.body.text).toBe('❌ Unknown subcommand `frobnicate`. Try `/atlas help` for the list.');
    expect(shareValue(r)).toBeUndefined();
    expect(allText(r)).not.toMatch(/at .*\.ts:\d+/);

    const helpPath = newResponsePath();
    const help = h.expectResponse(helpPath);
    expect((await h.signedCommand('help', { responseUrl: `${RESPONSE_ORIGIN}${helpPath}` })).status).toBe(200);
    const hr = await help;
    expect(hr.body.text).toBe('ℹ️ /atlas &lt;subcommand&gt;: 6 subcommands you can run');
    expect(allText(hr)).toContain('/atlas slow [--deep]');
  });

  it('answers a usage error with the usage line', async () => {
    const path = newResponsePath();
    const reply = h.expectResponse(path);
    await h.signedCommand('fast extra', { responseUrl: `${RESPONSE_ORIGIN}${path}` });
    const r = await reply;
    expect(r.body.text).toMatch(/^❌ takes no arguments besides its flags\. Usage: `\/atlas fast`$/);
    expect(runs().at(-1)).toMatchObject({ command: 'fast', outcome: 'usage' });
  });

  it('refuses forged, stale and unsigned requests with 401 and runs nothing', async () => {
    const before = runs().length;
    expect((await h.signedCommand('fast', { secret: 'not-the-signing-secret' })).status).toBe(401);
    expect((await h.signedCommand('fast', { skewSec: -301 })).status).toBe(401);
    expect((await h.signedCommand('fast', { headers: {} })).status).toBe(401);
    // Bolt matches the content type exactly; anything else is not parsed as a form.
    expect((await h.signedCommand('fast', { contentType: 'application/x-www-form-urlencoded; charset=utf-8' })).status).toBe(400);
    expect(runs().length).toBe(before);
    // Bolt's own log lines arrive through pino.
    expect(h.logs.lines.some((l) => l.component === 'bolt')).toBe(true);
  });

  it('gives a failing command an error id that is also in the log, and the next request still works', async () => {
    const path = newResponsePath();
    const reply = h.expectResponse(path);
    await h.signedCommand('boom', { responseUrl: `${RESPONSE_ORIGIN}${path}` });
    const r = await reply;
    const errorId = /error id ([0-9a-f]{8})/.exec(String(r.body.text))?.[1];
    expect(errorId).toBeDefined();
    expect(allText(r)).not.toContain('the disk exploded');
    expect(runs().at(-1)).toMatchObject({ command: 'boom', outcome: 'error', error_id: errorId });

    const nextPath = newResponsePath();
    const next = h.expectResponse(nextPath);
    expect((await h.signedCommand('fast', { responseUrl: `${RESPONSE_ORIGIN}${nextPath}` })).status).toBe(200);
    expect((await next).body.text).toBe('✅ persistence.db: ok');
  });

  it('logs an error escaping a listener with an error id, and keeps serving', async () => {
    h.app.app.command('/atlas-broken', async ({ ack }) => {
      await ack();
      throw new Error('listener broke');
    });
    const res = await h.signedCommand('anything', { command: '/atlas-broken' });
    expect(res.status).toBe(200);
    const line = await eventually(() => h.logs.lines.find((l) => l.msg === 'unhandled error in a Slack listener'), 'the error log');
    expect(line).toMatchObject({ level: 'error', errorId: expect.stringMatching(/^[0-9a-f]{8}$/), userId: TEST_USER });
    expect(JSON.stringify(line.err)).toContain('listener broke');
    const path = newResponsePath();
    const next = h.expectResponse(path);
    await h.signedCommand('fast', { responseUrl: `${RESPONSE_ORIGIN}${path}` });
    expect((await next).body.text).toBe('✅ persistence.db: ok');
  });

  it('logs a failed respond() to an expired response_url and keeps serving', async () => {
    const path = newResponsePath();
    const expired = h.expectResponse(path, 404);
    expect((await h.signedCommand('fast', { responseUrl: `${RESPONSE_ORIGIN}${path}` })).status).toBe(200);
    await expired;
    const line = await eventually(() => h.logs.lines.find((l) => l.msg === 'could not deliver the answer to response_url'), 'the log line');
    expect(line).toMatchObject({ level: 'warn', statusCode: 404, command: 'fast' });
    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);
    const nextPath = newResponsePath();
    const next = h.expectResponse(nextPath);
    await h.signedCommand('fast', { responseUrl: `${RESPONSE_ORIGIN}${nextPath}` });
    expect((await next).body.text).toBe('✅ persistence.db: ok');
  });

  it('reads quotes, SQL, unicode and entities as words and escapes them in the answer', async () => {
    const path = newResponsePath();
    const reply = h.expectResponse(path);
    // Slack sends &, < and > as entities.
    const typed = `echo “two words” 'x' "; DROP TABLE command_runs; --" 🔥 שלום &lt;!channel&gt; a&amp;b`;
    await h.signedCommand(typed, { responseUrl: `${RESPONSE_ORIGIN}${path}` });
    const r = await reply;
    const words = blocksOf(r)[1]?.text?.text.split('\n');
    expect(words).toEqual(['two words', 'x', '; DROP TABLE command_runs; --', '🔥', 'שלום', '&lt;!channel&gt;', 'a&amp;b']);
    expect(r.body.text).toBe('ℹ️ 7 words');
    expect(runs().at(-1)).toMatchObject({ command: 'echo', outcome: 'info' });
  });

  it('answers 10,000 characters of text with one clear sentence', async () => {
    const path = newResponsePath();
    const reply = h.expectResponse(path);
    expect((await h.signedCommand(`echo ${'y'.repeat(9995)}`, { responseUrl: `${RESPONSE_ORIGIN}${path}` })).status).toBe(200);
    const r = await reply;
    expect(r.body.text).toBe('❌ That is 10001 characters; /atlas takes at most 1000. Try `/atlas help`.');
    assertBlockKitLimits('message', blocksOf(r));
  });

  it('posts a shared result into the channel once, with "shared by", and refuses repeats, strangers and unknown ids', async () => {
    const path = newResponsePath();
    const reply = h.expectResponse(path);
    await h.signedCommand('fast', { responseUrl: `${RESPONSE_ORIGIN}${path}` });
    const id = shareValue(await reply);
    expect(id).toBeDefined();

    const strangerPath = newResponsePath('actions');
    const stranger = h.expectResponse(strangerPath);
    await h.signedAction(blockActionPayload({ value: id, user: 'U0SOMEONE', responseUrl: `${RESPONSE_ORIGIN}${strangerPath}` }));
    expect((await stranger).body).toEqual({ response_type: 'ephemeral', replace_original: false, text: SHARE_MESSAGES.notYours });

    const sharePath = newResponsePath('actions');
    const shared = h.expectResponse(sharePath);
    const res = await h.signedAction(blockActionPayload({ value: id, responseUrl: `${RESPONSE_ORIGIN}${sharePath}` }));
    expect(res.status).toBe(200);
    const s = await shared;
    expect(s.body).toMatchObject({ response_type: 'in_channel', delete_original: true, text: '✅ persistence.db: ok' });
    expect(allText(s)).toContain(`shared by <@${TEST_USER}>`);
    expect(allText(s)).toContain('persistence.db  12 MB');
    expect(blocksOf(s).some((b) => b.type === 'actions')).toBe(false);
    assertBlockKitLimits('message', blocksOf(s));

    const againPath = newResponsePath('actions');
    const again = h.expectResponse(againPath);
    await h.signedAction(blockActionPayload({ value: id, responseUrl: `${RESPONSE_ORIGIN}${againPath}` }));
    expect((await again).body.text).toBe(SHARE_MESSAGES.expired);

    const unknownPath = newResponsePath('actions');
    const unknown = h.expectResponse(unknownPath);
    await h.signedAction(blockActionPayload({ value: 'AAAAAAAAAAAAAAAA', responseUrl: `${RESPONSE_ORIGIN}${unknownPath}` }));
    expect((await unknown).body.text).toBe(SHARE_MESSAGES.expired);
  });

  it('keeps a shared result for 24 hours only', async () => {
    const path = newResponsePath();
    const reply = h.expectResponse(path);
    await h.signedCommand('fast', { responseUrl: `${RESPONSE_ORIGIN}${path}` });
    const id = shareValue(await reply);
    env.clock.advance(24 * 3_600_000 + 1000);
    try {
      const latePath = newResponsePath('actions');
      const late = h.expectResponse(latePath);
      await h.signedAction(blockActionPayload({ value: id, responseUrl: `${RESPONSE_ORIGIN}${latePath}` }));
      expect((await late).body.text).toBe(SHARE_MESSAGES.expired);
      // The next stored answer prunes the expired row.
      const nextPath = newResponsePath();
      const next = h.expectResponse(nextPath);
      await h.signedCommand('fast', { responseUrl: `${RESPONSE_ORIGIN}${nextPath}` });
      await next;
      expect(env.deps.state.prepare('SELECT 1 FROM shared_results WHERE id = ?').get(id)).toBeUndefined();
    } finally {
      env.clock.set(new Date('2026-11-26T12:00:00.000Z'));
    }
  });

  it('puts a shared result back when posting it fails, so the button works again', async () => {
    const path = newResponsePath();
    const reply = h.expectResponse(path);
    await h.signedCommand('fast', { responseUrl: `${RESPONSE_ORIGIN}${path}` });
    const id = shareValue(await reply);
    const failPath = newResponsePath('actions');
    const failed = h.expectResponse(failPath, 500);
    await h.signedAction(blockActionPayload({ value: id, responseUrl: `${RESPONSE_ORIGIN}${failPath}` }));
    await failed;
    await eventually(() => h.logs.lines.find((l) => l.msg === 'could not post a shared result'), 'the failure log');
    await eventually(() => env.deps.state.prepare('SELECT 1 FROM shared_results WHERE id = ?').get(id), 'the row to come back');
  });

  it('answers a malformed button payload with one sentence', async () => {
    const path = newResponsePath('actions');
    const reply = h.expectResponse(path);
    const payload = blockActionPayload({ value: 'AAAAAAAAAAAAAAAA', responseUrl: `${RESPONSE_ORIGIN}${path}` });
    (payload.user as Record<string, unknown>).id = 'not a user';
    expect((await h.signedAction(payload)).status).toBe(200);
    expect((await reply).body.text).toBe(SHARE_MESSAGES.malformed);
  });

  it('gives commands a slackStatus that calls auth.test on SLACK_API_URL', async () => {
    const api = nock(SLACK_API_ORIGIN)
      .post('/api/auth.test')
      .matchHeader('authorization', `Bearer ${TEST_BOT_TOKEN}`)
      .reply(200, { ok: true, user: 'atlas', team: 'Shadow Atlas', user_id: 'U0HARNESSBOT', bot_id: 'B0HARNESS' });
    const path = newResponsePath();
    const reply = h.expectResponse(path);
    await h.signedCommand('slack', { responseUrl: `${RESPONSE_ORIGIN}${path}` });
    expect((await reply).body.text).toBe('✅ Slack: connected as @atlas to Shadow Atlas');
    expect(api.isDone()).toBe(true);
  });
});

describe('commandTextFromSlack', () => {
  it('decodes the three entities Slack encodes, &amp; last', () => {
    expect(commandTextFromSlack('a &lt;b&gt; &amp;lt; &amp;')).toBe('a <b> &lt; &');
  });
});

describe('slackConnectionStatus', () => {
  beforeAll(() => {
    nock.disableNetConnect();
  });
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  const client = () => new webApi.WebClient(TEST_BOT_TOKEN, { slackApiUrl: SLACK_API_URL });

  it('reports the bot and team when auth.test succeeds', async () => {
    nock(SLACK_API_ORIGIN).post('/api/auth.test').reply(200, { ok: true, user: 'atlas', team: 'Shadow Atlas' });
    expect(await slackConnectionStatus(client())).toEqual({ ok: true, detail: 'connected as @atlas to Shadow Atlas' });
  });

  it('reports a refused token without retrying or leaking it', async () => {
    nock(SLACK_API_ORIGIN).post('/api/auth.test').reply(200, { ok: false, error: 'invalid_auth' });
    const status = await slackConnectionStatus(client());
    expect(status).toEqual({ ok: false, detail: 'Slack refused the call: invalid_auth' });
  });

  it('reports an HTTP failure at once instead of retrying for half an hour', async () => {
    const scope = nock(SLACK_API_ORIGIN).post('/api/auth.test').reply(503, 'down');
    const started = Date.now();
    expect(await slackConnectionStatus(client())).toEqual({ ok: false, detail: 'Slack answered HTTP 503' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(scope.isDone()).toBe(true);
  });

  it('says when there is no token', async () => {
    expect(await slackConnectionStatus(new webApi.WebClient())).toEqual({ ok: false, detail: 'no bot token configured (SLACK_BOT_TOKEN)' });
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

describe('building the app', () => {
  const dir = tempDir();
  const env = testDeps(dir.dir);
  const logs = captureLogs();
  const logger = createLogger('info', logs);

  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(() => nock.cleanAll());
  afterAll(() => {
    env.close();
    dir.cleanup();
    nock.enableNetConnect();
  });

  it('refuses to build without a signing secret or an app token', () => {
    expect(() => buildSlackApp({ deps: env.deps, registry: testRegistry(), logger, slack: { botToken: TEST_BOT_TOKEN } })).toThrow(
      /SLACK_SIGNING_SECRET.*SLACK_APP_TOKEN/,
    );
  });

  it('makes no network call until start, then checks the token with auth.test on SLACK_API_URL', async () => {
    const unmatched: string[] = [];
    // Requests to the app itself pass through nock and are reported as "no match" too.
    const onNoMatch = (req: { href?: string }) => {
      if (!String(req.href).startsWith('http://127.0.0.1')) unmatched.push(String(req.href));
    };
    nock.emitter.on('no match', onNoMatch);
    const built = buildSlackApp({
      deps: env.deps,
      registry: testRegistry(),
      logger,
      slack: { botToken: TEST_BOT_TOKEN, signingSecret: TEST_SIGNING_SECRET, apiUrl: SLACK_API_URL },
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(unmatched).toEqual([]);
    const authTest = nock(SLACK_API_ORIGIN).post('/api/auth.test').reply(200, { ok: true, user_id: 'U0BOT', bot_id: 'B0BOT' });
    const port = await built.start(0, '127.0.0.1');
    expect(authTest.isDone()).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    await built.stop();
    await built.stop();
    nock.emitter.off('no match', onNoMatch);
    expect(unmatched).toEqual([]);
  });

  it('in Socket Mode opens the connection through SLACK_API_URL with the app token and serves /healthz meanwhile', async () => {
    const port = await freePort();
    const appToken = 'xapp-1-A0ATLAS-123-socketmodetoken';
    const open = nock(SLACK_API_ORIGIN)
      .post('/api/apps.connections.open')
      .matchHeader('authorization', `Bearer ${appToken}`)
      .delay(300)
      .reply(200, { ok: false, error: 'invalid_auth' });
    const built = buildSlackApp({
      deps: env.deps,
      registry: testRegistry(),
      logger,
      slack: { botToken: TEST_BOT_TOKEN, appToken, apiUrl: SLACK_API_URL },
      botIdentity: { botId: 'B0BOT', botUserId: 'U0BOT' },
      port,
    });
    expect(built.mode).toBe('socket');
    const starting = built.start();
    const outcome = starting.then(
      () => 'started',
      (err: Error) => err.message,
    );
    const health = await eventually(async () => {
      try {
        return await fetch(`http://127.0.0.1:${port}/healthz`);
      } catch {
        return undefined;
      }
    }, 'the health server');
    const res = await health;
    expect(res?.status).toBe(200);
    expect(await res?.json()).toEqual({ ok: true, mode: 'socket', uptimeSec: expect.any(Number) });
    expect(await outcome).toMatch(/invalid_auth/);
    expect(open.isDone()).toBe(true);
    // A failed start closes the health server again.
    await eventually(async () => {
      try {
        await fetch(`http://127.0.0.1:${port}/healthz`);
        return false;
      } catch {
        return true;
      }
    }, 'the health server to close');
    expect(logs.raw.join('')).not.toContain(appToken);
  });
});

describe('payload builders', () => {
  it('build a slash command form body with every field Slack sends', () => {
    const body = new URLSearchParams(slashCommandBody('health --window 1h', { user: 'U1', channel: 'C1', responseUrl: 'https://hooks.slack.com/commands/T/1/x' }));
    expect(Object.fromEntries(body)).toMatchObject({
      command: '/atlas',
      text: 'health --window 1h',
      user_id: 'U1',
      channel_id: 'C1',
      response_url: 'https://hooks.slack.com/commands/T/1/x',
    });
    expect(body.get('trigger_id')).toBeTruthy();
  });
});
