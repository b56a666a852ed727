/**
 * The weekly report's "exactly once" where only real processes can show it: two bots
 * (`src/main.ts`, each its own process) on one chatops.db, both running the report job on the
 * bot's clock. With report.cron every minute, each minute's report is claimed by one of them and
 * delivered once, however the two ticks interleave.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slack-stand-in.js';
import { startBotProcess, writeBotConfig, type BotProcess } from '../helpers/bot-process.js';
import { eventually } from '../helpers/slack-harness.js';
import { createAtlasFiles, tempDir } from '../helpers/test-deps.js';

const HANDOFF = 'C0HANDOFF';

let slack: SlackStandIn;
let dataDir: string;
let configFile: string;
let cleanup: () => void;
let metrics: Database.Database;
const bots: BotProcess[] = [];

beforeEach(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  dataDir = path.join(t.dir, '.shadow-atlas');
  const files = createAtlasFiles(dataDir);
  files.persistence.close();
  metrics = files.metrics;
  configFile = writeBotConfig(path.join(t.dir, 'atlas.config.yml'), { channels: { incidents: 'C0INCIDENT', handoff: HANDOFF }, report: { cron: '* * * * *' } });
  slack = await startSlackStandIn();
});
afterEach(async () => {
  for (const bot of bots.splice(0)) {
    if (bot.child.exitCode === null && bot.child.signalCode === null) bot.child.kill('SIGKILL');
    await bot.exited;
  }
  await slack.close();
  metrics.close();
  cleanup();
});

function claimed(): string[] {
  const db = new Database(path.join(dataDir, 'chatops.db'), { readonly: true });
  try {
    return (db.prepare('SELECT due_at FROM reliability_reports ORDER BY due_at').all() as { due_at: string }[]).map((r) => r.due_at);
  } finally {
    db.close();
  }
}

/** Weekly reports queued and not yet delivered. */
function pending(): number {
  const db = new Database(path.join(dataDir, 'chatops.db'), { readonly: true });
  try {
    return (
      db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE channel = ? AND sent_at IS NULL AND failed_at IS NULL AND payload LIKE '%Weekly reliability report%'").get(HANDOFF) as { n: number }
    ).n;
  } finally {
    db.close();
  }
}

const reportsPosted = () => slack.workspace.messages(HANDOFF).filter((m) => (m.text ?? '').includes('Weekly reliability report'));

describe('the weekly report with two bot processes', () => {
  it('posts each scheduled report once, whichever bot claims it', async () => {
    const [a, b] = await Promise.all([startBotProcess({ dataDir, configFile, apiUrl: slack.apiUrl, token: slack.token }), startBotProcess({ dataDir, configFile, apiUrl: slack.apiUrl, token: slack.token })]);
    bots.push(a, b);
    // Two scheduled minutes: the second one began with both bots running and ticking every 15 s.
    await eventually(() => claimed().length >= 2 && pending() === 0 && reportsPosted().length >= 2, 'two minutes of reports posted', 150_000);
    for (const bot of [a, b]) bot.child.kill('SIGTERM');
    await Promise.all([a.exited, b.exited]);
    // Both stopped: the counts are final. One message per claimed minute, none twice (a minute
    // claimed just before the stop may still wait in the outbox for the next bot).
    expect(reportsPosted().length + pending()).toBe(claimed().length);
  }, 240_000);
});
