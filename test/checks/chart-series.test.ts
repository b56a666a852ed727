import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bucketSizeFor, chartSeries } from '../../src/checks/chart-series.js';
import { metricsReaders, stopMetricsReaders } from '../../src/checks/metrics-reader.js';
import { thresholdsSchema } from '../../src/config.js';
import { formatsOf, openMetricsFixture, type MetricsFixture } from '../helpers/metrics-fixture.js';
import { TEST_NOW } from '../helpers/test-deps.js';

const NOW = new Date(TEST_NOW);
const HOUR = 3_600_000;
const DEFAULTS = thresholdsSchema.parse({});

let fx: MetricsFixture;
let n = 0;

/** A row `minutesAgo` before NOW, in one of the three timestamp formats in turn. */
function row(type: string, labels: Record<string, string>, value: number, minutesAgo: number): void {
  n += 1;
  const at = formatsOf(new Date(NOW.getTime() - minutesAgo * 60_000))[n % 3]!;
  fx.writer.prepare('INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES (?, ?, ?, ?)').run(type, value, JSON.stringify(labels), at);
}

beforeEach(() => {
  fx = openMetricsFixture();
});
afterEach(() => fx.close());

describe('chart series from metrics.db', () => {
  it('picks round bucket sizes, at most 48 buckets', () => {
    expect(bucketSizeFor(6 * HOUR)).toBe(10 * 60_000);
    expect(bucketSizeFor(HOUR)).toBe(2 * 60_000);
    expect(bucketSizeFor(30 * 24 * HOUR)).toBe(24 * HOUR);
  });

  it('gives availability per provider per bucket, in every timestamp format, with the alert line', () => {
    // 6 h in 10-minute buckets: Census TIGER fails every check 2 h ago, ArcGIS Hub never.
    for (let m = 5; m < 360; m += 10) {
      row('health_check', { provider: 'Census TIGER' }, m >= 120 && m < 130 ? 0 : 1, m);
      row('health_check', { provider: 'ArcGIS Hub' }, 1, m);
    }
    const data = chartSeries(fx.atlas, 'providers', NOW, 6 * HOUR, DEFAULTS);
    expect(data.unit).toBe('%');
    expect(data.threshold).toEqual({ value: 95, worse: 'below' });
    expect(data.series.map((s) => s.name)).toEqual(['ArcGIS Hub', 'Census TIGER']);
    const tiger = data.series[1]!;
    expect(tiger.points).toHaveLength(36);
    const low = tiger.points.filter((p) => p.value === 0);
    expect(low.map((p) => new Date(p.at).toISOString())).toEqual([new Date(NOW.getTime() - 130 * 60_000).toISOString()]);
    expect(tiger.points.filter((p) => p.value === 100)).toHaveLength(35);
  });

  it('counts errors per minute by provider and family; a bucket without errors is 0', () => {
    for (let i = 0; i < 20; i++) row('provider_error', { provider: 'Census TIGER', error: 'timeout' }, 1, 15);
    row('extraction_failure', { state: 'CA', layer: 'county' }, 1, 45);
    row('proof_generation', { success: 'false' }, 900, 45);
    row('proof_generation', { success: 'true' }, 900, 45);
    const data = chartSeries(fx.atlas, 'errors', NOW, HOUR, DEFAULTS);
    expect(data.series.map((s) => s.name)).toEqual(['Census TIGER', 'extraction', 'proof']);
    const tiger = data.series[0]!;
    // 2-minute buckets: 20 errors in one bucket is 10/min.
    expect(Math.max(...tiger.points.map((p) => p.value ?? 0))).toBe(10);
    expect(tiger.points.every((p) => p.value !== null)).toBe(true);
    expect(data.series[2]!.points.filter((p) => (p.value ?? 0) > 0)).toHaveLength(1);
  });

  it('gives p50/p95 latency, job durations in seconds and proof success', () => {
    for (let v = 1; v <= 100; v++) row('request_latency', { method: 'GET', path: '/x' }, v * 10, 30);
    row('job_duration', { state: 'CA', layer: 'county' }, 30_000, 30);
    row('job_duration', { state: 'CA', layer: 'county' }, 150_000, 30);
    for (let i = 0; i < 4; i++) row('proof_generation', { success: i === 0 ? 'false' : 'true' }, 500, 30);
    const at = (kind: 'latency' | 'jobs' | 'proofs') => {
      const d = chartSeries(fx.atlas, kind, NOW, HOUR, DEFAULTS);
      return Object.fromEntries(d.series.map((s) => [s.name, s.points.find((p) => p.value !== null)?.value]));
    };
    expect(at('latency')).toEqual({ p50: 500, p95: 950 });
    expect(at('jobs')).toEqual({ average: 90, longest: 150 });
    expect(at('proofs')).toEqual({ success: 75 });
  });

  it('reads newest buckets first and says how far back it got when the time bound passes', () => {
    row('health_check', { provider: 'Census TIGER' }, 1, 5);
    const passed = { boundMs: 1, passed: () => true };
    const data = chartSeries(fx.atlas, 'providers', NOW, 6 * HOUR, DEFAULTS, { deadline: passed });
    expect(data.readFrom).toBe(NOW.getTime() - 10 * 60_000);
    expect(data.series[0]!.points.filter((p) => p.value !== null)).toHaveLength(1);
  });

  it('is read in the metrics reader worker like the other metric reads', async () => {
    row('health_check', { provider: 'Census TIGER' }, 1, 5);
    try {
      const data = await metricsReaders().chart(fx.atlas, 'providers', NOW, HOUR, DEFAULTS);
      expect(data.series.map((s) => s.name)).toEqual(['Census TIGER']);
    } finally {
      await stopMetricsReaders();
    }
  });
});
