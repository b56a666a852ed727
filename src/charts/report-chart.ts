/**
 * The reliability report's chart (pure): incidents opened per day, stacked by severity, in the
 * report's time zone, drawn like every other chart (chart-spec.ts's size, font and type sizes),
 * with alt text that says its point.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ReliabilityReport } from '../reports/reliability-report.js';
import { SEVERITIES } from '../incidents/severity-matrix.js';
import { CHART_FONT, CHART_HEIGHT, CHART_WIDTH } from './chart-spec.js';

/** The same severity, the same colour in every report: P0 the alarming one. */
export const SEVERITY_COLOURS: Record<(typeof SEVERITIES)[number], string> = { P0: '#d62728', P1: '#f28e2b', P2: '#edc948', P3: '#4e79a7' };

type Day = ReliabilityReport['chart']['incidentsPerDay'][number];

const total = (d: Day) => SEVERITIES.reduce((n, s) => n + d[s], 0);

/** "Mon 30 Nov" from the report's "2026-11-30". */
function dayLabel(day: string): string {
  const at = new Date(`${day}T12:00:00Z`);
  return at.toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });
}

/** "the last 7 days", as the report's own first line counts its window. */
function windowText(report: Pick<ReliabilityReport, 'windowMs'>): string {
  const days = Math.round(report.windowMs / 86_400_000);
  return days === 1 ? 'the last day' : `the last ${days} days`;
}

export function reportChartTitle(report: Pick<ReliabilityReport, 'chart' | 'windowMs'>): string {
  return `Incidents per day by severity, ${windowText(report).replace(/^the /, '')}`;
}

/** "5 incidents in the last 7 days, most on Tue 1 Dec (3); 1 P0." or "No incidents in the last 7 days." */
export function reportChartAltText(report: Pick<ReliabilityReport, 'chart' | 'windowMs'>): string {
  const days = report.chart.incidentsPerDay;
  const all = days.reduce((n, d) => n + total(d), 0);
  const span = windowText(report);
  if (all === 0) return `No incidents in ${span}.`;
  const busiest = days.reduce((a, b) => (total(b) > total(a) ? b : a));
  const bySeverity = SEVERITIES.map((s) => [s, days.reduce((n, d) => n + d[s], 0)] as const).filter(([, n]) => n > 0);
  const worst = bySeverity[0]!;
  return `${all} incident${all === 1 ? '' : 's'} in ${span}, most on ${dayLabel(busiest.day)} (${total(busiest)}); ${worst[1]} ${worst[0]}.`;
}

export function reportChartSpec(report: Pick<ReliabilityReport, 'chart' | 'windowMs'>): TopLevelSpec {
  const days = report.chart.incidentsPerDay;
  const values = days.flatMap((d) => SEVERITIES.map((s) => ({ day: dayLabel(d.day), order: d.day, severity: s, incidents: d[s] })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: reportChartTitle(report), anchor: 'start', fontSize: 30 },
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    padding: 20,
    background: 'white',
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'day', type: 'ordinal', sort: { field: 'order' }, title: null, axis: { labelAngle: 0 } },
      y: { field: 'incidents', type: 'quantitative', aggregate: 'sum', title: 'incidents', axis: { tickMinStep: 1 } },
      color: {
        field: 'severity',
        type: 'nominal',
        title: null,
        scale: { domain: [...SEVERITIES], range: SEVERITIES.map((s) => SEVERITY_COLOURS[s]) },
        legend: { orient: 'bottom', symbolSize: 300 },
      },
      order: { field: 'severity', sort: 'ascending' },
    },
    config: {
      font: CHART_FONT,
      title: { fontSize: 30, color: '#111111' },
      axis: { labelFontSize: 20, titleFontSize: 22, labelColor: '#222222', titleColor: '#222222', gridColor: '#dddddd' },
      legend: { labelFontSize: 22, columns: 4 },
      view: { stroke: null },
    },
  } as TopLevelSpec;
}
