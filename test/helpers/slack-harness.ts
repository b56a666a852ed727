/**
 * Drives the real Bolt app over HTTP on 127.0.0.1 with signed requests, as Slack would. The
 * app's Web API (SLACK_API_URL) is the Slack stand-in, so its calls meet Slack's answers and
 * refusals; every response_url and trigger_id is minted by the stand-in, which keeps what the
 * app answered. Every Slack payload the tests use is built here, in one place.
 */
import { randomBytes } from 'node:crypto';
import type { CustomRoute } from '@slack/bolt';
import type { Logger } from 'pino';
import { buildSlackApp, type SlackApp, type SlackAppOptions } from '../../src/app.js';
import type { CommandDeps } from '../../src/commands/command-spec.js';
import type { CommandRegistry } from '../../src/commands/registry.js';
import type { OutboxStats } from '../../src/db/state/outbox-store.js';
import { createLogger, type LogLevelName } from '../../src/logger.js';
import { slackSignatureHeaders } from '../../src/sandbox/interaction-payloads.js';
import { startSlackStandIn, type SlackStandIn, type SlackStandInOptions } from '../../src/sandbox/slack-stand-in.js';

export const TEST_SIGNING_SECRET = 'harness-signing-secret-6f1d2c9b8a7e';
/** For apps built without the stand-in (nock answers on SLACK_API_ORIGIN). */
export const TEST_BOT_TOKEN = 'xoxb-1111-2222-harnessbottoken';
export const TEST_BOT = { botId: 'B0HARNESS', botUserId: 'U0HARNESSBOT' };
export const SLACK_API_ORIGIN = 'https://slack.test';
export const SLACK_API_URL = `${SLACK_API_ORIGIN}/api/`;
export const FORM = 'application/x-www-form-urlencoded';

/** People and channels of the stand-in's default workspace. */
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

const placeholderTrigger = () => `${Date.now()}.1.${randomBytes(8).toString('hex')}`;
const placeholderResponseUrl = () => `https://hooks.slack.com/commands/${TEST_TEAM}/1/${randomBytes(6).toString('hex')}`;

export interface CommandOptions {
  /** Defaults to /atlas. */
  command?: string;
  user?: string;
  channel?: string;
  responseUrl?: string;
  triggerId?: string;
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
    response_url: opts.responseUrl ?? placeholderResponseUrl(),
    trigger_id: opts.triggerId ?? placeholderTrigger(),
  }).toString();
}

export interface ActionOptions {
  user?: string;
  channel?: string;
  responseUrl?: string;
  triggerId?: string;
  actionId?: string;
  value?: string;
  /** The message the button is on (default: an ephemeral answer). */
  message?: { ts: string; ephemeral?: boolean };
}

