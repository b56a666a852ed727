import path from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import { openStateStore } from '../../src/db/state/kysely/sqlite-state-store.js';
import { acknowledgeAlert } from '../../src/incidents/acknowledge.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { changeOwner, postStatusUpdate } from '../../src/incidents/incident-changes.js';
import { OUTBOX_EVENT_TYPE } from '../../src/slack/slack-poster.js';
import { startDeliveryHarness, type DeliveryHarness } from '../helpers/delivery-harness.js';
import { eventually } from '../helpers/slack-harness.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';
import { BOUND_MS } from '../helpers/busy-machine.js';

const CHANNEL = 'C0INCIDENT';
const ONCALL = 'U0ONCALL1';
const OTHER = 'U0ONCALL2';

let env: TestEnv;
let h: DeliveryHarness | undefined;
let cleanup: () => void;
let dataDir: string;
let metrics: Database.Database;

beforeEach(() => {
  const t = tempDir();
  cleanup = t.cleanup;
  dataDir = path.join(t.dir, '.shadow-atlas');
  const files = createAtlasFiles(dataDir);
  files.persistence.close();
  metrics = files.metrics;
  env = testDeps(dataDir, { file: { channels: { incidents: CHANNEL }, responders: { users: [ONCALL, OTHER] } } });
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  await env.close();
  metrics.close();
  cleanup();
});

// Each alert about something of its own: alerts about one provider are one group, posted once.
const fire = async (name: string) =>
  await ingestAlert(env.deps, { name, status: 'firing', message: name === 'provider_down' ? 'Census TIGER health checks failing' : `${name} crossed its threshold`, source: 'atlas-webhook' });
const harness = () => h!;
const topLevel = () => harness().slack.workspace.messages(CHANNEL);
const posts = () => harness().slack.workspace.calls('chat.postMessage');
const stats = async () => await env.deps.state.outbox.stats(env.deps.clock());
const drain = () => harness().delivery.drain();
/** Moves the bot's clock past a backoff and delivers what came due. */
const later = async (ms: number) => {
  env.clock.advance(ms);
  await drain();
};
const outboxRows = () => env.db.prepare('SELECT id, op, in_doubt, sent_at, failed_at, last_error, attempts FROM outbox ORDER BY id').all() as {
  id: number;
  op: string;
  in_doubt: number;
  sent_at: string | null;
  failed_at: string | null;
  last_error: string | null;
  attempts: number;
}[];

/** provider_down fires; a process claims its row, posts it, and dies before marking it (the post is in doubt). */
async function postedByDeadProcess(): Promise<void> {
  await fire('provider_down');
  const [row] = await env.deps.state.outbox.claimHeads({ owner: 'dead:1:aaaaaa', now: env.deps.clock(), wallNow: new Date(), leaseMs: 300, limit: 10 });
  await env.deps.state.outbox.setInDoubt(row!.id, true);
  const { webApi } = await import('@slack/bolt');
  const client = new webApi.WebClient(harness().slack.token, { slackApiUrl: harness().slack.apiUrl, retryConfig: { retries: 0 } });
  await client.chat.postMessage({
    channel: CHANNEL,
    text: 'provider_down (posted by the process that died)',
    metadata: { event_type: OUTBOX_EVENT_TYPE, event_payload: { outbox_id: row!.id, anchor: 'alert:provider_down:1' } },
  });
}

