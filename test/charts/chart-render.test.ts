import { afterAll, describe, expect, it } from 'vitest';
import type { ChartData } from '../../src/checks/chart-data.js';
import { renderChartPng } from '../../src/charts/chart-render.js';
import { ChartRenderer } from '../../src/charts/chart-renderer.js';
import { chartSpec } from '../../src/charts/chart-spec.js';
import { darkPixels, readPng } from '../helpers/png-pixels.js';

const TO = Date.parse('2026-12-07T03:00:00Z');
const BUCKET = 15 * 60_000;
const FROM = TO - 24 * BUCKET;

const providers: ChartData = {
  kind: 'providers',
  measure: 'availability',
  unit: '%',
  from: FROM,
  to: TO,
  bucketMs: BUCKET,
  worse: 'below',
  threshold: { value: 95, worse: 'below' },
  series: [{ name: 'Census TIGER', points: Array.from({ length: 24 }, (_, i) => ({ at: FROM + i * BUCKET, value: i > 14 ? 70 : 100 })) }],
};

/** A spec with nothing but a title (or not even that): the difference is the title's glyphs. */
function titleOnly(title: string | null): Parameters<typeof renderChartPng>[0] {
  return {
    width: 800,
    height: 400,
    background: 'white',
    config: { font: 'DejaVu Sans', view: { stroke: null } },
    ...(title ? { title: { text: title, fontSize: 40 } } : {}),
    data: { values: [] },
    mark: 'point',
  } as Parameters<typeof renderChartPng>[0];
}

describe('rendering a chart to PNG (real vega + resvg, the shipped font)', () => {
  const renderer = new ChartRenderer();
  afterAll(() => renderer.stop());

  it('draws text with the shipped font: a title makes dark pixels where there were none', async () => {
    const withTitle = readPng((await renderChartPng(titleOnly('Provider availability'))).png);
    const without = readPng((await renderChartPng(titleOnly(null))).png);
    expect(darkPixels(without)).toBe(0);
    // Glyphs of a 40 px title: thousands of dark pixels. Without a font resvg draws no text at all.
    expect(darkPixels(withTitle)).toBeGreaterThan(2000);
  });

  it('makes a PNG of at least 800×400 with its title, in the worker', async () => {
    const outcome = await renderer.render(chartSpec(providers, { timeZone: 'UTC', markAt: FROM + 15 * BUCKET }));
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    const png = readPng(outcome.png);
    expect(png.width).toBeGreaterThanOrEqual(800);
    expect(png.height).toBeGreaterThanOrEqual(400);
    expect([png.width, png.height]).toEqual([outcome.width, outcome.height]);
    // The title's band at the top has text in it.
    expect(darkPixels(png, { x0: 0, y0: 0, x1: png.width, y1: 60 })).toBeGreaterThan(1000);
  });

  it('answers a spec it cannot draw with a sentence, and draws the next one', async () => {
    const bad = await renderer.render({ mark: 'no-such-mark' } as unknown as Parameters<typeof renderer.render>[0]);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reason).toMatch(/^the chart could not be drawn/);
    expect((await renderer.render(chartSpec(providers, { timeZone: 'UTC' }))).ok).toBe(true);
  });

  it('gives up a drawing past its bound and replaces the worker', async () => {
    const hurried = new ChartRenderer({ boundMs: 1 });
    const late = await hurried.render(chartSpec(providers, { timeZone: 'UTC' }));
    expect(late).toEqual({ ok: false, reason: 'the chart was not drawn within 0 s' });
    await hurried.stop();
  });
});
