/**
 * One outage, one message, one page (issue 17 §3): census-tiger going down is reported by
 * metrics.db (`provider_down`), the watchdog (`watchdog_provider_census_tiger`) and Alertmanager
 * (`ProviderDown{provider="census-tiger"}`): one top-level message, one PagerDuty incident (the
 * group's dedup key), one set of reminders; the others are lines on it and replies in its thread.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlert, type AlertReport } from '../../src/alerts/alert-ingest.js';
import { parseAlertPayload } from '../../src/alerts/alert-webhook.js';
import { pollMetricsAlerts } from '../../src/alerts/metrics-alert-watcher.js';
import { explainAlert } from '../../src/checks/alerts.js';
import { alertAnchor } from '../../src/db/state/state-records.js';
import { acknowledgeAlert } from '../../src/incidents/acknowledge.js';
import { alertExplainReport } from '../../src/templates/alerts-report.js';
import { blockText, incidentConfig, ONCALL, openIncidentEnv, type IncidentEnv } from '../helpers/incident-env.js';

const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
const TIGER_DOG = 'watchdog_provider_census_tiger';

let ie: IncidentEnv;
beforeEach(() => {
  ie = openIncidentEnv(incidentConfig({ pagerduty: { routingKey: ROUTING_KEY } }));
});
afterEach(() => ie.close());

const deps = () => ie.env.deps;
const alert = async (key: string) => (await deps().state.alerts.get(key))!;

/** The Events API calls queued for PagerDuty: action and dedup key. */
function pagerdutyEvents(): { action: string; dedupKey: string }[] {
  const rows = ie.env.db.prepare("SELECT payload FROM outbox WHERE op = 'call' ORDER BY id").all() as { payload: string }[];
  return rows.flatMap((r) => {
    const call = (JSON.parse(r.payload) as { call?: { kind: string; event?: { event_action: string; dedup_key: string } } }).call;
    return call?.kind === 'event' && call.event ? [{ action: call.event.event_action, dedupKey: call.event.dedup_key }] : [];
  });
}

const ackReminders = () => ie.env.db.prepare("SELECT alert_key FROM timers WHERE kind LIKE 'ack-%' AND fired_at IS NULL AND cancelled_at IS NULL ORDER BY alert_key").all() as { alert_key: string }[];

/** The three reports of the census-tiger outage, each as its source sends it. */
async function outage(): Promise<void> {
  ie.metrics.prepare("INSERT INTO alerts (name, status, message, fired_at) VALUES ('provider_down', 'firing', 'Census TIGER health checks failing: HTTP 503', '2026-11-26 11:55:00')").run();
  await pollMetricsAlerts(deps());
  const watchdog: AlertReport = {
    name: TIGER_DOG,
    status: 'firing',
    message: 'Provider availability: Census TIGER is 40 % (alert < 95 %)',
    source: 'watchdog',
    groupFacts: { provider: 'Census TIGER', providerFrom: "the watchdog's provider availability item" },
  };
  expect((await ingestAlert(deps(), watchdog)).action).toBe('joined-group');
  const am = parseAlertPayload({
    version: '4',
    groupKey: '{}:{alertname="ProviderDown"}',
    status: 'firing',
    alerts: [{ status: 'firing', labels: { alertname: 'ProviderDown', provider: 'census-tiger', severity: 'critical' }, annotations: { summary: 'census-tiger down' }, startsAt: '2026-11-26T11:58:00Z' }],
  });
  if (!am.ok) throw new Error(am.reason);
  expect((await ingestAlert(deps(), am.reports[0]!)).action).toBe('joined-group');
}

