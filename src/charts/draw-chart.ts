/**
 * Draws a chart and records it to be shared (a chart-drawn event, uploaded by the outbox): the
 * one path for the charts the bot posts without being asked (the incident flow, the handoff).
 * Never throws: a chart that cannot be drawn is logged, and what it was for goes on without it.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ChartData, ChartKind } from '../checks/chart-data.js';
import { metricsReaders } from '../checks/metrics-reader.js';
import type { DrawnChart } from '../incidents/domain-events.js';
import type { DomainDeps } from '../incidents/incident-deps.js';
import { chartAltText } from './chart-alt-text.js';
import { chartRenderer } from './chart-renderer.js';
import { chartSpec, chartTitle } from './chart-spec.js';
import { chartTimeText } from './chart-time.js';
import type { ReliabilityReport } from '../reports/reliability-report.js';
import { reportChartAltText, reportChartSpec, reportChartTitle } from './report-chart.js';

export interface ChartPost {
  kind: ChartKind;
  windowMs: number;
  /** An alert's moment, marked on the chart. */
  markAt?: Date | null;
  channel: string;
  /** Shared in the thread of this message (an incident's card). */
  anchor?: string | null;
  /** The outbox lane, to keep it after a message of that lane (the handoff's). */
  lane?: string;
}

/** Draws what `make` describes and records the picture to be shared; never throws. */
async function drawAndRecord(
  deps: Pick<DomainDeps, 'state' | 'events' | 'clock' | 'logger'>,
  what: string,
  make: () => { spec: TopLevelSpec; chart: Omit<DrawnChart, 'png'> },
): Promise<boolean> {
  try {
    const { spec, chart } = make();
    const drawn = await chartRenderer().render(spec);
    if (!drawn.ok) {
      deps.logger.warn({ what, reason: drawn.reason }, 'could not draw a chart to share');
      return false;
    }
    await deps.state.transaction(async (tx) => await deps.events.record(tx, { type: 'chart-drawn', chart: { ...chart, png: drawn.png } }, deps.clock()));
    return true;
  } catch (err) {
    deps.logger.warn({ err, what }, 'could not share a chart');
    return false;
  }
}

export async function drawAndShareChart(deps: DomainDeps, post: ChartPost): Promise<boolean> {
  let data: ChartData;
  try {
    data = await metricsReaders().chart(deps.atlas.metrics, post.kind, deps.clock(), post.windowMs, deps.config.thresholds);
  } catch (err) {
    deps.logger.warn({ err, what: post.kind }, 'could not read a chart to share');
    return false;
  }
  return drawAndRecord(deps, post.kind, () => {
    const timeZone = deps.rotation.timezone;
    const markAt = post.markAt?.getTime();
    const view = markAt !== undefined && Number.isFinite(markAt) ? { timeZone, markAt, markLabel: `alert ${chartTimeText(markAt, timeZone, post.windowMs)}` } : { timeZone };
    const chart = { what: post.kind, title: chartTitle(data), altText: chartAltText(data, view), channel: post.channel, anchor: post.anchor ?? null, ...(post.lane ? { lane: post.lane } : {}) };
    return { spec: chartSpec(data, view), chart };
  });
}

/** Where the reliability report's chart goes: after the report, in its channel (and lane). */
export interface ReportChartPost {
  channel: string;
  lane?: string;
  requestedBy?: string | null;
}

/**
 * Draws the report's incidents-per-day chart and records it to be shared; never throws. A window
 * without incidents gets no picture: an empty chart in the channel says nothing the report did not.
 */
export async function shareReportChart(deps: Pick<DomainDeps, 'state' | 'events' | 'clock' | 'logger'>, report: Pick<ReliabilityReport, 'chart' | 'windowMs'>, post: ReportChartPost): Promise<boolean> {
  if (report.chart.incidentsPerDay.every((d) => d.P0 + d.P1 + d.P2 + d.P3 === 0)) return false;
  return drawAndRecord(deps, 'report', () => ({
    spec: reportChartSpec(report),
    chart: {
      what: 'report',
      title: reportChartTitle(report),
      altText: reportChartAltText(report),
      channel: post.channel,
      ...(post.lane ? { lane: post.lane } : {}),
      ...(post.requestedBy ? { requestedBy: post.requestedBy } : {}),
    },
  }));
}
