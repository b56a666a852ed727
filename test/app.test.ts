import { assertBlockKitLimits } from './helpers/slack-judge.js';
import { createServer } from 'node:net';
import { webApi } from '@slack/bolt';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ingestAlert } from '../src/alerts/alert-ingest.js';
import { buildSlackApp, slackConnectionStatus } from '../src/app.js';
import { defineCommand, noPositionals, type CommandDeps } from '../src/commands/command-spec.js';
import { CommandRegistry } from '../src/commands/registry.js';
import { SHARE_MESSAGES, shareCommands } from '../src/commands/share-commands.js';
import { MALFORMED_PRESS } from '../src/handlers/reply.js';
import { commandTextFromSlack } from '../src/handlers/slash-command.js';
import { createLogger } from '../src/logger.js';
import { startSlackStandIn, type SlackStandIn } from '../src/sandbox/slack-stand-in.js';
import {
  SHARE_ACTION_ID,
} from '../src/templates/block-kit.js';
import { allowEveryone } from './helpers/authorizers.js';
import { startDeliveryHarness, type DeliveryHarness } from './helpers/delivery-harness.js';
import {
  captureLogs,
  eventually,
  FORM,
  slackSignature,
  SLACK_API_ORIGIN,
  SLACK_API_URL,
  slashCommandBody,
  startHarness,
  TEST_BOT_TOKEN,
  TEST_CHANNEL,
  TEST_SIGNING_SECRET,
  TEST_USER,
  type Answer,
  type Harness,
} from './helpers/slack-harness.js';
import { tempDir, testDeps, TEST_NOW, type TestEnv } from './helpers/test-deps.js';

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
      ...shareCommands,
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
    allowEveryone,
  );
}

function blocksOf(r: Answer): Block[] {
  return (r.blocks ?? []) as Block[];
}

function allText(r: Answer): string {
  return JSON.stringify(r);
}

function shareValue(r: Answer): string | undefined {
  const actions = blocksOf(r).find((b) => b.type === 'actions');
  const button = actions?.elements?.find((e) => e.action_id === SHARE_ACTION_ID);
  return button?.value as string | undefined;
}