describe('grouping by what an alert is about', () => {
  it('census-tiger down from metrics.db, the watchdog and Alertmanager is one message, one page, one set of reminders', async () => {
    await outage();
    expect(await alert('provider_down')).toMatchObject({ group_key: 'provider:census-tiger', group_lead: null });
    expect(await alert(TIGER_DOG)).toMatchObject({ group_key: 'provider:census-tiger', group_lead: 'provider_down' });
    expect(await alert('providerdown')).toMatchObject({ group_key: 'provider:census-tiger', group_lead: 'provider_down' });

    await ie.deliver();
    expect(ie.channel()).toHaveLength(1);
    const lead = (await ie.anchored(alertAnchor(await alert('provider_down'))))!;
    expect(blockText(lead)).toContain(`Also in provider census-tiger: ProviderDown (firing), ${TIGER_DOG} (firing)`);
    const thread = await ie.thread(alertAnchor(await alert('provider_down')));
    expect(thread.map((m) => m.text)).toEqual([
      expect.stringContaining(`${TIGER_DOG} joined provider census-tiger: no new message and no new page.`),
      expect.stringContaining('ProviderDown joined provider census-tiger: no new message and no new page.'),
    ]);
    expect(pagerdutyEvents()).toEqual([{ action: 'trigger', dedupKey: 'shadow-atlas/provider:census-tiger' }]);
    expect(ackReminders().map((r) => r.alert_key)).toEqual(['provider_down', 'provider_down']);
  });

  it('explains the group and why; acknowledging any alert of it opens one incident for all', async () => {
    await outage();
    const report = alertExplainReport((await explainAlert(deps().state.alerts, TIGER_DOG, deps().clock(), []))!);
    expect(report.headline).toBe(`${TIGER_DOG} is in group provider:census-tiger`);
    const lines = report.sections[0]!.lines!.join('\n');
    expect(lines).toContain("about provider census-tiger (the watchdog's provider availability item)");
    expect(lines).toContain('It joined provider_down');
    expect(lines).toContain('Others in the group: ProviderDown (firing)');

    const acked = await acknowledgeAlert(deps(), TIGER_DOG, ONCALL);
    expect(acked.alert.key).toBe('provider_down');
    for (const key of ['provider_down', TIGER_DOG.toLowerCase(), 'providerdown']) expect((await alert(key)).incident_id).toBe(acked.incident.id);
    expect(ackReminders()).toEqual([]);
    await ie.deliver();
    expect(ie.channel()).toHaveLength(1);
  });

  it('an alert that joins an acknowledged group goes to its incident; the last one resolving says the group is resolved, and the page resolves once', async () => {
    ie.metrics.prepare("INSERT INTO alerts (name, status, message, fired_at) VALUES ('provider_down', 'firing', 'Census TIGER health checks failing: HTTP 503', '2026-11-26 11:55:00')").run();
    await pollMetricsAlerts(deps());
    const acked = await acknowledgeAlert(deps(), 'provider_down', ONCALL);
    await ingestAlert(deps(), { name: TIGER_DOG, status: 'firing', message: 'Census TIGER is 40 %', source: 'watchdog', groupFacts: { provider: 'Census TIGER' } });
    expect((await alert(TIGER_DOG)).incident_id).toBe(acked.incident.id);
    await ie.deliver();
    expect(ie.channel()).toHaveLength(1);

    ie.metrics.prepare("UPDATE alerts SET status = 'resolved', resolved_at = '2026-11-26 12:00:00' WHERE name = 'provider_down'").run();
    await pollMetricsAlerts(deps());
    expect((await alert('provider_down')).status).toBe('resolved');
    expect(pagerdutyEvents().filter((e) => e.action === 'resolve')).toEqual([]);
    await ingestAlert(deps(), { name: TIGER_DOG, status: 'resolved', message: '', source: 'watchdog' });
    expect(pagerdutyEvents().filter((e) => e.action === 'resolve')).toEqual([{ action: 'resolve', dedupKey: 'shadow-atlas/provider:census-tiger' }]);
    await ie.deliver();
    const replies = (await ie.thread(acked.incident.anchor)).map((m) => m.text ?? '');
    expect(replies.some((t) => t.includes(`provider_down resolved; 1 still firing in provider census-tiger`))).toBe(true);
    expect(replies.some((t) => t.includes(`${TIGER_DOG} resolved: the last firing alert of provider census-tiger; the group is resolved.`))).toBe(true);
    expect(ie.channel()).toHaveLength(1);
  });

  it('groups by a configured label (alerts.groupBy), then by Alertmanager groupKey', async () => {
    deps().config = { ...deps().config, alerts: { ...deps().config.alerts, groupBy: ['service'] } };
    const body = (name: string, labels: Record<string, string>) => {
      const p = parseAlertPayload({ version: '4', groupKey: '{}:{alertname="X"}', status: 'firing', alerts: [{ status: 'firing', labels: { alertname: name, ...labels }, startsAt: '2026-11-26T11:58:00Z' }] });
      if (!p.ok) throw new Error(p.reason);
      return p.reports[0]!;
    };
    expect((await ingestAlert(deps(), body('ApiErrors', { service: 'api' }))).action).toBe('new');
    expect((await ingestAlert(deps(), body('ApiLatency', { service: 'api' }))).action).toBe('joined-group');
    expect(await alert('apilatency')).toMatchObject({ group_key: 'label:service=api', group_reason: 'label service=api (alerts.groupBy)' });
    expect((await ingestAlert(deps(), body('Other', {}))).action).toBe('new');
    expect((await alert('other')).group_key).toBe('alertmanager:{}:{alertname="X"}');
  });
});
