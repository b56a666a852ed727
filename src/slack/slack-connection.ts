/**
 * The bot's connection to Slack, kept apart from start-up: the bot starts, serves /healthz and
 * the webhooks, pages and runs its clock whatever Slack answers. This asks auth.test with backoff
 * until Slack answers, follows what delivery sees afterwards (a failure that means "not
 * reachable" sends it back to asking), and says when Slack refused the token for good.
 */
import { webApi } from '@slack/bolt';
import type { Clock } from '../clock.js';
import { boundedClientOptions, silentSlackLogger } from './slack-clients.js';
import { CREDENTIAL_REFUSALS, slackStatusAnswer, type SlackBotIdentity, type SlackConnectionStatus } from './slack-connection-status.js';
import { classifySlackFailure, describeSlackError } from './slack-errors.js';
import type { SlackPoster } from './slack-poster.js';

/** auth.test's answer: who the token is, or why not. */
export type SlackProbe = () => Promise<SlackBotIdentity>;

/** One auth.test waits at most this long: a Slack that hangs is "not reachable" after it. */
export const SLACK_PROBE_TIMEOUT_MS = 5_000;

export interface SlackRetry {
  /** The first wait after a failure; it doubles up to `maxMs`. */
  minMs: number;
  maxMs: number;
}

export const DEFAULT_SLACK_RETRY: SlackRetry = { minMs: 1_000, maxMs: 30_000 };

export interface SlackConnectionOptions {
  probe: SlackProbe;
  /** Wall time for "since" and "next try at". */
  now?: Clock;
  retry?: SlackRetry;
  /** The identity is known already (tests, the bench): no auth.test is needed to start. */
  knownIdentity?: SlackBotIdentity;
  /** Called on every change of state (not on every failed try). */
  onChange?: (status: SlackConnectionStatus, previous: SlackConnectionStatus) => void;
}

export interface SlackConnection {
  /** Starts asking Slack (at once, then with backoff until it answers). */
  start(): void;
  stop(): void;
  status(): SlackConnectionStatus;
  /** Whether Slack answered auth.test and nothing failed for want of it since. */
  reachable(): boolean;
  /** Who the bot is, once auth.test answered (or known from the start). */
  identity(): SlackBotIdentity | null;
  /** A Slack call elsewhere (delivery) failed: the connection follows what it means. */
  callFailed(err: unknown): void;
}

/** auth.test with the bot token on `apiUrl`: one try, bounded in time. */
export function authTestProbe(botToken: string, apiUrl: string | undefined, timeoutMs = SLACK_PROBE_TIMEOUT_MS): SlackProbe {
  const client = new webApi.WebClient(botToken, boundedClientOptions(apiUrl, silentSlackLogger, timeoutMs));
  return async () => {
    const r = await client.auth.test();
    return {
      botId: r.bot_id ?? '',
      botUserId: r.user_id ?? '',
      ...(r.user ? { user: r.user } : {}),
      ...(r.team ? { team: r.team } : {}),
    };
  };
}

/** What a failed auth.test means: the token refused for good, or Slack not reachable (yet). */
function refusalOf(err: unknown): string | null {
  const f = classifySlackFailure(err);
  return f.kind === 'refused' && CREDENTIAL_REFUSALS.has(f.code) ? f.code : null;
}

/** One auth.test now, as a status (the terminal's `doctor`, which has no running connection). */
export async function checkSlackOnce(probe: SlackProbe, now: Clock = () => new Date()): Promise<SlackConnectionStatus> {
  const since = now();
  try {
    return { state: 'ok', since, identity: await probe() };
  } catch (err) {
    const code = refusalOf(err);
    if (code) return { state: 'refused', since, code };
    return { state: 'degraded', since, lastError: describeSlackError(err), attempts: 1, nextTryAt: null };
  }
}

/**
 * `doctor` where no connection runs (the terminal): one auth.test now, said in the same sentence
 * as the running bot's /healthz and `doctor`.
 */
