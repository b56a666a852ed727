import { format } from 'node:util';
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import pino from 'pino';

export type LogLevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Where log lines go; anything with a `write(line)` (pino's DestinationStream). */
export interface LogDestination {
  write(line: string): void;
}

export interface LoggerOptions {
  /**
   * Secret values known at start (the signing secret, the tokens). Any occurrence in a log line
   * is replaced, whatever field or message it slipped into.
   */
  secrets?: readonly string[];
}

/**
 * Field paths whose values never reach the log. Payloads from Slack carry a `token` field (the
 * deprecated verification token); HTTP requests carry `Authorization: Bearer xoxb-…`.
 */
export const REDACTED_PATHS: readonly string[] = [
  'token',
  '*.token',
  '*.*.token',
  'botToken',
  '*.botToken',
  'appToken',
  '*.appToken',
  'signingSecret',
  '*.signingSecret',
  'clientSecret',
  '*.clientSecret',
  'authorization',
  'Authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'SLACK_BOT_TOKEN',
  '*.SLACK_BOT_TOKEN',
  '*.*.SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  '*.SLACK_SIGNING_SECRET',
  '*.*.SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  '*.SLACK_APP_TOKEN',
  '*.*.SLACK_APP_TOKEN',
];

/**
 * Slack token shapes: bot/user/app/config/refresh/legacy tokens (`xoxb-`, `xoxp-`, `xoxe.xoxp-1-`,
 * `xoxe-`, `xapp-`). Their characters need no JSON escaping, so a match on the serialized line
 * finds them in messages, nested fields and error stacks alike.
 */
const TOKEN_PATTERN = /(?:xox[abcdeprs](?:\.xox[abcdeprs])?|xapp)-[A-Za-z0-9-]+/g;
const TOKEN_CENSOR = '[redacted-token]';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A function that scrubs token-shaped strings and the given secret values from a line. */
export function secretScrubber(secrets: readonly string[] = []): (line: string) => string {
  // Short values would blank out ordinary words; real secrets are long. A secret may appear
  // raw or JSON-escaped in a serialized line.
  const forms = [...new Set(secrets.filter((s) => s.length >= 8).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))].sort((a, b) => b.length - a.length);
  const literal = forms.length > 0 ? new RegExp(forms.map(escapeRegExp).join('|'), 'g') : null;
  return (line) => {
    const out = line.replace(TOKEN_PATTERN, TOKEN_CENSOR);
    return literal ? out.replace(literal, '[redacted-secret]') : out;
  };
}

/** Replaces token-shaped strings and the known secret values in one serialized log line. */
export function scrubSecrets(line: string, secrets: readonly string[] = []): string {
  return secretScrubber(secrets)(line);
}

/**
 * The bot's JSON logger. Known secret fields are censored by path; token-shaped strings and the
 * given secret values are scrubbed from every serialized line as a last line of defence.
 */
export function createLogger(level: LogLevelName, destination?: LogDestination, options: LoggerOptions = {}): pino.Logger {
  const inner: LogDestination = destination ?? pino.destination({ dest: 1, sync: true });
  const scrub = secretScrubber(options.secrets ?? []);
  const scrubbing: LogDestination = { write: (line: string) => inner.write(scrub(line)) };
  return pino(
    {
      level,
      base: { name: 'atlas-bot' },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    scrubbing,
  );
}

const PINO_RANK: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/** pino's level as the nearest of Bolt's four. */
export function boltLevelOf(level: string): LogLevel {
  const rank = PINO_RANK[level] ?? PINO_RANK.info!;
  if (rank <= PINO_RANK.debug!) return LogLevel.DEBUG;
  if (rank <= PINO_RANK.info!) return LogLevel.INFO;
  if (rank <= PINO_RANK.warn!) return LogLevel.WARN;
  return LogLevel.ERROR;
}

/**
 * Bolt's Logger on top of pino. Bolt calls its log methods with several mixed arguments, which
 * pino's `(obj, msg)` signature would misread, so they are formatted first. Bolt also calls
 * `setLevel('info')` when it thinks our level differs from its own: that may quiet Bolt's child
 * logger, never make it chattier than ours.
 */
export function boltLogger(parent: pino.Logger): BoltLogger {
  let log = parent.child({ component: 'bolt' });
  return {
    // Bolt logs several debug lines per request: format only what will be written.
    debug: (...msg: unknown[]) => log.isLevelEnabled('debug') && log.debug(format(...msg)),
    info: (...msg: unknown[]) => log.isLevelEnabled('info') && log.info(format(...msg)),
    warn: (...msg: unknown[]) => log.isLevelEnabled('warn') && log.warn(format(...msg)),
    error: (...msg: unknown[]) => log.isLevelEnabled('error') && log.error(format(...msg)),
    setLevel: (level: LogLevel) => {
      const wanted = PINO_RANK[level] ?? PINO_RANK.info!;
      const floor = PINO_RANK[parent.level] ?? PINO_RANK.info!;
      log.level = wanted > floor ? level : parent.level;
    },
    getLevel: () => boltLevelOf(log.level),
    setName: (name: string) => {
      const level = log.level;
      log = parent.child({ component: name });
      log.level = level;
    },
  };
}
