import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AckFirstQueue } from '../../src/slack/ack-first-queue.js';
import { eventually } from '../helpers/slack-harness.js';

describe('AckFirstQueue', () => {
  let server: Server | null = null;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r) ?? r(null));
    server = null;
  });

  /** A server whose responses wait until the test sends them, like requests awaiting their ack. */
  async function heldServer() {
    const held: ServerResponse[] = [];
    server = createServer((_req, res) => held.push(res));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    return { held, url };
  }

  /** A tracked server with one request that stays unacknowledged for the whole test. */
  async function ackPending(q: AckFirstQueue) {
    const { held, url } = await heldServer();
    q.track(server!);
    void fetch(url).catch(() => undefined);
    await eventually(() => held.length === 1, 'the request to arrive');
    return held;
  }

  const turn = () => new Promise((r) => setImmediate(r));

  it('runs jobs in order, one failure not stopping the next', async () => {
    const q = new AckFirstQueue(pino({ level: 'silent' }));
    const ran: number[] = [];
    q.enqueue(async () => void ran.push(1));
    q.enqueue(async () => {
      throw new Error('boom');
    });
    q.enqueue(async () => void ran.push(3));
    await eventually(() => ran.length === 2, 'both jobs');
    expect(ran).toEqual([1, 3]);
    expect(q.size()).toBe(0);
  });

  it('under a steady stream of commands never falls behind: each job starts on the next turn', async () => {
    // The stream of the issue: an acknowledgement always pending and three new commands per
    // turn of the event loop. A queue that holds work while acks are pending and then starts
    // one job per turn falls further behind every turn (health --window 30d answered after 69 s).
    let clock = 0;
    const q = new AckFirstQueue(pino({ level: 'silent' }), { concurrency: 64, sliceMs: 5, now: () => clock });
    const held = await ackPending(q);
    const waits: number[] = [];
    for (let tick = 0; tick < 300; tick++) {
      clock = tick;
      for (let k = 0; k < 3; k++) {
        const queuedAt = tick;
        q.enqueue(async () => void waits.push(clock - queuedAt));
      }
      await turn();
    }
    await turn();
    expect(waits).toHaveLength(900);
    expect(Math.max(...waits)).toBeLessThanOrEqual(1);
    expect(held[0]!.writableEnded).toBe(false);
  });

  it('while a request awaits its acknowledgement, starts one slice of work per turn, so requests are read in between', async () => {
    let clock = 0;
    const q = new AckFirstQueue(pino({ level: 'silent' }), { sliceMs: 5, idleSliceMs: 20, now: () => clock });
    const held = await ackPending(q);
    let turns = 0;
    const startedIn: number[] = [];
    // Each job works 2 ms before its first await: a 5 ms slice holds three of them.
    for (let i = 0; i < 12; i++) {
      q.enqueue(async () => {
        startedIn.push(turns);
        clock += 2;
      });
    }
    for (let t = 0; t < 20 && startedIn.length < 12; t++) {
      await turn();
      turns++;
    }
    expect(startedIn).toHaveLength(12);
    expect(perTurn(startedIn)).toEqual([3, 3, 3, 3]);

    // Acknowledged: the larger idle slice (20 ms: ten such jobs) applies.
    held[0]!.end('ok');
    await eventually(() => q.size() === 0, 'the first jobs to finish');
    await new Promise((r) => setTimeout(r, 20));
    startedIn.length = 0;
    turns = 0;
    for (let i = 0; i < 12; i++) {
      q.enqueue(async () => {
        startedIn.push(turns);
        clock += 2;
      });
    }
    for (let t = 0; t < 20 && startedIn.length < 12; t++) {
      await turn();
      turns++;
    }
    expect(perTurn(startedIn)).toEqual([10, 2]);
  });

  it('keeps at most `concurrency` jobs in progress; the next starts when one finishes', async () => {
    const q = new AckFirstQueue(pino({ level: 'silent' }), { concurrency: 2 });
    const release: (() => void)[] = [];
    const started: number[] = [];
    for (let i = 0; i < 4; i++) {
      q.enqueue(async () => {
        started.push(i);
        await new Promise<void>((r) => release.push(r));
      });
    }
    await eventually(() => started.length === 2, 'two jobs');
    await turn();
    expect(started).toEqual([0, 1]);
    release.shift()!();
    await eventually(() => started.length === 3, 'the third job');
    expect(q.size()).toBe(3);
    release.splice(0).forEach((r) => r());
    await eventually(() => started.length === 4, 'the last job');
    release.splice(0).forEach((r) => r());
    await eventually(() => q.size() === 0, 'all done');
  });
});

/** How many entries share each value, in order of the values: [0,0,1] -> [2, 1]. */
function perTurn(turns: number[]): number[] {
  const counts = new Map<number, number>();
  for (const t of turns) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts.entries()].sort(([a], [b]) => a - b).map(([, n]) => n);
}