export async function slackReachability(botToken: string | undefined, apiUrl: string | undefined, timeoutMs = SLACK_PROBE_TIMEOUT_MS): Promise<{ ok: boolean; detail: string }> {
  if (!botToken) return { ok: false, detail: 'no bot token configured (SLACK_BOT_TOKEN)' };
  return slackStatusAnswer(await checkSlackOnce(authTestProbe(botToken, apiUrl, timeoutMs)));
}

export function slackConnection(opts: SlackConnectionOptions): SlackConnection {
  const now = opts.now ?? (() => new Date());
  const retry = opts.retry ?? DEFAULT_SLACK_RETRY;
  let status: SlackConnectionStatus = opts.knownIdentity
    ? { state: 'ok', since: now(), identity: opts.knownIdentity }
    : { state: 'degraded', since: now(), lastError: null, attempts: 0, nextTryAt: null };
  let identity: SlackBotIdentity | null = opts.knownIdentity ?? null;
  let timer: NodeJS.Timeout | null = null;
  let probing = false;
  let running = false;
  let failures = 0;

  function set(next: SlackConnectionStatus, announce: boolean): void {
    const previous = status;
    status = next;
    if (announce) opts.onChange?.(next, previous);
  }

  function schedule(ms: number): void {
    if (!running || timer) return;
    timer = setTimeout(() => {
      timer = null;
      void ask();
    }, ms);
    timer.unref();
  }

  async function ask(): Promise<void> {
    if (!running || probing) return;
    probing = true;
    try {
      const who = await opts.probe();
      if (!running) return;
      identity = who;
      failures = 0;
      set({ state: 'ok', since: now(), identity: who }, true);
    } catch (err) {
      if (!running) return;
      const code = refusalOf(err);
      if (code) {
        set({ state: 'refused', since: now(), code }, true);
        return;
      }
      failures += 1;
      const wait = Math.min(retry.minMs * 2 ** (failures - 1), retry.maxMs);
      const wasDown = status.state === 'degraded';
      const since = wasDown ? status.since : now();
      const first = status.state === 'degraded' && status.lastError === null;
      set({ state: 'degraded', since, lastError: describeSlackError(err), attempts: failures, nextTryAt: new Date(now().getTime() + wait) }, !wasDown || first);
      schedule(wait);
    } finally {
      probing = false;
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      if (status.state !== 'ok') void ask();
    },
    stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = null;
    },
    status: () => status,
    reachable: () => status.state === 'ok',
    identity: () => identity,
    callFailed(err) {
      if (!running || status.state === 'refused') return;
      const f = classifySlackFailure(err);
      if (f.kind === 'refused' && CREDENTIAL_REFUSALS.has(f.code)) {
        // auth.test says whether the token is really gone (or the call's own token was wrong).
        schedule(0);
        return;
      }
      if (f.kind !== 'unknown' || status.state !== 'ok') return;
      set({ state: 'degraded', since: now(), lastError: describeSlackError(err), attempts: 0, nextTryAt: new Date(now().getTime() + retry.minMs) }, true);
      failures = 0;
      schedule(retry.minMs);
    },
  };
}

/** The poster, telling the connection of every failed call: an outage that delivery meets shows in /healthz. */
export function watchedPoster(poster: SlackPoster, connection: Pick<SlackConnection, 'callFailed'>): SlackPoster {
  const watch = async <T>(call: Promise<T>): Promise<T> => {
    try {
      return await call;
    } catch (err) {
      connection.callFailed(err);
      throw err;
    }
  };
  return {
    post: (args) => watch(poster.post(args)),
    update: (args) => watch(poster.update(args)),
    findPosted: (args) => watch(poster.findPosted(args)),
    join: (channel) => watch(poster.join(channel)),
    openDm: (user) => watch(poster.openDm(user)),
    reserveUpload: (args) => watch(poster.reserveUpload(args)),
    sendUploadBytes: (url, bytes) => watch(poster.sendUploadBytes(url, bytes)),
    completeUpload: (args) => watch(poster.completeUpload(args)),
    fileShared: (fileId, channel) => watch(poster.fileShared(fileId, channel)),
  };
}
