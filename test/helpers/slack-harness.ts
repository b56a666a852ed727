/**
 * Drives the real Bolt app over HTTP on 127.0.0.1 with signed requests, as Slack would, and
 * captures what the app sends back through response_url with nock. Every Slack payload the
 * tests use is built here, in one place.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { CustomRoute } from '@slack/bolt';
import nock from 'nock';
import type { Logger } from 'pino';
import { buildSlackApp, type SlackApp } from '../../src/app.js';
import type { CommandDeps } from '../../src/commands/command-spec.js';
import type { CommandRegistry } from '../../src/commands/registry.js';
import { createLogger, type LogLevelName } from '../../src/logger.js';

export const TEST_SIGNING_SECRET = 'harness-signing-secret-6f1d2c9b8a7e';
export const TEST_BOT_TOKEN = 'xoxb-1111-2222-harnessbottoken';
export const TEST_BOT = { botId: 'B0HARNESS', botUserId: 'U0HARNESSBOT' };
/** The Web API base URL the app is pointed at (SLACK_API_URL); nock answers for it. */
export const SLACK_API_ORIGIN = 'https://slack.test';
export const SLACK_API_URL = `${SLACK_API_ORIGIN}/api/`;
export const RESPONSE_ORIGIN = 'https://hooks.slack.com';
export const FORM = 'application/x-www-form-urlencoded';

export const TEST_USER = 'U0ONCALL1';
export const TEST_CHANNEL = 'C0INCIDENT';
export const TEST_TEAM = 'T0ATLAS';

/** One log line as pino wrote it. */
export type LogLine = Record<string, unknown> & { level: string; msg?: string };

/** A log destination that keeps every line, parsed, plus the raw text for "never logged" checks. */
export function captureLogs(): { lines: LogLine[]; raw: string[]; write(line: string): void } {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  return {
    lines,
    raw,
    write(line: string) {
      raw.push(line);
      lines.push(JSON.parse(line) as LogLine);
    },
  };
}

let responseCounter = 0;

/** A fresh response_url path, so each test's nock interceptor catches only its own reply. */
export function newResponsePath(kind: 'commands' | 'actions' = 'commands'): string {
  responseCounter += 1;
  return `/${kind}/${TEST_TEAM}/${1000 + responseCounter}/${randomBytes(6).toString('hex')}`;
}

export interface CommandOptions {
  /** Defaults to /atlas. */
  command?: string;
  user?: string;
  channel?: string;
  responseUrl?: string;
}

/** The form body Slack posts for `/atlas <text>` (fields as in the slash-command docs). */
export function slashCommandBody(text: string, opts: CommandOptions = {}): string {
  return new URLSearchParams({
    token: 'verification-token-deprecated',
    team_id: TEST_TEAM,
    team_domain: 'shadow-atlas',
    channel_id: opts.channel ?? TEST_CHANNEL,
    channel_name: 'incident-response',
    user_id: opts.user ?? TEST_USER,
    user_name: 'oncall',
    command: opts.command ?? '/atlas',
    text,
    api_app_id: 'A0ATLAS',
    is_enterprise_install: 'false',
    response_url: opts.responseUrl ?? `${RESPONSE_ORIGIN}${newResponsePath()}`,
    trigger_id: `${Date.now()}.1.${randomBytes(8).toString('hex')}`,
  }).toString();
}

export interface ActionOptions {
  user?: string;
  channel?: string;
  responseUrl?: string;
  actionId?: string;
  value?: string;
}

/** A block_actions payload for a button press on an ephemeral message. */
export function blockActionPayload(opts: ActionOptions = {}): Record<string, unknown> {
  const user = opts.user ?? TEST_USER;
  const channel = opts.channel ?? TEST_CHANNEL;
  return {
    type: 'block_actions',
    token: 'verification-token-deprecated',
    trigger_id: `${Date.now()}.1.${randomBytes(8).toString('hex')}`,
    api_app_id: 'A0ATLAS',
    team: { id: TEST_TEAM, domain: 'shadow-atlas' },
    user: { id: user, username: 'oncall', team_id: TEST_TEAM },
    container: { type: 'message', message_ts: '1764158400.000100', channel_id: channel, is_ephemeral: true },
    channel: { id: channel, name: 'incident-response' },
    response_url: opts.responseUrl ?? `${RESPONSE_ORIGIN}${newResponsePath('actions')}`,
    state: { values: {} },
    actions: [
      {
        type: 'button',
        action_id: opts.actionId ?? 'atlas_share_result',
        block_id: 'atlas_share',
        value: opts.value ?? 'nothing',
        text: { type: 'plain_text', text: 'Post to channel', emoji: true },
        action_ts: '1764158460.000200',
      },
    ],
  };
}

/** A view_submission payload as Slack sends it when a modal's submit button is pressed. */
export function viewSubmissionPayload(callbackId: string, metadata: unknown, values: unknown, user = TEST_USER): Record<string, unknown> {
  return {
    type: 'view_submission',
    token: 'verification-token-deprecated',
    api_app_id: 'A0ATLAS',
    team: { id: TEST_TEAM, domain: 'shadow-atlas' },
    user: { id: user, username: 'oncall', name: 'oncall', team_id: TEST_TEAM },
    trigger_id: `${Date.now()}.1.abcdef`,
    view: {
      id: 'V0MODAL1',
      team_id: TEST_TEAM,
      type: 'modal',
      callback_id: callbackId,
      private_metadata: typeof metadata === 'string' ? metadata : JSON.stringify(metadata),
      state: { values },
      hash: '1764158400.abcdef',
      title: { type: 'plain_text', text: 'Atlas' },
      blocks: [],
      app_id: 'A0ATLAS',
      bot_id: 'B0HARNESS',
    },
    response_urls: [],
  };
}

