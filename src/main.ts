import { startBot, type RunningBot, type SlackCredentials } from './bot.js';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config.js';
import { postgresPasswordOf } from './db/state/postgres/postgres-url.js';
import { createLogger } from './logger.js';
import { SlackCredentialRefused } from './slack/slack-connection-status.js';

const MISSING_CREDENTIALS = `The bot needs Slack credentials to start. Set:
  SLACK_BOT_TOKEN        the Bot User OAuth Token (xoxb-…) from OAuth & Permissions
  SLACK_SIGNING_SECRET   the Signing Secret from Basic Information (HTTP mode), or
  SLACK_APP_TOKEN        an app-level token (xapp-…) with connections:write, for Socket Mode
(copy .env.example to .env and fill it in; docs/deployment.md says how to create the app from manifest.yml).

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

function requireCredentials(config: Config): SlackCredentials {
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
    // Every credential the bot holds, as a last line of defence should one end up in an error message.
    secrets: [
      credentials.botToken,
      credentials.signingSecret,
      credentials.appToken,
      config.env.ALERT_WEBHOOK_TOKEN,
      config.env.PAGERDUTY_WEBHOOK_SECRET,
      config.env.PAGERDUTY_TOKEN,
      config.env.GITHUB_TOKEN,
      config.pagerduty.routingKey,
      postgresPasswordOf(config.env.STATE_DATABASE_URL),
    ].filter((s): s is string => Boolean(s)),
  });
  let stopping = false;
  // Set once started: a refusal may come while the bot still starts.
  const started: { bot?: RunningBot } = {};
  // Slack refused a token for good: nothing but a new token helps, so say which and stop.
  const onSlackRefused = (sentence: string) => {
    if (stopping) return;
    stopping = true;
    logger.fatal(sentence);
    setTimeout(() => fail(sentence, 78), SHUTDOWN_DEADLINE_MS).unref();
    void (started.bot?.stop() ?? Promise.resolve())
      .catch((err: unknown) => logger.error({ err }, 'error while shutting down'))
      .finally(() => fail(sentence, 78));
  };
  const bot = await startBot({ config, logger, credentials, onSlackRefused });
  started.bot = bot;
  logger.info(
    { port: bot.port, mode: credentials.appToken ? 'socket' : 'http', dataDir: config.dataDir, webhook: Boolean(config.env.ALERT_WEBHOOK_TOKEN) },
    'atlas bot started',
  );

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
      await bot.stop();
    } catch (err) {
      logger.error({ err }, 'error while shutting down');
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
}

main().catch((err: unknown) => {
  // A token Slack refused for good is a configuration error, said in one sentence.
  if (err instanceof SlackCredentialRefused) fail(err.message, 78);
  fail(`atlas bot failed to start: ${err instanceof Error ? err.message : String(err)}`, 1);
});
