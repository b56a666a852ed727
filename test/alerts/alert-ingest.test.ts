import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertReportError, ingestAlert, MAX_ALERT_MESSAGE, type AlertReport } from '../../src/alerts/alert-ingest.js';
import { acknowledgeAlert } from '../../src/incidents/acknowledge.js';
import { resolveIncident } from '../../src/incidents/resolution.js';
import { ALERT_ACK_ACTION } from '../../src/templates/incident-buttons.js';
import { blockText, CHANNEL, MIN, openIncidentEnv, type IncidentEnv } from '../helpers/incident-env.js';
import { TEST_NOW } from '../helpers/test-deps.js';

const firing = (over: Partial<AlertReport> = {}): AlertReport => ({
  name: 'provider_down',
  status: 'firing',
  message: 'Provider Census TIGER availability 40%',
  source: 'atlas-webhook',
  ...over,
});

let ie: IncidentEnv;
beforeEach(() => {
  ie = openIncidentEnv({ channels: { incidents: CHANNEL }, runbooks: { 'upstream-failure': 'https://runbooks.example/upstream' } });
});
afterEach(() => ie.close());

const deps = () => ie.env.deps;
const ingest = async (report: AlertReport) => await ingestAlert(deps(), report);
const alertTimers = async (key: string) => await deps().state.timers.pending({ alertKey: key });
const calls = (method: string) => ie.harness!.slack.workspace.calls(method);

