/**
 * The delivery guarantees where only real processes can show them: two bots on one chatops.db,
 * SIGKILL at random points, SIGTERM in the middle of a send. Each bot is `src/main.ts` in its own
 * process, talking to the Slack stand-in.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSlackStandIn, type SlackStandIn } from '../src/sandbox/slack-stand-in.js';
import { startBotProcess, writeBotConfig, type BotProcess } from './helpers/bot-process.js';
import { eventually } from './helpers/slack-harness.js';
import { createAtlasFiles, tempDir } from './helpers/test-deps.js';

const CHANNEL = 'C0INCIDENT';

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
  configFile = writeBotConfig(path.join(t.dir, 'atlas.config.yml'));
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

async function startBot(env?: Record<string, string>): Promise<BotProcess> {
  const bot = await startBotProcess({ dataDir, configFile, apiUrl: slack.apiUrl, token: slack.token, env });
  bots.push(bot);
  return bot;
}

/** How many messages each alert got in the channel, by the anchor in their metadata. */
function postsPerAlert(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of slack.workspace.messages(CHANNEL)) {
    const anchor = (m.metadata as { event_payload?: { anchor?: string } } | undefined)?.event_payload?.anchor;
    if (anchor?.startsWith('alert:')) counts.set(anchor, (counts.get(anchor) ?? 0) + 1);
  }
  return counts;
}

