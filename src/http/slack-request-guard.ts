/**
 * The door of POST /slack/events, in front of Bolt's HTTP receiver. Bolt reads the whole body
 * (up to 4 MB) before it looks at a header, and accepts timestamps from the future and the same
 * signed request any number of times. Here, in this order:
 *
 * 1. no X-Slack-Signature (v0=<64 hex>) or X-Slack-Request-Timestamp (seconds): 401, body unread;
 * 2. a timestamp more than five minutes from now, behind or ahead: 401, body unread;
 * 3. a declared body over SLACK_MAX_BODY_BYTES: 413, body unread;
 * 4. more unauthenticated bodies being read than the gate allows: 503 at once;
 * 5. the body, read within the cap (413) and in time (408); the signature checked (401);
 * 6. a signature already taken within its window, by this process or another on the same
 *    state: 401 (a replay). When the state does not answer within SEEN_CHECK_WAIT_MS (PostgreSQL
 *    failing over), the request is not run unchecked: a slash command is answered 200 with the
 *    sentence to try again in a moment (Slack shows it), anything else 503 (Slack retries events);
 * then the request goes on to Bolt with its body already read (Bolt checks the signature again).
 * Socket Mode requests come over Slack's websocket and are not signed: nothing here applies.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { SeenRequestStore } from '../db/state/seen-request-store.js';
import { isStateUnreachable, STATE_UNREACHABLE_ANSWER } from '../db/state/state-unreachable.js';
import type { BodyReadGate } from './body-read-gate.js';
import { readBoundedBody, refuseAndClose } from './request-body.js';
import { within } from '../time/within.js';

/**
 * The largest body taken on /slack/events. Measured (`npm run bench -- --only edge`,
 * docs/benchmarks.md), form-encoded as Slack posts them: a view_submission of the update modal
 * with every field at its max_length, 11 KB in ASCII and 71 KB in 4-byte characters; a
 * block_actions from the bot's fullest message, 29 / 68 KB; from a message at Slack's own limit
 * of block text (50 blocks, 13,000 characters), 23 / 171 KB. 1 MB leaves six times the worst.
 */
export const SLACK_MAX_BODY_BYTES = 1024 * 1024;
/** Slack's window, both ways: older is stale, newer is from the future. */
export const SLACK_TIMESTAMP_WINDOW_SEC = 5 * 60;

/** How long the replay check waits for the state: well inside Slack's 3 s for the acknowledgement. */
export const SEEN_CHECK_WAIT_MS = 1_500;

/** What `within` answers when the replay check took longer than its wait. */
const STATE_TOO_SLOW: unique symbol = Symbol('state too slow');

const SIGNATURE = /^v0=[0-9a-f]{64}$/;
const TIMESTAMP = /^[0-9]{1,12}$/;

export interface SlackRequestGuardOptions {
  signingSecret: string;
  /** Signatures already taken (chatops.db). */
  seen: SeenRequestStore;
  gate: BodyReadGate;
  logger: Logger;
  maxBodyBytes?: number;
  bodyTimeoutMs?: number;
  /**
   * Wall-clock milliseconds: Slack signs with real time, which the domain's clock (moved by the
   * sandbox, frozen in tests) is not.
   */
  nowMs?: () => number;
  /** How long the replay check waits for the state (tests). */
  seenWaitMs?: number;
}

/** What Bolt's receiver finds on a request whose body was read already (BufferedIncomingMessage). */
type BufferedRequest = IncomingMessage & { rawBody?: Buffer };

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

/**
 * Checks a request to /slack/events; calls `pass` with the request (its body read) once it is
 * authentic and new, else answers it and closes the connection.
 */