describe('delivery', () => {
  it('posts an alert once, then edits that message into the incident card; the thread hangs under it', async () => {
    h = await startDeliveryHarness(env);
    await fire('provider_down');
    await drain();
    expect(topLevel()).toHaveLength(1);
    const alert = topLevel()[0]!;
    expect(alert.text).toContain('provider_down');
    expect(alert.metadata).toMatchObject({ event_type: OUTBOX_EVENT_TYPE, event_payload: { anchor: 'alert:provider_down:1' } });

    await acknowledgeAlert(env.deps, 'provider_down', ONCALL);
    await drain();
    expect(topLevel()).toHaveLength(1);
    const card = topLevel()[0]!;
    expect(card.ts).toBe(alert.ts);
    expect(card.text).toContain('INC-20261126-1');
    expect(harness().slack.workspace.replies(CHANNEL, card.ts).map((r) => r.text)).toEqual([expect.stringContaining('acknowledged by <@U0ONCALL1>')]);
    expect(await stats()).toEqual({ pending: 0, failed: 0, oldestPendingSec: 0 });
  });

  it('coalesces a burst of changes to one card into one edit', async () => {
    h = await startDeliveryHarness(env);
    await fire('provider_down');
    await drain();
    await harness().delivery.stop(100);
    await acknowledgeAlert(env.deps, 'provider_down', ONCALL);
    for (let i = 0; i < 5; i++) await postStatusUpdate(env.deps, '', { summary: `step ${i}` }, ONCALL);
    harness().startDelivery();
    await drain();
    expect(harness().slack.workspace.calls('chat.update')).toHaveLength(1);
    expect(harness().slack.workspace.replies(CHANNEL, topLevel()[0]!.ts)).toHaveLength(6);
  });

  it('a card change made while its edit is in flight gets an edit of its own (defect 2)', async () => {
    h = await startDeliveryHarness(env);
    await fire('provider_down');
    await acknowledgeAlert(env.deps, 'provider_down', ONCALL);
    await drain();
    harness().slack.faults.inject({ method: 'chat.update', kind: 'delay', ms: 300 });
    await changeOwner(env.deps, '', OTHER, ONCALL);
    await eventually(() => harness().slack.workspace.calls('chat.update').length === 1, 'the slow chat.update to start');
    // The owner changes again while the first edit is still on its way.
    await changeOwner(env.deps, '', ONCALL, OTHER);
    await eventually(async () => {
      await drain();
      return (await stats()).pending === 0;
    }, 'the outbox to empty');
    const card = topLevel()[0]!;
    expect(card.blocks && JSON.stringify(card.blocks)).toContain('*Owner* <@U0ONCALL1>');
    expect(harness().slack.workspace.calls('chat.update').length).toBe(2);
  });

  it('keeps the thread in order when an earlier post waits out its backoff (defect 3)', async () => {
    h = await startDeliveryHarness(env);
    await fire('provider_down');
    await drain();
    // The initial response fails once; the status update queued after it must not overtake it.
    harness().slack.faults.inject({ method: 'chat.postMessage', kind: 'error', error: 'internal_error' });
    await acknowledgeAlert(env.deps, 'provider_down', ONCALL);
    await postStatusUpdate(env.deps, '', { summary: 'Rolling back the prover' }, ONCALL);
    await drain();
    const root = topLevel()[0]!.ts;
    expect(harness().slack.workspace.replies(CHANNEL, root)).toHaveLength(0);
    await later(15_000);
    expect(harness().slack.workspace.replies(CHANNEL, root).map((r) => r.text)).toEqual([
      expect.stringContaining('acknowledged by'),
      expect.stringContaining('Rolling back the prover'),
    ]);
  });

  it('a post whose answer was lost is found in the channel, not posted again (defect 4)', async () => {
    h = await startDeliveryHarness(env);
    // Slack posts the message, then the connection drops before the bot hears of it.
    harness().slack.faults.inject({ method: 'chat.postMessage', kind: 'reset', when: 'after' });
    await fire('provider_down');
    await drain();
    expect(topLevel()).toHaveLength(1);
    expect(outboxRows()[0]).toMatchObject({ in_doubt: 1, sent_at: null });
    await later(15_000);
    expect(topLevel()).toHaveLength(1);
    expect(posts()).toHaveLength(1);
    expect(harness().slack.workspace.calls('conversations.history').length).toBeGreaterThan(0);
    // The message it found is the alert's, so the incident card edits it.
    await acknowledgeAlert(env.deps, 'provider_down', ONCALL);
    await drain();
    expect(topLevel()).toHaveLength(1);
    expect(topLevel()[0]!.text).toContain('INC-20261126-1');
  });

  it('a reply whose answer was lost is found in its thread, not posted again', async () => {
    h = await startDeliveryHarness(env);
    await fire('provider_down');
    await drain();
    harness().slack.faults.inject({ method: 'chat.postMessage', kind: 'http', status: 503, when: 'after' });
    await acknowledgeAlert(env.deps, 'provider_down', ONCALL);
    await drain();
    await later(15_000);
    const replies = harness().slack.workspace.replies(CHANNEL, topLevel()[0]!.ts);
    expect(replies).toHaveLength(1);
    expect(harness().slack.workspace.calls('conversations.replies').length).toBeGreaterThan(0);
    expect((await stats()).pending).toBe(0);
  });

  it('a chat.postMessage that never answers is cut at the time bound; delivery goes on (defect 1)', async () => {
    h = await startDeliveryHarness(env, { timeoutMs: BOUND_MS });
    harness().slack.faults.inject({ method: 'chat.postMessage', kind: 'hang' });
    await fire('provider_down');
    await fire('disk_space_low');
    // The hung lane waits; the other lane is not held back by it.
    await eventually(() => topLevel().some((m) => m.text.includes('disk_space_low')), 'the second alert to be posted');
    await drain();
    expect(outboxRows().find((r) => r.in_doubt === 1)).toBeDefined();
    await later(15_000);
    expect(topLevel().map((m) => m.text.includes('provider_down'))).toContain(true);
    expect(topLevel()).toHaveLength(2);
  });

  it('a rate limit pauses all delivery for Retry-After, keeps the channel in order, and is no failed attempt', async () => {
    h = await startDeliveryHarness(env);
    harness().slack.faults.inject({ method: 'chat.postMessage', kind: 'ratelimit', retryAfter: 1 });
    await fire('provider_down');
    await fire('disk_space_low');
    await fire('proofs_failing');
    await drain();
    const calls = posts();
    expect(calls.map((c) => c.status)).toEqual([429, 200, 200, 200]);
    // Retry-After is Slack's word: nothing is sent until it has passed.
    expect(new Date(calls[1]!.at).getTime() - new Date(calls[0]!.at).getTime()).toBeGreaterThanOrEqual(950);
    expect(topLevel().map((m) => m.text.split(' ')[1])).toEqual(['provider_down', 'disk_space_low', 'proofs_failing']);
    expect(outboxRows().map((r) => r.attempts)).toEqual([1, 1, 1]);
  });

  it('an alert that fires, resolves and fires again before anything went out reads in that order, with no failure', async () => {
    await fire('provider_down');
    await ingestAlert(env.deps, { name: 'provider_down', status: 'resolved', message: '', source: 'atlas-webhook' });
    env.clock.advance(60_000);
    await fire('provider_down');
    h = await startDeliveryHarness(env);
    await drain();
    const texts = topLevel().map((m) => m.text);
    expect(texts).toHaveLength(2);
    expect(texts[0]).toMatch(/provider_down resolved/);
    expect(texts[1]).toMatch(/provider_down firing/);
    expect(await stats()).toEqual({ pending: 0, failed: 0, oldestPendingSec: 0 });
  });

  it('keeps a permanent failure, and says so in the stats', async () => {
    await env.close();
    env = testDeps(dataDir, { file: { channels: { incidents: 'C0NOSUCHCHANNEL' } } });
    h = await startDeliveryHarness(env);
    await fire('provider_down');
    await drain();
    expect(outboxRows()[0]).toMatchObject({ last_error: 'channel_not_found' });
    expect(outboxRows()[0]!.failed_at).not.toBeNull();
    expect(await stats()).toMatchObject({ pending: 0, failed: 1 });
    expect(await env.deps.state.outbox.recentFailures(5)).toHaveLength(1);
  });

  it('two processes on one chatops.db post every message exactly once', async () => {
    h = await startDeliveryHarness(env, { start: false });
    const second = openStateStore(path.join(dataDir, 'chatops.db'));
    try {
      // Slow answers, so that both processes are sending at the same time.
      harness().slack.faults.inject({ method: 'chat.postMessage', kind: 'delay', ms: 20, times: Infinity });
      for (let i = 0; i < 30; i++) await fire(`alert_${i}`);
      const a = harness().startDelivery();
      const b = harness().startDelivery({ state: second });
      await eventually(async () => topLevel().length >= 30 && (await stats()).pending === 0, 'all 30 alerts');
      await Promise.all([a.drain(), b.drain()]);
      expect(topLevel()).toHaveLength(30);
      expect(new Set(topLevel().map((m) => m.text)).size).toBe(30);
    } finally {
      await second.close();
    }
  });

  it('a crashed owner\'s rows are taken over when its lease expires, and its post in doubt is reconciled', async () => {
    h = await startDeliveryHarness(env, { start: false });
    await postedByDeadProcess();
    harness().startDelivery();
    await eventually(async () => {
      await drain();
      return (await stats()).pending === 0;
    }, 'the lease to expire and the row to be reconciled', 5000);
    expect(topLevel()).toHaveLength(1);
    expect(posts()).toHaveLength(1);
  });

  it('a post in doubt found in the channel is edited to what changed since it was made', async () => {
    h = await startDeliveryHarness(env, { start: false });
    await postedByDeadProcess();
    // Acknowledged while the post's answer was lost: the later refresh is merged into the one in doubt.
    await acknowledgeAlert(env.deps, 'provider_down', ONCALL);
    harness().startDelivery();
    await eventually(async () => {
      await drain();
      return (await stats()).pending === 0;
    }, 'the lease to expire and the rows to be delivered', 5000);
    expect(topLevel()).toHaveLength(1);
    expect(topLevel()[0]!.text).toContain('INC-20261126-1');
    expect(harness().slack.workspace.replies(CHANNEL, topLevel()[0]!.ts).map((r) => r.text)).toEqual([expect.stringContaining('acknowledged by')]);
  });

  it('stopping gives up its leases so another process takes the rows at once', async () => {
    h = await startDeliveryHarness(env, { start: false });
    harness().slack.faults.inject({ method: 'chat.postMessage', kind: 'hang' });
    const first = harness().startDelivery({ delivery: { leaseMs: 60_000 } });
    await fire('provider_down');
    await eventually(() => posts().length === 1, 'the hung post');
    await first.stop(50);
    expect(env.db.prepare('SELECT claimed_by FROM outbox').get()).toEqual({ claimed_by: null });
    harness().startDelivery();
    await eventually(async () => {
      await drain();
      return topLevel().length === 1 && (await stats()).pending === 0;
    }, 'the next process to post it', 5000);
  });
});

describe('a wake from inside the transaction of a change', () => {
  it('runs the pump apart from the transaction: it claims after the commit, never refused as a call inside it', async () => {
    const logged: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) });
    // Only wakes deliver: the periodic look is far away.
    h = await startDeliveryHarness(env, { logger, delivery: { pollMs: 600_000 } });
    const { incident } = await declareIncident(env.deps, { title: 'proofs failing', severity: 'P1', actorId: ONCALL });
    await drain();
    await env.deps.state.transaction(async (tx) => {
      await env.deps.events.record(tx, { type: 'note-added', incident, text: 'looking at the gateway', actor: ONCALL }, env.clock());
      // The wake's pump gets its turn while this transaction is still open.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    });
    await eventually(() => harness().slack.workspace.replies(CHANNEL, topLevel()[0]!.ts).some((m) => (m.text ?? '').includes('looking at the gateway')), 'the note in the thread');
    expect(logged.filter((l) => l.includes('could not claim outbox rows'))).toEqual([]);
  });
});
