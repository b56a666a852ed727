/**
 * Delivery under Slack's rate limit: N alerts through the real webhook route into the real
 * delivery loop (production pace: 1 post per second per channel, bursts of 10), against the
 * Slack stand-in answering 429 (Retry-After: 1) to every tenth chat.postMessage. Reports whether
 * every alert arrived, none twice and in the order sent, and the time against the ideal at the
 * documented 1 message per second per channel.
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
  /** The same number of posts at exactly 1 per second after the burst. */
  idealSeconds: number;
}

export async function benchDelivery(benchDir: string, alerts: number, log: (s: string) => void): Promise<DeliveryBenchResult> {
  const dataDir = path.join(benchDir, 'delivery', '.shadow-atlas');
  rmSync(path.dirname(dataDir), { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const slack = await startSlackStandIn();
  slack.faults.inject({ method: 'chat.postMessage', kind: 'ratelimit', retryAfter: 1, every: 10 });
  const config = buildConfig(dataDir, { channels: { incidents: CHANNEL } }, { ALERT_WEBHOOK_TOKEN: TOKEN });
  const logger = pino({ level: 'silent' });
  const state = openStateStore(path.join(dataDir, 'chatops.db'));
  const clock = () => new Date();
  const delivery = createDelivery({
    store: state,
    poster: slackPoster(new webApi.WebClient(slack.token, boundedClientOptions(slack.apiUrl, silentSlackLogger))),
    render: async (anchor) => await liveMessage(state, anchor, clock()),
    clock,
    logger,
    pace: PACE,
  });
  const deps = createDeps(config, logger, { state, clock, wakeDelivery: delivery.wake });
  const route = alertWebhookRoute(deps, { token: TOKEN });
  const server = http.createServer((req, res) => route.handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/alerts`;
  delivery.start();
  try {
    const names = Array.from({ length: alerts }, (_, i) => `bench_alert_${String(i).padStart(4, '0')}`);
    const started = performance.now();
    for (const name of names) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ source: 'shadow-atlas', type: 'alert', name, severity: 'warning', status: 'FIRING', message: 'bench', firedAt: new Date().toISOString() }),
      });
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
    }
    log(`${alerts} alerts taken by the webhook in ${((performance.now() - started) / 1000).toFixed(1)} s; delivering at ${PACE.perSecond}/s…`);
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
      idealSeconds: Math.max(0, alerts - PACE.burst) / PACE.perSecond,
    };
  } finally {
    await delivery.stop(1000);
    server.close();
    await slack.close();
    await closeDeps(deps);
  }
}
