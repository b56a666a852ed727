/**
 * `npm run sandbox`: the whole bot on this machine, on the demo data, against the Slack
 * stand-in with a page that looks and behaves like Slack. The bot runs as `npm start` runs it
 * (startBot: HTTP receiver with a signing secret, Web API through SLACK_API_URL, outbox,
 * scheduler, webhook); only its clock is the sandbox's, which the page can move forward. It pages
 * through PagerDuty's Events API, stood in on the same server (src/sandbox/pagerduty-stand-in.ts).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { startBot, type RunningBot } from '../bot.js';
import { buildConfig, type Config } from '../config.js';
import { demoMaintenanceCalendar } from '../demo/demo-maintenance-calendar.js';
import { demoRotation } from '../demo/demo-rotation.js';
import { generateAtlasData } from '../demo/generate-atlas-data.js';
import { plantedOutages, runningService, type RunningService } from '../demo/running-service.js';
import { SERVICE_SCENARIOS } from '../demo/service-scenarios.js';
import { exitWith, isMainModule } from '../is-main-module.js';
import { createLogger, type LogDestination, type LogLevelName } from '../logger.js';
import { ALERT_PRESETS } from './alert-presets.js';
import { standInCommand } from './orchestrator-stand-in.js';
import { pagerdutyStandIn, type PagerDutyStandIn } from './pagerduty-stand-in.js';
import type { ExtraRoute } from './http-server.js';
import { sandboxActions } from './sandbox-actions.js';
import { sandboxClock, type SandboxClock } from './sandbox-clock.js';
import { CLOCK_STEPS, sandboxRoutes, type SandboxControls } from './sandbox-routes.js';
import { sandboxState } from './sandbox-state.js';
import { DEFAULT_CHANNELS, DEFAULT_USERS, SANDBOX_USERS, startSlackStandIn, type SlackStandIn } from './slack-stand-in.js';
import { UPSTREAM_PATHS, upstreamStandIns } from './upstream-stand-ins.js';

/** Where `npm run sandbox` keeps its data, relative to the working directory; rebuilt on every start. */
export const SANDBOX_DIR = path.join('demo-data', 'sandbox');
export const DEFAULT_SANDBOX_PORT = 3100;

const CTO = 'U0CTO';
const SHUTDOWN_DEADLINE_MS = 9_000;
const DEMO_SEED = 20_261_126;
/** How often the stood-in service writes while nobody moves the clock (real time passes too). */
const SERVICE_WRITE_EVERY_MS = 60_000;
const MAINTENANCE_CALENDAR = 'maintenance-calendar.md';
/** The sandbox's made-up Events API v2 integration key (32 letters and digits): it pages only the stand-in. */
export const SANDBOX_PAGERDUTY_ROUTING_KEY = 'SandboxAtlasRoutingKey0000000000';
/** How many of the stand-in's events the page lists. */
const PAGERDUTY_EVENTS_SHOWN = 5;

export interface SandboxOptions {
  /** The bot's data directory, rebuilt from scratch: the demo's Shadow Atlas data, the bot's chatops.db and its bot.log. */
  dataDir: string;
  /** 0 for any free port. */
  port: number;
  host?: string;
  logLevel?: LogLevelName;
  /** Where the bot logs (default: `<dataDir>/bot.log`). */
  logDestination?: LogDestination;
}

export interface RunningSandbox {
  /** The page, e.g. http://127.0.0.1:3100/ */
  url: string;
  clock: SandboxClock;
  slack: SlackStandIn;
  /** The PagerDuty Events API stand-in the bot pages through: the events it took. */
  pagerduty: PagerDutyStandIn;
  bot: RunningBot;
  config: Config;
  /** The stood-in Shadow Atlas service writing its data as the clock moves. */
  service: RunningService;
  close(): Promise<void>;
}

/** The bot's config in the sandbox: the stand-in's channels and people, every upstream (PagerDuty's Events API too) on the sandbox server. */
function sandboxConfig(dataDir: string, base: string, env: { token: string; signingSecret: string; webhookToken: string; apiUrl: string; logLevel: LogLevelName }, now: Date): Config {
  return buildConfig(
    dataDir,
    {
      channels: { incidents: 'C0INCIDENT', handoff: 'C0HANDOFF' },
      responders: { users: [SANDBOX_USERS.primary, SANDBOX_USERS.secondary, SANDBOX_USERS.techLead, SANDBOX_USERS.responder, CTO] },
      escalation: { techLead: SANDBOX_USERS.techLead, cto: CTO },
      // The demo's rotation (as `npm run demo` has it): two weeks of daily shifts, so that the person titled "On-call primary" is on call now.
      rotation: demoRotation(now, { primary: SANDBOX_USERS.primary, secondary: SANDBOX_USERS.secondary }),
      providers: [
        { name: 'Census TIGER', url: `${base}${UPSTREAM_PATHS.tiger}` },
        { name: 'ArcGIS Hub', url: `${base}${UPSTREAM_PATHS.arcgis}` },
      ],
      ipfs: { gateways: [`${base}${UPSTREAM_PATHS.ipfsGateway}`] },
      handoff: { maintenanceCalendar: path.join(dataDir, MAINTENANCE_CALENDAR) },
      // The service's scripts, stood in: the remediations that run them work here too.
      commands: { stopJobs: standInCommand('stop'), resumeJob: standInCommand('resume', '{jobId}'), uploadSnapshot: standInCommand('upload', '{snapshotId}') },
      // Every alert pages PagerDuty's stood-in Events API (PAGERDUTY_EVENTS_URL below); no REST
      // API (PAGERDUTY_TOKEN) and no webhook from PagerDuty.
      pagerduty: { routingKey: SANDBOX_PAGERDUTY_ROUTING_KEY },
    },
    {
      SLACK_BOT_TOKEN: env.token,
      SLACK_SIGNING_SECRET: env.signingSecret,
      SLACK_API_URL: env.apiUrl,
      ALERT_WEBHOOK_TOKEN: env.webhookToken,
      PAGERDUTY_EVENTS_URL: `${base}${UPSTREAM_PATHS.pagerdutyEvents}`,
      PORT: 0,
      ATLAS_DATA_DIR: dataDir,
      LOG_LEVEL: env.logLevel,
    },
  );
}

