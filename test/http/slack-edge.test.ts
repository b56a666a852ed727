/**
 * The door of POST /slack/events (src/http/slack-request-guard.ts), driven over real HTTP on
 * 127.0.0.1: refused before the body is read, the size cap, the bound on bodies read at once,
 * the timestamp window both ways, and replays refused by one process and by two on one chatops.db.
 */
import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { createRegistry } from '../../src/commands/index.js';
import { STATE_UNREACHABLE_ANSWER } from '../../src/db/state/state-unreachable.js';
import { bodyReadGate, type BodyReadGate } from '../../src/http/body-read-gate.js';
import { usergroupMembers } from '../../src/slack/usergroup-members.js';
import { incidentConfig } from '../helpers/incident-env.js';
import { startSlackEnv, type SlackEnv } from '../helpers/slack-env.js';
import { eventually, FORM, settle, slackSignature, slashCommandBody, startHarness, TEST_SIGNING_SECRET, type Harness } from '../helpers/slack-harness.js';
import { testDeps } from '../helpers/test-deps.js';
import { unfinishedPost } from '../helpers/unfinished-post.js';

const MAX_BODY = 8 * 1024;
let se: SlackEnv;
let gate: BodyReadGate;

beforeEach(async () => {
  gate = bodyReadGate(2);
  se = await startSlackEnv({ file: incidentConfig(), edge: { bodyReads: gate, maxBodyBytes: MAX_BODY, bodyTimeoutMs: 1500 } });
});
afterEach(async () => {
  await se.close();
});

const freshHeaders = (skewSec = 0) => slackSignature(TEST_SIGNING_SECRET, 'x'.repeat(64), Math.floor(Date.now() / 1000) + skewSec);
const incidents = () => (se.env.db.prepare('SELECT COUNT(*) AS n FROM incidents').get() as { n: number }).n;

describe('POST /slack/events before its body', () => {
  it('refuses a request without the signature headers with 401 although its body never finishes', async () => {
    const p = unfinishedPost(`${se.h.baseUrl}/slack/events`, {});
    try {
      expect((await p.response).status).toBe(401);
      // Answered before the 4 MB were sent: the bot did not wait for (or read) the body.
      expect(p.written()).toBeLessThan(4 * 1024 * 1024);
    } finally {
      p.destroy();
    }
    const onlySignature = unfinishedPost(`${se.h.baseUrl}/slack/events`, { 'x-slack-signature': freshHeaders()['x-slack-signature']! });
    try {
      expect((await onlySignature.response).status).toBe(401);
    } finally {
      onlySignature.destroy();
    }
  });

  it('refuses a stale or a future timestamp with 401 before reading the body', async () => {
    for (const skew of [-3600, 7200]) {
      const p = unfinishedPost(`${se.h.baseUrl}/slack/events`, freshHeaders(skew));
      try {
        expect((await p.response).status).toBe(401);
      } finally {
        p.destroy();
      }
    }
    expect(gate.inFlight()).toBe(0);
  });

  it('answers a declared body over the cap with 413 at once, and one that grows past it with 413', async () => {
    const declared = unfinishedPost(`${se.h.baseUrl}/slack/events`, freshHeaders(), MAX_BODY + 1);
    try {
      expect((await declared.response).status).toBe(413);
    } finally {
      declared.destroy();
    }
    // No Content-Length (chunked): read up to the cap, then refused.
    const body = slashCommandBody(`help ${'x'.repeat(MAX_BODY)}`);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(`${se.h.baseUrl}/slack/events`, { method: 'POST', headers: { 'content-type': FORM, ...slackSignature(TEST_SIGNING_SECRET, body) } });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(chunked).toBe(413);
  });

  it('reads at most the gate\'s number of unauthenticated bodies at once, refuses more with 503 at once, and serves again when they are gone', async () => {
    // Bodies of 4000 bytes (under the cap) of which 100 arrive.
    const slow = [unfinishedPost(`${se.h.baseUrl}/slack/events`, freshHeaders(), 4000, false), unfinishedPost(`${se.h.baseUrl}/slack/events`, freshHeaders(), 4000, false)];
    try {
      await eventually(() => gate.inFlight() === 2, 'two bodies being read');
      const third = unfinishedPost(`${se.h.baseUrl}/slack/events`, freshHeaders(), 4000, false);
      try {
        const answer = await third.response;
        expect(answer.status).toBe(503);
        expect(answer.headers['retry-after']).toBe('1');
      } finally {
        third.destroy();
      }
      // A body that never finishes gives its place back after the read's time bound (408).
      expect((await slow[0]!.response).status).toBe(408);
    } finally {
      for (const p of slow) p.destroy();
    }
    await eventually(() => gate.inFlight() === 0, 'the places given back');
    const ok = await se.h.command('help');
    expect(ok.res.status).toBe(200);
  });
});

