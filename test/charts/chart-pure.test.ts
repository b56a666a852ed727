import { describe, expect, it } from 'vitest';
import { chartAltText } from '../../src/charts/chart-alt-text.js';
import type { ChartData, ChartSeries } from '../../src/checks/chart-data.js';
import { chartSpec } from '../../src/charts/chart-spec.js';
import { chartTimeText, wallClockAsUtc } from '../../src/charts/chart-time.js';
import { ALERT_COLOUR, SERIES_PALETTE, seriesColour } from '../../src/charts/provider-colours.js';
import { sparkBars, sparklines } from '../../src/charts/sparkline.js';

const TO = Date.parse('2026-12-07T03:00:00Z');
const BUCKET = 15 * 60_000;
const FROM = TO - 24 * BUCKET;
const UTC = { timeZone: 'UTC' };

function series(name: string, f: (i: number) => number | null, n = 24): ChartSeries {
  return { name, points: Array.from({ length: n }, (_, i) => ({ at: FROM + i * BUCKET, value: f(i) })) };
}

function data(kind: ChartData['kind'], over: Partial<ChartData>): ChartData {
  return { kind, measure: kind, unit: '%', from: FROM, to: TO, bucketMs: BUCKET, series: [], threshold: null, worse: 'above', ...over };
}

const providers = (tigerAt: number | null) =>
  data('providers', {
    measure: 'availability',
    unit: '%',
    worse: 'below',
    threshold: { value: 95, worse: 'below' },
    series: [series('census-tiger', (i) => (tigerAt !== null && i >= tigerAt && i < tigerAt + 4 ? 70 : 100)), series('ArcGIS Hub', () => 98)],
  });

describe('chart alt text (the picture in one sentence)', () => {
  it('says which provider fell, from what to what, and when (in the configured zone)', () => {
    // Bucket 9 starts at 02:15 UTC + ... FROM is 21:00 UTC; bucket 21 is 02:15 UTC.
    expect(chartAltText(providers(21), UTC)).toBe('Census-tiger availability fell from 100% to 70% at 02:15, below the 95% alert line.');
    expect(chartAltText(providers(21), { timeZone: 'Europe/Berlin' })).toContain('at 03:15');
  });

  it('says availability stayed above the alert line when it did', () => {
    expect(chartAltText(providers(null), UTC)).toBe('Availability stayed at or above the 95% alert line for 6 h (lowest: ArcGIS Hub 98% at 21:00).');
  });

  it('says the error rate stayed low, or names the peak', () => {
    const quiet = data('errors', { measure: 'error rate', unit: 'errors/min', series: [series('provider checks', () => 0.2)] });
    expect(chartAltText(quiet, UTC)).toBe('Error rate stayed under 1 errors/min for 6 h.');
    const loud = data('errors', { measure: 'errors', unit: 'errors/min', series: [series('census-tiger', (i) => (i === 21 ? 14 : 1)), series('request', () => 2)] });
    expect(chartAltText(loud, UTC)).toBe('Census-tiger errors peaked at 14 errors/min at 02:15 in the last 6 h.');
  });

  it('names a latency above the alert line, in seconds', () => {
    const slow = data('latency', { measure: 'request latency', unit: 'ms', threshold: { value: 5000, worse: 'above' }, series: [series('p50', () => 100), series('p95', (i) => (i === 3 ? 7200 : 400))] });
    expect(chartAltText(slow, UTC)).toBe('P95 request latency rose to 7.2 s at 21:45, above the 5 s alert line.');
  });

  it('says when there is nothing to draw, and when the read was cut short', () => {
    expect(chartAltText(data('proofs', { measure: 'proof success' }), UTC)).toBe('No proof success data in metrics.db in the last 6 h: nothing to draw.');
    const partial = { ...providers(null), readFrom: TO - 2 * 3_600_000 };
    expect(chartAltText(partial, UTC)).toContain('Only the newest 2 h were read within the time bound.');
  });
});

describe('sparklines', () => {
  it('draws one line per series, scaled together, with the worst point and its time', () => {
    const d = data('errors', { measure: 'errors', unit: 'errors/min', series: [series('census-tiger', (i) => [0, 0, 1, 12, 14, 7, 2, 0][i] ?? 0, 8)] });
    d.to = FROM + 8 * BUCKET;
    expect(sparklines(d, UTC)).toEqual(['census-tiger  ▁▁▂▇█▅▂▁  errors/min, max 14 at 22:00']);
  });

  it('leaves a gap for a bucket without rows and shows a minimum where down is bad', () => {
    expect(sparkBars(series('x', (i) => (i === 1 ? null : 8), 3), 8)).toBe('█ █');
    const lines = sparklines(providers(21), UTC);
    expect(lines[0]).toMatch(/^census-tiger {2}█+▆+█* {2}%, min 70% at 02:15$/);
    expect(lines[1]).toMatch(/^ArcGIS Hub {4}/);
  });
});

describe('provider colours', () => {
  it('gives a provider the same colour in every chart, whatever is drawn beside it', () => {
    expect(seriesColour('Census TIGER')).toBe(seriesColour('census tiger'));
    expect(seriesColour('Census TIGER')).not.toBe(seriesColour('ArcGIS Hub'));
    const other = seriesColour('Some New Provider');
    expect(SERIES_PALETTE).toContain(other);
    expect(seriesColour('Some New Provider')).toBe(other);
    for (const name of ['a', 'b', 'census-tiger', 'p95', 'x'.repeat(50)]) expect(seriesColour(name)).not.toBe(ALERT_COLOUR);
    // The spec carries the same map: series order does not change colours.
    const a = chartSpec(providers(null), UTC) as unknown as { layer: { encoding: { color: { scale: { domain: string[]; range: string[] } } } }[] };
    const reversed = { ...providers(null), series: [...providers(null).series].reverse() };
    const b = chartSpec(reversed, UTC) as unknown as typeof a;
    const colourOf = (spec: typeof a, name: string) => {
      const scale = spec.layer[0]!.encoding.color.scale;
      return scale.range[scale.domain.indexOf(name)];
    };
    expect(colourOf(a, 'census-tiger')).toBe(colourOf(b, 'census-tiger'));
    expect(colourOf(a, 'ArcGIS Hub')).toBe(seriesColour('ArcGIS Hub'));
  });
});

describe('chart spec and times', () => {
  it('titles the chart, names the zone and unit on the axes, draws the alert line and the alert moment', () => {
    const spec = JSON.stringify(chartSpec(providers(21), { timeZone: 'Europe/Berlin', markAt: FROM + 21 * BUCKET }));
    expect(spec).toContain('Provider availability, last 6 h');
    expect(spec).toContain('Time (Europe/Berlin)');
    expect(spec).toContain('"title":"%"');
    expect(spec).toContain('alert < 95%');
    expect(spec).toContain('alert 03:15');
    expect(spec).toContain('"strokeWidth":4');
  });

  it('shows wall-clock time of the zone, and the day for windows over a day', () => {
    const at = Date.parse('2026-07-01T00:30:00Z');
    expect(new Date(wallClockAsUtc(at, 'America/New_York')).toISOString()).toBe('2026-06-30T20:30:00.000Z');
    expect(chartTimeText(at, 'Europe/Berlin', 3_600_000)).toBe('02:30');
    expect(chartTimeText(at, 'Europe/Berlin', 7 * 86_400_000)).toBe('Jul 1 02:30');
  });
});
