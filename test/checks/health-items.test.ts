import path from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWatchdog, WATCHDOG_PARTS } from '../../src/alerts/watchdog.js';
import { health, healthStatus, sharedHealth } from '../../src/checks/health.js';
import { healthItems } from '../../src/checks/health-items.js';
import { MetricsReaderPool } from '../../src/checks/metrics-reader.js';
import { toSqlTime } from '../../src/time/atlas-time.js';
import { generateAtlasData } from '../../src/demo/generate-atlas-data.js';
import { healthReport } from '../../src/templates/health-report.js';
import { tempDir, testDeps, TEST_NOW } from '../helpers/test-deps.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('one health composition', () => {
  const cleanups: (() => unknown)[] = [];
  beforeAll(() => nock.disableNetConnect());
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  afterAll(() => nock.enableNetConnect());

  function demo() {
    const t = tempDir();
    const dir = path.join(t.dir, '.shadow-atlas');
    generateAtlasData(dir, { now: new Date(TEST_NOW), days: 2, scenario: 'demo' });
    const env = testDeps(dir);
    cleanups.push(env.close, t.cleanup);
    return env;
  }

  const isAlertItem = (key: string) => key === 'alerts' || key.startsWith('alert:');

  it('gives health and the watchdog the same items; the watchdog leaves out firing alerts and the backup', async () => {
    const { deps } = demo();
    const now = deps.clock();
    const all = await healthItems(deps, now, HOUR);
    const dashboard = await health(deps, HOUR);
    expect(dashboard.items.map((i) => [i.key, i.level])).toEqual(all.items.map((i) => [i.key, i.level]));
    expect(dashboard.metricsCoverage).toEqual(all.metricsCoverage);
    expect(all.items.some((i) => isAlertItem(i.key))).toBe(true);

    const watched = await healthItems(deps, now, HOUR, { parts: WATCHDOG_PARTS, onUnexpected: 'unknown' });
    expect(watched.items.map((i) => [i.key, i.level])).toEqual(
      all.items.filter((i) => !isAlertItem(i.key) && i.key !== 'backup').map((i) => [i.key, i.level]),
    );
    // The watchdog measures exactly that composition.
    const pass = await createWatchdog(deps, { windowMinutes: 60 }).evaluate();
    expect(pass.items).toBe(watched.items.length);
    expect(pass.raised.length).toBeGreaterThan(0);
  });

  it('says in the dashboard when its metric items cover only part of the window', async () => {
    const { deps } = demo();
    const hurried = new MetricsReaderPool({ size: 1, boundMs: 0 });
    try {
      const partial = await healthItems(deps, deps.clock(), 3 * DAY, { readers: hurried });
      expect(partial.metricsCoverage).toMatchObject({ complete: false, readMs: 12 * HOUR, windowMs: 3 * DAY, boundMs: 0 });
      const report = healthReport({
        status: healthStatus(partial.items),
        checkedAt: toSqlTime(deps.clock()),
        windowMs: 3 * DAY,
        items: partial.items,
        metricsCoverage: partial.metricsCoverage,
      });
      expect(report.headline).toMatch(/^unhealthy: .*; metrics partial: newest 12 h of 3 d; worst: /);
      expect(report.sections[0]?.lines).toEqual([
        'Metric items: partial: only the newest 12 h of the 3 d window were read within the 0 s time bound; the figures cover that part.',
      ]);
      const extraction = partial.items.find((i) => i.key === 'extraction_success');
      expect(extraction?.detail).toMatch(/ in the newest 12 h of 3 d$/);
    } finally {
      await hurried.stop();
    }
  });

  it('leaves the metric items unknown, not the dashboard unanswered, when the reader fails', async () => {
    const { deps } = demo();
    const stopped = new MetricsReaderPool();
    await stopped.stop();
    const { items, metricsCoverage } = await healthItems(deps, deps.clock(), HOUR, { readers: stopped });
    expect(metricsCoverage).toBeNull();
    expect(items.find((i) => i.key === 'metrics')).toMatchObject({
      level: 'unknown',
      detail: 'could not be measured: metric reads stopped: the bot is shutting down',
    });
    expect(items.find((i) => i.key === 'snapshot_current')?.level).toBe('crit');
  });

  it('hands one shared run to a burst of callers one turn of the event loop apart', async () => {
    const { deps } = demo();
    let turn = 0;
    let ticking = true;
    void (async () => {
      while (ticking) {
        await new Promise((r) => setImmediate(r));
        turn++;
      }
    })();
    const resumedAt: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        sharedHealth(deps, HOUR).then((r) => {
          resumedAt.push(turn);
          return r;
        }),
      ),
    );
    ticking = false;
    expect(new Set(results).size).toBe(1);
    // Each caller resumes on a later turn than the one before: never all in the same instant.
    for (let i = 1; i < resumedAt.length; i++) expect(resumedAt[i]).toBeGreaterThan(resumedAt[i - 1]!);
  });
});
