/**
 * Delivers the outbox: its own loop, never awaited by the clock, the alert poll or a handler.
 * It knows messages, lanes and anchors, nothing of incidents: a refresh is rendered by the
 * `render` function it is given.
 *
 * Guarantees (each backed by a test in test/slack/):
 * - order per lane, across backoff and restarts: only a lane's first pending row is claimed;
 * - two processes on one chatops.db never send the same row: rows are claimed with a lease in an
 *   immediate transaction, renewed while sending, taken over when a dead owner's lease expires;
 * - a post whose fate is unknown (crash, timeout) is in doubt, and before it is posted again the
 *   channel or thread is searched for its outbox id in the message metadata;
 * - edits of one message coalesce, and a change made while an edit is in flight gets its own edit;
 * - one retry layer: every call tries once, bounded in time; the outbox's backoff (honouring
 *   Retry-After) is the only retry.
 * Calls to other systems (op `call`, PagerDuty) ride the same lanes, leases and backoff, sent by
 * the CallSender of their target; they are idempotent, so a call in doubt is simply sent again.
 */
import { apartFromTransaction } from '../db/state/transaction-context.js';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { OutboxCall, OutboxPayload, OutboxRow, OutboxStore, OutboxStats, OutboxUpload } from '../db/state/outbox-store.js';
import type { PostedMessage, SlackMessageStore } from '../db/state/slack-message-store.js';
import { ChannelPacer, Unsent } from './channel-pacer.js';
import { classifySlackFailure } from './slack-errors.js';
import { UPLOAD_URL_REFUSED, type OutboxMark, type SlackPoster } from './slack-poster.js';

/** How a failed call reads: one sentence, whether another try can help, and when. */
export interface CallFailure {
  problem: string;
  permanent: boolean;
  /** The other system asked to slow down: try again after this long, not counted as a failure. */
  retryAfterSec?: number;
}

/**
 * Sends the outbox's calls to one other system (rows of op `call` whose `payload.call.target` is
 * its name). The calls must be idempotent: a call whose answer was lost is sent again.
 */
export interface CallSender {
  send(call: OutboxCall, row: OutboxRow): Promise<void>;
  failure(err: unknown): CallFailure;
  /** Sent; a problem shown earlier on the same message may go. */
  sent(call: OutboxCall, row: OutboxRow): void;
  /** Failed for the first time and will be tried again (later failures are only logged). */
  retrying?(call: OutboxCall, row: OutboxRow, problem: string): void;
  /** Refused for good or out of attempts: the people must hear of it. */
  gaveUp(call: OutboxCall, row: OutboxRow, problem: string): void;
}

/** A message as rendered for Slack. */
export interface RenderedMessage {
  text: string;
  blocks: unknown[];
}

export interface DeliveryOptions {
  store: { outbox: OutboxStore; slackMessages: SlackMessageStore };
  poster: SlackPoster;
  /** The message an anchor names, from current state; null when there is nothing to show. */
  render: (anchor: string) => Promise<RenderedMessage | null>;
  /** The bot's clock: when rows are due. */
  clock: Clock;
  logger: Logger;
  /** Wall time for leases (between processes) and Slack's pace. */
  wallClock?: () => number;
  /** How long a claim lasts without renewal; a dead process's rows wait this long at most. */
  leaseMs?: number;
  /** Lanes of Slack messages sent at once. */
  concurrency?: number;
  /** Calls to other systems sent at once, besides: a slow PagerDuty never takes Slack's turns. */
  callConcurrency?: number;
  /** How often the outbox is looked at besides the wake-ups (other processes, the terminal, retries). */
  pollMs?: number;
  /** Posts per second per channel, and the burst above it. */
  pace?: { perSecond: number; burst: number };
  /** Attempts before a row is given up (rate limits do not count). */
  maxAttempts?: number;
  /** Who sends the calls to other systems, by target; a call with no sender is given up. */
  callSenders?: Readonly<Record<string, CallSender>>;
  /**
   * Whether Slack is known to answer (auth.test); while not, Slack messages wait in their lanes
   * without spending attempts, and calls to other systems go on. Call `wake` when it changes.
   */
  slackReachable?: () => boolean;
}

