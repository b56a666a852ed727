/** Leases (with their fencing) and the replica registry, written once and run on both engines. */
import { sql } from 'kysely';
import { beforeEach, describe, expect, it } from 'vitest';
import { currentFence, LeaseLostError } from '../../../src/db/state/fence-context.js';
import type { KyselyState } from '../../../src/db/state/kysely/kysely-state.js';
import type { Fence } from '../../../src/db/state/lease-store.js';
import { freshStates, type KyselyEngineUnderTest } from './kysely-store-cases.js';

const NOW = new Date('2026-12-07T12:00:00.000Z');
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const TTL = 30_000;

export function leaseReplicaStoreCases(engine: KyselyEngineUnderTest): void {
  describe(`leases and replicas on ${engine.engine}`, () => {
    const states = freshStates(engine);
    let state: KyselyState;
    beforeEach(() => {
      state = states.state();
    });
    const anotherState = states.another;
    /** Runs `fn` under `fence`, its holder's clock reading `now`. */
    const under = <T>(fence: Fence, now: Date, fn: () => Promise<T>) => currentFence.run({ ...fence, now: () => now }, fn);
    const people = async () => (await state.kysely.selectFrom('people').select('user_id').orderBy('user_id').execute()).map((r) => r.user_id);

    it('hand a lease to one holder at a time: kept with its token while renewed, taken over with a higher one once expired', async () => {
      expect(await state.leases.acquire('job:handoff', 'A', NOW, TTL)).toEqual({ name: 'job:handoff', holder: 'A', token: 1 });
      expect(await state.leases.acquire('job:handoff', 'B', at(10), TTL)).toBeNull();
      expect(await state.leases.acquire('job:handoff', 'A', at(20), TTL)).toEqual({ name: 'job:handoff', holder: 'A', token: 1 });
      // A's renewal at 20 s holds it to 50 s.
      expect(await state.leases.acquire('job:handoff', 'B', at(45), TTL)).toBeNull();
      expect(await state.leases.acquire('job:handoff', 'B', at(50), TTL)).toEqual({ name: 'job:handoff', holder: 'B', token: 2 });
      expect(await state.leases.acquire('job:handoff', 'A', at(55), TTL)).toBeNull();
      expect(await state.leases.acquire('job:timers', 'A', at(55), TTL)).toEqual({ name: 'job:timers', holder: 'A', token: 1 });
      await state.leases.release('job:handoff', 'A', at(56));
      expect(await state.leases.acquire('job:handoff', 'A', at(57), TTL)).toBeNull();
      await state.leases.release('job:handoff', 'B', at(58));
      expect(await state.leases.acquire('job:handoff', 'A', at(58), TTL)).toEqual({ name: 'job:handoff', holder: 'A', token: 3 });
      expect(await state.leases.list()).toEqual([
        { name: 'job:handoff', holder: 'A', fencing_token: 3, expires_at: '2026-12-07T12:01:28.000Z' },
        { name: 'job:timers', holder: 'A', fencing_token: 1, expires_at: '2026-12-07T12:01:25.000Z' },
      ]);
    });

    it('give a free lease to exactly one of six replicas asking at once, and an expired one too', async () => {
      const other = await anotherState();
      const asks = (now: Date) => Promise.all([state, other, state, other, state, other].map((s, i) => s.leases.acquire('job:retention', `R${i}`, now, TTL)));
      const first = (await asks(NOW)).filter((f) => f !== null);
      expect(first).toHaveLength(1);
      expect(first[0]!.token).toBe(1);
      const second = (await asks(at(31))).filter((f) => f !== null);
      expect(second).toHaveLength(1);
      expect(second[0]!.token).toBe(2);
    });

    it('let a holder write under its lease, and change nothing once the lease was taken over (in or outside a transaction)', async () => {
      const a = (await state.leases.acquire('job:sweep', 'A', NOW, TTL))!;
      await under(a, at(1), async () => {
        await state.transaction(async (tx) => await tx.people.put('U1', 'Ada', at(1)));
        await state.people.put('U2', 'Bo', at(1));
      });
      expect(await people()).toEqual(['U1', 'U2']);
      // A pauses past its lease; B takes it over.
      const other = await anotherState();
      expect(await other.leases.acquire('job:sweep', 'B', at(40), TTL)).toEqual({ name: 'job:sweep', holder: 'B', token: 2 });
      // A wakes up: its clock may still read a time inside its lease; the token decides.
      const inTransaction = under(a, at(2), async () => await state.transaction(async (tx) => await tx.people.put('U3', 'Cy', at(2))));
      await expect(inTransaction).rejects.toBeInstanceOf(LeaseLostError);
      await expect(under(a, at(2), async () => await state.people.put('U4', 'Di', at(2)))).rejects.toThrow('is no longer held by A; nothing was written');
      expect(await people()).toEqual(['U1', 'U2']);
      // Outside any lease, writes go on as ever.
      await state.people.put('U5', 'Ed', at(41));
      expect(await people()).toEqual(['U1', 'U2', 'U5']);
    });

    it('make a takeover wait for the holder transaction in progress, so the two never write at once', async () => {
      const a = (await state.leases.acquire('job:sweep', 'A', NOW, TTL))!;
      const other = await anotherState();
      let letGo!: () => void;
      const held = new Promise<void>((resolve) => (letGo = resolve));
      let inside!: () => void;
      const entered = new Promise<void>((resolve) => (inside = resolve));
      const writing = under(a, at(29), async () =>
        await state.transaction(async (tx) => {
          inside();
          await held;
          await tx.people.put('U1', 'Ada', at(29));
        }),
      );
      await entered;
      let takenOver = false;
      const takeover = other.leases.acquire('job:sweep', 'B', at(31), TTL).then((fence) => {
        takenOver = true;
        return fence;
      });
      // The takeover cannot finish while A's transaction holds the lease row (PostgreSQL: seen
      // waiting on a lock) or, on SQLite, the file (its queue in this process).
      const waitingOnLock = async () =>
        engine.engine === 'sqlite' ||
        (await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(state.kysely)).rows[0]!.n > 0;
      for (let tries = 0; !takenOver && !(await waitingOnLock()); tries++) {
        if (tries > 3000) throw new Error('the takeover neither finished nor waited on a lock');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(takenOver).toBe(false);
      letGo();
      await writing;
      expect(await takeover).toEqual({ name: 'job:sweep', holder: 'B', token: 2 });
      expect(await people()).toEqual(['U1']);
    });

    it('name the replicas seen lately and not stopped, and forget those long gone', async () => {
      const replica = (id: string, name: string, reaches: number) => ({ id, name, host: `${name}.example`, pid: 100, reaches_data: reaches, started_at: NOW.toISOString() });
      await state.replicas.report(replica('b#100', 'bot-b', 0), NOW);
      await state.replicas.report(replica('a#100', 'bot-a', 1), NOW);
      await state.replicas.report(replica('c#100', 'bot-c', 1), NOW);
      await state.replicas.report(replica('a#100', 'bot-a', 0), at(20));
      await state.replicas.stopped('c#100', at(21));
      expect(await state.replicas.live(at(-5))).toEqual([
        { ...replica('a#100', 'bot-a', 0), seen_at: '2026-12-07T12:00:20.000Z', stopped_at: null },
        { ...replica('b#100', 'bot-b', 0), seen_at: NOW.toISOString(), stopped_at: null },
      ]);
      expect((await state.replicas.live(at(10))).map((r) => r.id)).toEqual(['a#100']);
      expect(await state.replicas.prune(at(10))).toBe(2);
      expect((await state.replicas.live(at(-5))).map((r) => r.id)).toEqual(['a#100']);
    });
  });
}
