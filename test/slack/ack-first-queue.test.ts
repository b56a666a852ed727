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
  });

  it('holds work while a request awaits its acknowledgement, and starts it once answered', async () => {
    const q = new AckFirstQueue(pino({ level: 'silent' }), 60_000);
    const { held, url } = await heldServer();
    q.track(server!);
    const request = fetch(url).then((r) => r.text());
    await eventually(() => held.length === 1, 'the request to arrive');
    let ran = false;
    q.enqueue(async () => {
      ran = true;
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(ran).toBe(false);
    held[0]!.end('ok');
    await request;
    await eventually(() => ran, 'the job after the ack');
  });

  it('never lets a job wait longer than its bound', async () => {
    let clock = 0;
    const q = new AckFirstQueue(pino({ level: 'silent' }), 20, 8, () => clock);
    const { held, url } = await heldServer();
    q.track(server!);
    void fetch(url).catch(() => undefined);
    await eventually(() => held.length === 1, 'the request to arrive');
    let ran = false;
    q.enqueue(async () => {
      ran = true;
    });
    clock = 25;
    await eventually(() => ran, 'the job past its bound');
    expect(held[0]!.writableEnded).toBe(false);
  });

  it('under a steady stream of commands never falls behind: every job starts within its bound', async () => {
    // The stream of the issue: acks always pending, three new commands per turn of the event
    // loop. A queue that starts one job per turn falls further behind every turn.
    let clock = 0;
    const q = new AckFirstQueue(pino({ level: 'silent' }), 50, 64, () => clock);
    const { held, url } = await heldServer();
    q.track(server!);
    void fetch(url).catch(() => undefined);
    await eventually(() => held.length === 1, 'the request to arrive');
    const waits: number[] = [];
    for (let tick = 0; tick < 300; tick++) {
      clock = tick;
      for (let k = 0; k < 3; k++) {
        const queuedAt = tick;
        q.enqueue(async () => void waits.push(clock - queuedAt));
      }
      await new Promise((r) => setImmediate(r));
    }
    // Everything queued up to 50 ms before the end has started, none later than its bound.
    expect(waits.length).toBeGreaterThanOrEqual(3 * 250);
    expect(Math.max(...waits)).toBeLessThanOrEqual(51);
    expect(held[0]!.writableEnded).toBe(false);
  });

  it('starts at most a slice of synchronous work per turn, so requests are read in between', async () => {
    let clock = 0;
    const q = new AckFirstQueue(pino({ level: 'silent' }), 0, 64, () => clock, 5);
    let turn = 0;
    const startedIn: number[] = [];
    // Each job works 2 ms before its first await: a 5 ms slice holds three of them.
    for (let i = 0; i < 12; i++) {
      q.enqueue(async () => {
        startedIn.push(turn);
        clock += 2;
      });
    }
    for (let t = 0; t < 20 && startedIn.length < 12; t++) {
      await new Promise((r) => setImmediate(r));
      turn++;
    }
    expect(startedIn).toHaveLength(12);
    const perTurn = new Map<number, number>();
    for (const t of startedIn) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    expect(Math.max(...perTurn.values())).toBe(3);
    expect(perTurn.size).toBe(4);
  });
});
