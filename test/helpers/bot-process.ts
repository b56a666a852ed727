/**
 * The real bot as a separate process (`src/main.ts` under tsx), pointed at the Slack stand-in:
 * for what only processes can show (two of them on one chatops.db, SIGKILL, SIGTERM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WEBHOOK_TOKEN = 'process-test-webhook-token-0123456789';
export const SIGNING_SECRET = 'process-test-signing-secret-abcdef';

export interface BotProcess {
  child: ChildProcess;
  port: number;
  /** Parsed JSON log lines so far. */
  logs: Record<string, unknown>[];
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
  postAlert(name: string, message?: string): Promise<Response>;
}

/** Writes atlas.config.yml for the process tests: the stand-in's channel, fast delivery, short leases. */
export function writeBotConfig(file: string, more: Record<string, unknown> = {}): string {
  writeFileSync(
    file,
    YAML.stringify({
      channels: { incidents: 'C0INCIDENT' },
      responders: { users: ['U0ONCALL1'] },
      delivery: { postsPerSecond: 100, burst: 100, leaseSeconds: 1 },
      ...more,
    }),
  );
  return file;
}

export async function startBotProcess(opts: { dataDir: string; configFile: string; apiUrl: string; token: string; env?: Record<string, string> }): Promise<BotProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      SLACK_BOT_TOKEN: opts.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: opts.apiUrl,
      ALERT_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
      ATLAS_DATA_DIR: opts.dataDir,
      ATLAS_CONFIG: opts.configFile,
      PORT: '0',
      LOG_LEVEL: 'info',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  let buffered = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, atMs: Date.now() })),
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry.msg === 'atlas bot started') resolve(entry.port as number);
        } catch {
          // not a log line
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    void exited.then(({ code }) => reject(new Error(`the bot exited (${code}) before it started: ${stderr.slice(0, 500)}`)));
  });
  return {
    child,
    port,
    logs,
    exited,
    postAlert: (name, message = `${name} is failing`) =>
      fetch(`http://127.0.0.1:${port}/hooks/alerts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${WEBHOOK_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ source: 'shadow-atlas', type: 'alert', name, severity: 'warning', status: 'FIRING', message, firedAt: new Date().toISOString() }),
      }),
  };
}
