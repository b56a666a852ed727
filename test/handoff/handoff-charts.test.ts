import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stopChartRenderer } from '../../src/charts/chart-renderer.js';
import { stopMetricsReaders } from '../../src/checks/metrics-reader.js';
import { runHandoffs } from '../../src/handoff/run-handoffs.js';
import { filesOf } from '../../src/sandbox/file-methods.js';
import { toSqlTime } from '../../src/time/atlas-time.js';
import { eventually, TEST_USER } from '../helpers/slack-harness.js';
import { startSlackEnv, type SlackEnv } from '../helpers/slack-env.js';

const HANDOFF = 'C0HANDOFF';
const MONDAY = '2026-11-30T00:00:00.000Z';
const CONFIG = {
  channels: { incidents: 'C0INCIDENT', handoff: HANDOFF },
  responders: { users: [TEST_USER] },
  rotation: { start: '2026-11-02', primary: [TEST_USER, 'U0ONCALL2'], secondary: ['U0ONCALL2', TEST_USER] },
};

afterAll(async () => {
  await stopChartRenderer();
  await stopMetricsReaders();
});

describe("the handoff's charts", () => {
  let se: SlackEnv | undefined;
  afterEach(async () => {
    await se?.close();
    se = undefined;
  });

  it('posts the 7-day errors and availability charts after the handoff, in its channel', async () => {
    se = await startSlackEnv({
      file: CONFIG,
      deps: { flowCharts: true },
      seed: (atlas) => {
        const insert = atlas.metrics.prepare('INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES (?, ?, ?, ?)');
        for (let h = 1; h < 7 * 24; h += 1) {
          const at = toSqlTime(new Date(Date.parse(MONDAY) - h * 3_600_000));
          insert.run('health_check', h === 30 ? 0 : 1, JSON.stringify({ provider: 'Census TIGER' }), at);
          if (h === 30) insert.run('provider_error', 1, JSON.stringify({ provider: 'Census TIGER', error: 'timeout' }), at);
        }
      },
    });
    const { env, d } = se;
    await runHandoffs(env.deps);
    env.clock.set(MONDAY);
    await runHandoffs(env.deps);
    const ws = d.slack.workspace;
    const charts = await eventually(() => {
      const shared = filesOf(ws).filter((f) => f.shares.some((s) => s.channel === HANDOFF));
      return shared.length === 2 ? shared : null;
    }, 'both handoff charts');
    expect(charts.map((f) => f.name)).toEqual(['errors-chart.png', 'providers-chart.png']);
    // 6-hour buckets over 7 days: one failed check of six is 83%.
    expect(charts[1]!.altText).toBe("Census TIGER availability fell from 100% to 83% at Nov 28 18:00, below the 95% alert line.");
    // The handoff first, then its charts: one lane.
    const messages = ws.messages(HANDOFF);
    const firstChart = messages.findIndex((m) => ((m as { files?: unknown[] }).files ?? []).length > 0);
    expect(firstChart).toBeGreaterThan(0);
    expect(JSON.stringify(messages[0])).toMatch(/[Hh]andoff/);
  });
});