describe('ingestAlert', () => {
  it('posts a new firing alert once, with its severity, runbook and reminders planned from now', async () => {
    const outcome = await ingest(firing({ firedAt: new Date(Date.parse(TEST_NOW) - 3 * MIN) }));
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
    expect((await alertTimers('provider_down')).map((t) => [t.kind, t.due_at])).toEqual([
      ['ack-reminder', '2026-11-26T12:05:00.000Z'],
      ['ack-secondary', '2026-11-26T14:00:00.000Z'],
    ]);

    await ie.deliver();
    expect(ie.channel()).toHaveLength(1);
    const posted = ie.channel()[0]!;
    expect(posted.text).toContain('P1 provider_down firing since 11:57 UTC');
    expect(blockText(posted)).toContain('Provider Census TIGER availability 40%');
    expect(blockText(posted)).toContain('https://runbooks.example/upstream');
    expect(blockText(posted)).toContain(ALERT_ACK_ACTION);
    expect(await deps().state.slackMessages.get('alert:provider_down:1')).toEqual({ channel: CHANNEL, ts: posted.ts });
  });

  it('treats the same alert from any source, in any case, as a duplicate: no second post, sources merged', async () => {
    await ingest(firing());
    await ie.deliver();

    const again = await ingest(firing({ name: 'Provider_Down', source: 'alertmanager', fingerprint: 'fp-1' }));
    const third = await ingest(firing({ source: 'alertmanager', fingerprint: 'fp-2' }));
    expect(again.action).toBe('duplicate');
    expect(third.action).toBe('duplicate');
    expect(JSON.parse(third.alert!.sources)).toEqual(['atlas-webhook', 'alertmanager']);
    expect(JSON.parse(third.alert!.fingerprints)).toEqual(['fp-1', 'fp-2']);
    expect(await deps().state.outbox.pendingCount()).toBe(0);
    expect(await alertTimers('provider_down')).toHaveLength(2);
    await ie.deliver();
    expect(calls('chat.postMessage')).toHaveLength(1);
    expect(calls('chat.update')).toHaveLength(0);
  });

  it('resolves: updates the posted message in place, cancels the reminders, ignores repeats', async () => {
    await ingest(firing());
    await ie.deliver();
    const posted = ie.channel()[0]!;

    ie.env.clock.advance(20 * MIN);
    const resolved = await ingest({ ...firing(), status: 'resolved' });
    expect(resolved.action).toBe('resolved');
    expect(resolved.alert).toMatchObject({ status: 'resolved', resolved_at: '2026-11-26T12:20:00.000Z' });
    expect(await alertTimers('provider_down')).toEqual([]);
    expect((await ingest({ ...firing(), status: 'resolved' })).action).toBe('already-resolved');

    await ie.deliver();
    expect(calls('chat.postMessage')).toHaveLength(1);
    expect(calls('chat.update')).toHaveLength(1);
    expect(ie.channel()).toHaveLength(1);
    const edited = ie.channel()[0]!;
    expect(edited.ts).toBe(posted.ts);
    expect(edited.text).toContain('resolved at 12:20 UTC after 20 min');
    expect(blockText(edited)).not.toContain(ALERT_ACK_ACTION);
    // Nobody acknowledged it: there is no thread to tell.
    expect(await ie.thread('alert:provider_down:1')).toEqual([]);
  });

  it('says unknown-resolved for a resolution of an alert it never saw, and posts nothing', async () => {
    const outcome = await ingest({ ...firing({ name: 'never_seen' }), status: 'resolved' });
    expect(outcome).toEqual({ action: 'unknown-resolved', alert: null });
    expect(await deps().state.alerts.get('never_seen')).toBeNull();
    expect(await deps().state.outbox.pendingCount()).toBe(0);
  });

  it('keeps a resolution time between firing and now', async () => {
    await ingest(firing());
    ie.env.clock.advance(10 * MIN);
    const before = await ingest({ ...firing(), status: 'resolved', resolvedAt: new Date(Date.parse(TEST_NOW) - 60 * MIN) });
    expect(before.alert!.resolved_at).toBe('2026-11-26T12:10:00.000Z');
    await ingest(firing({ name: 'later' }));
    ie.env.clock.advance(MIN);
    const future = await ingest({ ...firing({ name: 'later' }), status: 'resolved', resolvedAt: new Date(Date.parse(TEST_NOW) + 60 * MIN) });
    expect(future.alert!.resolved_at).toBe('2026-11-26T12:11:00.000Z');
  });

  it('posts a re-fire after a resolution as a new message, once, with fresh reminders; the old message keeps how it ended', async () => {
    await ingest(firing());
    await ie.deliver();
    ie.env.clock.advance(10 * MIN);
    await ingest({ ...firing(), status: 'resolved' });
    await ie.deliver();

    ie.env.clock.advance(30 * MIN);
    const again = await ingest(firing({ message: 'Provider Census TIGER availability 10%', source: 'metrics-db' }));
    expect(again.action).toBe('refired');
    expect(again.alert).toMatchObject({
      status: 'firing',
      fire_count: 2,
      resolved_at: null,
      incident_id: null,
      fired_at: '2026-11-26T12:40:00.000Z',
      sources: '["metrics-db"]',
    });
    expect((await alertTimers('provider_down')).map((t) => [t.kind, t.due_at])).toEqual([
      ['ack-reminder', '2026-11-26T12:45:00.000Z'],
      ['ack-secondary', '2026-11-26T14:40:00.000Z'],
    ]);
    expect((await ingest(firing())).action).toBe('duplicate');

    await ie.deliver();
    expect(calls('chat.postMessage')).toHaveLength(2);
    expect(calls('chat.update')).toHaveLength(1);
    const [first, second] = ie.channel();
    expect((await ie.anchored('alert:provider_down:2'))!.ts).toBe(second!.ts);
    expect(blockText(second)).toContain('Fired 2 times');
    expect(blockText(second)).toContain('availability 10%');
    expect(blockText(second)).toContain(ALERT_ACK_ACTION);
    expect(first!.text).toContain('resolved at 12:10 UTC after 10 min');
  });

  it('does not re-fire a metrics.db firing it has already seen resolved (same fired_at)', async () => {
    await ingest(firing({ source: 'metrics-db', sourceFiredAt: '2026-11-26 11:00:00' }));
    await ingest({ ...firing({ source: 'metrics-db' }), status: 'resolved' });
    const same = await ingest(firing({ source: 'metrics-db', sourceFiredAt: '2026-11-26 11:00:00' }));
    expect(same.action).toBe('already-resolved');
    const other = await ingest(firing({ source: 'metrics-db', sourceFiredAt: '2026-11-26 11:50:00' }));
    expect(other.action).toBe('refired');
    expect(other.alert!.source_fired_at).toBe('2026-11-26 11:50:00');
  });

  it('notes a resolution in the incident thread and on its timeline; the card shows the alert resolved', async () => {
    await ingest(firing());
    await ie.deliver();
    const alertTs = ie.channel()[0]!.ts;
    const { incident } = await acknowledgeAlert(deps(), 'provider_down', 'U0ONCALL1');

    ie.env.clock.advance(45 * MIN);
    expect((await ingest({ ...firing(), status: 'resolved' })).action).toBe('resolved');
    expect((await deps().state.timeline.list(incident.id)).at(-1)).toMatchObject({ kind: 'alert-resolved', actor: 'bot', text: 'Alert provider_down resolved at 12:45 UTC.' });

    await ie.deliver();
    expect(ie.channel()).toHaveLength(1);
    const card = ie.channel()[0]!;
    expect(card.ts).toBe(alertTs);
    expect(card.text).toContain(incident.id);
    expect(blockText(card)).toContain('Alert provider_down: resolved 12:45 UTC');
    expect((await ie.thread(incident.anchor)).at(-1)!.text).toBe('Alert provider_down resolved at 12:45 UTC.');
  });

  it('tells an open incident when its alert fires again; the new firing gets a message of its own and the card stays the card', async () => {
    await ingest(firing());
    const { incident } = await acknowledgeAlert(deps(), 'provider_down', 'U0ONCALL1');
    await ingest({ ...firing(), status: 'resolved' });
    ie.env.clock.advance(5 * MIN);
    expect((await ingest(firing())).action).toBe('refired');
    expect(
      (await deps().state.timeline.list(incident.id))
        .map((e) => e.kind)
        .slice(-2),
    ).toEqual(['alert-resolved', 'alert-refired']);
    expect((await deps().state.alerts.get('provider_down'))!.incident_id).toBeNull();

    await ie.deliver();
    expect(ie.channel()).toHaveLength(2);
    const card = (await ie.anchored(incident.anchor))!;
    expect(card.text).toContain(incident.id);
    // The card no longer shows the alert: its new firing is not this incident's.
    expect(blockText(card)).not.toContain('Alert provider_down');
    expect((await ie.thread(incident.anchor)).at(-1)!.text).toBe('Alert provider_down fired again at 12:05 UTC; posted as a new alert.');
    const fresh = (await ie.anchored('alert:provider_down:2'))!;
    expect(blockText(fresh)).toContain(ALERT_ACK_ACTION);

    // Once its incident is resolved, an alert that fires again is only a new alert: the closed incident is not told.
    await ingest(firing({ name: 'replica_down', message: 'Replica lag 40 s' }));
    const closed = (await acknowledgeAlert(deps(), 'replica_down', 'U0ONCALL1')).incident;
    await resolveIncident(deps(), closed.id, { resolution: 'fixed' }, 'U0ONCALL1');
    await ingest({ ...firing({ name: 'replica_down', message: 'Replica lag 40 s' }), status: 'resolved' });
    const told = async () => (await deps().state.timeline.list(closed.id)).map((e) => e.kind);
    expect((await told()).at(-1)).toBe('alert-resolved');
    expect((await ingest(firing({ name: 'replica_down', message: 'Replica lag 40 s' }))).action).toBe('refired');
    expect((await told()).at(-1)).toBe('alert-resolved');
  });

  it('defaults an unknown alert without a severity from its source to P2 and says so in the posted message', async () => {
    const outcome = await ingest(firing({ name: 'weird_thing', message: 'the flux capacitor is warm' }));
    expect(outcome.alert).toMatchObject({ severity: 'P2', severity_known: 0, symptom_id: null, runbook_url: null });
    expect((await alertTimers('weird_thing')).map((t) => t.kind)).toEqual(['ack-reminder']);
    await ie.deliver();
    expect(blockText(ie.channel()[0])).toContain('not in the severity matrix: P2 by default');
    expect(blockText(ie.channel()[0])).toContain('/atlas runbook incident-response');
  });

  it('escapes mentions and markup from the alert text in the posted blocks and the notification text', async () => {
    await ingest(firing({ name: 'evil <!channel> alert', message: 'ping <!channel> and <@U123> <https://evil.example|click> & more' }));
    await ie.deliver();
    const posted = ie.channel()[0]!;
    // Everything Slack renders; button values are never shown.
    const shown = JSON.stringify(posted.blocks, (k, v: unknown) => (k === 'value' ? undefined : v));
    for (const field of [posted.text, shown]) {
      expect(field).not.toContain('<!channel>');
      expect(field).not.toContain('<@U123>');
      expect(field).not.toContain('<https://evil.example|click>');
    }
    expect(shown).toContain('&lt;!channel&gt;');
    expect(posted.text).toContain('&lt;!channel&gt;');
    expect(shown).toContain('&amp; more');
  });

  it("prefers the report's runbook link and ignores one that is not http(s)", async () => {
    expect((await ingest(firing({ runbookUrl: 'https://docs.example/provider' }))).alert!.runbook_url).toBe('https://docs.example/provider');
    expect((await ingest(firing({ name: 'ProviderDown2', runbookUrl: 'javascript:alert(1)' }))).alert!.runbook_url).toBeNull();
  });

  it('never dates a firing in the future', async () => {
    const outcome = await ingest(firing({ firedAt: new Date(Date.parse(TEST_NOW) + 3_600_000) }));
    expect(outcome.alert!.fired_at).toBe(TEST_NOW);
    const invalid = await ingest(firing({ name: 'x_invalid_date', firedAt: new Date('nonsense') }));
    expect(invalid.alert!.fired_at).toBe(TEST_NOW);
  });

  it('refuses empty, overlong and control-character names, and cuts long messages', async () => {
    await expect(ingest(firing({ name: '   ' }))).rejects.toThrow(AlertReportError);
    await expect(ingest(firing({ name: 'x'.repeat(201) }))).rejects.toThrow(/longer than 200/);
    await expect(ingest(firing({ name: 'two\nlines' }))).rejects.toThrow(/control characters/);
    expect(ie.env.db.prepare('SELECT COUNT(*) AS n FROM alerts').get()).toEqual({ n: 0 });
    const long = await ingest(firing({ name: 'x'.repeat(200), message: 'm'.repeat(10_000) }));
    expect(long.alert!.message).toHaveLength(MAX_ALERT_MESSAGE);
    expect(long.alert!.message.endsWith('…')).toBe(true);
  });

  it('rolls the whole change back when its message cannot be queued', async () => {
    ie.env.db.exec("CREATE TEMP TRIGGER no_outbox BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'outbox full'); END");
    await expect(ingest(firing())).rejects.toThrow(/outbox full/);
    expect(await deps().state.alerts.get('provider_down')).toBeNull();
    expect(await alertTimers('provider_down')).toEqual([]);
  });
});
