/**
 * The sandbox's server side, as the page uses it: the real bot (startBot) on demo data, the
 * Slack stand-in, and the actions the page posts. The browser test walks the incident story
 * through the page; this one holds the answers to bad input and the paths the story skips.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxActions } from '../../src/sandbox/sandbox-actions.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/run-sandbox.js';
import type { SandboxState } from '../../src/sandbox/sandbox-state.js';
import { SANDBOX_USERS, startSlackStandIn } from '../../src/sandbox/slack-stand-in.js';
import { eventually } from '../helpers/slack-harness.js';

const { responder, reader, primary } = SANDBOX_USERS;
const INCIDENTS = 'C0INCIDENT';

let sandbox: RunningSandbox;
let dir: string;
const logLines: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'atlas-sandbox-'));
  sandbox = await startSandbox({ dataDir: dir, port: 0, logLevel: 'info', logDestination: { write: (line) => void logLines.push(line) } });
});

afterAll(async () => {
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(pathname: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(new URL(pathname, sandbox.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function stateOf(user: string): Promise<SandboxState> {
  const res = await fetch(new URL(`/sandbox/state?user=${user}`, sandbox.url));
  expect(res.status).toBe(200);
  return (await res.json()) as SandboxState;
}

type Block = { type: string; block_id?: string; elements?: { type: string; action_id?: string; text?: { text: string } }[] };

/** The block and action ids of the button labelled `label` in a message. */
function buttonIn(message: { blocks?: unknown[] }, label: string): { blockId: string; actionId: string } | undefined {
  for (const block of (message.blocks ?? []) as Block[]) {
    const element = block.elements?.find((e) => e.type === 'button' && e.text?.text === label);
    if (element && block.block_id && element.action_id) return { blockId: block.block_id, actionId: element.action_id };
  }
  return undefined;
}

