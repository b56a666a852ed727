import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import { stopChartRenderer } from '../../src/charts/chart-renderer.js';
import { stopMetricsReaders } from '../../src/checks/metrics-reader.js';
import { chartKindForAlert } from '../../src/commands/incident-charts.js';
import { filesOf } from '../../src/sandbox/file-methods.js';
import { toSqlTime } from '../../src/time/atlas-time.js';
import { eventually, TEST_USER } from '../helpers/slack-harness.js';
import { startSlackEnv, type SlackEnv } from '../helpers/slack-env.js';
import { TEST_NOW } from '../helpers/test-deps.js';

const CHANNEL = 'C0INCIDENT';
const NOW = new Date(TEST_NOW);
const CONFIG = { channels: { incidents: CHANNEL }, responders: { users: [TEST_USER] } };

afterAll(async () => {
  await stopChartRenderer();
  await stopMetricsReaders();
});

describe('which chart an alert is about', () => {
  it('reads the metric from the alert name and message, and draws nothing for the rest', () => {
    expect(chartKindForAlert('provider_down', 'Census TIGER health checks failing')).toBe('providers');
    expect(chartKindForAlert('ProofGenerationFailing', 'proof success 40%')).toBe('proofs');
    expect(chartKindForAlert('slow_queries', 'p95 query latency 7 s')).toBe('latency');
    expect(chartKindForAlert('job_stuck', 'job running for 14 h')).toBe('jobs');
    expect(chartKindForAlert('HighErrorRate', 'request errors above 5%')).toBe('errors');
    expect(chartKindForAlert('disk_full', 'disk at 95%')).toBeNull();
  });
});

describe('acknowledging an alert about a metric', () => {
  let se: SlackEnv | undefined;
  afterEach(async () => {
    await se?.close();
    se = undefined;
  });

  it("posts the metric's chart of the 6 h before into the incident thread, the alert's moment marked", async () => {
    se = await startSlackEnv({
      file: CONFIG,
      deps: { flowCharts: true },
      seed: (atlas) => {
        const insert = atlas.metrics.prepare('INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES (?, ?, ?, ?)');
        for (let m = 2; m < 360; m += 5) insert.run('health_check', m < 30 ? 0 : 1, JSON.stringify({ provider: 'Census TIGER' }), toSqlTime(new Date(NOW.getTime() - m * 60_000)));
      },
    });
    await ingestAlert(se.env.deps, { name: 'provider_down', status: 'firing', message: 'Census TIGER health checks failing', source: 'atlas-webhook', firedAt: new Date(NOW.getTime() - 20 * 60_000) });
    await se.d.delivery.drain();
    const ack = await se.h.command('ack provider_down');
    await ack.answer(1);
    const ws = se.d.slack.workspace;
    const shared = await eventually(() => filesOf(ws).find((f) => f.shares.some((s) => s.threadTs)), 'the chart in the incident thread');
    const { anchor } = se.env.db.prepare('SELECT anchor FROM incidents').get() as { anchor: string };
    const card = await se.env.deps.state.slackMessages.get(anchor);
    expect(card).not.toBeNull();
    expect(shared.shares[0]!.threadTs).toBe(card!.ts);
    expect(shared.name).toBe('providers-chart.png');
    expect(shared.altText).toMatch(/^Census TIGER availability fell from 100% to 0% at \d\d:\d\d, below the 95% alert line\.$/);
  });

  it('posts the chart over the incident window with the resolution', async () => {
    se = await startSlackEnv({ file: CONFIG, deps: { flowCharts: true } });
    await ingestAlert(se.env.deps, { name: 'proof_failures', status: 'firing', message: 'Proof generation failing', source: 'atlas-webhook' });
    await se.d.delivery.drain();
    await (await se.h.command('ack proof_failures')).answer(1);
    const ws = se.d.slack.workspace;
    await eventually(() => filesOf(ws).find((f) => f.shares.length > 0), 'the acknowledgement chart');
    const { id } = se.env.db.prepare('SELECT id FROM incidents').get() as { id: string };
    se.env.clock.advance(2 * 3_600_000);
    await (await se.h.command(`resolve ${id} --resolution "proofs back"`)).answer(1);
    const charts = await eventually(() => {
      const shared = filesOf(ws).filter((f) => f.shares.some((s) => s.threadTs));
      return shared.length === 2 ? shared : null;
    }, 'the resolution chart in the thread');
    expect(charts.map((f) => f.name)).toEqual(['proofs-chart.png', 'proofs-chart.png']);
    expect(charts[1]!.altText).toMatch(/^No proof generation success data in metrics.db in the last 2 h 30 min/);
  });

  it('draws nothing for an alert that is about no metric', async () => {
    se = await startSlackEnv({ file: CONFIG, deps: { flowCharts: true } });
    await ingestAlert(se.env.deps, { name: 'disk_full', status: 'firing', message: 'Disk at 95%', source: 'atlas-webhook' });
    await se.d.delivery.drain();
    await (await se.h.command('ack disk_full')).answer(1);
    await se.d.delivery.drain();
    expect(se.d.slack.workspace.calls('files.getUploadURLExternal')).toHaveLength(0);
  });
});