/** One Web API call the app made, its form body parsed (blocks and view as JSON). */
export interface SlackCall {
  method: string;
  body: Record<string, unknown>;
}

/**
 * Answers every Web API call on SLACK_API_ORIGIN like Slack would and keeps what was sent.
 * `answers` overrides a method's reply; usergroups.users.list returns `groupMembers`.
 */
export function recordSlackApi(opts: { groupMembers?: string[] } = {}) {
  const calls: SlackCall[] = [];
  const answers: Record<string, (body: Record<string, unknown>) => Record<string, unknown>> = {};
  let ts = 5000;
  nock(SLACK_API_ORIGIN)
    .persist()
    .post(/^\/api\/[A-Za-z.]+$/)
    .reply(200, (uri, raw) => {
      const method = uri.replace('/api/', '');
      const body: Record<string, unknown> = Object.fromEntries(new URLSearchParams(raw as string));
      for (const k of ['view', 'blocks']) if (typeof body[k] === 'string') body[k] = JSON.parse(body[k] as string);
      calls.push({ method, body });
      const custom = answers[method];
      if (custom) return custom(body);
      if (method === 'chat.postMessage') return { ok: true, channel: body.channel, ts: `1764158${++ts}.000100` };
      if (method === 'usergroups.users.list') return { ok: true, users: opts.groupMembers ?? [] };
      return { ok: true };
    });
  return { calls, answers, of: (method: string) => calls.filter((c) => c.method === method) };
}

/** The form body for an interactivity payload. */
export function actionBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Slack's v0 request signature headers. */
export function slackSignature(secret: string, rawBody: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const digest = createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex');
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': `v0=${digest}` };
}

export interface PostOptions {
  contentType?: string;
  /** Sign with another secret (a forged request). */
  secret?: string;
  /** Seconds to add to "now" for the timestamp; -301 makes the request stale. */
  skewSec?: number;
  /** Replace the headers altogether (missing or malformed signatures). */
  headers?: Record<string, string>;
}

/** A captured response_url request. */
export interface CapturedResponse {
  path: string;
  body: Record<string, unknown>;
}

export interface Harness {
  app: SlackApp;
  baseUrl: string;
  logs: ReturnType<typeof captureLogs>;
  logger: Logger;
  /** POSTs a raw body to /slack/events, signed unless the options say otherwise. */
  post(rawBody: string, opts?: PostOptions): Promise<Response>;
  signedCommand(text: string, opts?: CommandOptions & PostOptions): Promise<Response>;
  signedAction(payload: unknown, opts?: PostOptions): Promise<Response>;
  /**
   * Intercepts the next POST to `RESPONSE_ORIGIN + path` and resolves with its JSON body.
   * `status` lets a test play an expired response_url (404).
   */
  expectResponse(path: string, status?: number): Promise<CapturedResponse>;
  close(): Promise<void>;
}

/** Waits for `check` to give something truthy, polling; fails with `what` after `ms`. */
export async function eventually<T>(check: () => T | Promise<T>, what: string, ms = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Starts the real app (HTTP receiver) on 127.0.0.1 at a free port with the test signing secret,
 * a known bot identity (no auth.test) and the Web API pointed at nock's host.
 */
export async function startHarness(opts: {
  deps: CommandDeps;
  registry: CommandRegistry;
  logLevel?: LogLevelName;
  extraRoutes?: CustomRoute[];
}): Promise<Harness> {
  const logs = captureLogs();
  const logger = createLogger(opts.logLevel ?? 'debug', logs, { secrets: [TEST_SIGNING_SECRET] });
  const app = buildSlackApp({
    deps: opts.deps,
    registry: opts.registry,
    logger,
    slack: { botToken: TEST_BOT_TOKEN, signingSecret: TEST_SIGNING_SECRET, apiUrl: SLACK_API_URL },
    botIdentity: TEST_BOT,
    extraRoutes: opts.extraRoutes,
  });
  const port = await app.start(0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${port}`;

  const post = (rawBody: string, o: PostOptions = {}) => {
    const signature = o.headers ?? slackSignature(o.secret ?? TEST_SIGNING_SECRET, rawBody, Math.floor(Date.now() / 1000) + (o.skewSec ?? 0));
    return fetch(`${baseUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': o.contentType ?? FORM, ...signature },
      body: rawBody,
    });
  };

  return {
    app,
    baseUrl,
    logs,
    logger,
    post,
    signedCommand: (text, o = {}) => post(slashCommandBody(text, o), o),
    signedAction: (payload, o = {}) => post(actionBody(payload), o),
    expectResponse(path: string, status = 200): Promise<CapturedResponse> {
      return new Promise((resolve) => {
        nock(RESPONSE_ORIGIN)
          .post(path)
          .reply(status, (_uri, body) => {
            const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as Record<string, unknown>;
            resolve({ path, body: parsed });
            return status === 200 ? { ok: true } : 'expired_url';
          });
      });
    },
    close: () => app.stop(),
  };
}