describe('npm run sandbox, server side', () => {
  it('serves the page, and the stand-in Web API under /api/', async () => {
    const page = await fetch(sandbox.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const list = await fetch(new URL('/api/conversations.list', sandbox.url), { headers: { authorization: `Bearer ${sandbox.slack.token}` } });
    const body = (await list.json()) as { ok: boolean; channels: { name: string }[] };
    expect(body.ok).toBe(true);
    expect(body.channels.map((c) => c.name)).toEqual(expect.arrayContaining(['incident-response', 'ops-handoff']));
  });

  it('serves only the page’s own files', async () => {
    for (const p of ['/page/..%2Fslack-stand-in.ts', '/page/run-sandbox.ts', '/page/missing.js', '/page/../http-server.ts']) {
      const res = await fetch(new URL(p, sandbox.url));
      expect(res.status, p).toBe(404);
    }
  });

  it('answers /atlas health to the person who asked, and to nobody else', async () => {
    expect((await call('/sandbox/command', { user: primary, channel: INCIDENTS, text: 'health' })).json).toEqual({ ok: true });
    const answer = await eventually(async () => (await stateOf(primary)).ephemerals[INCIDENTS]?.find((e) => /unhealthy|degraded|healthy/.test(e.text)), 'the health answer');
    expect(answer.text.split('\n')[0]).toMatch(/^🔴 unhealthy: \d+ critical/);
    expect((await stateOf(reader)).ephemerals[INCIDENTS]).toEqual([]);
  });

  it('posts what a person says, in the channel or in a thread', async () => {
    expect((await call('/sandbox/message', { user: reader, channel: INCIDENTS, text: 'anyone looking at TIGER?' })).json).toEqual({ ok: true });
    const said = (await stateOf(reader)).messages[INCIDENTS]!.find((m) => m.user === reader && m.text === 'anyone looking at TIGER?')!;
    expect((await call('/sandbox/message', { user: primary, channel: INCIDENTS, text: 'on it', thread_ts: said.ts })).json).toEqual({ ok: true });
    expect((await stateOf(reader)).replies[`${INCIDENTS}:${said.ts}`]?.map((m) => m.text)).toEqual(['on it']);
    expect((await call('/sandbox/message', { user: primary, channel: INCIDENTS, text: 'lost', thread_ts: '1000000000.000000' })).json).toEqual({ ok: false, error: 'Slack would not post that (thread_not_found).' });
  });

  it('refuses bad input with one sentence and changes nothing', async () => {
    const before = (await stateOf(primary)).messages[INCIDENTS]?.length;
    expect(await call('/sandbox/command', '{not json')).toEqual({ status: 400, json: { ok: false, error: 'The body is not JSON.' } });
    expect(await call('/sandbox/message', { user: primary, channel: INCIDENTS, text: '   ' })).toEqual({ status: 400, json: { ok: false, error: 'text: type a message' } });
    expect((await call('/sandbox/command', { user: 'U0NOBODY', channel: INCIDENTS, text: 'help' })).json.error).toMatch(/^No person U0NOBODY/);
    expect((await call('/sandbox/command', { user: reader, channel: 'C0HANDOFF', text: 'help' })).json.error).toBe('You are not in that channel; pick another one on the left.');
    expect((await call('/sandbox/press', { user: reader, container: { type: 'message', ts: '1.000001' }, blockId: 'b', actionId: 'a' })).json.error).toBe('Say which channel the message is in.');
    expect((await call('/sandbox/clock', { advance: '1y' })).status).toBe(400);
    expect((await call('/sandbox/fire-alert', { preset: 'meteor' })).json.error).toBe('No alert preset "meteor"; pick one from the menu.');
    expect((await call('/sandbox/nonsense', {})).status).toBe(404);
    expect((await fetch(new URL('/sandbox/state?user=U0NOBODY', sandbox.url))).status).toBe(400);
    const nobodyYet = (await (await fetch(new URL('/sandbox/state', sandbox.url))).json()) as SandboxState;
    expect(nobodyYet.user).toBe(primary);
    expect((await stateOf(primary)).messages[INCIDENTS]?.length).toBe(before);
  });

  it('fires an alert once; the same alert again is a duplicate the bot does not post', async () => {
    expect((await call('/sandbox/fire-alert', { preset: 'slow-queries' })).json).toEqual({ ok: true });
    const alert = await eventually(async () => (await stateOf(primary)).messages[INCIDENTS]?.find((m) => m.text.includes('HighP95Latency')), 'the alert message');
    expect(buttonIn(alert, 'Acknowledge')).toBeDefined();
    const again = await call('/sandbox/fire-alert', { preset: 'slow-queries' });
    expect(again.json).toEqual({ ok: false, error: 'That alert is already firing; the bot posts it once. Resolve it first, or fire another.' });
  });

  it('sends the bot real button presses: a reader is refused, a responder acknowledges', async () => {
    const alert = (await stateOf(primary)).messages[INCIDENTS]!.find((m) => m.text.includes('HighP95Latency'))!;
    const ack = buttonIn(alert, 'Acknowledge')!;
    const press = { channel: INCIDENTS, container: { type: 'message', ts: alert.ts } };
    expect((await call('/sandbox/press', { user: reader, ...press, ...ack })).json).toEqual({ ok: true });
    const refusal = await eventually(async () => (await stateOf(reader)).ephemerals[INCIDENTS]?.find((e) => /may not|not allowed|responders/i.test(e.text)), 'the refusal');
    expect(refusal.text).toMatch(/responder/i);
    expect((await call('/sandbox/press', { user: responder, ...press, ...ack })).json).toEqual({ ok: true });
    await eventually(async () => {
      const now = (await stateOf(responder)).messages[INCIDENTS]!.find((m) => m.ts === alert.ts)!;
      return !buttonIn(now, 'Acknowledge') && (now.reply_count ?? 0) > 0;
    }, 'the alert turned into an incident with a thread');
    // Acknowledging asks for impact and the next update; the responder closes the form unanswered.
    const details = await eventually(async () => (await stateOf(responder)).modal, 'the acknowledgement form');
    expect(details.title).toEqual({ type: 'plain_text', text: 'Impact and next update' });
    expect((await call('/sandbox/close-view', { user: reader, viewId: details.id })).json).toEqual({ ok: false, error: 'That form is already closed.' });
    expect((await call('/sandbox/close-view', { user: responder, viewId: details.id })).json).toEqual({ ok: true });
    expect((await stateOf(responder)).modal).toBeNull();
    expect((await call('/sandbox/press', { user: responder, ...press, blockId: ack.blockId, actionId: 'atlas_nothing' })).json).toEqual({ ok: false, error: 'That button is no longer there.' });
  });

  it('opens a modal from a command, refuses it with a required field empty, and closes it when the bot takes it', async () => {
    const { messages } = await stateOf(responder);
    const alert = messages[INCIDENTS]!.find((m) => m.text.includes('HighP95Latency'))!;
    const incident = /INC-\d{8}-\d+/.exec(alert.text)?.[0];
    expect(incident, 'the status card names the incident').toBeDefined();
    await call('/sandbox/command', { user: responder, channel: INCIDENTS, text: `update ${incident}` });
    const modal = await eventually(async () => (await stateOf(responder)).modal, 'the update modal');
    expect((await stateOf(reader)).modal).toBeNull();

    const empty = await call('/sandbox/submit', { user: responder, viewId: modal.id, values: {} });
    expect(empty.json.ok).toBe(false);
    expect(Object.values(empty.json.errors as Record<string, string>)).toContain('Please fill out this field.');
    expect((await stateOf(responder)).modal?.id).toBe(modal.id);

    const values: Record<string, Record<string, unknown>> = {};
    for (const block of modal.blocks as { type: string; block_id: string; element: { action_id: string; type: string; options?: { value: string }[] } }[]) {
      if (block.type !== 'input') continue;
      const element = block.element;
      values[block.block_id] = { [element.action_id]: element.type === 'static_select' ? { selected_option: { value: element.options?.[0]?.value } } : { value: `sandbox ${block.block_id}` } };
    }
    expect((await call('/sandbox/submit', { user: responder, viewId: modal.id, values })).json).toEqual({ ok: true });
    expect((await stateOf(responder)).modal).toBeNull();
    await eventually(async () => (await stateOf(responder)).replies[`${INCIDENTS}:${alert.ts}`]?.some((m) => m.text.includes('sandbox summary')), 'the update in the thread');
    expect((await call('/sandbox/close-view', { user: responder, viewId: modal.id })).json).toEqual({ ok: false, error: 'That form is already closed.' });
  });

  it('opens the Home tab as Slack does: the bot publishes it, and its buttons answer by DM', async () => {
    expect((await call('/sandbox/home-opened', { user: reader })).json).toEqual({ ok: true });
    const home = await eventually(async () => (await stateOf(reader)).home, 'the Home tab');
    expect(home.type).toBe('home');
    const first = (home.blocks as { text?: { text: string } }[])[0]?.text?.text ?? '';
    expect(first).toMatch(/^On call: <@U0ONCALL\d> primary, <@U0ONCALL\d> secondary until /);
    // A reader sees the firing alerts, but no Acknowledge.
    expect(buttonIn({ blocks: home.blocks as unknown[] }, 'Acknowledge')).toBeUndefined();
    const alerts = buttonIn({ blocks: home.blocks as unknown[] }, 'Alerts')!;
    expect((await call('/sandbox/press', { user: reader, container: { type: 'view', viewId: home.id }, ...alerts })).json).toEqual({ ok: true });
    const dm = (await stateOf(reader)).channels.find((c) => c.kind === 'im')!.id;
    const answer = await eventually(async () => (await stateOf(reader)).messages[dm]?.find((m) => /alert/i.test(m.text)), 'the answer by DM');
    expect(answer.user).toBe(sandbox.slack.workspace.bot.userId);
    // The responder's Home has the button; nobody else's Home changed.
    expect((await call('/sandbox/home-opened', { user: responder })).json).toEqual({ ok: true });
    const theirs = await eventually(async () => (await stateOf(responder)).home, 'the responder’s Home tab');
    expect(theirs.id).not.toBe(home.id);
    expect((await call('/sandbox/home-opened', { user: 'U0NOBODY' })).json.error).toMatch(/^No person U0NOBODY/);
    expect((await call('/sandbox/home-opened', {})).status).toBe(400);
  });

  it('moves the clock forward, tells the page, and runs the bot’s jobs at once', async () => {
    const stream = await fetch(new URL('/sandbox/events', sandbox.url));
    const reader = stream.body!.getReader();
    const started = sandbox.clock().getTime();
    expect((await call('/sandbox/clock', { advance: '30m' })).json).toEqual({ ok: true });
    expect(sandbox.clock().getTime() - started).toBeGreaterThanOrEqual(30 * 60_000);
    let seen = '';
    while (!seen.includes('"type":"clock"')) seen += new TextDecoder().decode((await reader.read()).value);
    expect(seen).toContain('event: change');
    await reader.cancel();
    const before = await stateOf(primary);
    const title = (state: SandboxState, id: string) => state.users.find((u) => u.id === id)?.title;
    const onCall = (state: SandboxState) => [title(state, primary), title(state, SANDBOX_USERS.secondary)];
    expect(onCall(before).sort()).toEqual(['On-call primary', 'On-call secondary']);
    expect((await call('/sandbox/clock', { advance: 'shift' })).json).toEqual({ ok: true });
    expect(sandbox.clock().toISOString() >= before.clock.nextShiftChange!).toBe(true);
    // Alice and Bobby take turns: the titles swap at the shift change.
    expect(onCall(await stateOf(primary))).toEqual(onCall(before).reverse());
  });

  it('leaves a running sandbox alone when a second one is started on its port', async () => {
    const port = Number(new URL(sandbox.url).port);
    await expect(startSandbox({ dataDir: dir, port, logDestination: { write: () => undefined } })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(existsSync(path.join(dir, 'metrics.db'))).toBe(true);
    expect((await call('/sandbox/command', { user: primary, channel: INCIDENTS, text: 'alerts' })).json).toEqual({ ok: true });
  });

  it('never writes the secrets it made to the log', () => {
    const secrets = [sandbox.config.env.SLACK_SIGNING_SECRET, sandbox.config.env.ALERT_WEBHOOK_TOKEN, sandbox.slack.token];
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(logLines.join('\n')).not.toContain(secret);
  });
});

describe('the sandbox’s Slack, when the bot does not answer', () => {
  let server: Server;
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('says "operation_timeout" after the acknowledgement window, as Slack does', async () => {
    server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const slack = await startSlackStandIn();
    try {
      const actions = sandboxActions(slack, { eventsUrl: `http://127.0.0.1:${port}/slack/events`, signingSecret: 'sandbox-test-secret', ackTimeoutMs: 200 });
      const result = await actions.command({ user: primary, channel: INCIDENTS, text: 'health' });
      expect(result).toEqual({ ok: false, error: '/atlas failed with the error "operation_timeout"' });
      expect(slack.workspace.ephemerals({ channel: INCIDENTS, user: primary }).map((e) => e.text)).toEqual(['/atlas failed with the error "operation_timeout"']);
    } finally {
      server.closeAllConnections();
      await slack.close();
    }
  });
});