export async function startSandbox(opts: SandboxOptions): Promise<RunningSandbox> {
  const dataDir = path.resolve(opts.dataDir);
  const clock = sandboxClock();
  const pagerduty = pagerdutyStandIn({ basePath: UPSTREAM_PATHS.pagerdutyEvents, clock });
  // The providers answer as the running service has them (created with the data, below).
  let liveService: RunningService | undefined;
  const upstreams = upstreamStandIns({ pagerduty, providerDown: (name) => liveService?.providerDown(name, clock()) ?? name === 'Census TIGER' });
  let route: ExtraRoute = upstreams;
  const slack = await startSlackStandIn({
    port: opts.port,
    host: opts.host ?? '127.0.0.1',
    clock,
    // Alice and Bobby take turns on call; the page titles whoever is on call now.
    users: [
      ...DEFAULT_USERS.map((u) => (u.id === SANDBOX_USERS.primary || u.id === SANDBOX_USERS.secondary ? { ...u, title: 'Responder' } : u)),
      { id: CTO, name: 'cora', realName: 'Cora Blake', title: 'CTO' },
    ],
    channels: DEFAULT_CHANNELS.map((c) => (c.id === 'C0INCIDENT' ? { ...c, members: [...c.members, CTO] } : c)),
    extraRoute: (req, res, url, body) => route(req, res, url, body),
  });

  let logFile: WriteStream | undefined;
  let bot: RunningBot | undefined;
  try {
    // Every start is a fresh story, but only once the port is ours: a second sandbox started by
    // mistake must not wipe the data of the one running.
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    const generated = generateAtlasData(dataDir, { now: clock(), days: 4, scenario: 'demo', seed: DEMO_SEED });
    const service = runningService(dataDir, { since: new Date(generated.now), outages: plantedOutages(generated.scenarioFacts.outage), seed: DEMO_SEED });
    liveService = service;
    writeFileSync(path.join(dataDir, MAINTENANCE_CALENDAR), demoMaintenanceCalendar(clock()));
    const signingSecret = randomBytes(24).toString('hex');
    const webhookToken = randomBytes(24).toString('hex');
    const logLevel = opts.logLevel ?? 'info';
    const config = sandboxConfig(dataDir, slack.url, { token: slack.token, signingSecret, webhookToken, apiUrl: slack.apiUrl, logLevel }, clock());
    logFile = opts.logDestination ? undefined : createWriteStream(path.join(dataDir, 'bot.log'));
    const logger = createLogger(logLevel, opts.logDestination ?? logFile, { secrets: [signingSecret, webhookToken, slack.token] });
    const running = await startBot({ config, logger, credentials: { botToken: slack.token, signingSecret }, clock, host: '127.0.0.1' });
    bot = running;
    const botUrl = `http://127.0.0.1:${running.port}`;

    const clockListeners = new Set<() => void>();
    const rotation = running.deps.rotation;
    const nextShiftChange = () => rotation.nextShiftChange(clock());
    const controls: SandboxControls = {
      state: async (asked) => {
        // Nobody chosen yet: the page starts as whoever is on call now.
        const user = asked === '' ? ((await rotation.at(clock()))?.primary ?? SANDBOX_USERS.primary) : asked;
        const person = slack.workspace.directory.users.get(user);
        if (!person || person.isBot) return undefined;
        const onCall = await rotation.at(clock());
        return sandboxState(slack.workspace, user, {
          clock: { now: clock(), offsetMs: clock.offsetMs(), nextShiftChange: nextShiftChange() },
          onCall,
          presets: ALERT_PRESETS,
          scenarios: SERVICE_SCENARIOS,
          scenario: service.status().scenario,
          pagerduty: pagerduty.events().slice(-PAGERDUTY_EVENTS_SHOWN).reverse(),
        });
      },
      actions: sandboxActions(slack, { eventsUrl: `${botUrl}/slack/events`, signingSecret }),
      events: slack.events,
      onClockChange(listener) {
        clockListeners.add(listener);
        return () => clockListeners.delete(listener);
      },
      onPagerDutyEvent: (listener) => pagerduty.subscribe(() => listener()),
      async fireAlert(id) {
        const preset = ALERT_PRESETS.find((p) => p.id === id);
        if (!preset) return { ok: false, error: `No alert preset "${id}"; pick one from the menu.` };
        const res = await fetch(`${botUrl}/hooks/alerts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${webhookToken}` },
          body: JSON.stringify(preset.body(clock())),
          signal: AbortSignal.timeout(5_000),
        });
        const answer = (await res.json().catch(() => ({}))) as { results?: { action?: string }[]; error?: string };
        if (!res.ok) return { ok: false, error: `The bot refused the alert: ${answer.error ?? `HTTP ${res.status}`}.` };
        if (answer.results?.every((r) => r.action === 'duplicate')) return { ok: false, error: 'That alert is already firing; the bot posts it once. Resolve it first, or fire another.' };
        return { ok: true };
      },
      async advanceClock(step) {
        const ms = step === 'shift' ? (nextShiftChange()?.getTime() ?? Number.NaN) - clock().getTime() : CLOCK_STEPS[step];
        if (!(ms > 0)) return { ok: false, error: 'No rotation is configured, so there is no shift change to move to.' };
        const target = clock().getTime() + ms;
        // Where the service's alerts change, the clock stops and the bot looks, so an alert that
        // fires and resolves within one long jump is still seen doing both.
        for (let next = service.nextAlertChange(); next !== null && next.getTime() <= target; next = service.nextAlertChange()) {
          const gap = next.getTime() - clock().getTime();
          if (gap > 0) clock.advance(gap);
          service.advanceTo(clock());
          await running.tick();
          if (service.writtenUntil().getTime() < next.getTime()) break;
        }
        const rest = target - clock().getTime();
        if (rest > 0) clock.advance(rest);
        service.advanceTo(clock());
        for (const listener of clockListeners) listener();
        // What the bot would have done in that time, done now: reminders, escalations, the handoff.
        await running.tick();
        return { ok: true };
      },
      async startScenario(id) {
        const started = service.startScenario(id, clock());
        if (!started.ok) return started;
        for (const listener of clockListeners) listener();
        await running.tick();
        return { ok: true };
      },
    };
    const pageRoutes = sandboxRoutes(controls);
    // Real time passes too: the service keeps writing while nobody presses a button.
    const serviceTimer = setInterval(() => {
      try {
        service.advanceTo(clock());
      } catch (err) {
        logger.warn({ err }, 'the stood-in service could not write its data');
      }
    }, SERVICE_WRITE_EVERY_MS);
    serviceTimer.unref();
    route = async (req, res, url, body) => (await upstreams(req, res, url, body)) || pageRoutes(req, res, url, body);

    return {
      url: `${slack.url}/`,
      clock,
      slack,
      pagerduty,
      bot: running,
      config,
      service,
      async close() {
        clearInterval(serviceTimer);
        await running.stop().catch(() => undefined);
        await slack.close();
        await new Promise<void>((resolve) => (logFile ? logFile.end(resolve) : resolve()));
      },
    };
  } catch (err) {
    await bot?.stop().catch(() => undefined);
    await slack.close();
    logFile?.end();
    throw err;
  }
}