describe('the Slack app over HTTP', () => {
  const dir = tempDir();
  /** What the commands log (the bot gives them its own logger). */
  const commandLogs = captureLogs();
  const env = testDeps(dir.dir, { logger: createLogger('debug', commandLogs) });
  let h: Harness;

  const runs = () => env.db.prepare('SELECT command, via, outcome, user_id, channel_id, error_id FROM command_runs ORDER BY id').all() as Array<Record<string, string | null>>;
  const sharedRow = (id: string | undefined) => env.db.prepare('SELECT user_id FROM shared_results WHERE id = ?').get(id) as { user_id: string } | undefined;

  beforeAll(async () => {
    h = await startHarness({ deps: env.deps, registry: testRegistry() });
  });

  afterAll(async () => {
    await h.close();
    await env.close();
    dir.cleanup();
    // Whatever happened above, no secret reached the log.
    const log = h.logs.raw.join('');
    expect(log).not.toContain(h.slack.token);
    expect(log).not.toContain(TEST_SIGNING_SECRET);
  });

  /** `/atlas fast` answered privately; its share button's value and the private message's ts. */
  async function fastAnswer(): Promise<{ id: string; ts: string }> {
    const c = await h.command('fast');
    const id = shareValue(await c.answer());
    const ephemeral = h.slack.workspace.ephemerals({ user: TEST_USER }).find((e) => c.responseUrl.endsWith(`/${e.responseUrlId}`));
    expect(id && ephemeral).toBeTruthy();
    return { id: id!, ts: ephemeral!.ts };
  }

  it('answers GET /healthz with a small JSON status and no secrets', async () => {
    const res = await fetch(`${h.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    // Without delivery (the terminal's shape of the app), no outbox figures.
    expect(body).toEqual({ ok: true, mode: 'http', uptimeSec: expect.any(Number) });
    expect(JSON.stringify(body)).not.toMatch(/xox|secret/i);
    expect((await fetch(`${h.baseUrl}/healthz`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${h.baseUrl}/nothing-here`)).status).toBe(404);
  });

  it('acks a command within the request and answers ephemerally through response_url with a share button', async () => {
    const c = await h.command('fast');
    expect(c.res.status).toBe(200);
    expect(await c.res.text()).toBe('');
    const r = await c.answer();
    expect(r).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: '✅ persistence.db: ok' });
    assertBlockKitLimits('message', blocksOf(r) as never);
    expect(blocksOf(r)[0]?.text?.text).toBe('✅ persistence.db: ok');
    // The table as Slack's table block: the row's cells side by side.
    expect(allText(r)).toContain('{"type":"raw_text","text":"persistence.db"},{"type":"raw_text","text":"12 MB"}');
    expect(allText(r)).toContain('<https://runbooks.example/health>');
    expect(shareValue(r)).toMatch(/^[A-Za-z0-9_-]{16}$/);
    // Slack took it: the user sees it, privately.
    expect(h.slack.workspace.calls('response_url').at(-1)).toMatchObject({ status: 200 });
    expect(h.slack.workspace.ephemerals({ user: TEST_USER }).at(-1)).toMatchObject({ channel: TEST_CHANNEL, text: '✅ persistence.db: ok' });
    expect(sharedRow(shareValue(r))!.user_id).toBe(TEST_USER);
    expect(runs().at(-1)).toMatchObject({ command: 'fast', via: 'command', outcome: 'ok', user_id: TEST_USER, channel_id: 'C0INCIDENT' });
  });

  it('acks before any work starts', async () => {
    gate = new Promise((resolve) => (openGate = resolve));
    gatedStarted = false;
    const c = await h.command('gated');
    // The command is still blocked on the gate, so the 200 can only have come from the ack.
    expect(c.res.status).toBe(200);
    await eventually(() => gatedStarted, 'the command to start');
    expect(c.answers()).toEqual([]);
    openGate();
    expect((await c.answer()).text).toBe('ℹ️ gate opened');
  });

  it('says a slow command is running in the ack, then replaces that message with the answer', async () => {
    const c = await h.command('slow --deep');
    expect(c.res.status).toBe(200);
    const ack = (await c.res.json()) as Record<string, unknown>;
    expect(ack).toEqual({ response_type: 'ephemeral', text: '⏳ Running `slow --deep`… the answer follows here' });
    const r = await c.answer();
    expect(r).toMatchObject({ response_type: 'ephemeral', replace_original: true, text: '⚠️ integrity: 1 warning' });
    expect(allText(r)).toContain('freelist pages: 12');
    // The "running" message became the answer: one message, not two.
    await eventually(() => h.slack.workspace.calls('response_url').some((call) => call.status === 200 && call.args.text === '⚠️ integrity: 1 warning'), 'Slack to take it');
    const shown = h.slack.workspace.ephemerals({ user: TEST_USER }).filter((e) => e.text.includes('slow --deep') || e.text.includes('integrity: 1 warning'));
    expect(shown.map((e) => e.text)).toEqual(['⚠️ integrity: 1 warning']);
  });

  it('answers an unknown subcommand with usage text, no share button, and stays up', async () => {
    const c = await h.command('frobnicate --now');
    expect(c.res.status).toBe(200);
    const r = await c.answer();
    expect(r.text).toBe('❌ Unknown subcommand `frobnicate`. Try `/atlas help` for the list.');
    expect(shareValue(r)).toBeUndefined();
    expect(allText(r)).not.toMatch(/at .*\.ts:\d+/);

    const help = await h.command('help');
    expect(help.res.status).toBe(200);
    const hr = await help.answer();
    expect(hr.text).toBe('ℹ️ /atlas &lt;subcommand&gt;: 6 subcommands you can run');
    // One line per subcommand with its summary; the flags are in `help <subcommand>`.
    expect(allText(hr)).toContain('`slow` takes a while');
    expect((await (await h.command('help slow')).answer()).text).toContain('/atlas slow [--deep]');
  });

  it('answers a usage error with the usage line', async () => {
    const r = await (await h.command('fast extra')).answer();
    expect(r.text).toMatch(/^❌ takes no arguments besides its flags\. Usage: `\/atlas fast`$/);
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
    const r = await (await h.command('boom')).answer();
    const errorId = /error id ([0-9a-f]{8})/.exec(String(r.text))?.[1];
    expect(errorId).toBeDefined();
    expect(allText(r)).not.toContain('the disk exploded');
    expect(runs().at(-1)).toMatchObject({ command: 'boom', outcome: 'error', error_id: errorId });
    expect(commandLogs.lines.find((l) => l.errorId === errorId)).toMatchObject({ level: 'error', command: 'boom', msg: 'command failed' });

    const next = await h.command('fast');
    expect(next.res.status).toBe(200);
    expect((await next.answer()).text).toBe('✅ persistence.db: ok');
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
    expect((await (await h.command('fast')).answer()).text).toBe('✅ persistence.db: ok');
  });

  it('logs a failed respond() to an expired response_url and keeps serving', async () => {
    expect((await h.signedCommand('fast', { responseUrl: h.deadResponseUrl() })).status).toBe(200);
    const line = await eventually(() => h.logs.lines.find((l) => l.msg === 'could not deliver the answer to response_url'), 'the log line');
    expect(line).toMatchObject({ level: 'warn', statusCode: 404, command: 'fast' });
    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);
    expect((await (await h.command('fast')).answer()).text).toBe('✅ persistence.db: ok');
  });

  it('reads quotes, SQL, unicode and entities as words and escapes them in the answer', async () => {
    // Slack sends &, < and > as entities.
    const typed = `echo “two words” 'x' "; DROP TABLE command_runs; --" 🔥 שלום &lt;!channel&gt; a&amp;b`;
    const r = await (await h.command(typed)).answer();
    const words = blocksOf(r)[1]?.text?.text.split('\n');
    expect(words).toEqual(['two words', 'x', '; DROP TABLE command_runs; --', '🔥', 'שלום', '&lt;!channel&gt;', 'a&amp;b']);
    expect(r.text).toBe('ℹ️ 7 words');
    expect(runs().at(-1)).toMatchObject({ command: 'echo', outcome: 'info' });
  });

  it('answers 10,000 characters of text with one clear sentence', async () => {
    const c = await h.command(`echo ${'y'.repeat(9995)}`);
    expect(c.res.status).toBe(200);
    const r = await c.answer();
    expect(r.text).toBe('❌ That is 10001 characters; /atlas takes at most 1000. Try `/atlas help`.');
    assertBlockKitLimits('message', blocksOf(r) as never);
  });

  it('posts a shared result into the channel once, with "shared by", and refuses repeats, strangers and unknown ids', async () => {
    const { id, ts } = await fastAnswer();
    const original = { message: { ts, ephemeral: true } };

    const stranger = await h.press(SHARE_ACTION_ID, id, { user: 'U0READER', ...original });
    expect(await stranger.answer()).toEqual({ response_type: 'ephemeral', replace_original: false, text: SHARE_MESSAGES.notYours });

    const shared = await h.press(SHARE_ACTION_ID, id, original);
    expect(shared.res.status).toBe(200);
    const s = await shared.answer();
    expect(s).toMatchObject({ response_type: 'in_channel', text: '✅ persistence.db: ok' });
    expect(allText(s)).toContain(`shared by <@${TEST_USER}>`);
    expect(allText(s)).toContain('{"type":"raw_text","text":"persistence.db"},{"type":"raw_text","text":"12 MB"}');
    expect(blocksOf(s).some((b) => b.type === 'actions')).toBe(false);
    assertBlockKitLimits('message', blocksOf(s) as never);
    // In the channel once, for everyone; the private copy is gone.
    const inChannel = await eventually(() => h.slack.workspace.messages(TEST_CHANNEL).filter((m) => m.text === '✅ persistence.db: ok').length === 1 || undefined, 'the shared answer');
    expect(inChannel).toBe(true);
    await eventually(() => !h.slack.workspace.ephemerals({ user: TEST_USER }).some((e) => e.ts === ts), 'the private copy to go');
    expect(runs().slice(-2).map((r) => [r.command, r.via, r.outcome, r.user_id])).toEqual([
      ['share', 'button', 'error', 'U0READER'],
      ['share', 'button', 'ok', TEST_USER],
    ]);

    const again = await h.press(SHARE_ACTION_ID, id, original);
    expect((await again.answer()).text).toBe(SHARE_MESSAGES.expired);

    const unknown = await h.press(SHARE_ACTION_ID, 'AAAAAAAAAAAAAAAA');
    expect((await unknown.answer()).text).toBe(SHARE_MESSAGES.expired);
    expect(h.slack.workspace.messages(TEST_CHANNEL).filter((m) => m.text === '✅ persistence.db: ok')).toHaveLength(1);
  });

  it('keeps a shared result for 24 hours only', async () => {
    const { id } = await fastAnswer();
    env.clock.advance(24 * 3_600_000 + 1000);
    try {
      const late = await h.press(SHARE_ACTION_ID, id);
      expect((await late.answer()).text).toBe(SHARE_MESSAGES.expired);
      // The next stored answer prunes the expired row.
      await (await h.command('fast')).answer();
      expect(sharedRow(id)).toBeUndefined();
    } finally {
      env.clock.set(new Date(TEST_NOW));
    }
  });

  it('puts a shared result back when posting it fails, so the button works again', async () => {
    const { id, ts } = await fastAnswer();
    h.slack.faults.inject({ method: 'response_url', kind: 'http', status: 500 });
    await h.press(SHARE_ACTION_ID, id, { message: { ts, ephemeral: true } });
    await eventually(() => h.logs.lines.find((l) => l.msg === 'could not post a shared result'), 'the failure log');
    await eventually(() => sharedRow(id), 'the row to come back');
    // The private answer is still there, and its button works now.
    expect(h.slack.workspace.ephemerals({ user: TEST_USER }).some((e) => e.ts === ts)).toBe(true);
    const retry = await h.press(SHARE_ACTION_ID, id, { message: { ts, ephemeral: true } });
    expect((await retry.answer()).response_type).toBe('in_channel');
  });

  it('answers a malformed button payload with one sentence, and runs nothing', async () => {
    const before = runs().length;
    const p = await h.press(SHARE_ACTION_ID, 'AAAAAAAAAAAAAAAA', { override: { user: { id: 'not a user' } } });
    expect(p.res.status).toBe(200);
    expect((await p.answer()).text).toBe(MALFORMED_PRESS);
    expect(runs().length).toBe(before);
  });

  it('gives commands a slackStatus that calls auth.test on SLACK_API_URL with the bot token', async () => {
    const r = await (await h.command('slack')).answer();
    expect(r.text).toMatch(/^✅ Slack: Slack answers: connected as @atlas to Shadow Atlas since \d{4}-\d\d-\d\d \d\d:\d\d UTC\.$/);
    expect(h.slack.workspace.calls('auth.test')).toEqual([expect.objectContaining({ status: 200, answer: expect.objectContaining({ ok: true }) })]);
  });
});

