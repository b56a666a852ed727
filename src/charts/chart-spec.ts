/**
 * A chart's Vega-Lite spec from its data (pure). Made to be read on a phone in a Slack thread:
 * 1000×450 plot, large type, thick lines, a legend under the plot, the alert line dashed red and
 * the alert's moment as a red vertical rule. Times are the configured zone's wall clock, drawn
 * on a UTC scale (chart-time.ts), and the axis title names the zone.
 */
import type { TopLevelSpec } from 'vega-lite';
import { formatDuration } from '../time/atlas-time.js';
import type { ChartData, ChartView } from '../checks/chart-data.js';
import { chartTimeText, wallClockAsUtc } from './chart-time.js';
import { ALERT_COLOUR, seriesColour } from './provider-colours.js';
import { valueText } from './chart-values.js';

/** The plot's size in pixels; axes, title and legend come on top (the PNG is larger). */
export const CHART_WIDTH = 1000;
export const CHART_HEIGHT = 450;

/** The font the renderer ships (chart-render.ts loads it into resvg). */
export const CHART_FONT = 'DejaVu Sans';

const TITLE_BY_KIND: Record<ChartData['kind'], string> = {
  errors: 'Errors',
  providers: 'Provider availability',
  latency: 'Request latency',
  jobs: 'Job duration',
  proofs: 'Proof generation success',
};

/** "Provider availability, last 6 h". */
export function chartTitle(data: ChartData): string {
  return `${TITLE_BY_KIND[data.kind]}, last ${formatDuration(data.to - data.from)}`;
}

export function chartSpec(data: ChartData, view: ChartView): TopLevelSpec {
  const windowMs = data.to - data.from;
  const shift = (ms: number) => wallClockAsUtc(ms, view.timeZone);
  const names = data.series.map((s) => s.name);
  const values = data.series.flatMap((s) => s.points.map((p) => ({ t: shift(p.at), series: s.name, value: p.value })));
  const format = windowMs > 86_400_000 ? '%b %d %H:%M' : '%H:%M';
  const x = {
    field: 't',
    type: 'temporal' as const,
    scale: { type: 'utc' as const, domain: [shift(data.from), shift(data.to)] },
    axis: { title: `Time (${view.timeZone})`, format, tickCount: 6, grid: true },
  };
  const layers: unknown[] = [
    {
      data: { values },
      mark: { type: 'line', strokeWidth: 4, point: values.length <= 60 ? { size: 60, filled: true } : false },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: data.unit, scale: data.unit === '%' ? { domain: [0, 100] } : { zero: true } },
        color: {
          field: 'series',
          type: 'nominal',
          title: null,
          scale: { domain: names, range: names.map(seriesColour) },
          legend: names.length > 0 ? { orient: 'bottom', symbolStrokeWidth: 6, symbolSize: 300 } : null,
        },
      },
    },
  ];
  if (data.threshold) {
    layers.push({
      data: { values: [{ v: data.threshold.value, label: `alert ${data.threshold.worse === 'above' ? '>' : '<'} ${valueText(data.threshold.value, data.unit)}` }] },
      layer: [
        { mark: { type: 'rule', color: ALERT_COLOUR, strokeWidth: 3, strokeDash: [12, 8] }, encoding: { y: { field: 'v', type: 'quantitative' } } },
        {
          mark: { type: 'text', color: ALERT_COLOUR, align: 'right', dx: -6, dy: data.threshold.worse === 'above' ? -12 : 16, fontSize: 20, fontWeight: 'bold', x: 'width' },
          encoding: { y: { field: 'v', type: 'quantitative' }, text: { field: 'label' } },
        },
      ],
    });
  }
  if (typeof view.markAt === 'number' && view.markAt >= data.from && view.markAt <= data.to) {
    const label = view.markLabel ?? `alert ${chartTimeText(view.markAt, view.timeZone, windowMs)}`;
    layers.push({
      data: { values: [{ t: shift(view.markAt), label }] },
      layer: [
        { mark: { type: 'rule', color: ALERT_COLOUR, strokeWidth: 4 }, encoding: { x } },
        { mark: { type: 'text', color: ALERT_COLOUR, align: 'left', baseline: 'bottom', dx: 8, y: 'height', dy: -8, fontSize: 20, fontWeight: 'bold' }, encoding: { x, text: { field: 'label' } } },
      ],
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: chartTitle(data), subtitle: data.series.length === 0 ? 'no rows in this window' : undefined, anchor: 'start', fontSize: 30 },
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    padding: 20,
    background: 'white',
    config: {
      font: CHART_FONT,
      title: { fontSize: 30, subtitleFontSize: 22, color: '#111111' },
      axis: { labelFontSize: 20, titleFontSize: 22, labelColor: '#222222', titleColor: '#222222', gridColor: '#dddddd' },
      legend: { labelFontSize: 22, labelLimit: 400, columns: 3 },
      view: { stroke: null },
    },
    layer: layers,
  } as TopLevelSpec;
}