/** What `npm run sandbox` reads from the environment (it makes up the rest). */
export const sandboxEnvSchema = z.object({
  SANDBOX_PORT: z.coerce.number({ error: 'a port number from 0 to 65535 (0: any free port)' }).int().min(0).max(65_535).default(DEFAULT_SANDBOX_PORT),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

async function main(): Promise<number> {
  const env = sandboxEnvSchema.safeParse(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v.trim() !== '')));
  if (!env.success) {
    const issue = env.error.issues[0];
    process.stderr.write(`sandbox: ${String(issue?.path[0] ?? 'environment')}: ${issue?.message ?? 'invalid'}\n`);
    return 78;
  }
  let sandbox: RunningSandbox;
  try {
    sandbox = await startSandbox({ dataDir: SANDBOX_DIR, port: env.data.SANDBOX_PORT, logLevel: env.data.LOG_LEVEL });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(`sandbox: port ${env.data.SANDBOX_PORT} is taken; set SANDBOX_PORT to another port, or to 0 for any free one.\n`);
      return 1;
    }
    throw err;
  }
  process.stdout.write(
    `Shadow Atlas sandbox: ${sandbox.url}\n` +
      `  The /atlas bot on demo data, against a Slack stand-in: no Slack app, no network.\n` +
      `  Bot log: ${path.join(SANDBOX_DIR, 'bot.log')}. Ctrl-C stops it.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  // Whatever hangs, the sandbox is gone within the deadline, as the bot is under `npm start`.
  setTimeout(() => {
    process.stderr.write('sandbox: did not stop in time; exiting anyway\n');
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS).unref();
  await sandbox.close();
  return 0;
}

if (isMainModule(import.meta.url)) exitWith(main(), 'sandbox', 1);
