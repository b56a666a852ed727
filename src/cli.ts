#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import pino from 'pino';
import { pollMetricsAlerts } from './alerts/metrics-alert-watcher.js';
import { createAuthorizer } from './commands/authorize.js';
import { createRegistry } from './commands/index.js';
import { ConfigError, loadConfig, loadDotEnv } from './config.js';
import { closeDeps, createDeps } from './runtime.js';
import { openState, StateOpenError } from './open-state.js';
import { inTerminalWords, renderPlainText } from './templates/plain-text.js';
import { peopleInReport, reportWithNames } from './templates/report-names.js';
import { idsAsNames } from './templates/people.js';
import { peopleNames } from './slack/people-names.js';
import { slackReachability } from './slack/slack-connection.js';
import type { Outcome } from './commands/registry.js';
import { exitWith, isMainModule } from './is-main-module.js';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  cwd: string;
  /** The terminal's width in characters; unset when stdout is a pipe or a file without COLUMNS (nothing is wrapped then). */
  columns?: number;
}

/** The real terminal. */
export function processIo(): CliIo {
  return {
    env: process.env,
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    cwd: process.cwd(),
    // A pipe has no width; COLUMNS, when set, says what the reader has (as for other terminal tools).
    columns: process.stdout.isTTY ? process.stdout.columns : Number(process.env.COLUMNS) || undefined,
  };
}

/** Exit codes: like the guide's health-check script for verdicts, sysexits for the rest. */
export const EXIT_CODES: Record<Outcome, number> = {
  ok: 0,
  info: 0,
  warn: 1,
  unknown: 1,
  crit: 2,
  error: 3,
  denied: 3,
  usage: 64,
};
export const EXIT_CONFIG = 78;

function terminalUser(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? 'terminal';
  }
}

/** `atlas <subcommand> [args] [--json]`: the same registry as Slack, printed as text. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  let config;
  try {
    config = loadConfig(io.env, io.cwd);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`atlas: config error: ${err.message}\n`);
      return EXIT_CONFIG;
    }
    throw err;
  }
  // Diagnostics go to stderr as JSON lines only when asked; the terminal shows the answer.
  const logger = pino({ level: io.env.LOG_LEVEL ?? 'silent' }, pino.destination(2));
  let state;
  try {
    state = await openState(config, { file: existsSync(config.dataDir) ? undefined : null });
  } catch (err) {
    if (!(err instanceof StateOpenError)) throw err;
    io.stderr(`atlas: ${err.message}\n`);
    return EXIT_CODES.error;
  }
  const deps = createDeps(config, logger, { state });
  // `atlas doctor` asks Slack itself (one auth.test, bounded) and says it in the running bot's words.
  const botToken = config.env.SLACK_BOT_TOKEN;
  if (botToken) deps.slackStatus = () => slackReachability(botToken, config.env.SLACK_API_URL);
  try {
    // Who is on call from PagerDuty is known once its on-calls API answered (bounded in time): only
    // the on-call answers wait for it, so `atlas health` with PagerDuty down answers at once.
    const registry = createRegistry(createAuthorizer(config));
    const parsed = registry.parse(args);
    if (parsed.kind === 'ok' && parsed.spec.group === 'On call and handoff') await deps.rotation.refresh?.();
    // The terminal answers from the same alert list as the bot: metrics.db's alerts are brought into
    // chatops.db first, through the same ingest (what that queues for Slack, the running bot posts).
    await pollMetricsAlerts(deps);
    const queuedBefore = await deps.state.outbox.pendingCount();
    const { report, outcome } = await registry.run(args, { source: 'cli', userId: terminalUser(io.env) }, deps);
    // The terminal does not talk to Slack: what an incident command posts waits for the bot.
    const queued = await deps.state.outbox.pendingCount() - queuedBefore;
    // The registry's answers name subcommands as Slack types them (`/atlas health`); here they are `atlas health`.
    if (json) {
      const out = { command: report.command, level: report.level, headline: inTerminalWords(report.headline), data: report.data ?? null, queuedForSlack: queued };
      io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      // Outside Slack people are named (from the names the bot has kept), not `<@U…>`.
      const named = reportWithNames(report, await peopleNames(deps, peopleInReport(report)).catch(() => idsAsNames));
      io.stdout(inTerminalWords(renderPlainText(named, { width: io.columns })));
      if (queued > 0) io.stdout(`\n${queued} Slack message${queued === 1 ? '' : 's'} queued in chatops.db; the running bot posts ${queued === 1 ? 'it' : 'them'}.\n`);
    }
    return EXIT_CODES[outcome];
  } finally {
    await closeDeps(deps);
  }
}

/** The terminal's main: `.env`, then the command in process.argv; resolves once its exit code is set. */
export async function cliMain(): Promise<void> {
  try {
    loadDotEnv();
  } catch (err) {
    console.error(`atlas: config error: ${(err as Error).message}`);
    process.exit(EXIT_CONFIG);
  }
  const run = runCli(process.argv.slice(2), processIo());
  exitWith(run, 'atlas', 3);
  await run.then(
    () => undefined,
    () => undefined,
  );
}

if (isMainModule(import.meta.url)) void cliMain();
