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
import { boundedClientOptions, silentSlackLogger } from './slack/slack-clients.js';
import { describeSlackError } from './slack/slack-errors.js';
import { registerHandlers } from './handlers/register-handlers.js';
import { boltLevelOf, boltLogger } from './logger.js';

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
  outboxStats?: () => OutboxStats;
  /** HTTP mode's door on /slack/events (src/http/slack-request-guard.ts); defaults suit production. */
  edge?: {
    /** Shared with the webhooks, so the bound holds for the whole process (default: one of its own). */
    bodyReads?: BodyReadGate;
    maxBodyBytes?: number;
    bodyTimeoutMs?: number;
    /** Wall clock for the timestamp window (tests). */
    nowMs?: () => number;
  };
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

function healthRoute(mode: SlackMode, uptimeSec: () => number, outboxStats?: () => OutboxStats): CustomRoute {
  return {
    path: '/healthz',
    method: ['GET', 'HEAD'],
    handler: (req: IncomingMessage, res: ServerResponse) => {
      let outbox: OutboxStats | { error: string } | undefined;
      try {
        outbox = outboxStats?.();
      } catch {
        outbox = { error: 'chatops.db could not be read' };
      }
      const body = JSON.stringify({ ok: true, mode, uptimeSec: uptimeSec(), ...(outbox ? { outbox } : {}) });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
  };
}

/** Whether the bot token works (auth.test), for `doctor`: one try, bounded in time. */
export async function slackConnectionStatus(client: webApi.WebClient, timeoutMs = 5000): Promise<{ ok: boolean; detail: string }> {
  if (!client.token) return { ok: false, detail: 'no bot token configured (SLACK_BOT_TOKEN)' };
  const probe = new webApi.WebClient(client.token, boundedClientOptions(client.slackApiUrl, silentSlackLogger, timeoutMs));
  try {
    const result = await probe.auth.test();
    const who = result.user ? `@${result.user}` : 'the bot';
    return { ok: true, detail: `connected as ${who}${result.team ? ` to ${result.team}` : ''}` };
  } catch (err) {
    return { ok: false, detail: describeSlackError(err) };
  }
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
  const health = healthRoute(mode, () => (startedAt === null ? 0 : Math.floor((performance.now() - startedAt) / 1000)), opts.outboxStats);
  const identity = opts.botIdentity ? { botId: opts.botIdentity.botId, botUserId: opts.botIdentity.botUserId } : {};
  // Without a known identity Bolt would call auth.test inside the constructor; defer it to start.
  const deferInitialization = opts.botIdentity === undefined;
  const healthPort = opts.port ?? DEFAULT_PORT;

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
      token: slack.botToken,
      ...identity,
      logger: bolt,
      logLevel,
      clientOptions,
      deferInitialization,
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
      token: slack.botToken,
      ...identity,
      logger: bolt,
      logLevel,
      clientOptions,
      deferInitialization,
      extendedErrorHandler: true,
    });
  }

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
    slackStatus: opts.deps.slackStatus ?? (() => slackConnectionStatus(app.client)),
    uploadFile: opts.deps.uploadFile ?? ((file) => uploadFile(app.client, file)),
  };
  const afterAcks = new AckFirstQueue(logger);
  registerHandlers(app, { registry: opts.registry, deps, logger, afterAcks });

  let running = false;
  let httpServer: Server | undefined;
  let initialized = !deferInitialization;
  return {
    app,
    mode,
    async start(port?: number, host?: string): Promise<number> {
      if (!initialized) {
        await app.init();
        initialized = true;
      }
      startedAt = performance.now();
      if (mode === 'socket' && receiver) {
        if (port !== undefined && port !== healthPort) {
          logger.warn({ port, healthPort }, 'Socket Mode serves /healthz on the port given when the app was built');
        }
        try {
          await app.start();
        } catch (err) {
          await app.stop().catch(() => undefined);
          throw err;
        }
        running = true;
        const bound = await boundPort(socketHealthServer(receiver), healthPort);
        logger.info({ mode, healthPort: bound }, 'connected to Slack in Socket Mode');
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