/** A block_actions payload for a button press. */
export function blockActionPayload(opts: ActionOptions = {}): Record<string, unknown> {
  const user = opts.user ?? TEST_USER;
  const channel = opts.channel ?? TEST_CHANNEL;
  const message = opts.message ?? { ts: '1764158400.000100', ephemeral: true };
  return {
    type: 'block_actions',
    token: 'verification-token-deprecated',
    trigger_id: opts.triggerId ?? placeholderTrigger(),
    api_app_id: 'A0ATLAS',
    team: { id: TEST_TEAM, domain: 'shadow-atlas' },
    user: { id: user, username: 'oncall', team_id: TEST_TEAM },
    container: { type: 'message', message_ts: message.ts, channel_id: channel, is_ephemeral: message.ephemeral ?? false },
    channel: { id: channel, name: 'incident-response' },
    response_url: opts.responseUrl ?? placeholderResponseUrl(),
    state: { values: {} },
    actions: [
      {
        type: 'button',
        action_id: opts.actionId ?? 'atlas_share_result',
        block_id: 'atlas_block',
        value: opts.value ?? 'nothing',
        text: { type: 'plain_text', text: 'A button', emoji: true },
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
    trigger_id: placeholderTrigger(),
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

/** The form body for an interactivity payload. */
export function actionBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Slack's v0 request signature headers. */
export function slackSignature(secret: string, rawBody: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  return slackSignatureHeaders(secret, rawBody, timestamp);
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

/** Waits for `check` to give something truthy, polling; fails with `what` after `ms`. */
export async function eventually<T>(check: () => T | Promise<T>, what: string, ms = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Gives handlers still running after their ack a moment to (wrongly) say more. */
export const settle = () => new Promise((r) => setTimeout(r, 150));

/** What the app posted to one response_url. */
export type Answer = Record<string, unknown> & { text?: string; blocks?: unknown[]; response_type?: string; replace_original?: boolean };

/** A slash command or a button press, sent; its response_url was minted by the stand-in. */
export interface Interaction {
  res: Response;
  responseUrl: string;
  /** Everything the app posted to the response_url so far (Slack's refusals included). */
  answers(): Answer[];
  /** Waits for the n-th answer (1-based, default the first). */
  answer(n?: number): Promise<Answer>;
}

export interface PressOptions extends PostOptions {
  user?: string;
  channel?: string;
  message?: { ts: string; ephemeral?: boolean };
  /** Fields of the payload to replace (a payload Slack would never send). */
  override?: Record<string, unknown>;
  /** Leave out the stand-in's trigger_id (a press whose form can never open). */
  noTrigger?: boolean;
}

export interface Harness {
  app: SlackApp;
  baseUrl: string;
  /** The Slack stand-in the app talks to. */
  slack: SlackStandIn;
  logs: ReturnType<typeof captureLogs>;
  logger: Logger;
  /** POSTs a raw body to /slack/events, signed unless the options say otherwise. */
  post(rawBody: string, opts?: PostOptions): Promise<Response>;
  signedCommand(text: string, opts?: CommandOptions & PostOptions): Promise<Response>;
  signedAction(payload: unknown, opts?: PostOptions): Promise<Response>;
  /** `/atlas <text>` typed by `user` in `channel`, with a response_url and trigger_id from the stand-in. */
  command(text: string, opts?: Omit<CommandOptions, 'responseUrl' | 'triggerId'> & PostOptions): Promise<Interaction>;
  /** A press of the button `actionId` carrying `value`, with a response_url and trigger_id from the stand-in. */
  press(actionId: string, value: string, opts?: PressOptions): Promise<Interaction>;
  /** Submits a modal; the HTTP answer: {} when accepted, the errors otherwise. */
  submit(callbackId: string, metadata: unknown, values: unknown, user?: string): Promise<{ status: number; body: Record<string, unknown> }>;
  /** A response_url the stand-in never issued (Slack answers 404): an expired one. */
  deadResponseUrl(): string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  deps: CommandDeps;
  registry: CommandRegistry;
  logLevel?: LogLevelName;
  extraRoutes?: CustomRoute[];
  outboxStats?: () => Promise<OutboxStats>;
  /** /healthz's replicas and state engine (the running bot passes them). */
  replicas?: SlackAppOptions['replicas'];
  stateEngine?: SlackAppOptions['stateEngine'];
  /** The stand-in to use (shared with a delivery loop); else one is started and closed with the app. */
  slack?: SlackStandIn;
  standIn?: SlackStandInOptions;
  /** The /slack/events door's bounds (small ones to show them). */
  edge?: SlackAppOptions['edge'];
}

/**
 * Starts the real app (HTTP receiver) on 127.0.0.1 at a free port with the test signing secret,
 * the stand-in's bot identity (no auth.test) and its Web API as SLACK_API_URL.
 */
export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const ownStandIn = opts.slack === undefined;
  const slack = opts.slack ?? (await startSlackStandIn(opts.standIn));
  const logs = captureLogs();
  const logger = createLogger(opts.logLevel ?? 'debug', logs, { secrets: [TEST_SIGNING_SECRET, slack.token] });
  const bot = slack.workspace.bot;
  const app = buildSlackApp({
    deps: opts.deps,
    registry: opts.registry,
    logger,
    slack: { botToken: slack.token, signingSecret: TEST_SIGNING_SECRET, apiUrl: slack.apiUrl },
    botIdentity: { botId: bot.botId, botUserId: bot.userId },
    extraRoutes: opts.extraRoutes,
    ...(opts.outboxStats ? { outboxStats: opts.outboxStats } : {}),
    ...(opts.replicas ? { replicas: opts.replicas } : {}),
    ...(opts.stateEngine ? { stateEngine: opts.stateEngine } : {}),
    ...(opts.edge ? { edge: opts.edge } : {}),
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

  const interaction = (res: Response, responseUrl: string): Interaction => {
    const id = responseUrl.split('/').pop() ?? '';
    const answers = () => (slack.workspace.responseHooks.get(id)?.posts ?? []).map((p) => p.payload as Answer);
    return {
      res,
      responseUrl,
      answers,
      answer: (n = 1) => eventually(() => answers()[n - 1], `answer ${n} on the response_url`),
    };
  };

  return {
    app,
    baseUrl,
    slack,
    logs,
    logger,
    post,
    signedCommand: (text, o = {}) => post(slashCommandBody(text, o), o),
    signedAction: (payload, o = {}) => post(actionBody(payload), o),
    async command(text, o = {}) {
      const user = o.user ?? TEST_USER;
      const channel = o.channel ?? TEST_CHANNEL;
      const responseUrl = slack.mintResponseUrl({ channel, user });
      const res = await post(slashCommandBody(text, { ...o, user, channel, responseUrl, triggerId: slack.mintTriggerId(user) }), o);
      // As Slack does: a message in the acknowledgement is shown to the user, and is the
      // original that the response_url may replace.
      const acked = await res
        .clone()
        .json()
        .catch(() => null);
      if (acked && typeof acked === 'object' && typeof (acked as { text?: unknown }).text === 'string') {
        const hook = slack.workspace.responseHooks.get(responseUrl.split('/').pop() ?? '');
        const shown = slack.workspace.chat.postEphemeral({ channel, user, text: (acked as { text: string }).text });
        if (hook) hook.original = { ts: shown.ts, ephemeral: true };
      }
      return interaction(res, responseUrl);
    },
    async press(actionId, value, o = {}) {
      const user = o.user ?? TEST_USER;
      const channel = o.channel ?? TEST_CHANNEL;
      const message = o.message ?? { ts: '1764158400.000100', ephemeral: true };
      const responseUrl = slack.mintResponseUrl({ channel, user, original: message });
      const payload = {
        ...blockActionPayload({ actionId, value, user, channel, message, responseUrl, triggerId: o.noTrigger ? placeholderTrigger() : slack.mintTriggerId(user) }),
        ...o.override,
      };
      const res = await post(actionBody(payload), o);
      return interaction(res, responseUrl);
    },
    async submit(callbackId, metadata, values, user = TEST_USER) {
      const res = await post(actionBody(viewSubmissionPayload(callbackId, metadata, values, user)));
      const raw = await res.text();
      return { status: res.status, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {} };
    },
    deadResponseUrl: () => `${slack.url}/response/expired${randomBytes(6).toString('hex')}`,
    async close() {
      await app.stop();
      if (ownStandIn) await slack.close();
    },
  };
}
