import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlert, type AlertReport } from '../../src/alerts/alert-ingest.js';
import { alertHealthItems, listAlerts } from '../../src/checks/alerts.js';
import { byPerson } from '../../src/db/state/resolved-by.js';
import { acknowledgeAlert } from '../../src/incidents/acknowledge.js';
import { alertsReport } from '../../src/templates/alerts-report.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';

const HOUR = 3_600_000;
let env: TestEnv;
let cleanup: () => void;

beforeEach(() => {
  const t = tempDir();
  cleanup = t.cleanup;
  const files = createAtlasFiles(t.dir);
  files.metrics.close();
  files.persistence.close();
  env = testDeps(t.dir);
});

afterEach(async () => {
  await env.close();
  cleanup();
});

const now = () => env.clock();
const ago = (hours: number) => new Date(now().getTime() - hours * HOUR);
const report = (over: Partial<AlertReport> & Pick<AlertReport, 'name'>): AlertReport => ({ status: 'firing', message: '', source: 'atlas-webhook', ...over });
const ingest = async (over: Partial<AlertReport> & Pick<AlertReport, 'name'>) => await ingestAlert(env.deps, report(over));
const recent = { all: false, recentHours: 24 };
const listing = async (all = false) => await listAlerts(env.deps.state.alerts, now(), { all, recentHours: 24 });

describe('listAlerts (the one alert list in chatops.db)', () => {
  it('lists firing alerts newest first, from any source, with acknowledgement and sources', async () => {
    await ingest({ name: 'provider_down', firedAt: ago(1), message: 'Census TIGER unavailable', source: 'metrics-db' });
    await ingest({ name: 'ServiceDown', firedAt: ago(3), source: 'alertmanager' });
    await acknowledgeAlert(env.deps, 'ServiceDown', 'U0ONCALL1');
    const l = await listAlerts(env.deps.state.alerts, now(), recent);
    expect(l.firing.map((a) => [a.name, a.acknowledged, a.severity, a.sources])).toEqual([
      ['provider_down', false, 'P1', ['metrics-db']],
      ['ServiceDown', true, 'P0', ['alertmanager']],
    ]);
    expect(l.firing[0]?.firingForMs).toBe(HOUR);
    expect(l.recentlyResolved).toEqual([]);
  });

  it('with all, adds exactly those resolved in the last 24 h, with who or what resolved them', async () => {
    await ingest({ name: 'old', firedAt: ago(30), source: 'alertmanager' });
    await ingest({ name: 'old', status: 'resolved', resolvedAt: ago(25), source: 'alertmanager' });
    await ingest({ name: 'by-source', firedAt: ago(3), source: 'alertmanager' });
    await ingest({ name: 'by-source', status: 'resolved', resolvedAt: ago(2), source: 'alertmanager' });
    await ingest({ name: 'by-person', firedAt: ago(3), source: 'metrics-db' });
    await ingest({ name: 'by-person', status: 'resolved', source: 'command', resolvedBy: byPerson('U0ONCALL1') });
    await ingest({ name: 'still-firing', firedAt: ago(1) });
    const l = await listing(true);
    expect(l.firing.map((a) => a.name)).toEqual(['still-firing']);
    expect(l.recentlyResolved.map((a) => [a.name, a.resolvedBy])).toEqual([
      ['by-person', 'user:U0ONCALL1'],
      ['by-source', 'sources:alertmanager'],
    ]);
    const r = alertsReport(l, now());
    expect(r.headline).toBe('1 firing alert, 1 not acknowledged; 2 resolved in the last 24 h');
    const resolved = r.sections.find((s) => s.title?.startsWith('Resolved'))!;
    expect(resolved.table?.columns).toEqual(['alert', 'resolved', 'by', 'fired', 'message']);
    expect(resolved.table?.rows.map((row) => [row[0], row[2]])).toEqual([
      ['by-person', 'U0ONCALL1'],
      ['by-source', 'Alertmanager'],
    ]);
  });
});

describe('alertHealthItems and alertsReport', () => {
  it('is one ok item when nothing fires', async () => {
    await ingest({ name: 'gone', firedAt: ago(3) });
    await ingest({ name: 'gone', status: 'resolved', resolvedAt: ago(2) });
    expect(await alertHealthItems(env.deps.state.alerts, now())).toEqual([
      { key: 'alerts', label: 'Firing alerts', level: 'ok', value: 0, unit: 'count', detail: 'no firing alerts' },
    ]);
    expect(alertsReport(await listing(), now())).toMatchObject({ level: 'ok', headline: 'no firing alerts' });
    const all = alertsReport(await listing(true), now());
    expect(all.headline).toBe('no firing alerts; 1 resolved in the last 24 h');
    expect(all.sections[0]?.table?.rows[0]?.[1]).toBe('2 h ago');
  });

  it('rates P0 and P1 crit, P2 and P3 warn, with what a person needs in the detail', async () => {
    await ingest({ name: 'proofs_failing', firedAt: ago(2), message: 'all proofs failing', severityHint: 'critical' });
    await ingest({ name: 'something_odd', firedAt: ago(3), message: 'odd', severityHint: 'warning' });
    const items = await alertHealthItems(env.deps.state.alerts, now());
    expect(items.map((i) => [i.key, i.level])).toEqual([
      ['alert:proofs_failing', 'crit'],
      ['alert:something_odd', 'warn'],
    ]);
    expect(items[0]).toMatchObject({ value: null, unit: '', detail: 'firing for 2 h, NOT acknowledged, P0, all proofs failing' });
  });

  it('says how many fire and how many are not acknowledged, with their sources', async () => {
    await ingest({ name: 'a', firedAt: ago(1), message: `line one\nline two ${'x'.repeat(200)}`, severityHint: 'critical' });
    await ingest({ name: 'b', firedAt: ago(2), source: 'metrics-db', severityHint: 'critical' });
    await ingest({ name: 'b', firedAt: ago(2), source: 'alertmanager' });
    const r = alertsReport(await listing(), now());
    expect(r.level).toBe('crit');
    expect(r.headline).toBe('2 firing alerts, 2 not acknowledged');
    expect(r.sections[0]?.table?.columns).toEqual(['alert', 'severity', 'firing for', 'ack', 'from', 'message']);
    const [first, second] = r.sections[0]!.table!.rows;
    expect(first![5]!.startsWith('line one line two x')).toBe(true);
    expect(first![5]).toHaveLength(100);
    expect(second!.slice(0, 5)).toEqual(['b', 'P1', '2 h', 'NO', 'metrics.db and Alertmanager']);
    await acknowledgeAlert(env.deps, 'a', 'U0ONCALL1');
    await acknowledgeAlert(env.deps, 'b', 'U0ONCALL1');
    expect(alertsReport(await listing(), now()).headline).toBe('2 firing alerts, all acknowledged');
  });
});
