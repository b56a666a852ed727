import path from 'node:path';
import { webApi } from '@slack/bolt';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertReportError, ingestAlert, MAX_ALERT_MESSAGE, type AlertReport } from '../../src/alerts/alert-ingest.js';
import { getAlert } from '../../src/alerts/alert-store.js';
import { createIncident, timeline } from '../../src/incidents/incident-store.js';
import { pendingTimers } from '../../src/incidents/timer-plan.js';
import { slackPoster } from '../../src/slack/slack-poster.js';
import { tempDir, TEST_NOW, testDeps } from '../helpers/test-deps.js';

const SLACK = 'https://slack.com';
const CHANNEL = 'C0INCIDENT';
const MIN = 60_000;

interface Call {
  method: string;
  body: Record<string, string>;
}

const firing = (over: Partial<AlertReport> = {}): AlertReport => ({
  name: 'provider_down',
  status: 'firing',
  message: 'Provider Census TIGER availability 40%',
  source: 'atlas-webhook',
  ...over,
});

describe('ingestAlert', () => {
  let env: ReturnType<typeof testDeps>;
  let cleanup: () => void;
  let calls: Call[];
  let ts = 5000;

  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    env = testDeps(path.join(t.dir, '.shadow-atlas'), {
      file: { channels: { incidents: CHANNEL }, runbooks: { 'upstream-failure': 'https://runbooks.example/upstream' } },
    });
    env.deps.outbox.attach(slackPoster(new webApi.WebClient('xoxb-test', { retryConfig: { retries: 0 } })));
    calls = [];
  });
  afterEach(() => {
    nock.cleanAll();
    env.close();
    cleanup();
  });

  function slack(method: 'chat.postMessage' | 'chat.update', times = 1) {
    return nock(SLACK)
      .post(`/api/${method}`)
      .times(times)
      .reply(200, (_uri, body) => {
        const parsed = Object.fromEntries(new URLSearchParams(body as string)) as Record<string, string>;
        calls.push({ method, body: parsed });
        return { ok: true, channel: parsed.channel, ts: parsed.ts ?? `${++ts}.000100` };
      });
  }

  const ingest = (report: AlertReport) => ingestAlert(env.deps, report);
  const blocksText = (call: Call) => call.body.blocks ?? '';

  it('posts a new firing alert once, with its severity, runbook and reminders planned from now', async () => {
    const outcome = ingest(firing({ firedAt: new Date(Date.parse(TEST_NOW) - 3 * MIN) }));
    expect(outcome.action).toBe('new');
    expect(outcome.alert).toMatchObject({
      key: 'provider_down',
      status: 'firing',
      severity: 'P1',
      severity_known: 1,
      symptom_id: 'provider-outage',
      runbook_url: 'https://runbooks.example/upstream',
      fired_at: '2026-11-26T11:57:00.000Z',
      fire_count: 1,
      sources: '["atlas-webhook"]',
    });
    const timers = pendingTimers(env.deps.state, { alertKey: 'provider_down' });
    expect(timers.map((t) => [t.kind, t.due_at])).toEqual([
      ['ack-reminder', '2026-11-26T12:05:00.000Z'],
      ['ack-secondary', '2026-11-26T14:00:00.000Z'],
    ]);

    slack('chat.postMessage');
    await env.deps.outbox.flush();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body.channel).toBe(CHANNEL);
    expect(calls[0]!.body.text).toContain('P1 provider_down firing since 11:57 UTC');
    expect(blocksText(calls[0]!)).toContain('Provider Census TIGER availability 40%');
    expect(blocksText(calls[0]!)).toContain('https://runbooks.example/upstream');
    expect(getAlert(env.deps.state, 'provider_down')!.message_ts).toBe(`${ts}.000100`);
  });

  it('treats the same alert from any source, in any case, as a duplicate: no second post, sources merged', async () => {
    ingest(firing());
    slack('chat.postMessage');
    await env.deps.outbox.flush();

    const again = ingest(firing({ name: 'Provider_Down', source: 'alertmanager', fingerprint: 'fp-1' }));
    const third = ingest(firing({ source: 'alertmanager', fingerprint: 'fp-2' }));
    expect(again.action).toBe('duplicate');
    expect(third.action).toBe('duplicate');
    expect(JSON.parse(third.alert!.sources)).toEqual(['atlas-webhook', 'alertmanager']);
    expect(JSON.parse(third.alert!.fingerprints)).toEqual(['fp-1', 'fp-2']);
    expect(env.deps.outbox.pending()).toBe(0);
    expect(pendingTimers(env.deps.state, { alertKey: 'provider_down' })).toHaveLength(2);
    await env.deps.outbox.flush();
    expect(calls).toHaveLength(1);
  });

  it('resolves: updates the posted message in place, cancels the reminders, ignores repeats', async () => {
    ingest(firing());
    slack('chat.postMessage');
    await env.deps.outbox.flush();
    const posted = getAlert(env.deps.state, 'provider_down')!;

    env.clock.advance(20 * MIN);
    const resolved = ingest({ ...firing(), status: 'resolved' });
    expect(resolved.action).toBe('resolved');
    expect(resolved.alert).toMatchObject({ status: 'resolved', resolved_at: '2026-11-26T12:20:00.000Z' });
    expect(pendingTimers(env.deps.state, { alertKey: 'provider_down' })).toEqual([]);
    expect(ingest({ ...firing(), status: 'resolved' }).action).toBe('already-resolved');

    slack('chat.update');
    await env.deps.outbox.flush();
    expect(calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.update']);
    expect(calls[1]!.body.ts).toBe(posted.message_ts);
    expect(calls[1]!.body.text).toContain('resolved at 12:20 UTC after 20 min');
    expect(blocksText(calls[1]!)).not.toContain('atlas_alert_ack');
  });

  it('says unknown-resolved for a resolution of an alert it never saw, and posts nothing', () => {
    const outcome = ingest({ ...firing({ name: 'never_seen' }), status: 'resolved' });
    expect(outcome).toEqual({ action: 'unknown-resolved', alert: null });
    expect(getAlert(env.deps.state, 'never_seen')).toBeNull();
    expect(env.deps.outbox.pending()).toBe(0);
  });

  it('keeps a resolution time between firing and now', () => {
    ingest(firing());
    env.clock.advance(10 * MIN);
    const before = ingest({ ...firing(), status: 'resolved', resolvedAt: new Date(Date.parse(TEST_NOW) - 60 * MIN) });
    expect(before.alert!.resolved_at).toBe('2026-11-26T12:10:00.000Z');
  });

  it('posts a re-fire after a resolution as a new message, once, with fresh reminders', async () => {
    ingest(firing());
    slack('chat.postMessage');
    await env.deps.outbox.flush();
    env.clock.advance(10 * MIN);
    ingest({ ...firing(), status: 'resolved' });
    slack('chat.update');
    await env.deps.outbox.flush();

    env.clock.advance(30 * MIN);
    const again = ingest(firing({ message: 'Provider Census TIGER availability 10%', source: 'metrics-db' }));
    expect(again.action).toBe('refired');
    expect(again.alert).toMatchObject({
      status: 'firing',
      fire_count: 2,
      message_ts: null,
      channel_id: null,
      resolved_at: null,
      fired_at: '2026-11-26T12:40:00.000Z',
      sources: '["metrics-db"]',
    });
    expect(pendingTimers(env.deps.state, { alertKey: 'provider_down' }).map((t) => [t.kind, t.due_at])).toEqual([
      ['ack-reminder', '2026-11-26T12:45:00.000Z'],
      ['ack-secondary', '2026-11-26T14:40:00.000Z'],
    ]);
    expect(ingest(firing()).action).toBe('duplicate');

    slack('chat.postMessage');
    await env.deps.outbox.flush();
    expect(calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.update', 'chat.postMessage']);
    expect(calls[2]!.body.ts).toBeUndefined();
    expect(blocksText(calls[2]!)).toContain('Fired 2 times');
    expect(blocksText(calls[2]!)).toContain('availability 10%');
  });

  it('does not re-fire a metrics.db firing it has already seen resolved (same fired_at)', () => {
    ingest(firing({ source: 'metrics-db', sourceFiredAt: '2026-11-26 11:00:00' }));
    ingest({ ...firing({ source: 'metrics-db' }), status: 'resolved' });
    const same = ingest(firing({ source: 'metrics-db', sourceFiredAt: '2026-11-26 11:00:00' }));
    expect(same.action).toBe('already-resolved');
    const other = ingest(firing({ source: 'metrics-db', sourceFiredAt: '2026-11-26 11:50:00' }));
    expect(other.action).toBe('refired');
    expect(other.alert!.source_fired_at).toBe('2026-11-26 11:50:00');
  });

  it('notes a resolution in the incident thread and on its timeline; the card shows the alert resolved', async () => {
    ingest(firing());
    slack('chat.postMessage');
    await env.deps.outbox.flush();
    const alert = getAlert(env.deps.state, 'provider_down')!;
    const incident = createIncident(
      env.deps.state,
      {
        title: 'provider_down',
        severity: 'P1',
        createdBy: 'U0ONCALL1',
        ownerId: 'U0ONCALL1',
        alertKey: alert.key,
        channelId: alert.channel_id,
        rootTs: alert.message_ts,
        openedAt: new Date(alert.fired_at),
        acknowledgedAt: env.clock(),
      },
      env.clock(),
    );
    env.deps.state.prepare('UPDATE alerts SET incident_id = ? WHERE key = ?').run(incident.id, alert.key);

    env.clock.advance(45 * MIN);
    expect(ingest({ ...firing(), status: 'resolved' }).action).toBe('resolved');
    expect(timeline(env.deps.state, incident.id).map((e) => [e.kind, e.actor, e.text])).toEqual([
      ['alert-resolved', 'bot', 'Alert provider_down resolved at 12:45 UTC.'],
    ]);

    slack('chat.update');
    slack('chat.postMessage');
    await env.deps.outbox.flush();
    expect(calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.update', 'chat.postMessage']);
    expect(calls[1]!.body.ts).toBe(alert.message_ts);
    expect(blocksText(calls[1]!)).toContain(incident.id);
    expect(calls[2]!.body.thread_ts).toBe(alert.message_ts);
    expect(calls[2]!.body.text).toBe('Alert provider_down resolved at 12:45 UTC.');
  });

  it('tells an open incident when its alert fires again', () => {
    ingest(firing());
    const incident = createIncident(
      env.deps.state,
      { title: 't', severity: 'P1', createdBy: 'U0ONCALL1', ownerId: 'U0ONCALL1', alertKey: 'provider_down', openedAt: env.clock() },
      env.clock(),
    );
    env.deps.state.prepare('UPDATE alerts SET incident_id = ? WHERE key = ?').run(incident.id, 'provider_down');
    ingest({ ...firing(), status: 'resolved' });
    env.clock.advance(5 * MIN);
    expect(ingest(firing()).action).toBe('refired');
    expect(timeline(env.deps.state, incident.id).map((e) => e.kind)).toEqual(['alert-resolved', 'alert-refired']);
    expect(getAlert(env.deps.state, 'provider_down')!.incident_id).toBeNull();
  });

  it('defaults an unknown alert without a severity from its source to P2 and says so in the posted message', async () => {
    const outcome = ingest(firing({ name: 'weird_thing', message: 'the flux capacitor is warm' }));
    expect(outcome.alert).toMatchObject({ severity: 'P2', severity_known: 0, symptom_id: null, runbook_url: null });
    expect(pendingTimers(env.deps.state, { alertKey: 'weird_thing' }).map((t) => t.kind)).toEqual(['ack-reminder']);
    slack('chat.postMessage');
    await env.deps.outbox.flush();
    expect(blocksText(calls[0]!)).toContain('not in the severity matrix: P2 by default');
    expect(blocksText(calls[0]!)).toContain('/atlas runbook incident-response');
  });

  it('escapes mentions and markup from the alert text in the posted blocks and the notification text', async () => {
    ingest(firing({ name: 'evil <!channel> alert', message: 'ping <!channel> and <@U123> <https://evil.example|click> & more' }));
    slack('chat.postMessage');
    await env.deps.outbox.flush();
    const body = calls[0]!.body;
    // Everything Slack renders; button values are never shown.
    const shown = JSON.stringify(JSON.parse(body.blocks ?? '[]'), (k, v: unknown) => (k === 'value' ? undefined : v));
    for (const field of [body.text ?? '', shown]) {
      expect(field).not.toContain('<!channel>');
      expect(field).not.toContain('<@U123>');
      expect(field).not.toContain('<https://evil.example|click>');
    }
    expect(body.blocks).toContain('&lt;!channel&gt;');
    expect(body.text).toContain('&lt;!channel&gt;');
    expect(body.blocks).toContain('&amp; more');
  });

  it("prefers the report's runbook link and ignores one that is not http(s)", () => {
    expect(ingest(firing({ runbookUrl: 'https://docs.example/provider' })).alert!.runbook_url).toBe('https://docs.example/provider');
    expect(ingest(firing({ name: 'ProviderDown2', runbookUrl: 'javascript:alert(1)' })).alert!.runbook_url).toBeNull();
  });

  it('never dates a firing in the future', () => {
    const outcome = ingest(firing({ firedAt: new Date(Date.parse(TEST_NOW) + 3_600_000) }));
    expect(outcome.alert!.fired_at).toBe(TEST_NOW);
    const invalid = ingest(firing({ name: 'x_invalid_date', firedAt: new Date('nonsense') }));
    expect(invalid.alert!.fired_at).toBe(TEST_NOW);
  });

  it('refuses empty, overlong and control-character names, and cuts long messages', () => {
    expect(() => ingest(firing({ name: '   ' }))).toThrow(AlertReportError);
    expect(() => ingest(firing({ name: 'x'.repeat(201) }))).toThrow(/longer than 200/);
    expect(() => ingest(firing({ name: 'two\nlines' }))).toThrow(/control characters/);
    expect(env.deps.state.prepare('SELECT COUNT(*) AS n FROM alerts').get()).toEqual({ n: 0 });
    const long = ingest(firing({ name: 'x'.repeat(200), message: 'm'.repeat(10_000) }));
    expect(long.alert!.message).toHaveLength(MAX_ALERT_MESSAGE);
    expect(long.alert!.message.endsWith('…')).toBe(true);
  });

  it('rolls the whole change back when part of it fails', () => {
    env.deps.state.exec('CREATE TRIGGER no_outbox BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, \'outbox full\'); END');
    expect(() => ingest(firing())).toThrow(/outbox full/);
    expect(getAlert(env.deps.state, 'provider_down')).toBeNull();
    expect(pendingTimers(env.deps.state, { alertKey: 'provider_down' })).toEqual([]);
  });
});