describe('signed requests: the timestamp window and replays', () => {
  it('refuses a correctly signed request dated more than five minutes ahead, and takes one a little ahead', async () => {
    expect((await se.h.signedCommand('help', { skewSec: 2 * 3600 })).status).toBe(401);
    expect((await se.h.signedCommand('help', { skewSec: 301 })).status).toBe(401);
    expect((await se.h.signedCommand('help', { skewSec: 120 })).status).toBe(200);
    expect(se.h.logs.lines.some((l) => l.msg === 'Slack request refused' && l.reason === 'request timestamp is more than 5 minutes in the future')).toBe(true);
  });

  it('a replayed signed /atlas declare is refused and opens one incident', async () => {
    const body = slashCommandBody('declare tiger down since 3am');
    const headers = slackSignature(TEST_SIGNING_SECRET, body);
    const first = await se.h.post(body, { headers });
    expect(first.status).toBe(200);
    const replay = await se.h.post(body, { headers });
    expect(replay.status).toBe(401);
    await eventually(() => incidents() === 1, 'the declared incident');
    // Given time to (wrongly) open a second one, it does not.
    await settle();
    expect(incidents()).toBe(1);
  });

  it('two bot instances on one chatops.db: the request one took is refused by the other', async () => {
    const other = testDeps(se.dataDir, { file: incidentConfig() });
    let client: Harness['app']['app']['client'] | null = null;
    const registry = createRegistry(createAuthorizer(other.deps.config, usergroupMembers(() => client), undefined, async () => await other.deps.rotation.at(other.clock())));
    const second = await startHarness({ deps: other.deps, registry, slack: se.d.slack });
    client = second.app.app.client;
    try {
      const body = slashCommandBody('declare provider outage');
      const headers = slackSignature(TEST_SIGNING_SECRET, body);
      const [a, b] = await Promise.all([se.h.post(body, { headers }), second.post(body, { headers })]);
      expect([a.status, b.status].sort()).toEqual([200, 401]);
      await eventually(() => incidents() === 1, 'the declared incident');
      // And again later, to either of them.
      expect((await second.post(body, { headers })).status).toBe(401);
      expect((await se.h.post(body, { headers })).status).toBe(401);
    } finally {
      await second.close();
      await other.close();
    }
  });

  it('while the state does not answer the replay check: a slash command is acknowledged with "try again in a moment" and not run, a button press gets 503', async () => {
    // Another request's transaction holds the state (as a PostgreSQL failing over holds every query).
    let release!: () => void;
    const held = se.env.deps.state.transaction(async () => await new Promise<void>((resolve) => (release = resolve)));
    try {
      const body = slashCommandBody('declare provider outage');
      const res = await se.h.post(body);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ response_type: 'ephemeral', text: STATE_UNREACHABLE_ANSWER });
      const press = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', actions: [] }))}`;
      expect((await se.h.post(press)).status).toBe(503);
    } finally {
      release();
      await held;
    }
    await settle();
    expect(incidents()).toBe(0);
    // Once the state answers, the same command (signed anew, as Slack sends it again when typed again) runs.
    expect((await se.h.post(slashCommandBody('declare provider outage'))).status).toBe(200);
    await eventually(() => incidents() === 1, 'the declared incident');
  });

  it('forgets a signature once its window is over', async () => {
    const seen = se.env.deps.state.seenRequests;
    const t0 = new Date('2026-12-07T12:00:00Z');
    const expires = new Date(t0.getTime() + 300_000);
    expect(await seen.firstSight('a'.repeat(64), expires, t0)).toBe(true);
    expect(await seen.firstSight('a'.repeat(64), expires, new Date(t0.getTime() + 299_000))).toBe(false);
    expect(await seen.firstSight('a'.repeat(64), new Date(expires.getTime() + 300_000), expires)).toBe(true);
    expect(await seen.prune(new Date(expires.getTime() + 600_000))).toBe(1);
  });
});