export function slackRequestGuard(opts: SlackRequestGuardOptions): (req: IncomingMessage, res: ServerResponse, pass: () => void) => void {
  const maxBytes = opts.maxBodyBytes ?? SLACK_MAX_BODY_BYTES;
  const nowMs = opts.nowMs ?? Date.now;
  const { logger } = opts;
  const refuse = (req: IncomingMessage, res: ServerResponse, reason: string) => {
    logger.warn({ remote: req.socket.remoteAddress, reason }, 'Slack request refused');
    refuseAndClose(req, res, 401, reason);
  };

  async function check(req: BufferedRequest, res: ServerResponse, pass: () => void): Promise<void> {
    const signature = header(req, 'x-slack-signature');
    const stamp = header(req, 'x-slack-request-timestamp');
    if (!signature || !SIGNATURE.test(signature) || !stamp || !TIMESTAMP.test(stamp)) {
      refuse(req, res, 'missing or malformed X-Slack-Signature / X-Slack-Request-Timestamp');
      return;
    }
    const stampSec = Number(stamp);
    const skewSec = stampSec - Math.floor(nowMs() / 1000);
    if (Math.abs(skewSec) > SLACK_TIMESTAMP_WINDOW_SEC) {
      refuse(req, res, skewSec > 0 ? 'request timestamp is more than 5 minutes in the future' : 'request timestamp is more than 5 minutes old');
      return;
    }
    const body = await readBoundedBody(req, res, maxBytes, { gate: opts.gate, ...(opts.bodyTimeoutMs ? { timeoutMs: opts.bodyTimeoutMs } : {}) });
    if (!body) return;
    const expected = createHmac('sha256', opts.signingSecret).update(`v0:${stamp}:`).update(body).digest();
    if (!timingSafeEqual(expected, Buffer.from(signature.slice(3), 'hex'))) {
      refuse(req, res, 'signature does not match');
      return;
    }
    // Taken once: the signature's hash is kept until its timestamp leaves the window, after
    // which the timestamp check refuses it anyway.
    const hash = createHash('sha256').update(signature).digest('hex');
    const expiresAt = new Date((stampSec + SLACK_TIMESTAMP_WINDOW_SEC + 1) * 1000);
    let first: boolean | typeof STATE_TOO_SLOW;
    try {
      first = await within(opts.seen.firstSight(hash, expiresAt, new Date(nowMs())), opts.seenWaitMs ?? SEEN_CHECK_WAIT_MS, (): typeof STATE_TOO_SLOW => STATE_TOO_SLOW);
    } catch (err) {
      if (!isStateUnreachable(err)) throw err;
      first = STATE_TOO_SLOW;
      logger.warn({ err }, 'the state store could not be reached for the replay check');
    }
    if (first === STATE_TOO_SLOW) {
      logger.warn('Slack request not taken: the state store did not answer the replay check');
      stateUnavailable(req, res, body);
      return;
    }
    if (!first) {
      refuse(req, res, 'request already received (a replay)');
      return;
    }
    req.rawBody = body;
    pass();
  }

  return (req, res, pass) => {
    check(req, res, pass).catch((err: unknown) => {
      logger.error({ err }, 'Slack request could not be checked; refused');
      if (!res.headersSent) refuseAndClose(req, res, 503, 'the bot could not check the request; try again');
    });
  };
}

/** A slash command gets the sentence as its acknowledgement (Slack shows it to the user); other requests 503. */
function stateUnavailable(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  if (!new URLSearchParams(body.toString('utf8')).get('command')) {
    refuseAndClose(req, res, 503, 'the state store is not answering; try again');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ response_type: 'ephemeral', text: STATE_UNREACHABLE_ANSWER }));
}

/** Bolt's endpoint for commands, interactivity and events. */
export const SLACK_EVENTS_PATH = '/slack/events';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Puts the guard in front of a receiver's request listener for POST /slack/events; every other
 * request (/healthz, the webhooks, which check their own headers first) goes straight through.
 */
export function guardSlackEvents(receiver: { requestListener: RequestListener }, guard: ReturnType<typeof slackRequestGuard>): void {
  const inner = receiver.requestListener;
  receiver.requestListener = (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'POST' || path !== SLACK_EVENTS_PATH) {
      inner(req, res);
      return;
    }
    guard(req, res, () => inner(req, res));
  };
}