describe('/healthz with the outbox figures', () => {
  let dir: ReturnType<typeof tempDir>;
  let env: TestEnv;
  let d: DeliveryHarness;

  beforeEach(async () => {
    dir = tempDir();
    env = testDeps(dir.dir, { file: { channels: { incidents: TEST_CHANNEL } } });
    d = await startDeliveryHarness(env);
  });
  afterEach(async () => {
    await d.close();
    await env.close();
    dir.cleanup();
  });

  const health = async (h: Harness) => (await (await fetch(`${h.baseUrl}/healthz`)).json()) as Record<string, unknown>;

  it('reports pending, failed and the age of the oldest pending message, as delivery sees them', async () => {
    const h = await startHarness({ deps: env.deps, registry: testRegistry(), slack: d.slack, outboxStats: async () => await d.delivery.stats() });
    try {
      expect(await health(h)).toEqual({ ok: true, mode: 'http', uptimeSec: expect.any(Number), outbox: { pending: 0, failed: 0, oldestPendingSec: 0 } });
      // Slack refuses the channel: delivery gives the message up, and says so.
      d.slack.faults.inject({ method: 'chat.postMessage', kind: 'error', error: 'channel_not_found' });
      await ingestAlert(env.deps, { name: 'provider_down', status: 'firing', message: 'TIGER down', source: 'atlas-webhook' });
      await d.delivery.drain();
      expect((await health(h)).outbox).toEqual({ pending: 0, failed: 1, oldestPendingSec: 0 });
      // Delivery stops (Slack unreachable, say); what waits shows its age.
      await d.delivery.stop(100);
      await ingestAlert(env.deps, { name: 'disk_space_low', status: 'firing', message: 'disk 95%', source: 'watchdog' });
      env.clock.advance(90_000);
      expect((await health(h)).outbox).toEqual({ pending: 1, failed: 1, oldestPendingSec: 90 });
    } finally {
      await h.close();
    }
  });

  it('still answers 200 when the outbox cannot be read, and says so', async () => {
    const h = await startHarness({
      deps: env.deps,
      registry: testRegistry(),
      slack: d.slack,
      outboxStats: () => {
        throw new Error('SQLITE_IOERR: disk I/O error');
      },
    });
    try {
      const res = await fetch(`${h.baseUrl}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        ok: true,
        mode: 'http',
        uptimeSec: expect.any(Number),
        status: 'degraded',
        outbox: { error: 'state store unreachable: chatops.db could not be read' },
      });
    } finally {
      await h.close();
    }
  });
});

describe('commandTextFromSlack', () => {
  it('decodes the three entities Slack encodes, &amp; last', () => {
    expect(commandTextFromSlack('a &lt;b&gt; &amp;lt; &amp;')).toBe('a <b> &lt; &');
  });
});

describe('slackConnectionStatus', () => {
  let slack: SlackStandIn;
  beforeEach(async () => {
    slack = await startSlackStandIn();
  });
  afterEach(() => slack.close());

  const client = (token = slack.token) => new webApi.WebClient(token, { slackApiUrl: slack.apiUrl });

  it('reports the bot and team when auth.test succeeds', async () => {
    expect(await slackConnectionStatus(client())).toEqual({ ok: true, detail: expect.stringMatching(/^Slack answers: connected as @atlas to Shadow Atlas since /) });
  });

  it('reports a refused token without retrying or leaking it', async () => {
    const status = await slackConnectionStatus(client('xoxb-not-the-token'));
    expect(status).toEqual({ ok: false, detail: expect.stringMatching(/^Slack refused SLACK_BOT_TOKEN \(invalid_auth\): set SLACK_BOT_TOKEN to /) });
    expect(status.detail).not.toContain('xoxb-not-the-token');
    expect(slack.workspace.calls('auth.test')).toHaveLength(1);
  });

  it('reports an HTTP failure at once instead of retrying for half an hour', async () => {
    slack.faults.inject({ method: 'auth.test', kind: 'http', status: 503 });
    expect(await slackConnectionStatus(client())).toEqual({ ok: false, detail: expect.stringMatching(/^Slack not reachable since .*: Slack answered HTTP 503 \(1 try\);/) });
    // One try: the client the status check is given retries, its own probe does not.
    expect(slack.workspace.calls('auth.test')).toHaveLength(1);
  });

  it('gives up on a Slack that never answers after its time bound', async () => {
    slack.faults.inject({ method: 'auth.test', kind: 'hang' });
    const status = await slackConnectionStatus(client(), 200);
    expect(status.ok).toBe(false);
    expect(status.detail).toMatch(/^Slack not reachable since .*: could not reach Slack: /);
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
  afterAll(async () => {
    await env.close();
    dir.cleanup();
    nock.enableNetConnect();
  });

  it('refuses to build without a signing secret or an app token', () => {
    expect(() => buildSlackApp({ deps: env.deps, registry: testRegistry(), logger, slack: { botToken: TEST_BOT_TOKEN } })).toThrow(
      /SLACK_SIGNING_SECRET.*SLACK_APP_TOKEN/,
    );
  });

  it('starts without asking Slack anything (Slack may be down); the first request asks auth.test once, with the bot token', async () => {
    const slack = await startSlackStandIn();
    try {
      const built = buildSlackApp({
        deps: env.deps,
        registry: testRegistry(),
        logger,
        slack: { botToken: slack.token, signingSecret: TEST_SIGNING_SECRET, apiUrl: slack.apiUrl },
      });
      const port = await built.start(0, '127.0.0.1');
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect(slack.workspace.calls()).toEqual([]);
      for (const text of ['echo one', 'echo two']) {
        const body = slashCommandBody(text, { responseUrl: slack.mintResponseUrl({ user: TEST_USER, channel: TEST_CHANNEL }) });
        const res = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', headers: { 'content-type': FORM, ...slackSignature(TEST_SIGNING_SECRET, body) }, body });
        expect(res.status).toBe(200);
      }
      await eventually(() => slack.workspace.calls('auth.test').length === 1, 'auth.test for the first request');
      expect(slack.workspace.calls('auth.test')).toEqual([expect.objectContaining({ status: 200 })]);
      await built.stop();
      await built.stop();
    } finally {
      await slack.close();
    }
  });

  it('starts while Slack is unreachable: /healthz answers', async () => {
    const dead = await freePort();
    const built = buildSlackApp({
      deps: env.deps,
      registry: testRegistry(),
      logger,
      slack: { botToken: TEST_BOT_TOKEN, signingSecret: TEST_SIGNING_SECRET, apiUrl: `http://127.0.0.1:${dead}/api/` },
    });
    const port = await built.start(0, '127.0.0.1');
    try {
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      await built.stop();
    }
  });

  it('in Socket Mode with Slack unreachable, starts anyway, serves /healthz and keeps connecting', async () => {
    const port = await freePort();
    const dead = await freePort();
    const built = buildSlackApp({
      deps: env.deps,
      registry: testRegistry(),
      logger,
      slack: { botToken: TEST_BOT_TOKEN, appToken: 'xapp-1-A0ATLAS-123-socketmodetoken', apiUrl: `http://127.0.0.1:${dead}/api/` },
      port,
    });
    try {
      expect(await built.start()).toBe(port);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      // The socket client retries the connection itself, or it gave up and the app tries again.
      const connecting = ['Socket Mode is still connecting to Slack; serving /healthz meanwhile', 'Socket Mode could not connect to Slack; trying again'];
      expect(logs.lines.some((l) => connecting.includes(String(l.msg)))).toBe(true);
    } finally {
      await built.stop();
    }
  }, 60_000);

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
