/**
 * Delivery against the Slack stand-in: the real delivery loop, its real WebClient (one try, a
 * short time bound) and the stand-in's Web API with Slack's answers and refusals.
 */
import { webApi } from '@slack/bolt';
import pino from 'pino';
import type { StateStore } from '../../src/db/state/state-store.js';
import { liveMessage } from '../../src/presenter/live-messages.js';
import { startSlackStandIn, type SlackStandIn, type SlackStandInOptions } from '../../src/sandbox/slack-stand-in.js';
import { createDelivery, type Delivery, type DeliveryOptions } from '../../src/slack/outbox-delivery.js';
import { boundedClientOptions, silentSlackLogger } from '../../src/slack/slack-clients.js';
import { slackPoster } from '../../src/slack/slack-poster.js';
import { RESPONSE_URL_TARGET, responseUrlSender } from '../../src/slack/response-url-sender.js';
import type { TestEnv } from './test-deps.js';

export interface DeliveryHarness {
  slack: SlackStandIn;
  /** The running delivery loop (the last one started). */
  delivery: Delivery;
  /**
   * Starts another delivery loop on the same stand-in, as another process would (its own owner;
   * on `state`, another connection to the same chatops.db, when given). Wakes go to the newest.
   */
  startDelivery(opts?: { state?: StateStore; delivery?: Partial<DeliveryOptions> }): Delivery;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Per-call time bound of the delivery's WebClient (default 15 s: the stand-in's prompt answers meet it on a busy machine). */
  timeoutMs?: number;
  standIn?: SlackStandInOptions;
  delivery?: Partial<DeliveryOptions>;
  logger?: pino.Logger;
  /** Start a delivery loop at once (default true). */
  start?: boolean;
}

/** Starts the stand-in and a delivery loop for `env` (fast pace, short leases, frequent looks). */
export async function startDeliveryHarness(env: TestEnv, opts: HarnessOptions = {}): Promise<DeliveryHarness> {
  const slack = await startSlackStandIn(opts.standIn);
  const loops: Delivery[] = [];
  const make = (more: { state?: StateStore; delivery?: Partial<DeliveryOptions> } = {}): Delivery => {
    const state = more.state ?? env.deps.state;
    const client = new webApi.WebClient(slack.token, boundedClientOptions(slack.apiUrl, silentSlackLogger, opts.timeoutMs ?? 15_000));
    const delivery = createDelivery({
      store: state,
      poster: slackPoster(client),
      render: async (anchor) => await liveMessage(state, anchor, env.deps.clock()),
      clock: env.deps.clock,
      logger: opts.logger ?? pino({ level: 'silent' }),
      leaseMs: 2000,
      pollMs: 50,
      pace: { perSecond: 1000, burst: 1000 },
      // As the bot has it: an expired preview is replaced through its response_url.
      callSenders: { [RESPONSE_URL_TARGET]: responseUrlSender({ timeoutMs: opts.timeoutMs ?? 15_000 }) },
      ...opts.delivery,
      ...more.delivery,
    });
    loops.push(delivery);
    env.onEvent(delivery.wake);
    delivery.start();
    harness.delivery = delivery;
    return delivery;
  };
  const harness: DeliveryHarness = {
    slack,
    delivery: undefined as unknown as Delivery,
    startDelivery: make,
    async close() {
      await Promise.all(loops.map((d) => d.stop(100)));
      await slack.close();
    },
  };
  if (opts.start !== false) make();
  return harness;
}
