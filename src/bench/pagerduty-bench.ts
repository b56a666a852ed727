/**
 * i. What keeping PagerDuty in step costs the bot, each figure against the same work without
 * PagerDuty in the same run:
 * - the change: an alert raised, acknowledged and resolved (three transactions), with the
 *   PagerDuty calls queued in them (a routing key: the Events API) or not, interleaved;
 * - delivery: N alerts raised at once and delivered to the Slack stand-in (a fast pace, so Slack
 *   is not the limit) while PagerDuty's Events API (the sandbox's stand-in) takes `pdDelayMs` to
 *   answer each call, against the same with PagerDuty answering at once: the time until every
 *   alert's message is in Slack (PagerDuty's pace must not be Slack's), and until every page is in
 *   PagerDuty. Without PagerDuty for scale: each page also refreshes its alert's message.
 */
import { mkdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { webApi } from '@slack/bolt';
import pino from 'pino';
import { ingestAlert } from '../alerts/alert-ingest.js';
import type { CommandDeps } from '../commands/command-spec.js';
import { buildConfig } from '../config.js';
import { openStateStore } from '../db/state/kysely/sqlite-state-store.js';
import { acknowledgeAlert } from '../incidents/acknowledge.js';
import { resolveIncident } from '../incidents/resolution.js';
import { pagerdutyApi } from '../integrations/pagerduty-api.js';
import { PAGERDUTY_TARGET, pagerdutyCallSender } from '../integrations/pagerduty-sync.js';
import { liveMessage } from '../presenter/live-messages.js';
import { closeDeps, createDeps } from '../runtime.js';
import { pagerdutyStandIn } from '../sandbox/pagerduty-stand-in.js';
import { startSlackStandIn } from '../sandbox/slack-stand-in.js';
import { createDelivery, type CallSender } from '../slack/outbox-delivery.js';
import { boundedClientOptions, silentSlackLogger } from '../slack/slack-clients.js';
import { slackPoster } from '../slack/slack-poster.js';
import { summarize, type SampleSummary } from './stats.js';

const CHANNEL = 'C0INCIDENT';
const ROUTING_KEY = 'BenchAtlasRoutingKey000000000000';
const OWNER = 'U0BENCHOWN';

export interface PagerDutyBenchResult {
  cycles: number;
  /** One alert raised, acknowledged and resolved, in milliseconds. */
  cycle: { ours: SampleSummary; baseline: SampleSummary };
  alerts: number;
  pdDelayMs: number;
  /** Until every alert's message is in Slack: PagerDuty slow (pdDelayMs), PagerDuty answering at once, no PagerDuty. */
  slackSeconds: { slowPagerDuty: number; quickPagerDuty: number; without: number };
  /** Until every page is in PagerDuty. */
  pagerdutySeconds: number;
  pages: number;
}

function sideDeps(dir: string, paging: boolean, eventsUrl: string): CommandDeps {
  const dataDir = path.join(dir, '.shadow-atlas');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const config = buildConfig(dataDir, { channels: { incidents: CHANNEL }, ...(paging ? { pagerduty: { routingKey: ROUTING_KEY } } : {}) }, { PAGERDUTY_EVENTS_URL: eventsUrl });
  return createDeps(config, pino({ level: 'silent' }), { state: openStateStore(path.join(dataDir, 'chatops.db')) });
}

async function cycleMs(deps: CommandDeps, name: string): Promise<number> {
  const started = performance.now();
  await ingestAlert(deps, { name, status: 'firing', message: 'bench', firedAt: new Date(), source: 'atlas-webhook' });
  const { incident } = await acknowledgeAlert(deps, name, OWNER);
  await resolveIncident(deps, incident.id, { resolution: 'bench' }, OWNER);
  return performance.now() - started;
}

/** N alerts at once into delivery; seconds until all are in Slack, and until the outbox is empty. */
async function deliver(deps: CommandDeps, dir: string, alerts: number, callSenders: Record<string, CallSender>, done: () => boolean): Promise<{ slack: number; all: number }> {
  const slack = await startSlackStandIn();
  const clock = () => new Date();
  const delivery = createDelivery({
    store: deps.state,
    poster: slackPoster(new webApi.WebClient(slack.token, boundedClientOptions(slack.apiUrl, silentSlackLogger))),
    render: async (anchor) => await liveMessage(deps.state, anchor, clock()),
    clock,
    logger: pino({ level: 'silent' }),
    pace: { perSecond: 10_000, burst: 10_000 },
    // The alerts are queued before the loop starts: it finds the rows by looking, not by wake-ups.
    pollMs: 10,
    callSenders,
  });
  try {
    for (let i = 0; i < alerts; i++) await ingestAlert(deps, { name: `${path.basename(dir)}_${i}`, status: 'firing', message: 'bench', firedAt: new Date(), source: 'atlas-webhook' });
    const started = performance.now();
    delivery.start();
    let slackAt = 0;
    while (await deps.state.outbox.pendingCount() > 0 || !done()) {
      if (!slackAt && slack.workspace.messages(CHANNEL).length >= alerts) slackAt = performance.now();
      await new Promise((r) => setTimeout(r, 5));
    }
    if (!slackAt) slackAt = performance.now();
    return { slack: (slackAt - started) / 1000, all: (performance.now() - started) / 1000 };
  } finally {
    await delivery.stop(1000);
    await slack.close();
  }
}

export async function benchPagerDuty(benchDir: string, opts: { cycles: number; alerts: number; pdDelayMs: number }, log: (s: string) => void): Promise<PagerDutyBenchResult> {
  // PagerDuty's Events API: the sandbox's stand-in, answering after pdDelayMs.
  const standIn = pagerdutyStandIn({ basePath: '', clock: () => new Date() });
  let delayMs = opts.pdDelayMs;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () =>
      setTimeout(() => {
        void Promise.resolve(standIn.route(req, res, new URL(req.url ?? '/', 'http://127.0.0.1'), body)).then((handled) => {
          if (!handled) res.writeHead(404).end();
        });
      }, delayMs),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const eventsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = path.join(benchDir, 'pagerduty');
  try {
    const ours = sideDeps(path.join(dir, 'ours'), true, eventsUrl);
    const baseline = sideDeps(path.join(dir, 'baseline'), false, eventsUrl);
    const times = { ours: [] as number[], baseline: [] as number[] };
    try {
      for (let i = 0; i < opts.cycles; i++) {
        times.ours.push(await cycleMs(ours, `cycle_${i}`));
        times.baseline.push(await cycleMs(baseline, `cycle_${i}`));
      }
    } finally {
      await closeDeps(ours);
      await closeDeps(baseline);
    }
    log(`${opts.cycles} raise/acknowledge/resolve cycles on each side done; delivering ${opts.alerts} alerts, PagerDuty answering in ${opts.pdDelayMs} ms…`);

    const pagesFor = (prefix: string) => standIn.events().filter((e) => e.event_action === 'trigger' && e.dedup_key.includes(prefix)).length;
    /** The N alerts delivered on a fresh chatops.db, paging or not. */
    const deliverSide = async (name: string, paging: boolean) => {
      const deps = sideDeps(path.join(dir, name), paging, eventsUrl);
      try {
        const senders: Record<string, CallSender> = paging
          ? { [PAGERDUTY_TARGET]: pagerdutyCallSender({ state: deps.state, config: deps.config, api: pagerdutyApi({ config: deps.config, fetch: (...a) => globalThis.fetch(...a) }), events: deps.events, clock: () => new Date() }) }
          : {};
        return await deliver(deps, path.join(dir, name), opts.alerts, senders, () => !paging || pagesFor(name) >= opts.alerts);
      } finally {
        await closeDeps(deps);
      }
    };
    const slow = await deliverSide('deliver-slow', true);
    // Counted now: the stand-in keeps only its last events.
    const pages = pagesFor('deliver-slow');
    delayMs = 0;
    const quick = await deliverSide('deliver-quick', true);
    const without = await deliverSide('deliver-without', false);
    return {
      cycles: opts.cycles,
      cycle: { ours: summarize(times.ours), baseline: summarize(times.baseline) },
      alerts: opts.alerts,
      pdDelayMs: opts.pdDelayMs,
      slackSeconds: { slowPagerDuty: slow.slack, quickPagerDuty: quick.slack, without: without.slack },
      pagerdutySeconds: slow.all,
      pages,
    };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}
