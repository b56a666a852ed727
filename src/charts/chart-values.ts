/** How a chart's values are written in its alt text and sparklines. */
import type { ChartData, ChartPoint, ChartSeries } from '../checks/chart-data.js';

/** Short numbers: whole above 10, one decimal below ("14", "0.5", "97.3"). */
export function shortNumber(v: number): string {
  const rounded = Math.abs(v) >= 10 ? Math.round(v) : Math.round(v * 10) / 10;
  return String(rounded);
}

/** A value with its unit: "70%", "14 errors/min", "850 ms", "1.2 s" (milliseconds of a second and more are seconds). */
export function valueText(v: number, unit: string): string {
  if (unit === '%') return `${shortNumber(v)}%`;
  if (unit === 'ms' && v >= 1000) return `${shortNumber(v / 1000)} s`;
  return `${shortNumber(v)} ${unit}`;
}

export interface Extreme {
  series: ChartSeries;
  point: ChartPoint & { value: number };
}

/** The worst point of a series (highest when up is bad, lowest when down is); null when it has no values. */
export function worstPoint(series: ChartSeries, worse: ChartData['worse']): Extreme | null {
  let best: Extreme | null = null;
  for (const p of series.points) {
    if (p.value === null) continue;
    // The first of equal extremes: when it got there.
    if (!best || (worse === 'above' ? p.value > best.point.value : p.value < best.point.value)) best = { series, point: { at: p.at, value: p.value } };
  }
  return best;
}

/** The worst point over every series. */
export function worstOverall(data: ChartData): Extreme | null {
  let worst: Extreme | null = null;
  for (const s of data.series) {
    const e = worstPoint(s, data.worse);
    if (!e) continue;
    if (!worst || (data.worse === 'above' ? e.point.value > worst.point.value : e.point.value < worst.point.value)) worst = e;
  }
  return worst;
}

/** The first value of a series. */
export function firstValue(series: ChartSeries): number | null {
  return series.points.find((p) => p.value !== null)?.value ?? null;
}
