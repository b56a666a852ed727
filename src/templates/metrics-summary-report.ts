import type { MetricsSummary, MetricTypeSummary } from '../checks/metrics-summary.js';
import { inWindowText, partialWindowText } from '../checks/metric-window.js';
import { formatDuration } from '../time/atlas-time.js';
import type { Report } from './report.js';

const BARS = '▁▂▃▄▅▆▇█';
/** Enough for every type the service writes, with room; a flood of odd types is cut. */
const MAX_TYPES = 30;

/**
 * One character per value, scaled between the lowest and highest value (or from zero, for
 * counts, so bars are proportional, and a non-zero count never looks empty). null (an
 * average over an empty bucket) is a space.
 */
export function sparkline(values: readonly (number | null)[], fromZero: boolean): string {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (present.length === 0) return ' '.repeat(values.length);
  const hi = Math.max(...present);
  const lo = fromZero ? Math.min(0, ...present) : Math.min(...present);
  const top = BARS.length - 1;
  return values
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return ' ';
      let i = hi === lo ? (fromZero && hi === 0 ? 0 : top) : Math.round(((v - lo) / (hi - lo)) * top);
      // Any rows at all stand above an empty bucket, however small next to the peak.
      if (fromZero && v > 0) i = Math.max(1, i);
      return BARS[i] ?? ' ';
    })
    .join('');
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Milliseconds as "850 ms" or "1.25 s"; other values with at most two decimals. */
export function formatMetricValue(value: number | null, unit: MetricTypeSummary['unit']): string {
  if (value === null) return '-';
  if (unit === 'ms') {
    return Math.abs(value) < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toLocaleString('en-US', { maximumFractionDigits: 2 })} s`;
  }
  return value.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

function typeCell(type: string): string {
  const flat = type.replace(/\s+/g, ' ');
  return flat.length > 40 ? `${flat.slice(0, 39)}…` : flat;
}

/** The `metrics` answer: how much was recorded, then one row per type with its trend. */
export function metricsSummaryReport(s: MetricsSummary, windowMs: number): Report {
  const window = formatDuration(windowMs);
  if (s.missing.length > 0) {
    return { command: 'metrics', level: 'unknown', headline: `cannot summarize metrics: ${s.detail}`, sections: [], data: s };
  }
  // A window the time bound cut short says so first; its older buckets are empty for want of time.
  const partial = partialWindowText(s.coverage);
  const partialLines = partial ? [{ lines: [`${partial} Older trend buckets were not read.`] }] : [];
  const inWindow = s.coverage.complete ? `in the last ${window}` : `${inWindowText(s.coverage)} (partial)`;
  if (s.totalRows === 0) {
    return { command: 'metrics', level: 'unknown', headline: `no metrics ${inWindow}`, sections: partialLines, data: s };
  }
  const shown = s.types.slice(0, MAX_TYPES);
  const hidden = s.types.slice(MAX_TYPES);
  return {
    command: 'metrics',
    level: 'info',
    headline: `${count(s.totalRows)} metric rows of ${count(s.types.length)} types ${inWindow}`,
    sections: [
      ...partialLines,
      {
        table: {
          columns: ['type', 'count', 'avg', 'min', 'max', 'trend'],
          rows: shown.map((t) => [
            typeCell(t.type),
            count(t.count),
            formatMetricValue(t.avg, t.unit),
            formatMetricValue(t.min, t.unit),
            formatMetricValue(t.max, t.unit),
            `${sparkline(t.trend, t.trendOf === 'count')}${t.trendOf === 'avg' ? ' (avg)' : ''}`,
          ]),
        },
        ...(hidden.length > 0
          ? { lines: [`…and ${count(hidden.length)} more types (${count(hidden.reduce((n, t) => n + t.count, 0))} rows)`] }
          : {}),
      },
    ],
    footer: `trend: ${shown[0]?.trend.length ?? 0} buckets of ${formatDuration(s.bucketMs)}, oldest first; rows per bucket, or the average value where marked (avg).`,
    data: s,
  };
}
