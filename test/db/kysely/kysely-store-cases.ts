/**
 * The Kysely stores' tests, written once and run against both engines: kysely-stores.test.ts
 * (SQLite, a chatops.db in a temporary folder) and kysely-stores.pg.test.ts (a real PostgreSQL
 * database per test). Every answer is checked for exact values, so both engines answer the same.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KyselyState } from '../../../src/db/state/kysely/kysely-state.js';
import type { StateEngine } from '../../../src/db/state/kysely/state-dialect.js';
import type { ClaimOptions, OutboxMessage } from '../../../src/db/state/outbox-store.js';

export interface KyselyEngineUnderTest {
  engine: StateEngine;
  /** A new empty state for one test; `again` opens a second one on the same data (another process, or replica). */
  fresh(): Promise<{ state: KyselyState; again(): Promise<KyselyState>; cleanup(): Promise<void> }>;
  /** A second state's transaction runs while the first's is open (PostgreSQL), or waits for it to end (SQLite: one file, one writer). */
  concurrentTransactions: boolean;
}

const NOW = new Date('2026-12-07T12:00:00.000Z');
const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

/** A promise and the function that settles it: holds a transaction open until the test lets it go. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** `promise`, or a failure saying `what` when it has not settled after a generous bound. */
async function within<T>(promise: Promise<T>, what: string, ms = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

const claim = (over: Partial<ClaimOptions> = {}): ClaimOptions => ({ owner: 'A', now: NOW, wallNow: NOW, leaseMs: 60_000, limit: 10, ...over });
const post = (lane: string): OutboxMessage => ({ lane, op: 'post', channel: 'C1', payload: { text: lane } });
const ids = (rows: { id: number }[]) => rows.map((r) => r.id);

/**
 * A fresh state for each test of the enclosing describe, closed after it with every other state
 * the test opened on the same data (`another()`: a second process, or replica). Call it inside a
 * describe; `state()` is the current test's.
 */
export function freshStates(engine: KyselyEngineUnderTest): { state: () => KyselyState; another: () => Promise<KyselyState> } {
  let state: KyselyState | null = null;
  let again: () => Promise<KyselyState>;
  let cleanup: () => Promise<void>;
  const others: KyselyState[] = [];
  beforeEach(async () => {
    const fresh = await engine.fresh();
    ({ again, cleanup } = fresh);
    state = fresh.state;
  });
  afterEach(async () => {
    for (const other of others.splice(0)) await other.close();
    await state?.close();
    await cleanup();
  });
  return {
    state: () => state!,
    another: async () => {
      const other = await again();
      others.push(other);
      return other;
    },
  };
}

export function kyselyStoreCases(engine: KyselyEngineUnderTest): void {
  describe(`the Kysely stores on ${engine.engine}`, () => {
    const states = freshStates(engine);
    let state: KyselyState;
    beforeEach(() => {
      state = states.state();
    });
    const anotherState = states.another;
    let incidents = 0;
    const incident = async (id: string, opened = NOW, resolved: Date | null = null) => {
      await state.kysely
        .insertInto('incidents')
        .values({
          id,
          day: '2026-12-07',
          seq: ++incidents,
          title: 'Disk full',
          severity: 'P2',
          status: resolved ? 'resolved' : 'investigating',
          created_by: 'U1',
          opened_at: opened.toISOString(),
          resolved_at: resolved?.toISOString() ?? null,
        })
        .execute();
    };
    const alert = async (key: string) => {
      await state.kysely
        .insertInto('alerts')
        .values({ key, name: key, status: 'firing', severity: 'P2', severity_known: 1, fired_at: NOW.toISOString(), updated_at: NOW.toISOString() })
        .execute();
    };

    describe('people and Slack messages', () => {
      it('remember a name, and a newer one over it', async () => {
        expect(await state.people.get('U1')).toBeNull();
        await state.people.put('U1', 'Ada', NOW);
        await state.people.put('U1', 'Ada L.', at(5));
        expect(await state.people.get('U1')).toEqual({ user_id: 'U1', name: 'Ada L.', fetched_at: '2026-12-07T12:05:00.000Z' });
      });

      it('keep where a named message was posted, move it, and forget it', async () => {
        await state.slackMessages.put('alert:disk:1', { channel: 'C1', ts: '1.0001' }, NOW);
        await state.slackMessages.put('alert:disk:1', { channel: 'C2', ts: '2.0002' }, at(1));
        expect(await state.slackMessages.get('alert:disk:1')).toEqual({ channel: 'C2', ts: '2.0002' });
        await state.slackMessages.forget('alert:disk:1');
        expect(await state.slackMessages.get('alert:disk:1')).toBeNull();
      });
    });

    describe('seen requests, report posts, Home tabs', () => {
      it('see a signed request first once, a replay not, and the same signature again once it expired', async () => {
        expect(await state.seenRequests.firstSight('sig-1', at(5), NOW)).toBe(true);
        expect(await state.seenRequests.firstSight('sig-1', at(5), at(1))).toBe(false);
        expect(await state.seenRequests.firstSight('sig-1', at(20), at(5))).toBe(true);
        expect(await state.seenRequests.firstSight('sig-2', at(6), at(5))).toBe(true);
        expect(await state.seenRequests.prune(at(7))).toBe(1);
        expect(await state.seenRequests.firstSight('sig-1', at(20), at(8))).toBe(false);
      });

      it('let exactly one of two replicas see a request first, and post a scheduled report', async () => {
        const other = await anotherState();
        const sights = await Promise.all([state, other, state, other].map((s) => s.seenRequests.firstSight('sig-9', at(5), NOW)));
        expect(sights.filter(Boolean)).toHaveLength(1);
        const posts = await Promise.all([state, other, state, other].map((s) => s.reportPosts.claim(at(60), 'C1', NOW)));
        expect(posts.filter(Boolean)).toHaveLength(1);
        expect(await other.reportPosts.get(at(60))).toEqual({ due_at: '2026-12-07T13:00:00.000Z', channel: 'C1', posted_at: NOW.toISOString() });
        expect(await state.reportPosts.get(at(120))).toBeNull();
      });

      it('claim stale Home tabs opened lately, oldest stale first, at most once per interval', async () => {
        await state.homeViews.opened('U1', NOW);
        await state.homeViews.markStale(at(1));
        await state.homeViews.opened('U2', at(1));
        await state.homeViews.markStale(at(2));
        await state.homeViews.opened('U3', at(2));
        await state.homeViews.opened('U0', at(-120));
        await state.homeViews.markStale(at(3));
        const home = { openSince: at(-60), publishedBefore: at(3), now: at(3) };
        expect(await state.homeViews.claimStale({ ...home, limit: 10 })).toEqual(['U1', 'U2', 'U3']);
        expect(await state.homeViews.claimStale({ ...home, limit: 10 })).toEqual([]);
        await state.homeViews.markStale(at(4));
        // Published at 12:03: not again before 12:05.
        expect(await state.homeViews.claimStale({ ...home, publishedBefore: at(3), now: at(4), limit: 10 })).toEqual([]);
        expect(await state.homeViews.claimStale({ ...home, publishedBefore: at(5), now: at(5), limit: 2 })).toEqual(['U1', 'U2']);
      });

      it('never hand one Home tab to two replicas claiming at once', async () => {
        const other = await anotherState();
        const users = Array.from({ length: 12 }, (_, i) => `U${String(i).padStart(2, '0')}`);
        for (const user of users) await state.homeViews.opened(user, NOW);
        await state.homeViews.markStale(at(1));
        const home = { openSince: NOW, publishedBefore: at(1), now: at(1), limit: 2 };
        const claims = await Promise.all([state, other, state, other, state, other].map((s) => s.homeViews.claimStale(home)));
        const claimed = claims.flat();
        expect(new Set(claimed).size).toBe(claimed.length);
        const rest = await state.homeViews.claimStale({ ...home, limit: 100 });
        expect([...claimed, ...rest].sort()).toEqual(users);
      });
    });

    describe('alert snoozes, shared results, command runs, the timeline', () => {
      it("keep an alert's latest snooze", async () => {
        await alert('disk');
        const timer = await state.timers.schedule({ kind: 'ack-reminder', due: at(30), alertKey: 'disk' }, NOW);
        await state.alertSnoozes.set({ alert_key: 'disk', fire_count: 1, timer_id: timer, snoozed_by: 'U1', until: at(30) }, NOW);
        await state.alertSnoozes.set({ alert_key: 'disk', fire_count: 2, timer_id: timer, snoozed_by: 'U2', until: at(60) }, at(1));
        expect(await state.alertSnoozes.get('disk')).toStrictEqual({
          alert_key: 'disk',
          fire_count: 2,
          timer_id: timer,
          snoozed_by: 'U2',
          until: '2026-12-07T13:00:00.000Z',
          snoozed_at: '2026-12-07T12:01:00.000Z',
        });
        expect(await state.alertSnoozes.get('cpu')).toBeNull();
      });

      it('hand a shared result out once, to its owner, while fresh; prune old ones; take one back', async () => {
        const row = (id: string, createdAt: string, userId = 'U1') => ({ id, createdAt, userId, json: `{"id":"${id}"}` });
        await state.sharedResults.save(row('old', '2026-12-07T10:00:00.000Z'), '2026-12-07T09:00:00.000Z');
        await state.sharedResults.save(row('r1', '2026-12-07T12:00:00.000Z'), '2026-12-07T11:00:00.000Z');
        expect(await state.sharedResults.claim('old', 'U1', '2026-12-07T09:00:00.000Z')).toEqual({ kind: 'expired' });
        expect(await state.sharedResults.claim('r1', 'U2', '2026-12-07T11:00:00.000Z')).toEqual({ kind: 'not-yours' });
        expect(await state.sharedResults.claim('r1', 'U1', '2026-12-07T12:30:00.000Z')).toEqual({ kind: 'expired' });
        const other = await anotherState();
        const clicks = await Promise.all([state, other, state, other].map((s) => s.sharedResults.claim('r1', 'U1', '2026-12-07T11:00:00.000Z')));
        expect(clicks.filter((c) => c.kind === 'ok')).toEqual([{ kind: 'ok', json: '{"id":"r1"}', createdAt: '2026-12-07T12:00:00.000Z' }]);
        await state.sharedResults.putBack(row('r1', '2026-12-07T12:00:00.000Z'));
        await state.sharedResults.putBack({ ...row('r1', '2026-12-07T12:00:00.000Z'), json: 'ignored: it is back already' });
        expect(await state.sharedResults.claim('r1', 'U1', '2026-12-07T11:00:00.000Z')).toEqual({ kind: 'ok', json: '{"id":"r1"}', createdAt: '2026-12-07T12:00:00.000Z' });
      });

      it('record a command run and an incident timeline in order', async () => {
        await state.commandRuns.add({
          at: '2026-12-07 12:00:00',
          source: 'slack',
          via: 'button',
          userId: 'U1',
          channelId: null,
          command: 'ack',
          args: '["INC-1"]',
          outcome: 'ok',
          summary: 'acknowledged',
          durationMs: 12,
          errorId: null,
        });
        expect(await state.kysely.selectFrom('command_runs').selectAll().execute()).toStrictEqual([
          {
            id: 1,
            at: '2026-12-07 12:00:00',
            source: 'slack',
            user_id: 'U1',
            channel_id: null,
            command: 'ack',
            args: '["INC-1"]',
            outcome: 'ok',
            summary: 'acknowledged',
            duration_ms: 12,
            error_id: null,
            via: 'button',
          },
        ]);
        await incident('INC-1');
        await state.timeline.add('INC-1', { at: at(1), actor: 'U1', kind: 'declared', text: 'Declared', data: { severity: 'P2' } });
        await state.timeline.add('INC-1', { at: at(0), actor: 'bot', kind: 'note', text: 'Earlier, recorded later' });
        expect(await state.timeline.list('INC-1')).toStrictEqual([
          { id: 1, incident_id: 'INC-1', at: '2026-12-07T12:01:00.000Z', actor: 'U1', kind: 'declared', text: 'Declared', data: '{"severity":"P2"}' },
          { id: 2, incident_id: 'INC-1', at: '2026-12-07T12:00:00.000Z', actor: 'bot', kind: 'note', text: 'Earlier, recorded later', data: null },
        ]);
        expect(await state.timeline.list('INC-2')).toEqual([]);
      });
    });

    describe('pages and GitHub issues', () => {
      it("list pages in [from, to), a person's or everyone's, suggest relief once per shift, and name the incidents active", async () => {
        await state.pages.record({ userId: 'U1', at: at(10), kind: 'posted', alertKey: null });
        await state.pages.record({ userId: 'U2', at: at(5), kind: 'acknowledged' });
        await state.pages.record({ userId: 'U1', at: at(5), kind: 'posted' });
        await state.pages.record({ userId: 'U1', at: at(20), kind: 'posted' });
        expect((await state.pages.between(at(5), at(20))).map((p) => [p.id, p.user_id])).toEqual([[2, 'U2'], [3, 'U1'], [1, 'U1']]);
        expect(await state.pages.between(at(5), at(20), 'U1')).toStrictEqual([
          { id: 3, user_id: 'U1', at: '2026-12-07T12:05:00.000Z', kind: 'posted', alert_key: null, incident_id: null },
          { id: 1, user_id: 'U1', at: '2026-12-07T12:10:00.000Z', kind: 'posted', alert_key: null, incident_id: null },
        ]);
        expect(await state.pages.markReliefSuggested('U1', at(-600), 3, NOW)).toBe(true);
        expect(await state.pages.markReliefSuggested('U1', at(-600), 4, at(1))).toBe(false);
        expect(await state.pages.markReliefSuggested('U1', at(840), 3, at(1))).toBe(true);
        await incident('INC-old', at(-300), at(-200));
        await incident('INC-over', at(-100), at(-30));
        await incident('INC-open', at(-20));
        await incident('INC-later', at(30));
        expect((await state.pages.incidentsActive(at(-60), at(0))).map((i) => i.id)).toEqual(['INC-over', 'INC-open']);
      });

      it('claim the filing of an issue once, find it busy or created, and take over a stale claim', async () => {
        await incident('INC-1');
        const first = await state.githubIssues.claim('INC-1', 'org/repo', NOW, at(-10));
        expect(first).toStrictEqual({
          kind: 'claimed',
          reconcileSince: null,
          row: { incident_id: 'INC-1', repo: 'org/repo', number: null, html_url: null, state: 'creating', created_at: NOW.toISOString() },
        });
        expect((await state.githubIssues.claim('INC-1', 'org/repo', at(1), at(-9))).kind).toBe('busy');
        const takeover = await state.githubIssues.claim('INC-1', 'org/other', at(15), at(5));
        expect(takeover).toMatchObject({ kind: 'claimed', reconcileSince: NOW.toISOString(), row: { repo: 'org/repo', created_at: at(15).toISOString() } });
        await state.githubIssues.markCreated('INC-1', 42, 'https://github.com/org/repo/issues/42');
        await state.githubIssues.release('INC-1');
        expect(await state.githubIssues.claim('INC-1', 'org/repo', at(60), at(50))).toMatchObject({ kind: 'created', row: { number: 42, state: 'created' } });
        await incident('INC-2');
        await state.githubIssues.claim('INC-2', 'org/repo', NOW, at(-10));
        await state.githubIssues.release('INC-2');
        expect(await state.githubIssues.get('INC-2')).toBeNull();
      });

      it('let exactly one of several presses from two replicas at once file the issue', async () => {
        await incident('INC-1');
        const other = await anotherState();
        const claims = await Promise.all([state, other, state, other].map((s) => s.githubIssues.claim('INC-1', 'org/repo', NOW, at(-10))));
        expect(claims.map((c) => c.kind).sort()).toEqual(['busy', 'busy', 'busy', 'claimed']);
        // Its claim gone stale, several presses at once: again one takes it over (a check-and-set
        // of one row, which PostgreSQL's READ COMMITTED lets two replicas pass without a row lock).
        const takeovers = await Promise.all([state, other, state, other, state, other].map((s) => s.githubIssues.claim('INC-1', 'org/repo', at(30), at(20))));
        expect(takeovers.map((c) => c.kind).sort()).toEqual(['busy', 'busy', 'busy', 'busy', 'busy', 'claimed']);
      });
    });

    describe('remediation confirmations and runs', () => {
      const preview = (token: string, expiresAt: Date, userId = 'U1') => ({
        token,
        user_id: userId,
        channel_id: 'C1',
        command: 'restart',
        args: '{}',
        plan: '{"steps":1}',
        fingerprint: `fp-${token}`,
        expires_at: expiresAt.toISOString(),
        response_url: 'https://hooks.slack.com/actions/1',
      });

      it('confirm a preview once, by its owner, before it expires; sweep the expired ones once', async () => {
        await state.confirmations.save(preview('t1', at(5)), NOW);
        await state.confirmations.save(preview('t2', at(2)), NOW);
        await state.confirmations.save(preview('t3', at(1)), NOW);
        expect(await state.confirmations.claim('nope', 'U1', NOW)).toEqual({ kind: 'unknown' });
        expect((await state.confirmations.claim('t1', 'U2', NOW)).kind).toBe('not-yours');
        expect(await state.confirmations.claim('t1', 'U1', at(1))).toStrictEqual({
          kind: 'claimed',
          row: { ...preview('t1', at(5)), shown_args: null, created_at: NOW.toISOString(), used_at: at(1).toISOString(), expired_at: null },
        });
        expect((await state.confirmations.claim('t1', 'U1', at(1))).kind).toBe('used');
        expect((await state.confirmations.claim('t2', 'U1', at(2))).kind).toBe('expired');
        const swept = await state.confirmations.claimExpired(at(3), 10);
        expect(swept.map((r) => [r.token, r.expired_at, r.response_url])).toEqual([
          ['t3', at(3).toISOString(), 'https://hooks.slack.com/actions/1'],
          ['t2', at(3).toISOString(), 'https://hooks.slack.com/actions/1'],
        ]);
        expect(await state.confirmations.claimExpired(at(10), 10)).toEqual([]);
      });

      it('let one of several presses from two replicas at once confirm, and sweep each expired preview once', async () => {
        const other = await anotherState();
        await state.confirmations.save(preview('t1', at(5)), NOW);
        const presses = await Promise.all([state, other, state, other].map((s) => s.confirmations.claim('t1', 'U1', at(1))));
        expect(presses.map((p) => p.kind).sort()).toEqual(['claimed', 'used', 'used', 'used']);
        for (let i = 0; i < 10; i++) await state.confirmations.save(preview(`e${i}`, at(1 + i / 10)), NOW);
        const sweeps = await Promise.all([state, other, state, other].map((s) => s.confirmations.claimExpired(at(3), 2)));
        const swept = sweeps.flat().map((r) => r.token);
        expect(new Set(swept).size).toBe(swept.length);
        const rest = (await state.confirmations.claimExpired(at(3), 100)).map((r) => r.token);
        expect([...swept, ...rest].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`));
      });

      it('keep a run while its lease is renewed, end it, and claim an abandoned one once', async () => {
        const run = (auditId: number, owner: string) => ({
          audit_id: auditId,
          command: 'restart',
          args: '{}',
          source: 'slack' as const,
          user_id: 'U1',
          channel_id: null,
          check_hint: 'jobs',
          started_at: NOW.toISOString(),
          owner,
          lease_until: at(1).toISOString(),
        });
        await state.remediationRuns.start(run(7, 'p1'));
        await state.remediationRuns.start(run(8, 'p2'));
        await state.remediationRuns.start(run(9, 'p1'));
        expect(await state.remediationRuns.renew(7, 'p2', at(10))).toBe(false);
        expect(await state.remediationRuns.renew(7, 'p1', at(10))).toBe(true);
        await state.remediationRuns.end(9, at(1));
        expect(await state.remediationRuns.renew(9, 'p1', at(10))).toBe(false);
        expect((await state.remediationRuns.running(at(2))).map((r) => r.audit_id)).toEqual([7]);
        const other = await anotherState();
        const claims = await Promise.all([state, other].map((s) => s.remediationRuns.claimAbandoned(at(2), 10)));
        expect(claims.flat()).toStrictEqual([{ ...run(8, 'p2'), ended_at: null, reported_at: at(2).toISOString() }]);
        expect(await state.remediationRuns.claimAbandoned(at(20), 10)).toMatchObject([{ audit_id: 7 }]);
        expect(await state.remediationRuns.running(at(2))).toEqual([]);
      });
    });

    describe('on-call overrides', () => {
      const cover = (user: string, role: 'primary' | 'secondary', from: Date, until: Date) => ({ user, role, from, until, createdBy: 'U9', authority: 'remediator' as const });

      it('add one unless one of the same role overlaps, remove one in force, list the overlapping', async () => {
        expect(await state.overrides.add(cover('U1', 'primary', at(60), at(120)), NOW)).toEqual({ id: 1 });
        expect(await state.overrides.add(cover('U2', 'secondary', at(60), at(120)), NOW)).toEqual({ id: 2 });
        expect(await state.overrides.add(cover('U3', 'primary', at(119), at(180)), NOW)).toMatchObject({ overlaps: { id: 1, user_id: 'U1' } });
        expect(await state.overrides.add(cover('U3', 'primary', at(120), at(180)), NOW)).toEqual({ id: 3 });
        expect(await state.overrides.get(1)).toStrictEqual({
          id: 1,
          user_id: 'U1',
          role: 'primary',
          from_at: at(60).toISOString(),
          until_at: at(120).toISOString(),
          created_by: 'U9',
          created_at: NOW.toISOString(),
          removed_by: null,
          removed_at: null,
          authority: 'remediator',
        });
        expect((await state.overrides.overlapping(at(100), at(130))).map((o) => o.id)).toEqual([1, 2, 3]);
        expect(await state.overrides.remove(1, 'U9', at(130))).toBe(false);
        expect(await state.overrides.remove(3, 'U9', at(130))).toBe(true);
        expect(await state.overrides.remove(3, 'U9', at(131))).toBe(false);
        expect((await state.overrides.overlapping(at(100), at(130))).map((o) => o.id)).toEqual([1, 2]);
      });

      it('let one of several overlapping overrides added from two replicas at once win', async () => {
        const other = await anotherState();
        const adds = await Promise.all(
          [state, other, state, other].map((s, i) => s.overrides.add(cover(`U${i}`, 'primary', at(60 + i), at(120 + i)), NOW)),
        );
        expect(adds.filter((a) => 'id' in a)).toHaveLength(1);
        expect(adds.filter((a) => 'overlaps' in a)).toHaveLength(3);
      });
    });

    describe('timers', () => {
      it('answer ids as numbers and rows exactly as stored', async () => {
        await incident('INC-1');
        const id = await state.timers.schedule({ kind: 'ack-reminder', due: at(5), incidentId: 'INC-1' }, NOW);
        expect(id).toBe(1);
        expect(await state.timers.get(id)).toStrictEqual({
          id: 1,
          incident_id: 'INC-1',
          alert_key: null,
          kind: 'ack-reminder',
          due_at: '2026-12-07T12:05:00.000Z',
          created_at: '2026-12-07T12:00:00.000Z',
          fired_at: null,
          cancelled_at: null,
          attempts: 0,
          last_error: null,
        });
        expect(await state.timers.get(99)).toBeNull();
      });

      it('list pending ones earliest first per scope, and the due ones', async () => {
        await incident('INC-1');
        await alert('disk');
        const late = await state.timers.schedule({ kind: 'update-due', due: at(30), incidentId: 'INC-1' }, NOW);
        const early = await state.timers.schedule({ kind: 'ack-reminder', due: at(5), incidentId: 'INC-1' }, NOW);
        const sameTime = await state.timers.schedule({ kind: 'ack-secondary', due: at(5), incidentId: 'INC-1' }, NOW);
        const ofAlert = await state.timers.schedule({ kind: 'ack-reminder', due: at(1), alertKey: 'disk' }, NOW);
        const both = await state.timers.schedule({ kind: 'ack-secondary', due: at(1), alertKey: 'disk', incidentId: 'INC-1' }, NOW);
        expect((await state.timers.pending({ incidentId: 'INC-1' })).map((t) => t.id)).toEqual([both, early, sameTime, late]);
        // An alert's own timers: not those of the incident it became.
        expect((await state.timers.pending({ alertKey: 'disk' })).map((t) => t.id)).toEqual([ofAlert]);
        expect((await state.timers.due(at(5))).map((t) => t.id)).toEqual([ofAlert, both, early, sameTime]);
        expect(await state.timers.isPending(late)).toBe(true);
      });

      it('fire, cancel (with a reason), cancel by kind, and settle', async () => {
        await incident('INC-1');
        const a = await state.timers.schedule({ kind: 'ack-reminder', due: at(5), incidentId: 'INC-1' }, NOW);
        const b = await state.timers.schedule({ kind: 'update-due', due: at(10), incidentId: 'INC-1' }, NOW);
        const c = await state.timers.schedule({ kind: 'escalate-cto', due: at(20), incidentId: 'INC-1' }, NOW);
        await state.timers.markFired(a, at(5));
        expect(await state.timers.firedKinds('INC-1')).toEqual(new Set(['ack-reminder']));
        await state.timers.cancel(b, at(6), 'resolved');
        await state.timers.cancel(b, at(7), 'again');
        expect(await state.timers.get(b)).toMatchObject({ cancelled_at: '2026-12-07T12:06:00.000Z', last_error: 'resolved' });
        await state.timers.cancelKind({ incidentId: 'INC-1' }, 'escalate-cto', at(8));
        expect(await state.timers.isPending(c)).toBe(false);
        // Settled by hand: nothing pending of that kind, so a fired row is recorded.
        await state.timers.settle('INC-1', null, 'escalate-tech-lead', at(9));
        const pendingTechLead = await state.timers.schedule({ kind: 'handoff-suggest', due: at(60), incidentId: 'INC-1' }, NOW);
        await state.timers.settle('INC-1', null, 'handoff-suggest', at(10));
        expect(await state.timers.get(pendingTechLead)).toMatchObject({ fired_at: '2026-12-07T12:10:00.000Z', attempts: 0 });
        expect(await state.timers.firedKinds('INC-1')).toEqual(new Set(['ack-reminder', 'escalate-tech-lead', 'handoff-suggest']));
        expect(await state.timers.pending({ incidentId: 'INC-1' })).toEqual([]);
      });

      it('count failures and give up after the last attempt', async () => {
        await incident('INC-1');
        const id = await state.timers.schedule({ kind: 'ack-reminder', due: at(5), incidentId: 'INC-1' }, NOW);
        await state.timers.recordFailure(id, 'slack down', 2, at(5));
        expect(await state.timers.get(id)).toMatchObject({ attempts: 1, last_error: 'slack down', cancelled_at: null });
        await state.timers.recordFailure(id, 'x'.repeat(600), 2, at(6));
        expect(await state.timers.get(id)).toMatchObject({ attempts: 2, last_error: 'x'.repeat(500), cancelled_at: '2026-12-07T12:06:00.000Z' });
      });
    });

    describe('outbox', () => {
      it('claims only the head of each lane, oldest first, with a lease, and not again until it expires', async () => {
        const l1a = await state.outbox.enqueue(post('l1'), NOW);
        const l1b = await state.outbox.enqueue(post('l1'), NOW);
        const l2 = await state.outbox.enqueue(post('l2'), NOW);
        const call = await state.outbox.enqueue({ lane: 'pd', op: 'call', payload: { text: 'page', call: { target: 'pagerduty' } } }, NOW);
        expect(ids(await state.outbox.claimHeads(claim({ calls: true })))).toEqual([call]);
        const rows = await state.outbox.claimHeads(claim({ calls: false, limit: 1 }));
        expect(rows).toStrictEqual([
          {
            id: l1a,
            created_at: NOW.toISOString(),
            lane: 'l1',
            op: 'post',
            anchor: null,
            channel: 'C1',
            payload: '{"text":"l1"}',
            attempts: 0,
            next_attempt_at: NOW.toISOString(),
            claimed_by: 'A',
            lease_until: '2026-12-07T12:01:00.000Z',
            in_doubt: 0,
            sent_at: null,
            failed_at: null,
            last_error: null,
            slack_ts: null,
          },
        ]);
        expect(ids(await state.outbox.claimHeads(claim({ owner: 'B' })))).toEqual([l2]);
        expect(await state.outbox.claimHeads(claim({ owner: 'B' }))).toEqual([]);
        // Leases are in wall time: once they expire, another owner takes the heads.
        expect(ids(await state.outbox.claimHeads(claim({ owner: 'B', wallNow: at(2) })))).toEqual([l1a, l2, call]);
        await state.outbox.markSent(rows[0]!, '1.1', at(2));
        expect(ids(await state.outbox.claimHeads(claim({ owner: 'C', wallNow: at(4) })))).toEqual([l1b, l2, call]);
      });

      it('sends refreshes of one message together, retries, fails and releases', async () => {
        const anchor = 'card:INC-1';
        const r1 = await state.outbox.enqueue({ lane: 'inc', op: 'refresh', anchor, payload: { text: 'v1' } }, NOW);
        const r2 = await state.outbox.enqueue({ lane: 'inc', op: 'refresh', anchor, payload: { text: 'v2' } }, NOW);
        const other = await state.outbox.enqueue({ lane: 'inc', op: 'refresh', anchor: 'card:INC-2', payload: { text: 'w' } }, NOW);
        const [head] = await state.outbox.claimHeads(claim());
        expect(await state.outbox.lastRefreshOf(head!)).toBe(r2);
        await state.outbox.markSent(head!, '9.9', at(1), r2);
        expect(await state.outbox.pendingCount()).toBe(1);
        const [next] = await state.outbox.claimHeads(claim({ wallNow: at(1), now: at(1) }));
        expect(next!.id).toBe(other);
        expect(await state.outbox.retryLater(other, { at: at(3), error: 'ratelimited', countAttempt: false, owner: 'someone else' })).toBe(0);
        expect(await state.outbox.retryLater(other, { at: at(3), error: 'ratelimited', countAttempt: false, owner: 'A' })).toBe(0);
        expect(await state.outbox.claimHeads(claim({ now: at(2), wallNow: at(2) }))).toEqual([]);
        await state.outbox.claimHeads(claim({ now: at(3), wallNow: at(3) }));
        expect(await state.outbox.retryLater(other, { at: at(4), error: 'timeout', countAttempt: true, owner: 'A' })).toBe(1);
        expect(await state.outbox.pendingCall('inc')).toBeNull();
        await state.outbox.claimHeads(claim({ now: at(4), wallNow: at(4) }));
        await state.outbox.renew('A', [other], at(30));
        expect(await state.outbox.claimHeads(claim({ owner: 'B', now: at(5), wallNow: at(5) }))).toEqual([]);
        expect(await state.outbox.release('A')).toBe(1);
        expect(ids(await state.outbox.claimHeads(claim({ owner: 'B', now: at(5), wallNow: at(5) })))).toEqual([other]);
        expect(await state.outbox.stats(at(10))).toEqual({ pending: 1, failed: 0, oldestPendingSec: 600 });
        await state.outbox.fail(other, 'channel_not_found', at(6));
        expect(await state.outbox.stats(at(10))).toEqual({ pending: 0, failed: 1, oldestPendingSec: 0 });
        expect((await state.outbox.recentFailures(5)).map((r) => [r.id, r.last_error, r.attempts])).toEqual([[other, 'channel_not_found', 1]]);
        expect(r1).toBeLessThan(r2);
      });

      it('names the pending call of a lane and why the newest message to a channel was given up', async () => {
        const c = await state.outbox.enqueue({ lane: 'pd:INC-1', op: 'call', payload: { text: 'page', call: { target: 'pagerduty' } } }, NOW);
        await state.outbox.claimHeads(claim());
        await state.outbox.retryLater(c, { at: at(1), error: 'PagerDuty 503', countAttempt: true, owner: 'A' });
        expect(await state.outbox.pendingCall('pd:INC-1')).toEqual({ attempts: 1, last_error: 'PagerDuty 503' });
        const m1 = await state.outbox.enqueue(post('C9'), NOW);
        const m2 = await state.outbox.enqueue({ ...post('C9'), channel: 'C9' }, at(1));
        await state.outbox.fail(m1, 'old', at(1));
        expect(await state.outbox.failureTo('C9', NOW)).toBeNull();
        await state.outbox.fail(m2, 'not_in_channel', at(2));
        expect(await state.outbox.failureTo('C9', NOW)).toBe('not_in_channel');
        expect(await state.outbox.failureTo('C9', at(2))).toBeNull();
      });

      it("keeps an upload's bytes and progress, and lets go of the bytes once shared", async () => {
        const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x0a]);
        const id = await state.outbox.enqueueUpload(
          { lane: 'inc', op: 'upload', channel: 'C1', payload: { text: 'chart', upload: { filename: 'chart.png', title: 'Chart', altText: 'a chart' } } },
          bytes,
          NOW,
        );
        expect(await state.outbox.uploadOf(id)).toStrictEqual({ filename: 'chart.png', bytes, fileId: null, uploadUrl: null, bytesSent: false, completing: false });
        await state.outbox.uploadReserved(id, 'F1', 'https://files.slack.com/upload/1');
        await state.outbox.uploadBytesSent(id);
        await state.outbox.uploadCompleting(id, true);
        expect(await state.outbox.uploadOf(id)).toMatchObject({ fileId: 'F1', uploadUrl: 'https://files.slack.com/upload/1', bytesSent: true, completing: true });
        await state.outbox.uploadRestart(id);
        expect(await state.outbox.uploadOf(id)).toMatchObject({ fileId: null, uploadUrl: null, bytesSent: false, completing: false });
        const [row] = await state.outbox.claimHeads(claim());
        await state.outbox.markSent(row!, null, at(1));
        expect(await state.outbox.uploadOf(id)).toMatchObject({ bytes: null, completing: false });
        expect(await state.outbox.uploadOf(id + 1)).toBeNull();
      });
    });

    describe('transactions', () => {
      it('commit everything or nothing', async () => {
        await state.transaction(async (tx) => {
          await tx.people.put('U1', 'Ada', NOW);
          await tx.outbox.enqueue(post('l1'), NOW);
        });
        await expect(
          state.transaction(async (tx) => {
            await tx.people.put('U2', 'Grace', NOW);
            // Its own statements are a savepoint of this transaction, undone with it.
            await tx.outbox.enqueueUpload({ lane: 'l2', op: 'upload', payload: { text: 'f' } }, Buffer.from('x'), NOW);
            throw new Error('declined');
          }),
        ).rejects.toThrow('declined');
        expect(await state.people.get('U2')).toBeNull();
        expect(await state.outbox.pendingCount()).toBe(1);
        expect(await state.people.get('U1')).toMatchObject({ name: 'Ada' });
      });

      it("undo a store method's own writes when it fails inside a transaction that goes on (a savepoint)", async () => {
        // A file row left without its outbox row takes the id the next upload gets: its second INSERT fails.
        await state.kysely.insertInto('outbox_files').values({ outbox_id: 1, filename: 'stale.png' }).execute();
        await state.transaction(async (tx) => {
          await expect(tx.outbox.enqueueUpload({ lane: 'l1', op: 'upload', payload: { text: 'f' } }, Buffer.from('x'), NOW)).rejects.toThrow();
          await tx.people.put('U1', 'Ada', NOW);
        });
        expect(await state.outbox.pendingCount()).toBe(0);
        expect(await state.people.get('U1')).toMatchObject({ name: 'Ada' });
      });

      it('begun inside another is a savepoint: its failure undoes only its own writes', async () => {
        await state.transaction(async (tx) => {
          await tx.people.put('U1', 'Ada', NOW);
          await expect(
            state.transaction(async (inner) => {
              expect(inner).toBe(tx);
              await inner.people.put('U2', 'Grace', NOW);
              throw new Error('inner failed');
            }),
          ).rejects.toThrow('inner failed');
          await state.transaction(async (inner) => await inner.people.put('U3', 'Linus', NOW));
        });
        expect(await state.people.get('U1')).not.toBeNull();
        expect(await state.people.get('U2')).toBeNull();
        expect(await state.people.get('U3')).not.toBeNull();
      });

      it("refuse the outer stores inside an open transaction, and a transaction's stores after it ended", async () => {
        let kept: Awaited<Parameters<Parameters<KyselyState['transaction']>[0]>[0]> | undefined;
        await state.transaction(async (tx) => {
          kept = tx;
          await expect(state.people.get('U1')).rejects.toThrow('a state store was called outside the transaction it runs in');
        });
        await expect(kept!.people.get('U1')).rejects.toThrow('a store of a transaction was called after the transaction ended');
      });

      it("let another replica's claim take only what an open claim has not (PostgreSQL: SKIP LOCKED; SQLite: it waits its turn)", async () => {
        const other = await anotherState();
        const heads = [await state.outbox.enqueue(post('l1'), NOW), await state.outbox.enqueue(post('l2'), NOW), await state.outbox.enqueue(post('l3'), NOW)];
        const claimed = gate();
        const held = gate();
        const first = state.transaction(async (tx) => {
          const rows = await tx.outbox.claimHeads(claim({ owner: 'A', limit: 2 }));
          claimed.open();
          await held.opened;
          return rows;
        });
        await claimed.opened;
        const second = other.outbox.claimHeads(claim({ owner: 'B' }));
        try {
          if (engine.concurrentTransactions) await within(second, "the second replica's claim waited for the first's open transaction");
        } finally {
          // Also when it failed: the first transaction ends, and the test's clean-up with it.
          held.open();
        }
        expect(ids(await first)).toEqual(heads.slice(0, 2));
        expect(ids(await second)).toEqual(heads.slice(2));
      });

      it('never hand one row to two replicas claiming at once', async () => {
        const replicas = [state, await anotherState(), await anotherState()];
        const enqueued: number[] = [];
        for (let i = 0; i < 24; i++) enqueued.push(await state.outbox.enqueue(post(`lane-${i}`), NOW));
        const claims = await Promise.all(
          replicas.flatMap((replica, r) => [0, 1, 2, 3].map(() => replica.outbox.claimHeads(claim({ owner: `R${r}`, limit: 2 })))),
        );
        const claimed = claims.flatMap(ids);
        expect(new Set(claimed).size).toBe(claimed.length);
        // Whatever the race left unclaimed is still there for the next claim: nothing lost either.
        const rest = ids(await state.outbox.claimHeads(claim({ owner: 'late', limit: 100 })));
        expect([...claimed, ...rest].sort((x, y) => x - y)).toEqual(enqueued);
      });
    });
  });
}
