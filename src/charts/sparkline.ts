/**
 * The terminal's chart: one line per series, `census-tiger  ▁▁▂▇█▅▂▁  errors/min, max 14 at 02:14`.
 * Pure: the data and the zone in, lines of text out.
 */
import type { ChartData, ChartSeries, ChartView } from '../checks/chart-data.js';
import { chartTimeText } from './chart-time.js';
import { shortNumber, valueText, worstPoint } from './chart-values.js';

const BARS = '▁▂▃▄▅▆▇█';

/**
 * The bars of one series, scaled from 0 (or from the lowest value, when that is negative) to
 * `top`, so series of one chart compare; a bucket without rows is a space.
 */
export function sparkBars(series: ChartSeries, top: number): string {
  const values = series.points.map((p) => p.value);
  const bottom = Math.min(0, ...values.filter((v): v is number => v !== null));
  const span = top - bottom;
  return values
    .map((v) => {
      if (v === null) return ' ';
      if (!(span > 0)) return BARS[0];
      const i = Math.round(((v - bottom) / span) * (BARS.length - 1));
      return BARS[Math.max(0, Math.min(BARS.length - 1, i))];
    })
    .join('');
}

export function sparklines(data: ChartData, view: ChartView): string[] {
  if (data.series.length === 0) return [];
  const all = data.series.flatMap((s) => s.points.map((p) => p.value)).filter((v): v is number => v !== null);
  const top = Math.max(0, ...all, data.threshold?.value ?? 0);
  const width = Math.max(...data.series.map((s) => s.name.length));
  return data.series.map((s) => {
    const worst = worstPoint(s, data.worse);
    const summary = worst
      ? `${data.worse === 'above' ? 'max' : 'min'} ${data.unit === '%' || data.unit === 'ms' ? valueText(worst.point.value, data.unit) : shortNumber(worst.point.value)} at ${chartTimeText(worst.point.at, view.timeZone, data.to - data.from)}`
      : 'no rows';
    return `${s.name.padEnd(width)}  ${sparkBars(s, top)}  ${data.unit}, ${summary}`;
  });
}
