/**
 * Delivery under Slack's rate limit: N alerts through the real webhook route into the real
 * delivery loop (production pace: 1 post per second per channel, bursts of 10), against the
 * Slack stand-in answering 429 (Retry-After: 1) to every tenth chat.postMessage. Reports whether
 * every alert arrived, none twice and in the order sent, and the time against the ideal at the
 * documented 1 message per second per channel.
 * The state is a parameter (`opts.openStates`): the replicas table (run-bench.ts) runs the same
 * bench on SQLite, on PostgreSQL, and with two delivery loops on one PostgreSQL database, each
 * with its own webhook, the alerts split between them.
 */
import { mkdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { webApi } from '@slack/bolt';
import pino from 'pino';
import { alertWebhookRoute } from '../alerts/alert-webhook.js';
import { buildConfig } from '../config.js';
import { openStateStore } from '../db/state/kysely/sqlite-state-store.js';
import type { StateStore } from '../db/state/state-store.js';
import { liveMessage } from '../presenter/live-messages.js';
import { closeDeps, createDeps } from '../runtime.js';
import { startSlackStandIn } from '../sandbox/slack-stand-in.js';
import { createDelivery } from '../slack/outbox-delivery.js';
import { boundedClientOptions, silentSlackLogger } from '../slack/slack-clients.js';
import { slackPoster } from '../slack/slack-poster.js';

const TOKEN = 'bench-delivery-webhook-token-0123456789';
const CHANNEL = 'C0INCIDENT';
/** The default pace: Slack's documented rate and the burst it tolerates. */
const PACE = { perSecond: 1, burst: 10 };

export interface DeliveryBenchResult {
  alerts: number;
  delivered: number;
  /** Alerts whose message appeared more than once. */
  doubled: number;
  /** Pairs of alerts that appeared in the channel in the other order than they were sent. */
  outOfOrder: number;
  rateLimited: number;
  /** From the first webhook call to the last message in the channel. */
  seconds: number;
  /** From the first webhook call to the last one answered (delivery runs meanwhile). */
  intakeSeconds: number;
  /** The same number of posts at exactly 1 per second after the burst. */
  idealSeconds: number;
  /** How many delivery loops (replicas) shared the state. */
  replicas: number;
}

export interface DeliveryBenchOptions {
  /**
   * One state per replica, all on one store; the bench closes them. By default one SQLite state,
   * chatops.db in the bench's data directory.
   */
  openStates?: (dataDir: string) => Promise<StateStore[]>;
  /** Posts per second per channel and burst, per delivery loop; Slack's documented pace by default. */
  pace?: { perSecond: number; burst: number };
  /** The stand-in answers 429 to every n-th chat.postMessage; null: never. 10 by default. */
  rateLimitEvery?: number | null;
  /** Webhook calls in flight at once (1 by default: the order sent is the order checked). */
  lanes?: number;
}

/** One bot's worth: its state, delivery loop and webhook server. */
interface DeliveryReplica {
  url: string;
  stop: () => Promise<void>;
}

async function startReplica(
  state: StateStore,
  config: ReturnType<typeof buildConfig>,
  slack: Awaited<ReturnType<typeof startSlackStandIn>>,
  pace: { perSecond: number; burst: number },
): Promise<DeliveryReplica> {
  const logger = pino({ level: 'silent' });
  const clock = () => new Date();
  const delivery = createDelivery({
    store: state,
    poster: slackPoster(new webApi.WebClient(slack.token, boundedClientOptions(slack.apiUrl, silentSlackLogger))),
    render: async (anchor) => await liveMessage(state, anchor, clock()),
    clock,
    logger,
    pace,
  });
  const deps = createDeps(config, logger, { state, clock, wakeDelivery: delivery.wake });
  const route = alertWebhookRoute(deps, { token: TOKEN });
  const server = http.createServer((req, res) => route.handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  delivery.start();
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/alerts`,
    stop: async () => {
      await delivery.stop(1000);
      server.close();
      await closeDeps(deps);
    },
  };
}

export async function benchDelivery(benchDir: string, alerts: number, log: (s: string) => void, opts: DeliveryBenchOptions = {}): Promise<DeliveryBenchResult> {
  const dataDir = path.join(benchDir, 'delivery', '.shadow-atlas');
  rmSync(path.dirname(dataDir), { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const pace = opts.pace ?? PACE;
  const every = opts.rateLimitEvery === undefined ? 10 : opts.rateLimitEvery;
  const states = opts.openStates ? await opts.openStates(dataDir) : [openStateStore(path.join(dataDir, 'chatops.db'))];
  const state = states[0]!;
  const slack = await startSlackStandIn();
  if (every !== null) slack.faults.inject({ method: 'chat.postMessage', kind: 'ratelimit', retryAfter: 1, every });
  const config = buildConfig(dataDir, { channels: { incidents: CHANNEL } }, { ALERT_WEBHOOK_TOKEN: TOKEN });
  const replicas: DeliveryReplica[] = [];
  try {
    for (const s of states) replicas.push(await startReplica(s, config, slack, pace));
    const names = Array.from({ length: alerts }, (_, i) => `bench_alert_${String(i).padStart(4, '0')}`);
    const started = performance.now();
    // Alert i goes to replica i mod n: the requests split between the replicas.
    let next = 0;
    const lane = async () => {
      while (next < names.length) {
        const i = next++;
        const res = await fetch(replicas[i % replicas.length]!.url, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ source: 'shadow-atlas', type: 'alert', name: names[i], severity: 'warning', status: 'FIRING', message: 'bench', firedAt: new Date().toISOString() }),
        });
        if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
      }
    };
    await Promise.all(Array.from({ length: opts.lanes ?? 1 }, lane));
    const intakeSeconds = (performance.now() - started) / 1000;
    log(`${alerts} alerts taken by the webhook${replicas.length > 1 ? `s of ${replicas.length} replicas` : ''} in ${intakeSeconds.toFixed(1)} s; delivering at ${pace.perSecond}/s per loop…`);
    let lastReport = performance.now();
    while (await state.outbox.pendingCount() > 0) {
      await new Promise((r) => setTimeout(r, 200));
      if (performance.now() - lastReport > 30_000) {
        lastReport = performance.now();
        log(`  ${slack.workspace.messages(CHANNEL).length} of ${alerts} posted`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const seen = slack.workspace.messages(CHANNEL).map((m) => (m.metadata as { event_payload?: { anchor?: string } } | undefined)?.event_payload?.anchor ?? '');
    const order = names.map((n) => seen.indexOf(`alert:${n}:1`));
    let outOfOrder = 0;
    for (let i = 1; i < order.length; i++) if (order[i]! < order[i - 1]!) outOfOrder++;
    const counts = new Map<string, number>();
    for (const a of seen) counts.set(a, (counts.get(a) ?? 0) + 1);
    return {
      alerts,
      delivered: names.filter((n) => counts.has(`alert:${n}:1`)).length,
      doubled: [...counts.values()].filter((n) => n > 1).length,
      outOfOrder,
      rateLimited: slack.workspace.calls('chat.postMessage').filter((c) => c.status === 429).length,
      seconds,
      intakeSeconds,
      idealSeconds: Math.max(0, alerts - pace.burst) / pace.perSecond,
      replicas: states.length,
    };
  } finally {
    // Every state is closed, also those whose replica never started.
    for (const r of replicas) await r.stop();
    for (const s of states.slice(replicas.length)) await s.close();
    await slack.close();
  }
}