export interface Delivery {
  /** Starts the loop. */
  start(): void;
  /** Something was enqueued: look now instead of at the next poll. */
  wake(): void;
  /** Delivers everything due until the outbox is empty of due rows (tests, the terminal's `--deliver`). */
  drain(): Promise<void>;
  stats(): Promise<OutboxStats>;
  /**
   * Stops taking work, waits up to `graceMs` for sends in flight, then gives up its leases so
   * another process (or the next start) takes the rows at once; a post cut off is in doubt.
   */
  stop(graceMs: number): Promise<void>;
}

const MIN_BACKOFF_MS = 15_000;
/** A user ID where a channel goes: the message is for that person's DM. */
const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;
const MAX_BACKOFF_MS = 10 * 60_000;

class Refused extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** Slack asked for a pause while this post waited for its turn: it goes back, in its place, unharmed. */
class Paused extends Unsent {}

function parsePayload(row: OutboxRow): OutboxPayload | null {
  if (!row.payload) return null;
  try {
    const p = JSON.parse(row.payload) as OutboxPayload;
    return typeof p?.text === 'string' ? p : null;
  } catch {
    return null;
  }
}

export function createDelivery(opts: DeliveryOptions): Delivery {
  const { store, poster, clock, logger } = opts;
  const wall = opts.wallClock ?? (() => Date.now());
  const leaseMs = opts.leaseMs ?? 30_000;
  const concurrency = opts.concurrency ?? 4;
  const callConcurrency = opts.callConcurrency ?? 4;
  const pollMs = opts.pollMs ?? 1000;
  const maxAttempts = opts.maxAttempts ?? 20;
  const pacer = new ChannelPacer(opts.pace?.perSecond ?? 1, opts.pace?.burst ?? 10, wall);
  const owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const inFlight = new Map<number, Promise<void>>();
  /** The ids in flight that are calls to other systems (they have their own budget). */
  const callsInFlight = new Set<number>();
  let pausedUntil = 0;
  /** Counts Slack's rate limits: a post that waited its turn across one goes back to keep the order. */
  let rateLimits = 0;
  let running = false;
  let stopping = false;
  let scheduled = false;
  let poll: NodeJS.Timeout | null = null;
  let renew: NodeJS.Timeout | null = null;
  let pauseTimer: NodeJS.Timeout | null = null;
  const idleWaiters: Array<() => void> = [];

  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

  /**
   * Posts a message with its outbox mark, in its channel's turn and pace. The row is in doubt from
   * just before the call until Slack's answer. A pause Slack asked for while it waited sends it back.
   */
  function post(row: OutboxRow, message: RenderedMessage, where: { channel: string; threadTs?: string; broadcast?: boolean }, mark: OutboxMark): Promise<PostedMessage> {
    const seen = rateLimits;
    return pacer.run(where.channel, async () => {
      // Rows before it in the channel went back to wait out the pause: so does this one.
      if (seen !== rateLimits || wall() < pausedUntil || stopping) throw new Paused();
      await store.outbox.setInDoubt(row.id, true);
      try {
        return await poster.post({ channel: where.channel, text: message.text, blocks: message.blocks, threadTs: where.threadTs, broadcast: where.broadcast, mark });
      } catch (err) {
        const f = classifySlackFailure(err);
        // Slack answered: nothing was posted. Anything else (timeout, reset, 5xx) stays in doubt.
        if (f.kind !== 'unknown') await store.outbox.setInDoubt(row.id, false);
        // Before the channel's next post gets its turn: it must see the pause.
        if (f.kind === 'rate-limited') {
          pausedUntil = Math.max(pausedUntil, wall() + f.retryAfterSec * 1000);
          rateLimits += 1;
        }
        throw err;
      }
    });
  }

  /** A post in doubt: was it made? Reads the channel (or thread); joins a public channel once if the bot is not in it. */
  async function alreadyPosted(channel: string, threadTs: string | undefined, matches: (mark: OutboxMark) => boolean): Promise<string | null> {
    try {
      return await poster.findPosted({ channel, threadTs, matches });
    } catch (err) {
      const f = classifySlackFailure(err);
      if (f.kind === 'refused' && f.code === 'not_in_channel') {
        await poster.join(channel);
        return poster.findPosted({ channel, threadTs, matches });
      }
      throw err;
    }
  }

  /**
   * The anchor message, posted now when it never was (or was deleted): from the live rendering,
   * else the row's fallback. `foundInDoubt`: it was a post in doubt found in the channel, showing
   * whatever was rendered before the crash, not the rendering of now.
   */
  async function ensureAnchor(row: OutboxRow, anchor: string, fallback: OutboxPayload | null): Promise<{ message: PostedMessage; foundInDoubt: boolean }> {
    const known = await store.slackMessages.get(anchor);
    if (known) return { message: known, foundInDoubt: false };
    const channel = row.channel;
    if (!channel) throw new Refused('channel_not_found');
    if (row.in_doubt) {
      const ts = await alreadyPosted(channel, undefined, (m) => m.anchor === anchor);
      if (ts) {
        logger.info({ outboxId: row.id, anchor, ts }, 'a post in doubt was found in the channel; not posting it again');
        const found = { channel, ts };
        await store.slackMessages.put(anchor, found, clock());
        return { message: found, foundInDoubt: true };
      }
    }
    const message = (await opts.render(anchor)) ?? (fallback ? { text: fallback.text, blocks: fallback.blocks ?? [] } : null);
    if (!message) throw new Refused('anchor_missing');
    const posted = await post(row, message, { channel }, { outbox_id: row.id, anchor });
    await store.slackMessages.put(anchor, posted, clock());
    return { message: posted, foundInDoubt: false };
  }

  /**
   * A call to another system. Its failures never pause Slack delivery: a rate limit waits in its
   * own row, and what is given up is told through the sender (on the message it concerns).
   */
  async function sendCall(row: OutboxRow, call: OutboxCall | undefined): Promise<void> {
    const sender = call ? opts.callSenders?.[call.target] : undefined;
    if (!call || !sender) {
      const problem = call ? `${call.target} is not configured in this bot` : 'the call is unreadable';
      await store.outbox.fail(row.id, problem, clock());
      logger.error({ outboxId: row.id, lane: row.lane, target: call?.target }, 'gave up a call: nobody here sends it');
      return;
    }
    try {
      await sender.send(call, row);
    } catch (err) {
      const now = clock();
      const f = sender.failure(err);
      if (f.retryAfterSec !== undefined && !f.permanent) {
        await store.outbox.retryLater(row.id, { at: new Date(now.getTime() + f.retryAfterSec * 1000), error: f.problem, countAttempt: false, owner });
        logger.warn({ outboxId: row.id, target: call.target, retryAfterSec: f.retryAfterSec }, 'a call was rate-limited; it waits in its lane');
        return;
      }
      const attempts = row.attempts + 1;
      if (f.permanent || attempts >= maxAttempts) {
        await store.outbox.fail(row.id, f.problem, now);
        logger.error({ err, outboxId: row.id, target: call.target, lane: row.lane, attempts }, 'gave up a call');
        sender.gaveUp(call, row, f.problem);
        return;
      }
      const backoff = Math.min(MIN_BACKOFF_MS * 2 ** (attempts - 1), MAX_BACKOFF_MS);
      await store.outbox.retryLater(row.id, { at: new Date(now.getTime() + backoff), error: f.problem, countAttempt: true, owner });
      logger.warn({ err, outboxId: row.id, target: call.target, attempts, retryInSec: backoff / 1000 }, 'a call failed; will retry');
      if (attempts === 1) sender.retrying?.(call, row, f.problem);
      return;
    }
    await store.outbox.markSent(row, null, clock());
    sender.sent(call, row);
  }

  /**
   * A file shared once through Slack's three upload calls, each step recorded before the next so a
   * retry after a crash or a lost answer picks up where it stood: no file id yet, a new upload; a
   * file id without its bytes confirmed, the bytes again (the URL takes them again, or refuses and
   * the upload starts over: the old file was never shared, so nothing doubles); a completion whose
   * answer was lost, files.info decides whether it was shared before completing again.
   */
  async function upload(row: OutboxRow, file: OutboxUpload, where: { channel: string; threadTs?: string }): Promise<void> {
    let p = await store.outbox.uploadOf(row.id);
    if (!p) throw new Refused('file_missing');
    if (p.fileId && p.completing) {
      const shared = await poster.fileShared(p.fileId, where.channel);
      if (shared === 'shared') {
        logger.info({ outboxId: row.id, fileId: p.fileId }, 'an upload in doubt was found shared; not sharing it again');
        return;
      }
      // Not shared: completing again is safe. Gone: Slack has no such file; a new upload.
      if (shared === 'gone') await store.outbox.uploadRestart(row.id);
      else await store.outbox.uploadCompleting(row.id, false);
      p = (await store.outbox.uploadOf(row.id))!;
    }
    if (!p.bytes) throw new Refused('file_missing');
    let fileId = p.fileId;
    let uploadUrl = p.uploadUrl;
    if (!fileId || !uploadUrl) {
      ({ fileId, uploadUrl } = await poster.reserveUpload({ filename: file.filename, length: p.bytes.length, altText: file.altText }));
      await store.outbox.uploadReserved(row.id, fileId, uploadUrl);
    }
    if (!p.bytesSent || p.fileId !== fileId) {
      try {
        await poster.sendUploadBytes(uploadUrl, p.bytes);
      } catch (err) {
        if ((err as { code?: unknown }).code === UPLOAD_URL_REFUSED) await store.outbox.uploadRestart(row.id);
        throw err;
      }
      await store.outbox.uploadBytesSent(row.id);
    }
    const id = fileId;
    await pacer.run(where.channel, async () => {
      await store.outbox.uploadCompleting(row.id, true);
      try {
        await poster.completeUpload({ fileId: id, title: file.title, channel: where.channel, threadTs: where.threadTs, initialComment: file.initialComment });
      } catch (err) {
        const f = classifySlackFailure(err);
        // Slack answered: nothing was shared. A file it cannot find (the ticket expired) needs a new upload.
        if (f.kind !== 'unknown') await store.outbox.uploadCompleting(row.id, false);
        if (f.kind === 'refused' && f.code === 'file_not_found') await store.outbox.uploadRestart(row.id);
        if (f.kind === 'rate-limited') {
          pausedUntil = Math.max(pausedUntil, wall() + f.retryAfterSec * 1000);
          rateLimits += 1;
        }
        throw err;
      }
    });
  }

  /** Sends one claimed row; resolves when it is marked sent, rescheduled or failed. */
  async function send(row: OutboxRow): Promise<void> {
    const payload = parsePayload(row);
    if (row.op === 'call') return sendCall(row, payload?.call);
    try {
      switch (row.op) {
        case 'refresh': {
          const anchor = row.anchor!;
          // Rows up to this id were committed before the rendering below reads the state.
          const coversUpTo = await store.outbox.lastRefreshOf(row);
          const known = await store.slackMessages.get(anchor);
          const message = (await opts.render(anchor)) ?? (payload ? { text: payload.text, blocks: payload.blocks ?? [] } : null);
          if (!known && (!message || payload?.editOnly)) {
            // A message never posted and with nothing left to show (its alert has fired again
            // since, with a message of its own): nothing to do, but a later row may have something.
            await store.outbox.markSent(row, null, clock());
            return;
          }
          let target = known;
          if (!target) {
            const anchored = await ensureAnchor(row, anchor, payload);
            if (!anchored.foundInDoubt) {
              await store.outbox.markSent(row, anchored.message.ts, clock(), coversUpTo);
              return;
            }
            // Found as it was rendered before the crash: the rows merged into this one changed it since.
            target = anchored.message;
          }
          if (message) {
            try {
              await poster.update({ channel: target.channel, ts: target.ts, text: message.text, blocks: message.blocks });
            } catch (err) {
              const f = classifySlackFailure(err);
              if (f.kind !== 'refused' || f.code !== 'message_not_found') throw err;
              // Someone deleted it: post it anew, and the thread goes on under the new one.
              await store.slackMessages.forget(anchor);
              const reposted = await ensureAnchor(row, anchor, payload);
              await store.outbox.markSent(row, reposted.message.ts, clock(), coversUpTo);
              return;
            }
          }
          await store.outbox.markSent(row, target.ts, clock(), coversUpTo);
          return;
        }
        case 'reply': {
          if (!payload) throw new Refused('no_text');
          const { message: parent } = await ensureAnchor(row, row.anchor!, null);
          // A named reply (a checklist edited as its items get done) is remembered under its name.
          const named = payload.names;
          const mine = (m: OutboxMark) => m.outbox_id === row.id && m.anchor === named;
          const found = row.in_doubt ? await alreadyPosted(parent.channel, parent.ts, mine) : null;
          if (found) {
            logger.info({ outboxId: row.id, ts: found }, 'a reply in doubt was found in its thread; not posting it again');
            if (named) await store.slackMessages.put(named, { channel: parent.channel, ts: found }, clock());
            await store.outbox.markSent(row, found, clock());
            return;
          }
          const mark: OutboxMark = named ? { outbox_id: row.id, anchor: named } : { outbox_id: row.id };
          const posted = await post(row, { text: payload.text, blocks: payload.blocks ?? [] }, { channel: parent.channel, threadTs: parent.ts, broadcast: payload.broadcast }, mark);
          if (named) await store.slackMessages.put(named, { channel: parent.channel, ts: posted.ts }, clock());
          await store.outbox.markSent(row, posted.ts, clock());
          return;
        }
        case 'upload': {
          if (!payload?.upload) throw new Refused('no_file');
          const parent = row.anchor ? (await ensureAnchor(row, row.anchor, null)).message : null;
          const channel = parent?.channel ?? row.channel;
          if (!channel) throw new Refused('channel_not_found');
          await upload(row, payload.upload, { channel, threadTs: parent?.ts });
          await store.outbox.markSent(row, null, clock());
          return;
        }
        case 'post': {
          if (!payload) throw new Refused('no_text');
          const named = (row.anchor ? (await store.slackMessages.get(row.anchor))?.channel : undefined) ?? row.channel;
          if (!named) throw new Refused('channel_not_found');
          // A message to a person goes to the DM with them, whose history can be searched for it when in doubt.
          const channel = SLACK_USER.test(named) ? await poster.openDm(named) : named;
          const mine = (m: OutboxMark) => m.outbox_id === row.id && m.anchor === undefined;
          const found = row.in_doubt ? await alreadyPosted(channel, undefined, mine) : null;
          if (found) {
            logger.info({ outboxId: row.id, ts: found }, 'a post in doubt was found in the channel; not posting it again');
            await store.outbox.markSent(row, found, clock());
            return;
          }
          const posted = await post(row, { text: payload.text, blocks: payload.blocks ?? [] }, { channel }, { outbox_id: row.id });
          await store.outbox.markSent(row, posted.ts, clock());
          return;
        }
      }
    } catch (err) {
      await failed(row, err);
    }
  }

  async function failed(row: OutboxRow, err: unknown): Promise<void> {
    const now = clock();
    // A rate limit is Slack's pace, not a failure: the row goes back as it was (due, in its place)
    // and the whole loop waits out Retry-After, so the order of the channel holds.
    if (err instanceof Paused) {
      await store.outbox.retryLater(row.id, { at: new Date(row.next_attempt_at), error: 'ratelimited', countAttempt: false, owner });
      return;
    }
    const f = err instanceof Refused ? { kind: 'refused' as const, code: err.code, permanent: true } : classifySlackFailure(err);
    if (f.kind === 'rate-limited') {
      // Edits and history reads are rate-limited too; a post already set the pause in its turn.
      pausedUntil = Math.max(pausedUntil, wall() + f.retryAfterSec * 1000);
      rateLimits += 1;
      await store.outbox.retryLater(row.id, { at: new Date(row.next_attempt_at), error: 'ratelimited', countAttempt: false, owner });
      logger.warn({ outboxId: row.id, retryAfterSec: f.retryAfterSec }, 'Slack rate-limited delivery; pausing');
      return;
    }
    const attempts = row.attempts + 1;
    if ((f.kind === 'refused' && f.permanent) || attempts >= maxAttempts) {
      await store.outbox.fail(row.id, f.code, now);
      logger.error({ err, outboxId: row.id, op: row.op, lane: row.lane, code: f.code, attempts }, 'gave up delivering a Slack message');
      return;
    }
    const backoff = Math.min(MIN_BACKOFF_MS * 2 ** (attempts - 1), MAX_BACKOFF_MS);
    await store.outbox.retryLater(row.id, { at: new Date(now.getTime() + backoff), error: f.code, countAttempt: true, owner });
    logger.warn({ outboxId: row.id, op: row.op, lane: row.lane, code: f.code, attempts, retryInSec: backoff / 1000 }, 'Slack delivery failed; will retry');
  }

  async function pump(): Promise<void> {
    scheduled = false;
    if (!running || stopping) return;
    const now = wall();
    const paused = now < pausedUntil;
    if (paused) {
      pauseTimer ??= setTimeout(() => {
        pauseTimer = null;
        wake();
      }, pausedUntil - now);
    }
    // Slack asked for a pause or does not answer: its messages wait, calls to other systems go on.
    const slackDown = paused || !(opts.slackReachable?.() ?? true);
    const slackRoom = slackDown ? 0 : concurrency - (inFlight.size - callsInFlight.size);
    const callRoom = callConcurrency - callsInFlight.size;
    let rows: OutboxRow[] = [];
    try {
      const claim = async (calls: boolean, limit: number) => (limit > 0 ? await store.outbox.claimHeads({ owner, now: clock(), wallNow: new Date(now), leaseMs, limit, calls }) : []);
      rows = [...await claim(false, slackRoom), ...await claim(true, callRoom)];
    } catch (err) {
      logger.warn({ err }, 'could not claim outbox rows; the next look tries again');
      return;
    }
    if (rows.length === 0 && inFlight.size === 0 && !paused) {
      for (const resolve of idleWaiters.splice(0)) resolve();
      return;
    }
    for (const row of rows) {
      if (inFlight.has(row.id)) continue;
      if (row.op === 'call') callsInFlight.add(row.id);
      const p = send(row)
        .catch((err: unknown) => logger.error({ err, outboxId: row.id }, 'outbox delivery failed unexpectedly'))
        .finally(() => {
          inFlight.delete(row.id);
          callsInFlight.delete(row.id);
          wake();
        });
      inFlight.set(row.id, p);
    }
  }

  /** The pump running now: one at a time, so that a wake during its claim does not claim beside it. */
  let pumping: Promise<void> = Promise.resolve();

  function wake(): void {
    if (scheduled || !running || stopping) return;
    scheduled = true;
    // A wake from inside a change's transaction (its messages just queued): the pump runs apart
    // from it, after the commit, like any other caller of the store.
    apartFromTransaction(() =>
      setImmediate(() => {
        pumping = pumping.then(pump).catch((err: unknown) => logger.error({ err }, 'the outbox pump failed unexpectedly'));
      }),
    );
  }

  return {
    start() {
      if (running) return;
      running = true;
      poll = setInterval(wake, pollMs);
      poll.unref();
      const renewLeases = async () => {
        if (inFlight.size === 0) return;
        try {
          await store.outbox.renew(owner, [...inFlight.keys()], new Date(wall() + leaseMs));
        } catch (err) {
          logger.warn({ err }, 'could not renew outbox leases');
        }
      };
      renew = setInterval(() => void renewLeases(), Math.max(50, Math.floor(leaseMs / 3)));
      renew.unref();
      wake();
    },
    wake,
    drain() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        wake();
      });
    },
    stats: async () => await store.outbox.stats(clock()),
    async stop(graceMs) {
      if (!running) return;
      stopping = true;
      if (poll) clearInterval(poll);
      if (pauseTimer) clearTimeout(pauseTimer);
      const pending = [...inFlight.values()];
      await Promise.race([Promise.allSettled(pending), sleep(graceMs)]);
      if (renew) clearInterval(renew);
      try {
        const released = await store.outbox.release(owner);
        if (released > 0) logger.info({ released }, 'released outbox claims for another process or the next start');
      } catch (err) {
        logger.warn({ err }, 'could not release outbox claims; they expire on their own');
      }
      running = false;
      for (const resolve of idleWaiters.splice(0)) resolve();
    },
  };
}
