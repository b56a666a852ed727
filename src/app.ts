import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { App, type CustomRoute, HTTPReceiver, SocketModeReceiver, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { CommandDeps } from './commands/command-spec.js';
import type { CommandRegistry } from './commands/registry.js';
import type { OutboxStats } from './db/state/outbox-store.js';
import { bodyReadGate, type BodyReadGate } from './http/body-read-gate.js';
import { guardSlackEvents, SLACK_MAX_BODY_BYTES, slackRequestGuard } from './http/slack-request-guard.js';
import { AckFirstQueue } from './slack/ack-first-queue.js';
import { uploadFile } from './slack/file-upload.js';
import { boundedClientOptions } from './slack/slack-clients.js';
import { classifySlackFailure, describeSlackError } from './slack/slack-errors.js';
import { CREDENTIAL_REFUSALS, SlackCredentialRefused, slackConnectionJson, slackStatusAnswer, type SlackBotIdentity, type SlackConnectionStatus } from './slack/slack-connection-status.js';
import { DEFAULT_SLACK_RETRY, SLACK_PROBE_TIMEOUT_MS, slackReachability } from './slack/slack-connection.js';
import { registerHandlers } from './handlers/register-handlers.js';
import { boltLevelOf, boltLogger } from './logger.js';
import type { StateEngine } from './db/state/kysely/state-dialect.js';
import { within } from './time/within.js';
import type { ReplicaView } from './replicas/replica-presence.js';

export type SlackMode = 'http' | 'socket';

export interface SlackAppOptions {
  deps: CommandDeps;
  registry: CommandRegistry;
  logger: Logger;
  slack: {
    botToken: string;
    /** HTTP mode: requests to /slack/events are verified with it. */
    signingSecret?: string;
    /** Socket Mode when set (xapp-…). */
    appToken?: string;
    /** Web API base URL (GovSlack, tests); also used for Socket Mode's apps.connections.open. */
    apiUrl?: string;
  };
  /** Known bot identity; skips the auth.test call (tests and the bench). */
  botIdentity?: { botId: string; botUserId: string };
  /** HTTP port; in Socket Mode, the port of the /healthz server (fixed when the app is built). */
  port?: number;
  /** More HTTP routes beside /healthz (the alert webhook), served in both modes. */
  extraRoutes?: CustomRoute[];
  /** The outbox's state for /healthz; absent until delivery runs. */
  outboxStats?: () => Promise<OutboxStats>;
  /** The replicas sharing the state and the jobs each holds, for /healthz; absent in tests that do not run them. */
  replicas?: () => Promise<ReplicaView[]>;
  /** Where the state is, for /healthz: chatops.db (sqlite) or PostgreSQL. */
  stateEngine?: StateEngine;
  /** HTTP mode's door on /slack/events (src/http/slack-request-guard.ts); defaults suit production. */
  edge?: {
    /** Shared with the webhooks, so the bound holds for the whole process (default: one of its own). */
    bodyReads?: BodyReadGate;
    maxBodyBytes?: number;
    bodyTimeoutMs?: number;
    /** Wall clock for the timestamp window (tests). */
    nowMs?: () => number;
  };
  /**
   * The bot's connection to Slack (src/slack/slack-connection.ts): /healthz and `doctor` say what it
   * knows, and requests carry the identity its auth.test found. Without it and without
   * `botIdentity`, the app asks auth.test itself on the first request.
   */
  connection?: { status(): SlackConnectionStatus; identity(): SlackBotIdentity | null };
  /** Slack refused the app-level token for good (Socket Mode); the sentence names what to fix. */
  onRefused?: (sentence: string) => void;
}

export interface SlackApp {
  app: App;
  mode: SlackMode;
  /** Starts listening (HTTP) or connecting (Socket Mode); resolves with the bound HTTP port. */
  start(port?: number, host?: string): Promise<number>;
  /** Stops taking requests; those in progress get `graceMs` before their connections are closed. */
  stop(graceMs?: number): Promise<void>;
}

const DEFAULT_PORT = 3000;

/** How long /healthz waits for the state before it says the state store is unreachable. */
const HEALTH_STATE_WAIT_MS = 2_000;

interface HealthSources {
  mode: SlackMode;
  uptimeSec: () => number;
  outboxStats?: () => Promise<OutboxStats>;
  replicas?: () => Promise<ReplicaView[]>;
  stateEngine?: StateEngine;
  slack?: () => SlackConnectionStatus;
}

/** What `within` answers when the state took longer than HEALTH_STATE_WAIT_MS. */
const STATE_TOO_SLOW: unique symbol = Symbol('state too slow');

/**
 * GET /healthz: 200 while the process serves, whatever Slack or the state store does (an
 * orchestrator that restarted the bot for Slack's outage would stop its paging too); `status`,
 * `slack` and `state` say when Slack or the state is not reachable, with the last error and since
 * when; `replicas` names the bot processes sharing the state, what each reaches and which jobs it holds.
 */
function healthRoute(sources: HealthSources): CustomRoute {
  return {
    path: '/healthz',
    method: ['GET', 'HEAD'],
    handler: (req: IncomingMessage, res: ServerResponse) => void answer(req, res),
  };

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const where = sources.stateEngine === 'postgresql' ? 'PostgreSQL' : 'chatops.db';
    let outbox: OutboxStats | undefined;
    let replicas: ReplicaView[] | undefined;
    let stateProblem: string | null = null;
    try {
      const read = Promise.resolve().then(async () => await Promise.all([sources.outboxStats?.(), sources.replicas?.()]));
      const answer = await within(read, HEALTH_STATE_WAIT_MS, (): typeof STATE_TOO_SLOW => STATE_TOO_SLOW);
      if (answer === STATE_TOO_SLOW) stateProblem = `state store unreachable: ${where} did not answer within ${HEALTH_STATE_WAIT_MS / 1000} s`;
      else [outbox, replicas] = answer;
    } catch {
      stateProblem = `state store unreachable: ${where} could not be read`;
    }
    const connection = sources.slack?.();
    const slackOk = !connection || connection.state === 'ok';
    const status = connection || sources.stateEngine || stateProblem ? { status: slackOk && !stateProblem ? 'ok' : 'degraded' } : {};
    const body = JSON.stringify({
      ok: true,
      mode: sources.mode,
      uptimeSec: sources.uptimeSec(),
      ...status,
      ...(connection ? { slack: slackConnectionJson(connection) } : {}),
      ...(sources.stateEngine ? { state: { engine: sources.stateEngine, reachable: !stateProblem, ...(stateProblem ? { problem: stateProblem } : {}) } } : {}),
      ...(outbox ? { outbox } : stateProblem && sources.outboxStats ? { outbox: { error: stateProblem } } : {}),
      ...(replicas ? { replicas } : {}),
    });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

/** Whether the bot token works (auth.test), for `doctor` without a running connection: one try, bounded in time. */
export function slackConnectionStatus(client: webApi.WebClient, timeoutMs = SLACK_PROBE_TIMEOUT_MS): Promise<{ ok: boolean; detail: string }> {
  return slackReachability(client.token, client.slackApiUrl, timeoutMs);
}

/** How long a Socket Mode start waits for Slack's first answer before it goes on without it. */
const SOCKET_FIRST_TRY_MS = 5_000;

/** The sentence for an app-level token Slack refused for good; null for anything else. */
function socketRefusal(err: unknown): string | null {
  const f = classifySlackFailure(err);
  if (f.kind !== 'refused' || !CREDENTIAL_REFUSALS.has(f.code)) return null;
  return (
    `Slack refused SLACK_APP_TOKEN (${f.code}): set SLACK_APP_TOKEN to an app-level token (xapp-…) with connections:write, ` +
    'from Basic Information → App-Level Tokens in the Slack app settings.'
  );
}


/** SocketModeReceiver keeps its /healthz server private; this reads it to report the bound port. */
function socketHealthServer(receiver: SocketModeReceiver): Server | undefined {
  return (receiver as unknown as { httpServer?: Server }).httpServer;
}

async function boundPort(server: Server | undefined, fallback: number): Promise<number> {
  if (!server) return fallback;
  if (!server.listening) await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : fallback;
}

/**
 * Builds the Bolt app from its dependencies; nothing touches the network until `start`.
 * HTTP mode serves POST /slack/events and GET /healthz; Socket Mode (appToken) connects out and
 * still serves /healthz on `port`.
 */
export function buildSlackApp(opts: SlackAppOptions): SlackApp {
  const { slack, logger } = opts;
  const mode: SlackMode = slack.appToken ? 'socket' : 'http';
  if (mode === 'http' && !slack.signingSecret) {
    throw new Error('Slack needs SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode); neither is set.');
  }
  const bolt = boltLogger(logger);
  const logLevel = boltLevelOf(logger.level);
  // Every call the handlers make (views.open, response_url aside, postEphemeral, user groups) tries
  // once and gives up after the time bound: a person is waiting, and the 3 s ack does not wait.
  const clientOptions = boundedClientOptions(slack.apiUrl);
  let startedAt: number | null = null;
  const health = healthRoute({
    mode,
    uptimeSec: () => (startedAt === null ? 0 : Math.floor((performance.now() - startedAt) / 1000)),
    outboxStats: opts.outboxStats,
    replicas: opts.replicas,
    stateEngine: opts.stateEngine,
    slack: opts.connection ? () => opts.connection!.status() : undefined,
  });
  const healthPort = opts.port ?? DEFAULT_PORT;
  // Bolt given a token asks auth.test before it serves anything, and its start fails when Slack
  // does not answer. The bot must serve /healthz and the webhooks whatever Slack does: with a known
  // identity Bolt asks nothing; otherwise `authorize` hands requests the identity the connection
  // found (src/slack/slack-connection.ts), or asks auth.test once for the first request.
  const known = opts.botIdentity;
  let asked: Promise<SlackBotIdentity | null> | null = null;
  const identity = async (): Promise<Partial<SlackBotIdentity>> => {
    // The connection knows it, or will: the request goes on without it meanwhile.
    if (opts.connection) return opts.connection.identity() ?? {};
    asked ??= app.client.auth
      .test()
      .then((r) => ({ botId: r.bot_id ?? '', botUserId: r.user_id ?? '' }))
      .catch(() => {
        asked = null;
        return null;
      });
    // Bolt uses it only to ignore the bot's own events: a request goes on without it.
    return (await asked) ?? {};
  };
  const auth = known
    ? { token: slack.botToken, botId: known.botId, botUserId: known.botUserId }
    : { authorize: async () => ({ botToken: slack.botToken, ...(await identity()) }) };

  let receiver: SocketModeReceiver | undefined;
  let app: App;
  if (mode === 'socket') {
    receiver = new SocketModeReceiver({
      appToken: slack.appToken!,
      logger: bolt,
      logLevel,
      // Its own copy: the socket client sets its own retry policy on the object it is given.
      // The socket client keeps its own reconnecting retry policy; it only needs the API's address.
      installerOptions: { clientOptions: slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}, port: healthPort },
      customRoutes: [health, ...(opts.extraRoutes ?? [])],
    });
    app = new App({
      receiver,
      ...auth,
      logger: bolt,
      logLevel,
      clientOptions,
      extendedErrorHandler: true,
    });
  } else {
    const maxBodyBytes = opts.edge?.maxBodyBytes ?? SLACK_MAX_BODY_BYTES;
    const http = new HTTPReceiver({
      signingSecret: slack.signingSecret!,
      logger: bolt,
      logLevel,
      processBeforeResponse: false,
      customRoutes: [health, ...(opts.extraRoutes ?? [])],
      bodyLimit: maxBodyBytes,
    });
    // Headers, timestamp window, size, concurrency, signature and replays, before Bolt reads a byte.
    guardSlackEvents(
      http,
      slackRequestGuard({
        signingSecret: slack.signingSecret!,
        seen: opts.deps.state.seenRequests,
        gate: opts.edge?.bodyReads ?? bodyReadGate(),
        logger: logger.child({ component: 'slack-edge' }),
        maxBodyBytes,
        ...(opts.edge?.bodyTimeoutMs ? { bodyTimeoutMs: opts.edge.bodyTimeoutMs } : {}),
        ...(opts.edge?.nowMs ? { nowMs: opts.edge.nowMs } : {}),
      }),
    );
    app = new App({
      receiver: http,
      ...auth,
      logger: bolt,
      logLevel,
      clientOptions,
      extendedErrorHandler: true,
    });
  }
  // Given `authorize` instead of a token, Bolt builds app.client without one; every listener and
  // the bot's own calls (Home, user groups, uploads) use app.client, so it gets the bot token.
  if (!known) app.client = new webApi.WebClient(slack.botToken, app.webClientOptions);

  // extendedErrorHandler: the handler gets the payload too, to log who and what failed.
  app.error(async ({ error, body }: { error: Error; body?: unknown }) => {
    const errorId = randomBytes(4).toString('hex');
    const b = (body ?? {}) as { type?: unknown; command?: unknown; user_id?: unknown; user?: { id?: unknown } };
    logger.error(
      { err: error, errorId, payloadType: b.type ?? (b.command ? 'slash_command' : undefined), userId: b.user_id ?? b.user?.id },
      'unhandled error in a Slack listener',
    );
  });

  const deps: CommandDeps = {
    ...opts.deps,
    slackStatus:
      opts.deps.slackStatus ??
      (opts.connection ? async () => slackStatusAnswer(opts.connection!.status()) : () => slackConnectionStatus(app.client)),
    uploadFile: opts.deps.uploadFile ?? ((file) => uploadFile(app.client, file)),
  };
  const afterAcks = new AckFirstQueue(logger);
  registerHandlers(app, { registry: opts.registry, deps, logger, afterAcks });

  let running = false;
  let httpServer: Server | undefined;
  let socketRetry: NodeJS.Timeout | null = null;

  /**
   * Socket Mode's connection, kept trying in the background while Slack does not answer (the
   * socket client gives up on a network error); a refused app token stops it for good.
   */
  function keepConnectingSocket(client: SocketModeReceiver['client'], failures: number): void {
    const wait = Math.min(DEFAULT_SLACK_RETRY.minMs * 2 ** failures, DEFAULT_SLACK_RETRY.maxMs);
    socketRetry = setTimeout(() => {
      socketRetry = null;
      if (!running) return;
      client.start().then(
        () => logger.info({ mode }, 'connected to Slack in Socket Mode'),
        (err: unknown) => {
          if (!running) return;
          const refused = socketRefusal(err);
          if (refused) return opts.onRefused?.(refused);
          logger.warn({ err: describeSlackError(err), retryInSec: wait / 1000 }, 'Socket Mode could not connect to Slack; trying again');
          keepConnectingSocket(client, failures + 1);
        },
      );
    }, wait);
    socketRetry.unref();
  }

  return {
    app,
    mode,
    async start(port?: number, host?: string): Promise<number> {
      startedAt = performance.now();
      if (mode === 'socket' && receiver) {
        if (port !== undefined && port !== healthPort) {
          logger.warn({ port, healthPort }, 'Socket Mode serves /healthz on the port given when the app was built');
        }
        // The first try decides a refused app token; while Slack does not answer (or after a
        // while), the bot goes on serving /healthz and the webhooks and keeps connecting.
        const connecting = app.start().then(
          () => 'connected' as const,
          (err: unknown) => err,
        );
        const first = await Promise.race([connecting, new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), SOCKET_FIRST_TRY_MS).unref())]);
        if (first !== 'connected' && first !== 'waiting' && (socketRefusal(first) || !socketHealthServer(receiver)?.listening)) {
          await app.stop().catch(() => undefined);
          const refused = socketRefusal(first);
          throw refused ? new SlackCredentialRefused(refused) : first;
        }
        running = true;
        const bound = await boundPort(socketHealthServer(receiver), healthPort);
        if (first === 'connected') logger.info({ mode, healthPort: bound }, 'connected to Slack in Socket Mode');
        else if (first === 'waiting') {
          logger.warn({ mode, healthPort: bound }, 'Socket Mode is still connecting to Slack; serving /healthz meanwhile');
          // The first try's outcome still counts when it comes: a refusal stops, a failure retries.
          void connecting.then((outcome) => {
            if (outcome === 'connected') return logger.info({ mode }, 'connected to Slack in Socket Mode');
            if (!running) return;
            const refused = socketRefusal(outcome);
            if (refused) return opts.onRefused?.(refused);
            logger.warn({ err: describeSlackError(outcome) }, 'Socket Mode could not connect to Slack; trying again');
            keepConnectingSocket(receiver.client, 0);
          });
        } else {
          logger.warn({ mode, healthPort: bound, err: describeSlackError(first) }, 'Socket Mode could not connect to Slack; trying again');
          keepConnectingSocket(receiver.client, 0);
        }
        return bound;
      }
      const server = (await app.start({ port: port ?? opts.port ?? DEFAULT_PORT, host })) as Server;
      httpServer = server;
      afterAcks.track(server);
      running = true;
      const bound = await boundPort(server, port ?? DEFAULT_PORT);
      logger.info({ mode, port: bound, host }, 'listening for Slack on /slack/events');
      return bound;
    },
    async stop(graceMs = 3000): Promise<void> {
      if (!running) return;
      running = false;
      if (socketRetry) clearTimeout(socketRetry);
      // Requests in progress get `graceMs` to finish; kept-alive and stuck connections then go.
      httpServer?.closeIdleConnections();
      const closing = app.stop();
      const timer = setTimeout(() => httpServer?.closeAllConnections(), graceMs);
      try {
        await closing;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