function outboxPending(): number {
  const db = new Database(path.join(dataDir, 'chatops.db'), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const anchorOf = (name: string) => `alert:${name.toLowerCase()}:1`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('bot processes on one chatops.db', () => {
  it('two bots fed by the webhook and by metrics.db post every alert exactly once', async () => {
    const insert = metrics.prepare("INSERT INTO alerts (name, status, message, fired_at) VALUES (?, 'firing', ?, datetime('now'))");
    for (let i = 0; i < 10; i++) insert.run(`metrics_alert_${i}`, 'from metrics.db');
    // Both answers slow: both bots are sending at the same time.
    slack.faults.inject({ method: 'chat.postMessage', kind: 'delay', ms: 20, times: Infinity });
    const [a, b] = await Promise.all([startBot(), startBot()]);
    const names = Array.from({ length: 20 }, (_, i) => `webhook_alert_${i}`);
    // Every alert reaches both bots, as a retrying sender or two alert managers would send it.
    const answers = await Promise.all(names.flatMap((n) => [a.postAlert(n), b.postAlert(n)]));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    const all = [...names, ...Array.from({ length: 10 }, (_, i) => `metrics_alert_${i}`)];
    await eventually(() => all.every((n) => postsPerAlert().has(anchorOf(n))) && outboxPending() === 0, 'every alert posted', 60_000);
    // Both bots stopped: nothing can be posted after this, so the count below is final (no grace period to guess).
    for (const bot of [a, b]) bot.child.kill('SIGTERM');
    await Promise.all([a.exited, b.exited]);
    const counts = postsPerAlert();
    expect(all.map((n) => counts.get(anchorOf(n)))).toEqual(all.map(() => 1));
    // Nothing else twice either (the watchdog raises an alert of its own on these empty databases).
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it('SIGKILL at random points while alerts flow: every accepted alert is posted exactly once', async () => {
    // Slack posts, then answers 150 ms later: a kill in between leaves a post in doubt.
    slack.faults.inject({ method: 'chat.postMessage', kind: 'delay', ms: 150, when: 'after', times: Infinity });
    const accepted = new Set<string>();
    const sent: string[] = [];
    for (let round = 0; round < 3; round++) {
      const bot = await startBot();
      const acceptedBefore = accepted.size;
      const feeding = (async () => {
        for (let i = 0; i < 12; i++) {
          const name = `round${round}_alert_${i}`;
          sent.push(name);
          try {
            if ((await bot.postAlert(name)).status === 200) accepted.add(name);
          } catch {
            return; // the bot is gone
          }
        }
      })();
      // The kill lands at a random point after this bot took its first alert, however slow the machine.
      await eventually(() => accepted.size > acceptedBefore, `round ${round}'s first alert accepted`, 60_000);
      await sleep(Math.floor(Math.random() * 600));
      bot.child.kill('SIGKILL');
      await Promise.all([bot.exited, feeding]);
    }
    expect(accepted.size).toBeGreaterThan(0);
    await startBot();
    await eventually(() => [...accepted].every((n) => postsPerAlert().has(anchorOf(n))) && outboxPending() === 0, 'the survivors posted', 60_000);
    const counts = postsPerAlert();
    for (const name of sent) expect(counts.get(anchorOf(name)) ?? 0, name).toBeLessThanOrEqual(1);
    for (const name of accepted) expect(counts.get(anchorOf(name)), name).toBe(1);
  });

  it('SIGTERM during a send that hangs: exits on its own with 0, gives up its claim, and the next bot posts it once', async () => {
    slack.faults.inject({ method: 'chat.postMessage', kind: 'hang' });
    const bot = await startBot();
    expect((await bot.postAlert('provider_down')).status).toBe(200);
    await eventually(() => slack.workspace.calls('chat.postMessage').length === 1, 'the hung post');
    // The send hangs for good: the bot exiting at all is its shutdown bound at work (no stopwatch,
    // which a busy machine would fail).
    bot.child.kill('SIGTERM');
    const { code } = await bot.exited;
    expect(code).toBe(0);
    const db = new Database(path.join(dataDir, 'chatops.db'), { readonly: true });
    expect(db.prepare("SELECT claimed_by, in_doubt, sent_at FROM outbox WHERE anchor = 'alert:provider_down:1'").all()).toEqual([{ claimed_by: null, in_doubt: 1, sent_at: null }]);
    db.close();
    await startBot();
    await eventually(() => postsPerAlert().get(anchorOf('provider_down')) === 1 && outboxPending() === 0, 'the next bot to post it', 60_000);
    expect(postsPerAlert().get(anchorOf('provider_down'))).toBe(1);
  });

  it('SIGKILL while PagerDuty hangs on a page: the next bot pages again with the same dedup key, and the card says paged', async () => {
    // PagerDuty's Events API, played by a local server: the first page of provider_down hangs for
    // good, everything else is taken (the watchdog pages alerts of its own on this empty data).
    const events: { event_action: string; dedup_key: string }[] = [];
    const providerDown = () => events.filter((e) => e.dedup_key === 'shadow-atlas/provider_down');
    const pagerduty = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const event = JSON.parse(body) as { event_action: string; dedup_key: string };
        events.push(event);
        if (event.dedup_key === 'shadow-atlas/provider_down' && providerDown().length === 1) return; // never answered
        res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: event.dedup_key }));
      });
    });
    await new Promise<void>((resolve) => pagerduty.listen(0, '127.0.0.1', resolve));
    const env = { PAGERDUTY_EVENTS_URL: `http://127.0.0.1:${(pagerduty.address() as AddressInfo).port}` };
    writeBotConfig(configFile, { pagerduty: { routingKey: 'R0UT1NGKEY0123456789abcdefABCDEF' } });
    try {
      const first = await startBot(env);
      expect((await first.postAlert('provider_down')).status).toBe(200);
      await eventually(() => providerDown().length === 1, 'the page PagerDuty holds');
      first.child.kill('SIGKILL');
      await first.exited;
      await startBot(env);
      await eventually(() => outboxPending() === 0, 'the next bot to page it', 60_000);
      expect(providerDown()).toEqual([
        expect.objectContaining({ event_action: 'trigger', dedup_key: 'shadow-atlas/provider_down' }),
        expect.objectContaining({ event_action: 'trigger', dedup_key: 'shadow-atlas/provider_down' }),
      ]);
      // The alert's own message, by the anchor in its metadata: other messages may name the alert too.
      const card = () => slack.workspace.messages(CHANNEL).find((m) => (m.metadata as { event_payload?: { anchor?: string } } | undefined)?.event_payload?.anchor === anchorOf('provider_down'));
      await eventually(() => JSON.stringify(card()?.blocks ?? []).includes('PagerDuty: paged'), 'the card saying so', 60_000);
      expect(postsPerAlert().get(anchorOf('provider_down'))).toBe(1);
    } finally {
      pagerduty.closeAllConnections();
      await new Promise((resolve) => pagerduty.close(resolve));
    }
  });
});
