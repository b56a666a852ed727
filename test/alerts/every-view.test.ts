/**
 * One truth about what is firing (issue 17 §2): alerts from every source at once — a metrics.db
 * row, the Shadow Atlas webhook, an Alertmanager webhook, the alert file, a PagerDuty webhook and
 * the watchdog — and every view lists the same set: `alerts`, `alerts --all`, App Home, the ack
 * picker (`ack` without a name), the handoff, `health` and the terminal's `atlas alerts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertFileWatcher } from '../../src/alerts/alert-file-watcher.js';
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import { parseAlertPayload } from '../../src/alerts/alert-webhook.js';
import { pollMetricsAlerts } from '../../src/alerts/metrics-alert-watcher.js';
import { createWatchdog } from '../../src/alerts/watchdog.js';
import { healthItems } from '../../src/checks/health-items.js';
import { runCli } from '../../src/cli.js';
import { createRegistry } from '../../src/commands/index.js';
import { gatherHandoff } from '../../src/handoff/gather-handoff.js';
import { homeContent } from '../../src/home/home-content.js';
import { acknowledgeAlert } from '../../src/incidents/acknowledge.js';
import { applyPagerDutyEvent } from '../../src/integrations/pagerduty-incidents.js';
import { parsePagerDutyEvent } from '../../src/integrations/pagerduty-webhook.js';
import { allowEveryone } from '../helpers/authorizers.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';

let env: TestEnv;
let root: string;
let cleanup: () => void;

beforeEach(() => {
  const t = tempDir();
  root = t.dir;
  cleanup = t.cleanup;
  const dataDir = path.join(root, '.shadow-atlas');
  const files = createAtlasFiles(dataDir);
  // A metrics.db alert, as the service writes it.
  files.metrics.prepare("INSERT INTO alerts (name, status, message, fired_at) VALUES ('extraction_failure_rate_high', 'firing', 'extraction failing', ?)").run(new Date(Date.now() - 5 * 60_000).toISOString());
  files.metrics.close();
  files.persistence.close();
  const config = {
    channels: { incidents: 'C0INCIDENT' },
    alerts: { file: path.join(root, 'shadow-atlas-alert.json') },
    // Disk usage above 2 % is an alert: the watchdog raises one on any machine.
    thresholds: { diskUsagePct: { target: 1, alert: 2 } },
  };
  writeFileSync(path.join(root, 'atlas.config.yml'), JSON.stringify(config));
  env = testDeps(dataDir, { file: config, clock: () => new Date() });
});

afterEach(async () => {
  await env.close();
  cleanup();
});

const sorted = (names: Iterable<string>) => [...names].map((n) => n.toLowerCase()).sort();

async function alertsFromEverySource(): Promise<string[]> {
  const deps = env.deps;
  await pollMetricsAlerts(deps);
  const atlas = parseAlertPayload({ source: 'shadow-atlas', type: 'alert', name: 'validation_pass_rate_low', severity: 'critical', status: 'FIRING', message: 'validation at 70 %', firedAt: new Date().toISOString() });
  const am = parseAlertPayload({
    version: '4',
    status: 'firing',
    alerts: [{ status: 'firing', labels: { alertname: 'HighP99Latency', severity: 'warning' }, annotations: { summary: 'p99 above 2 s' }, startsAt: new Date().toISOString() }],
  });
  if (!atlas.ok || !am.ok) throw new Error('fixture bodies must parse');
  for (const r of [...atlas.reports, ...am.reports]) await ingestAlert(deps, r);
  writeFileSync(
    deps.config.alerts.file!,
    JSON.stringify({ source: 'shadow-atlas', type: 'alert', name: 'SnapshotStale', severity: 'warning', status: 'FIRING', message: 'snapshot 9 days old', firedAt: new Date().toISOString() }),
  );
  expect(await alertFileWatcher(deps).poll()).toMatchObject({ state: 'read' });
  const triggered = JSON.parse(readFileSync(path.join(import.meta.dirname, '../fixtures/pagerduty/incident-triggered.json'), 'utf8')) as unknown;
  const pd = parsePagerDutyEvent(triggered);
  if (!pd.ok || pd.kind !== 'apply') throw new Error('fixture must be an applied event');
  await applyPagerDutyEvent(deps, pd.event);
  const dog = await createWatchdog(deps, { parts: ['disk'] }).evaluate();
  expect(dog.raised.length).toBeGreaterThan(0);

  const firing = await deps.state.alerts.firing();
  const sources = new Set(firing.flatMap((a) => JSON.parse(a.sources) as string[]));
  expect([...sources].sort()).toEqual(['alertmanager', 'atlas-webhook', 'file', 'metrics-db', 'pagerduty', 'watchdog']);
  return sorted(firing.map((a) => a.name));
}

describe('every view lists the same alerts', () => {
  it('alerts, alerts --all, App Home, the ack picker, the handoff, health and the terminal agree', async () => {
    const expected = await alertsFromEverySource();
    expect(expected.length).toBeGreaterThanOrEqual(6);
    const deps = env.deps;
    const registry = createRegistry(allowEveryone);
    const actor = { source: 'cli' as const, userId: 'U0ONCALL1' };

    const alerts = (await registry.run(['alerts'], actor, deps)).report.data as { firing: { name: string }[] };
    expect(sorted(alerts.firing.map((a) => a.name))).toEqual(expected);
    const all = (await registry.run(['alerts', '--all'], actor, deps)).report.data as { firing: { name: string }[]; recentlyResolved: unknown[] };
    expect(sorted(all.firing.map((a) => a.name))).toEqual(expected);

    const home = await homeContent(deps, new Set(['alerts', 'ack']), 'U0ONCALL1', { healthWaitMs: 0 });
    expect(sorted(home.alerts!.map((a) => a.name))).toEqual(expected);

    expect(sorted((await deps.state.alerts.awaitingAck()).map((a) => a.name))).toEqual(expected);
    await expect(acknowledgeAlert(deps, '', 'U0ONCALL1')).rejects.toThrow(`${expected.length} alerts are firing unacknowledged`);

    const now = deps.clock();
    const handoff = await gatherHandoff(
      deps,
      { shiftChange: now, outgoing: { primary: 'U0ONCALL1', secondary: null }, incoming: { primary: 'U0ONCALL2', secondary: null }, notes: null, late: null, skipped: [], now },
      { cwd: root },
    );
    const handoffAlerts = handoff.alerts as { items: { name: string }[] };
    expect(sorted(handoffAlerts.items.map((a) => a.name))).toEqual(expected);

    const health = await healthItems(deps, now, 3_600_000, { parts: ['alerts'] });
    expect(sorted(health.items.map((i) => i.key.replace(/^alert:/, '')))).toEqual(expected);

    let stdout = '';
    const io = { env: { ATLAS_DATA_DIR: '.shadow-atlas' }, cwd: root, stdout: (s: string) => (stdout += s), stderr: () => undefined };
    await runCli(['alerts', '--json'], io);
    const terminal = JSON.parse(stdout) as { data: { firing: { name: string }[] } };
    expect(sorted(terminal.data.firing.map((a) => a.name))).toEqual(expected);
  });
});
