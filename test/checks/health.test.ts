import { allowEveryone } from '../helpers/authorizers.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pollMetricsAlerts } from '../../src/alerts/metrics-alert-watcher.js';
import { health, HEALTH_SHARE_MS, healthStatus, sharedHealth } from '../../src/checks/health.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import { healthCommands } from '../../src/commands/bot-commands.js';
import { generateAtlasData } from '../../src/demo/generate-atlas-data.js';
import { healthReport } from '../../src/templates/health-report.js';
import { renderPlainText } from '../../src/templates/plain-text.js';
import { tempDir, testDeps, TEST_NOW } from '../helpers/test-deps.js';

const HOUR = 3_600_000;

describe('health', () => {
  const dirs: (() => void)[] = [];
  const opened: (() => unknown)[] = [];
  beforeAll(() => {
    nock.disableNetConnect();
  });
  afterEach(async () => {
    nock.cleanAll();
    for (const close of opened.splice(0)) await close();
  });
  afterAll(() => {
    dirs.forEach((cleanup) => cleanup());
    nock.enableNetConnect();
  });

  function dataDir(scenario?: 'demo' | 'healthy') {
    const t = tempDir();
    dirs.push(t.cleanup);
    const dir = path.join(t.dir, '.shadow-atlas');
    const summary = scenario ? generateAtlasData(dir, { now: new Date(TEST_NOW), days: 2, scenario }) : null;
    const env = testDeps(dir);
    opened.push(env.close);
    return { dir, summary, ...env };
  }

  it('finds every planted problem of the demo and is unhealthy, worst first', async () => {
    const { deps, summary } = dataDir('demo');
    // Firing alerts come from the bot's one alert list, where the watcher brings metrics.db's.
    await pollMetricsAlerts(deps);
    const result = await health(deps, HOUR);
    expect(result.status).toBe('unhealthy');
    const byKey = new Map(result.items.map((i) => [i.key, i]));
    const tiger = [...byKey.values()].find((i) => i.key.toLowerCase() === 'provider:census tiger');
    expect(tiger?.level).toBe('crit');
    expect(tiger!.value!).toBeLessThan(95);
    expect(byKey.get('snapshot_current')?.level).toBe('crit');
    expect(result.items.find((i) => i.level === 'warn' && i.detail.includes(summary!.scenarioFacts.stuckJobId!))).toBeTruthy();
    expect(result.items.some((i) => i.level === 'crit' && i.label.includes('provider_down'))).toBe(true);
    expect(result.items.find((i) => i.key === 'ipfs')?.level ?? result.items.find((i) => i.label.startsWith('IPFS'))?.level).toBe('unknown');

    const report = healthReport(result);
    expect(report.level).toBe('crit');
    expect(report.headline).toMatch(/^unhealthy: \d+ critical, \d+ warnings?; worst: /);
    const text = renderPlainText(report);
    expect(text.indexOf('CRIT')).toBeLessThan(text.indexOf('WARN'));
  });

  it('is healthy on healthy data, timing the current CID from a gateway', async () => {
    const { deps } = dataDir('healthy');
    const gateway = nock('https://w3s.link').get(/\/ipfs\/.+/).reply(200, 'snapshot bytes');
    nock('https://dweb.link').get(/\/ipfs\/.+/).delay(50).reply(200, 'snapshot bytes');
    const result = await health(deps, HOUR);
    const notOk = result.items.filter((i) => i.level === 'crit' || i.level === 'warn');
    expect(notOk).toEqual([]);
    expect(result.status).toBe('healthy');
    expect(gateway.isDone()).toBe(true);
    expect(healthReport(result).headline).toMatch(/^healthy: all \d+ checks ok/);
  });

  it('still answers when the data directory is missing: unhealthy, nothing created', async () => {
    const { deps, dir } = dataDir();
    const result = await health(deps, HOUR);
    expect(result.status).toBe('unhealthy');
    expect(result.items.find((i) => i.level === 'crit' && /persistence\.db/.test(`${i.label} ${i.detail}`))).toBeTruthy();
    expect(existsSync(path.join(dir, 'metrics.db'))).toBe(false);
  });

  it('answers unknown, naming the column, when metrics.db lacks one', async () => {
    const { dir, deps } = dataDir('healthy');
    const db = new Database(path.join(dir, 'metrics.db'));
    db.exec('ALTER TABLE metrics RENAME COLUMN labels_json TO labels');
    db.close();
    nock('https://w3s.link').get(/.*/).reply(200, 'x');
    nock('https://dweb.link').get(/.*/).reply(200, 'x');
    const result = await health(deps, HOUR);
    const unknown = result.items.filter((i) => i.level === 'unknown' && i.detail.includes('metrics.labels_json'));
    expect(unknown.length).toBeGreaterThan(0);
  });

  it('runs as /atlas health with --window and refuses a bad window', async () => {
    const { deps } = dataDir('demo');
    const registry = new CommandRegistry(healthCommands, allowEveryone);
    const ok = await registry.run(['health', '--window', '2h'], { source: 'cli', userId: 't' }, deps);
    expect(ok.outcome).toBe('crit');
    expect(ok.report.footer).toContain('Window 2 h');
    const bad = await registry.run(['health', '--window', '1y'], { source: 'cli', userId: 't' }, deps);
    expect(bad.outcome).toBe('usage');
  });

  it('ranks: crit beats warn, unknown degrades nothing', () => {
    const item = (level: 'ok' | 'warn' | 'crit' | 'unknown') => ({ key: level, label: level, level, value: null, unit: '' as const, detail: '' });
    expect(healthStatus([item('ok'), item('unknown')])).toBe('healthy');
    expect(healthStatus([item('ok'), item('warn')])).toBe('degraded');
    expect(healthStatus([item('warn'), item('crit')])).toBe('unhealthy');
  });
});

describe('sharedHealth', () => {
  it('answers a burst from one run, and runs again once the moment has passed', async () => {
    const t = tempDir();
    const dir = path.join(t.dir, '.shadow-atlas');
    generateAtlasData(dir, { now: new Date(TEST_NOW), days: 1, scenario: 'demo' });
    const env = testDeps(dir);
    try {
      const [a, b] = await Promise.all([sharedHealth(env.deps, HOUR), sharedHealth(env.deps, HOUR)]);
      expect(a).toBe(b);
      env.clock.advance(HEALTH_SHARE_MS - 1);
      expect(await sharedHealth(env.deps, HOUR)).toBe(a);
      expect(await sharedHealth(env.deps, 2 * HOUR)).not.toBe(a);
      env.clock.advance(1);
      const later = await sharedHealth(env.deps, HOUR);
      expect(later).not.toBe(a);
      expect(later.checkedAt).not.toBe(a.checkedAt);
    } finally {
      await env.close();
      t.cleanup();
    }
  });
});
