import { rmSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { byPerson } from '../../src/db/state/resolved-by.js';
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import { createWatchdog, watchdogAlertName, watchdogMessage, type WatchdogOptions } from '../../src/alerts/watchdog.js';
import { toSqlTime } from '../../src/time/atlas-time.js';
import { startDeliveryHarness, type DeliveryHarness } from '../helpers/delivery-harness.js';
import { createAtlasFiles, tempDir, testDeps } from '../helpers/test-deps.js';

const MIN = 60_000;
const TIGER = 'watchdog_provider_census_tiger';

describe('watchdog', () => {
  let cleanup: () => void;
  let metrics: Database.Database;
  let persistence: Database.Database;
  let env: ReturnType<typeof testDeps>;
  let h: DeliveryHarness | undefined;

  beforeAll(() => {
    // No IPFS gateway is reached; the Slack stand-in on this machine is.
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterAll(() => nock.enableNetConnect());
  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    const dataDir = path.join(t.dir, '.shadow-atlas');
    ({ metrics, persistence } = createAtlasFiles(dataDir));
    env = testDeps(dataDir, { file: { channels: { incidents: 'C0INCIDENT' } } });
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
    metrics.close();
    persistence.close();
    await env.close();
    cleanup();
  });

  /** Metric rows 30 s ago: inside a 1-minute window now, outside it a minute later. */
  const put = (type: string, count: number, value: number, labels: Record<string, string> = {}) => {
    const insert = metrics.prepare('INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES (?, ?, ?, ?)');
    metrics.transaction(() => {
      for (let i = 0; i < count; i++) insert.run(type, value, JSON.stringify(labels), toSqlTime(new Date(env.clock().getTime() - 30_000)));
    })();
  };
  const tiger = (up: boolean) => put('health_check', 4, up ? 1 : 0, { provider: 'Census TIGER' });
  /** Extraction success: crit below 80 %, warn below 90 %, ok from 90 %. */
  const extraction = (successPct: number) => {
    put('extraction_success', successPct, 1);
    put('extraction_failure', 100 - successPct, 1);
  };
  const metricsOnly = (over: WatchdogOptions = {}) => createWatchdog(env.deps, { parts: ['metrics'], windowMinutes: 1, ...over });
  const alert = async (key: string) => await env.deps.state.alerts.get(key);
  /** What #incident-response shows of the TIGER alert: its messages, and the edits of them. */
  const seen = async () => {
    h ??= await startDeliveryHarness(env);
    await h.delivery.drain();
    const messages = h.slack.workspace.messages('C0INCIDENT').filter((m) => m.text.includes(TIGER));
    return { messages: messages.length, edits: h.slack.workspace.calls('chat.update').length, text: messages.map((m) => m.text) };
  };

  it('names alerts after the health item and says value, thresholds and evidence', () => {
    expect(watchdogAlertName('provider:Census TIGER')).toBe(TIGER);
    expect(watchdogAlertName('integrity:persistence.db')).toBe('watchdog_integrity_persistence_db');
    expect(
      watchdogMessage({ key: 'disk_usage', label: 'Disk usage', level: 'crit', value: 93, unit: '%', target: '≤ 80 %', alert: '> 90 %', detail: '7 GB free of 100 GB' }),
    ).toBe('Disk usage is 93 % (alert > 90 %, target ≤ 80 %): 7 GB free of 100 GB');
    expect(watchdogMessage({ key: 'snapshot_current', label: 'Current snapshot', level: 'crit', value: null, unit: '', detail: 'no snapshots at all' })).toBe(
      'Current snapshot is critical: no snapshots at all',
    );
  });

  it('raises an alert when an item crosses its alert threshold, and resolves it only after the hold time at target', async () => {
    const dog = metricsOnly({ holdMinutes: 5 });
    tiger(false);
    const first = await dog.evaluate();
    expect(first.raised).toEqual([TIGER]);
    expect(await alert(TIGER)).toMatchObject({ status: 'firing', severity: 'P1', sources: '["watchdog"]' });
    expect((await alert(TIGER))!.message).toMatch(/^Provider availability: Census TIGER is 0 % \(alert < 95 %, target ≥ 95 %\): average of 4 health checks/);
    expect(await seen()).toEqual({ messages: 1, edits: 0, text: [expect.stringContaining(`P1 ${TIGER} firing since 12:00 UTC`)] });

    // Back at target from minute 1; still holding at minute 5 (4 min of ok), resolved at minute 6.
    for (let minute = 1; minute <= 5; minute++) {
      env.clock.advance(MIN);
      tiger(true);
      const r = await dog.evaluate();
      expect(r.resolved).toEqual([]);
      expect(r.holding).toEqual([{ name: TIGER, okForMs: (minute - 1) * MIN }]);
      expect(r.firing).toEqual([TIGER]);
    }
    env.clock.advance(MIN);
    tiger(true);
    const done = await dog.evaluate();
    expect(done.resolved).toEqual([TIGER]);
    expect(done.firing).toEqual([]);
    expect(await alert(TIGER)).toMatchObject({ status: 'resolved', resolved_at: '2026-11-26T12:06:00.000Z' });
    // Posted once, then edited to say it resolved.
    expect(await seen()).toEqual({ messages: 1, edits: 1, text: [expect.stringContaining(`${TIGER} resolved at 12:06 UTC`)] });
  });

  it('posts once for a value flapping every minute (no storm)', async () => {
    const dog = metricsOnly({ holdMinutes: 5 });
    for (let minute = 0; minute < 20; minute++) {
      tiger(minute % 2 === 1);
      await dog.evaluate();
      env.clock.advance(MIN);
    }
    expect(await seen()).toMatchObject({ messages: 1, edits: 0 });
    expect(await alert(TIGER)).toMatchObject({ status: 'firing', fire_count: 1 });
  });

  it('needs the ok streak unbroken: warn or no data restarts it, and neither raises nor resolves', async () => {
    const dog = metricsOnly({ holdMinutes: 3 });
    const name = 'watchdog_extraction_success';
    extraction(70);
    expect((await dog.evaluate()).raised).toEqual([name]);
    const steps: [number | null, 'holding' | 'none' | 'resolved'][] = [
      [95, 'holding'],
      [95, 'holding'],
      [85, 'none'], // warn: streak broken, alert stays
      [95, 'holding'],
      [null, 'none'], // no rows in the window: unknown, streak broken
      [95, 'holding'],
      [95, 'holding'],
      [95, 'holding'],
      [95, 'resolved'],
    ];
    for (const [pct, expected] of steps) {
      env.clock.advance(MIN);
      if (pct !== null) extraction(pct);
      const r = await dog.evaluate();
      expect(r.raised).toEqual([]);
      const state = r.resolved.includes(name) ? 'resolved' : r.holding.some((h) => h.name === name) ? 'holding' : 'none';
      expect(state).toBe(expected);
    }
    expect((await alert(name))!.status).toBe('resolved');
  });

  it('after a restart, a watchdog alert still firing needs a fresh ok streak', async () => {
    const before = metricsOnly({ holdMinutes: 5 });
    tiger(false);
    await before.evaluate();
    for (let i = 0; i < 4; i++) {
      env.clock.advance(MIN);
      tiger(true);
      await before.evaluate();
    }
    const after = metricsOnly({ holdMinutes: 5 });
    for (let i = 0; i < 5; i++) {
      env.clock.advance(MIN);
      tiger(true);
      expect((await after.evaluate()).resolved).toEqual([]);
    }
    env.clock.advance(MIN);
    tiger(true);
    expect((await after.evaluate()).resolved).toEqual([TIGER]);
  });

  it('says its provider alert is about that provider: it joins the provider\'s group (one message with provider_down)', async () => {
    await ingestAlert(env.deps, { name: 'provider_down', status: 'firing', message: 'Census TIGER health checks failing', source: 'metrics-db' });
    const dog = metricsOnly();
    tiger(false);
    await dog.evaluate();
    expect(await alert(TIGER)).toMatchObject({ status: 'firing', group_key: 'provider:census-tiger', group_lead: 'provider_down' });
    expect(await alert('provider_down')).toMatchObject({ group_key: 'provider:census-tiger', group_lead: null });
  });

  it('raises again, once, when someone resolved the alert while the value is still past its threshold', async () => {
    const dog = metricsOnly();
    tiger(false);
    await dog.evaluate();
    await ingestAlert(env.deps, { name: TIGER, status: 'resolved', message: '', source: 'command', resolvedBy: byPerson('U0ONCALL1') });
    env.clock.advance(MIN);
    tiger(false);
    expect((await dog.evaluate()).raised).toEqual([TIGER]);
    env.clock.advance(MIN);
    tiger(false);
    expect((await dog.evaluate()).raised).toEqual([]);
    expect(await alert(TIGER)).toMatchObject({ status: 'firing', fire_count: 2 });
  });

  it('shares one pass between overlapping calls', async () => {
    const dog = metricsOnly();
    tiger(false);
    const [a, b] = await Promise.all([dog.evaluate(), dog.evaluate()]);
    expect(a).toBe(b);
    expect(await seen()).toMatchObject({ messages: 1, edits: 0 });
  });

  it('measures the thresholds of health, never the firing alerts themselves', async () => {
    metrics.prepare("INSERT INTO alerts (name, status, message, fired_at) VALUES ('ServiceDown', 'firing', 'down', '2026-11-26 11:00:00')").run();
    const dog = createWatchdog(env.deps, { holdMinutes: 5 });
    const result = await dog.evaluate();
    // No snapshot at all is crit in health; the alert row is not an item here.
    expect(result.raised).toContain('watchdog_snapshot_current');
    expect(result.raised.some((n) => n.startsWith('watchdog_alert'))).toBe(false);
    expect(result.items).toBeGreaterThanOrEqual(10);
    expect(await alert('watchdog_snapshot_current')).toMatchObject({ severity: 'P1', severity_known: 1 });
  });

  it('changes nothing when a database cannot be read', async () => {
    metrics.close();
    env.deps.atlas.metrics.close();
    rmSync(env.deps.atlas.metrics.file);
    const result = await metricsOnly().evaluate();
    expect(result).toMatchObject({ items: 1, raised: [], resolved: [], firing: [] });
    metrics = createAtlasFiles(path.dirname(env.deps.atlas.metrics.file)).metrics;
  });
});
