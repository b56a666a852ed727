import path from 'node:path';
import { webApi } from '@slack/bolt';
import nock from 'nock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getAlert } from '../../src/alerts/alert-store.js';
import { createIncident, getIncident } from '../../src/incidents/incident-store.js';
import { iso } from '../../src/incidents/incident-types.js';
import { enqueue } from '../../src/slack/outbox.js';
import { slackPoster } from '../../src/slack/slack-poster.js';
import { tempDir, testDeps } from '../helpers/test-deps.js';

const SLACK = 'https://slack.com';

function insertAlert(env: ReturnType<typeof testDeps>, key: string) {
  const now = iso(env.clock());
  env.deps.state
    .prepare(
      `INSERT INTO alerts (key, name, status, severity, severity_known, message, fired_at, updated_at)
       VALUES (?, ?, 'firing', 'P1', 1, 'Census TIGER health checks failing', ?, ?)`,
    )
    .run(key, key, now, now);
}

interface Call {
  method: string;
  body: Record<string, string>;
}

describe('Outbox', () => {
  let env: ReturnType<typeof testDeps>;
  let cleanup: () => void;
  let calls: Call[];
  let ts = 1000;

  beforeAll(() => nock.disableNetConnect());
  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    env = testDeps(path.join(t.dir, '.shadow-atlas'), { file: { channels: { incidents: 'C0INCIDENT' } } });
    env.deps.outbox.attach(slackPoster(new webApi.WebClient('xoxb-test', { retryConfig: { retries: 0 } })));
    calls = [];
  });
  afterEach(() => {
    nock.cleanAll();
    env.close();
    cleanup();
  });

  function slackOk(method: 'chat.postMessage' | 'chat.update', times = 1) {
    return nock(SLACK)
      .post(`/api/${method}`)
      .times(times)
      .reply(200, (_uri, body) => {
        const parsed = Object.fromEntries(new URLSearchParams(body as string)) as Record<string, string>;
        calls.push({ method, body: parsed });
        return { ok: true, channel: parsed.channel, ts: parsed.ts ?? `${++ts}.000100` };
      });
  }

  it('posts an alert once, then edits the same message, coalescing a burst of changes', async () => {
    insertAlert(env, 'provider_down');
    const now = env.clock();
    enqueue(env.deps.state, 'alert-message', 'provider_down', null, now);
    enqueue(env.deps.state, 'alert-message', 'provider_down', null, now);
    slackOk('chat.postMessage');
    expect(await env.deps.outbox.flush()).toMatchObject({ sent: 1, failed: 0 });
    expect(calls.map((c) => c.method)).toEqual(['chat.postMessage']);
    expect(calls[0]!.body.channel).toBe('C0INCIDENT');
    expect(calls[0]!.body.text).toContain('provider_down');
    const posted = getAlert(env.deps.state, 'provider_down')!;
    expect(posted.message_ts).toBe(`${ts}.000100`);

    enqueue(env.deps.state, 'alert-message', 'provider_down', null, env.clock());
    slackOk('chat.update');
    await env.deps.outbox.flush();
    expect(calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.update']);
    expect(calls[1]!.body.ts).toBe(posted.message_ts);
    expect(env.deps.outbox.pending()).toBe(0);
  });

  it('retries after a Slack failure, later, without posting twice', async () => {
    insertAlert(env, 'provider_down');
    enqueue(env.deps.state, 'alert-message', 'provider_down', null, env.clock());
    nock(SLACK).post('/api/chat.postMessage').reply(500, 'upstream trouble');
    expect(await env.deps.outbox.flush()).toMatchObject({ sent: 0, retrying: 1 });
    expect(env.deps.outbox.pending()).toBe(1);
    // Not due yet: nothing is sent before the backoff has passed.
    slackOk('chat.postMessage');
    expect(await env.deps.outbox.flush()).toMatchObject({ sent: 0 });
    env.clock.advance(16_000);
    expect(await env.deps.outbox.flush()).toMatchObject({ sent: 1 });
    expect(calls).toHaveLength(1);
    expect(env.deps.outbox.pending()).toBe(0);
  });

  it('gives up on a permanent error and still delivers what comes after', async () => {
    insertAlert(env, 'a1');
    enqueue(env.deps.state, 'alert-message', 'a1', null, env.clock());
    enqueue(env.deps.state, 'channel-post', 'note', { channel: 'C0OTHER', text: 'hello' }, env.clock());
    nock(SLACK).post('/api/chat.postMessage').reply(200, { ok: false, error: 'not_in_channel' });
    slackOk('chat.postMessage');
    expect(await env.deps.outbox.flush()).toMatchObject({ sent: 1, failed: 1 });
    const failed = env.deps.state.prepare('SELECT last_error FROM outbox WHERE failed_at IS NOT NULL').get() as { last_error: string };
    expect(failed.last_error).toBe('not_in_channel');
    expect(calls[0]!.body.channel).toBe('C0OTHER');
  });

  it('posts an incident card before its first thread reply, and threads the reply under it', async () => {
    const incident = createIncident(
      env.deps.state,
      { title: 'TIGER down', severity: 'P1', createdBy: 'U0ALICE', ownerId: 'U0ALICE', openedAt: env.clock() },
      env.clock(),
    );
    enqueue(env.deps.state, 'thread-post', incident.id, { text: 'Initial response' }, env.clock());
    slackOk('chat.postMessage', 2);
    await env.deps.outbox.flush();
    expect(calls.map((c) => c.body.text)).toEqual([expect.stringContaining(incident.id), 'Initial response']);
    const root = getIncident(env.deps.state, incident.id)!.root_ts;
    expect(calls[1]!.body.thread_ts).toBe(root);
  });

  it('reposts a status card whose message was deleted, and points the incident at the new one', async () => {
    const incident = createIncident(
      env.deps.state,
      { title: 'slow queries', severity: 'P2', createdBy: 'U0ALICE', ownerId: 'U0ALICE', openedAt: env.clock(), channelId: 'C0INCIDENT', rootTs: '1.000001' },
      env.clock(),
    );
    enqueue(env.deps.state, 'incident-card', incident.id, null, env.clock());
    nock(SLACK).post('/api/chat.update').reply(200, { ok: false, error: 'message_not_found' });
    slackOk('chat.postMessage');
    await env.deps.outbox.flush();
    expect(getIncident(env.deps.state, incident.id)!.root_ts).toBe(`${ts}.000100`);
  });

  it('keeps everything queued while no Slack connection is attached (the terminal)', async () => {
    const t = tempDir();
    const offline = testDeps(path.join(t.dir, '.shadow-atlas'));
    try {
      enqueue(offline.deps.state, 'channel-post', 'x', { channel: 'C0X', text: 'later' }, offline.clock());
      expect(await offline.deps.outbox.flush()).toEqual({ sent: 0, retrying: 0, failed: 0 });
      expect(offline.deps.outbox.pending()).toBe(1);
    } finally {
      offline.close();
      t.cleanup();
    }
  });
});
