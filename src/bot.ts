import { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import { alertWebhookRoutes } from './alerts/alert-webhook.js';
import { createWatchdog } from './alerts/watchdog.js';
import { buildSlackApp } from './app.js';
import { botJobs } from './bot-jobs.js';
import { stopJobFileReaders } from './checks/job-file-reader.js';
import { stopChartRenderer } from './charts/chart-renderer.js';
import { stopMetricsReaders } from './checks/metrics-reader.js';
import { checkSchema, METRICS_NEEDS, PERSISTENCE_NEEDS } from './checks/schema-check.js';
import { systemClock, type Clock } from './clock.js';
import type { CommandDeps } from './commands/command-spec.js';
import { createAuthorizer } from './commands/authorize.js';
import { createRegistry } from './commands/index.js';
import type { Config } from './config.js';
import { stopIntegrityChecks } from './db/integrity-check.js';
import { homePublisher } from './handlers/home.js';
import { bodyReadGate } from './http/body-read-gate.js';
import { homeRefreshJob } from './home/home-refresh.js';
import { openState } from './open-state.js';
import { reachesData, replicaIdentity } from './replicas/replica-identity.js';
import { PRESENCE_CRON, readReplicaViews, reportPresence } from './replicas/replica-presence.js';
import { liveMessage } from './presenter/live-messages.js';
import { closeDeps, createDeps } from './runtime.js';
import { startScheduler } from './scheduler.js';
import { createDelivery, type CallSender } from './slack/outbox-delivery.js';
import { boundedClientOptions, silentSlackLogger } from './slack/slack-clients.js';
import { slackPoster } from './slack/slack-poster.js';
import { authTestProbe, slackConnection, watchedPoster, type SlackRetry } from './slack/slack-connection.js';
import { describeSlackConnection, slackConnectionJson, slackStatusAnswer, type SlackConnectionStatus } from './slack/slack-connection-status.js';
import { usergroupMembers } from './slack/usergroup-members.js';
import { RESPONSE_URL_TARGET, responseUrlSender } from './slack/response-url-sender.js';
import { botDmCheck } from './slack/dm-channels.js';
import { workspacePeople } from './slack/workspace-people.js';
import { pagerdutyWebhookRoutes } from './integrations/pagerduty-webhook.js';
import { slackLookupByEmail, type PagerDutyUserLookups } from './integrations/pagerduty-users.js';
import { pagerdutyApi } from './integrations/pagerduty-api.js';
import { PAGERDUTY_TARGET, pagerdutyCallSender } from './integrations/pagerduty-sync.js';
import { PAGERDUTY_ESCALATION_TARGET, pagerdutyEscalationSender } from './integrations/pagerduty-escalation.js';

export interface SlackCredentials {
  botToken: string;
  /** HTTP mode. */
  signingSecret?: string;
  /** Socket Mode when set. */
  appToken?: string;
}

export interface BotOptions {
  config: Config;
  logger: Logger;
  credentials: SlackCredentials;
  /** The bot's clock; the sandbox passes a manual one. */
  clock?: Clock;
  /** Interface of the HTTP receiver (default: all). */
  host?: string;
  /**
   * Slack refused a token for good (invalid_auth, not_authed, account_inactive, token_revoked):
   * the sentence names the variable to fix. `npm start` stops with it; without this, it is logged.
   */
  onSlackRefused?: (sentence: string) => void;
  /** How the connection to Slack is retried while it does not answer (tests shorten it). */
  slackRetry?: SlackRetry;
}

export interface RunningBot {
  /** The bound HTTP port (/slack/events, /healthz, /hooks/alerts). */
  port: number;
  /** What is known of reaching Slack (/healthz and `doctor` say the same). */
  slackStatus(): SlackConnectionStatus;
  deps: CommandDeps;
  /** Runs every scheduled job once now (the sandbox, after moving its clock). */
  tick(): Promise<unknown>;
  /**
   * Stops taking work (no new ticks, no new requests), lets in-flight sends finish or time out,
   * releases claims and closes the databases. The caller bounds it in time.
   */
  stop(): Promise<void>;
}

/**
 * The whole bot: its state, delivery, the Slack app with the webhook, and the clock's jobs.
 * `npm start` (src/main.ts) and `npm run sandbox` both run it; nothing here reads the environment.
 */
export async function startBot(opts: BotOptions): Promise<RunningBot> {
  const { config, logger, credentials } = opts;
  const clock = opts.clock ?? systemClock;
  const state = await openState(config, { logger });
  const me = replicaIdentity(config, clock());

  // Calls to PagerDuty go through the outbox too; their sender needs the deps built below.
  // An expired preview is replaced through its response_url (src/remediation/preview-expiry.ts).
  const callSenders: Record<string, CallSender> = { [RESPONSE_URL_TARGET]: responseUrlSender() };
  const refused = (sentence: string) => (opts.onSlackRefused ? opts.onSlackRefused(sentence) : logger.error(sentence));
  // The bot starts whatever Slack answers: this asks auth.test with backoff until it does, and
  // Slack messages wait in the outbox until then (PagerDuty calls, webhooks and the clock go on).
  const connection = slackConnection({
    probe: authTestProbe(credentials.botToken, config.env.SLACK_API_URL),
    ...(opts.slackRetry ? { retry: opts.slackRetry } : {}),
    onChange: (status) => {
      const line = { slack: slackConnectionJson(status) };
      if (status.state === 'ok') {
        logger.info(line, describeSlackConnection(status));
        delivery.wake();
      } else if (status.state === 'degraded') logger.warn(line, describeSlackConnection(status));
      else refused(describeSlackConnection(status));
    },
  });
  // Delivery has a client of its own: one try per call, bounded in time; its backoff is the only retry.
  const delivery = createDelivery({
    callSenders,
    store: state,
    poster: watchedPoster(slackPoster(new webApi.WebClient(credentials.botToken, boundedClientOptions(config.env.SLACK_API_URL, silentSlackLogger))), connection),
    slackReachable: connection.reachable,
    render: async (anchor) => await liveMessage(state, anchor, clock()),
    clock,
    logger: logger.child({ component: 'delivery' }),
    leaseMs: config.delivery.leaseSeconds * 1000,
    pace: { perSecond: config.delivery.postsPerSecond, burst: config.delivery.burst },
  });
  // Slack calls go through the app's own client, set below once the app is built.
  let client: webApi.WebClient | null = null;
  // Who people are (gone, their zone, their email): one users.info per person and ten minutes.
  const people = workspacePeople(() => client);
  // A PagerDuty user not in pagerduty.users is found by email (GET /users/{id}, then
  // users.lookupByEmail): who acknowledged in PagerDuty, and who is on call from its schedules.
  const pagerdutyLookups: PagerDutyUserLookups = { slackUserByEmail: slackLookupByEmail(() => client) };
  const pagerduty = pagerdutyApi({ config, fetch: (...args) => globalThis.fetch(...args) });
  if (config.env.PAGERDUTY_TOKEN) pagerdutyLookups.emailOf = (pdUserId) => pagerduty.userEmail(pdUserId);
  const deps = createDeps(config, logger, { state, clock, wakeDelivery: delivery.wake, pagerdutyLookups });
  callSenders[PAGERDUTY_TARGET] = pagerdutyCallSender({
    state,
    config,
    api: pagerduty,
    events: deps.events,
    clock,
    slackEmailOf: people.email,
  });
  callSenders[PAGERDUTY_ESCALATION_TARGET] = pagerdutyEscalationSender({ state, config, api: pagerduty, events: deps.events, clock, slackEmailOf: people.email });
  // Who is on call from PagerDuty: asked now, not only at the job's first minute.
  void deps.rotation.refresh?.();

  for (const [db, needs] of [
    [deps.atlas.persistence, PERSISTENCE_NEEDS],
    [deps.atlas.metrics, METRICS_NEEDS],
  ] as const) {
    const status = checkSchema(db, needs);
    if (status.problem) logger.warn({ db: status.label, problem: status.problem }, 'Atlas database not readable at start');
    else if (status.missing.length > 0) logger.warn({ db: status.label, missing: status.missing }, 'Atlas schema lacks what some checks need; they will answer unknown');
  }

  // `doctor` says what the connection knows, in the sentence /healthz and the log use.
  deps.slackStatus = async () => slackStatusAnswer(connection.status());
  // Responders may be a user group; its members are looked up through the app's own client.
  // The handoff says when the rotation names someone who left the workspace.
  deps.userExists = people.exists;
  deps.userTimeZone = people.timeZone;
  deps.userName = people.name;
  deps.replicaId = me.id;
  // Charts without asking: an acknowledgement's and a resolution's in the incident thread, the handoff's (docs/charts.md).
  deps.flowCharts = true;
  // A D… channel counts as a DM with the bot only when it is this person's IM with the bot (conversations.open).
  const authorizer = createAuthorizer(config, usergroupMembers(() => client), Date.now, async () => await deps.rotation.at(clock()), botDmCheck(() => client));
  const registry = createRegistry(authorizer);
  // One bound on bodies read before they are authenticated, for every route of the process.
  const bodyReads = bodyReadGate();
  const slack = buildSlackApp({
    deps,
    registry,
    logger,
    slack: { ...credentials, apiUrl: config.env.SLACK_API_URL },
    port: config.env.PORT,
    extraRoutes: [...alertWebhookRoutes(deps, bodyReads), ...pagerdutyWebhookRoutes(deps, pagerdutyLookups, bodyReads)],
    outboxStats: delivery.stats,
    replicas: async () => await readReplicaViews(state, clock(), me.id),
    stateEngine: state.dialect.engine,
    edge: { bodyReads },
    connection,
    onRefused: refused,
  });
  client = slack.app.client;
  const port = await slack.start(config.env.PORT, opts.host);
  connection.start();
  authorizer.warm();
  delivery.start();
  const presence = {
    name: 'replica-presence',
    cron: PRESENCE_CRON,
    boundMs: 8_000,
    everyReplica: true,
    run: async () => await reportPresence(state, me, reachesData(config), clock),
  };
  await presence.run();
  const scheduler = startScheduler(
    [presence, ...botJobs(deps, createWatchdog(deps)), homeRefreshJob(deps, homePublisher({ deps, registry, logger: logger.child({ component: 'home' }) }, slack.app.client))],
    logger,
    { leases: { leases: state.leases, holder: me.id, clock, reachesData: () => reachesData(config) } },
  );
  return {
    port,
    deps,
    slackStatus: connection.status,
    tick: () => scheduler.tick(),
    async stop() {
      try {
        // Stop taking work: no new ticks, no new requests; then let in-flight sends finish or time out.
        connection.stop();
        await Promise.all([scheduler.stop(2_000), slack.stop(2_000)]);
        await delivery.stop(4_000);
        await Promise.all([stopIntegrityChecks(), stopMetricsReaders(), stopJobFileReaders(), stopChartRenderer()]);
        await state.replicas.stopped(me.id, clock()).catch((err: unknown) => logger.warn({ err }, 'replica not marked stopped; it ages out'));
      } finally {
        await closeDeps(deps);
      }
    },
  };
}
