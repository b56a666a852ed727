/**
 * `npm start` (src/main.ts in its own process) when Slack is unreachable, refuses the token, or
 * the credentials are malformed: what only a real process shows (its exit code, its stderr).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSlackStandIn, type SlackStandIn } from '../src/sandbox/slack-stand-in.js';
import { SIGNING_SECRET, startBotProcess, WEBHOOK_TOKEN, writeBotConfig, type BotProcess } from './helpers/bot-process.js';
import { eventually } from './helpers/slack-harness.js';
import { createAtlasFiles, tempDir } from './helpers/test-deps.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Spawning tsx on a loaded machine takes long; nothing here is asserted to be fast. */
const PROCESS_TIMEOUT_MS = 120_000;
const WAIT_MS = 60_000;

let dataDir: string;
let configFile: string;
let cleanup: () => void;
let slack: SlackStandIn | null = null;
const bots: BotProcess[] = [];

beforeEach(() => {
  const t = tempDir();
  cleanup = t.cleanup;
  dataDir = path.join(t.dir, '.shadow-atlas');
  const files = createAtlasFiles(dataDir);
  files.persistence.close();
  files.metrics.close();
  configFile = writeBotConfig(path.join(t.dir, 'atlas.config.yml'));
});
afterEach(async () => {
  for (const bot of bots.splice(0)) {
    if (bot.child.exitCode === null && bot.child.signalCode === null) bot.child.kill('SIGKILL');
    await bot.exited;
  }
  await slack?.close();
  slack = null;
  cleanup();
});

async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs the bot to its end: exit code and what it wrote. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ATLAS_DATA_DIR: dataDir, ATLAS_CONFIG: configFile, PORT: '0', LOG_LEVEL: 'info', ALERT_WEBHOOK_TOKEN: WEBHOOK_TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('npm start without Slack', () => {
  it(
    'starts with nothing listening at SLACK_API_URL: /healthz says Slack is degraded and the webhook takes alerts',
    async () => {
      const port = await deadPort();
      const bot = await startBotProcess({ dataDir, configFile, apiUrl: `http://127.0.0.1:${port}/api/`, token: 'xoxb-1111-2222-offlineprocesstoken' });
      bots.push(bot);
      const health = await eventually(
        async () => {
          const body = (await (await fetch(`http://127.0.0.1:${bot.port}/healthz`)).json()) as { status: string; slack: { lastError: string | null; detail: string } };
          return body.slack.lastError ? body : undefined;
        },
        'a failed auth.test on /healthz',
        WAIT_MS,
      );
      expect(health.status).toBe('degraded');
      expect(health.slack.detail).toMatch(/^Slack not reachable since .*: could not reach Slack: /);
      expect((await bot.postAlert('provider_down')).status).toBeLessThan(300);
      // The terminal (the bot's log) says the same sentence as /healthz.
      await eventually(() => bot.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('Slack not reachable since')), 'the log line', WAIT_MS);
      expect(bot.child.exitCode).toBeNull();
    },
    PROCESS_TIMEOUT_MS,
  );

  it(
    'stops with exit 78 and one sentence naming SLACK_BOT_TOKEN when Slack answers invalid_auth',
    async () => {
      slack = await startSlackStandIn();
      slack.faults.inject({ method: 'auth.test', kind: 'error', error: 'invalid_auth', times: Number.POSITIVE_INFINITY });
      const token = 'xoxb-1111-2222-revokedprocesstoken';
      const run = await runToExit({ SLACK_BOT_TOKEN: token, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl });
      expect(run.code).toBe(78);
      expect(run.stderr.trim()).toMatch(/^Slack refused SLACK_BOT_TOKEN \(invalid_auth\): set SLACK_BOT_TOKEN to the app's current Bot User OAuth Token \(xoxb-…\), from OAuth & Permissions in the Slack app settings[^\n]*\.$/);
      expect(run.stderr + run.stdout).not.toContain(token);
    },
    PROCESS_TIMEOUT_MS,
  );

  it(
    'refuses a malformed signing secret before anything starts, with exit 78 and where to find a valid one',
    async () => {
      const run = await runToExit({ SLACK_BOT_TOKEN: 'xoxb-1111-2222-offlineprocesstoken', SLACK_SIGNING_SECRET: 'abc123', SLACK_API_URL: 'http://127.0.0.1:9/api/' });
      expect(run.code).toBe(78);
      expect(run.stderr.trim()).toBe(
        'config error: environment: SLACK_SIGNING_SECRET: not a signing secret (it is 6 characters): a valid one is 32 hexadecimal characters (0-9, a-f); ' +
          'copy it from Basic Information → App Credentials → Signing Secret in the Slack app settings (api.slack.com/apps).',
      );
      expect(run.stdout).not.toContain('atlas bot started');
    },
    PROCESS_TIMEOUT_MS,
  );
});
