import { webApi } from '@slack/bolt';
import { alertWebhookRoutes } from './alerts/alert-webhook.js';
import { createWatchdog } from './alerts/watchdog.js';
import { buildSlackApp } from './app.js';
import { botJobs } from './bot-jobs.js';
import { stopMetricsReaders } from './checks/metrics-reader.js';
import { checkSchema, METRICS_NEEDS, PERSISTENCE_NEEDS } from './checks/schema-check.js';
import { systemClock } from './clock.js';
import { createAuthorizer } from './commands/authorize.js';
import { createRegistry } from './commands/index.js';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config.js';
import { stopIntegrityChecks } from './db/integrity-check.js';
import { openStateStore } from './db/state/sqlite-state-store.js';
import { createLogger } from './logger.js';
import { liveMessage } from './presenter/live-messages.js';
import { closeDeps, createDeps, stateFileOf } from './runtime.js';
import { startScheduler } from './scheduler.js';
import { createDelivery } from './slack/outbox-delivery.js';
import { boundedClientOptions, silentSlackLogger } from './slack/slack-clients.js';
import { slackPoster } from './slack/slack-poster.js';
import { usergroupMembers } from './slack/usergroup-members.js';

const MISSING_CREDENTIALS = `The bot needs Slack credentials to start. Set:
  SLACK_BOT_TOKEN        the Bot User OAuth Token (xoxb-…) from OAuth & Permissions
  SLACK_SIGNING_SECRET   the Signing Secret from Basic Information (HTTP mode), or
  SLACK_APP_TOKEN        an app-level token (xapp-…) with connections:write, for Socket Mode
(copy .env.example to .env and fill it in; the README's "Slack app" section creates the app from manifest.yml).

Without Slack, try the same subcommands in the terminal against demo data:
  npm run demo
  ATLAS_DATA_DIR=demo-data/.shadow-atlas npm run -s atlas -- health
`;

/** SIGTERM to exit, at most: an orchestrator's grace period is usually 10 s or more. */
const SHUTDOWN_DEADLINE_MS = 9_000;

function fail(message: string, code: number): never {
  process.stderr.write(message.endsWith('\n') ? message : `${message}\n`);
  process.exit(code);
}

function requireCredentials(config: Config): { botToken: string; signingSecret?: string; appToken?: string } {
  const { SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN } = config.env;
  if (!SLACK_BOT_TOKEN || (!SLACK_SIGNING_SECRET && !SLACK_APP_TOKEN)) fail(MISSING_CREDENTIALS, 78);
  return { botToken: SLACK_BOT_TOKEN, signingSecret: SLACK_SIGNING_SECRET, appToken: SLACK_APP_TOKEN };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    loadDotEnv();
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(`config error: ${err.message}`, 78);
    throw err;
  }
  const credentials = requireCredentials(config);
  const logger = createLogger(config.env.LOG_LEVEL, undefined, {
    secrets: [credentials.botToken, credentials.signingSecret, credentials.appToken].filter((s): s is string => Boolean(s)),
  });
  const clock = systemClock;
  const state = openStateStore(stateFileOf(config));

  // Delivery has a client of its own: one try per call, bounded in time; its backoff is the only retry.
  const delivery = createDelivery({
    store: state,
    poster: slackPoster(new webApi.WebClient(credentials.botToken, boundedClientOptions(config.env.SLACK_API_URL, silentSlackLogger))),
    render: (anchor) => liveMessage(state, anchor, clock()),
    clock,
    logger: logger.child({ component: 'delivery' }),
    leaseMs: config.delivery.leaseSeconds * 1000,
    pace: { perSecond: config.delivery.postsPerSecond, burst: config.delivery.burst },
  });
  const deps = createDeps(config, logger, { state, clock, wakeDelivery: delivery.wake });

  for (const [db, needs] of [
    [deps.atlas.persistence, PERSISTENCE_NEEDS],
    [deps.atlas.metrics, METRICS_NEEDS],
  ] as const) {
    const status = checkSchema(db, needs);
    if (status.problem) logger.warn({ db: status.label, problem: status.problem }, 'Atlas database not readable at start');
    else if (status.missing.length > 0) logger.warn({ db: status.label, missing: status.missing }, 'Atlas schema lacks what some checks need; they will answer unknown');
  }

  // Responders may be a user group; its members are looked up through the app's own client.
  let client: webApi.WebClient | null = null;
  const authorizer = createAuthorizer(config, usergroupMembers(() => client));
  const registry = createRegistry(authorizer);
  const slack = buildSlackApp({
    deps,
    registry,
    logger,
    slack: { ...credentials, apiUrl: config.env.SLACK_API_URL },
    port: config.env.PORT,
    extraRoutes: alertWebhookRoutes(deps),
    outboxStats: delivery.stats,
  });
  client = slack.app.client;
  const port = await slack.start(config.env.PORT);
  authorizer.warm();
  delivery.start();
  const scheduler = startScheduler(botJobs(deps, createWatchdog(deps)), logger);
  logger.info({ port, mode: credentials.appToken ? 'socket' : 'http', dataDir: config.dataDir, webhook: Boolean(config.env.ALERT_WEBHOOK_TOKEN) }, 'atlas bot started');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // Whatever hangs, the process is gone within the deadline; claims not released expire on their own.
    setTimeout(() => {
      logger.error({ signal }, 'shutdown did not finish in time; exiting anyway');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    try {
      // Stop taking work: no new ticks, no new requests; then let in-flight sends finish or time out.
      await Promise.all([scheduler.stop(2_000), slack.stop(2_000)]);
      await delivery.stop(4_000);
      await Promise.all([stopIntegrityChecks(), stopMetricsReaders()]);
    } catch (err) {
      logger.error({ err }, 'error while shutting down');
    } finally {
      closeDeps(deps);
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
}

main().catch((err: unknown) => fail(`atlas bot failed to start: ${err instanceof Error ? err.message : String(err)}`, 1));
