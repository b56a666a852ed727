/**
 * Draws a chart and records it to be shared (a chart-drawn event, uploaded by the outbox): the
 * one path for the charts the bot posts without being asked (the incident flow, the handoff).
 * Never throws: a chart that cannot be drawn is logged, and what it was for goes on without it.
 */
import type { ChartKind } from '../checks/chart-data.js';
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

export async function drawAndShareChart(deps: DomainDeps, post: ChartPost): Promise<boolean> {
  try {
    const to = deps.clock();
    const data = await metricsReaders().chart(deps.atlas.metrics, post.kind, to, post.windowMs, deps.config.thresholds);
    const timeZone = deps.rotation.timezone;
    const markAt = post.markAt?.getTime();
    const view = markAt !== undefined && Number.isFinite(markAt) ? { timeZone, markAt, markLabel: `alert ${chartTimeText(markAt, timeZone, post.windowMs)}` } : { timeZone };
    const drawn = await chartRenderer().render(chartSpec(data, view));
    if (!drawn.ok) {
      deps.logger.warn({ kind: post.kind, reason: drawn.reason }, 'could not draw a chart to share');
      return false;
    }
    const chart: DrawnChart = {
      what: post.kind,
      title: chartTitle(data),
      altText: chartAltText(data, view),
      png: drawn.png,
      channel: post.channel,
      anchor: post.anchor ?? null,
      ...(post.lane ? { lane: post.lane } : {}),
    };
    deps.state.transaction(() => deps.events.record({ type: 'chart-drawn', chart }, deps.clock()));
    return true;
  } catch (err) {
    deps.logger.warn({ err, kind: post.kind }, 'could not share a chart');
    return false;
  }
}

/** Where the reliability report's chart goes: after the report, in its channel (and lane). */
export interface ReportChartPost {
  channel: string;
  lane?: string;
  requestedBy?: string | null;
}

/** Draws the report's incidents-per-day chart and records it to be shared; never throws. */
export async function shareReportChart(deps: Pick<DomainDeps, 'state' | 'events' | 'clock' | 'logger'>, report: Pick<ReliabilityReport, 'chart' | 'windowMs'>, post: ReportChartPost): Promise<boolean> {
  try {
    const drawn = await chartRenderer().render(reportChartSpec(report));
    if (!drawn.ok) {
      deps.logger.warn({ reason: drawn.reason }, 'could not draw the report chart');
      return false;
    }
    const chart: DrawnChart = {
      what: 'report',
      title: reportChartTitle(report),
      altText: reportChartAltText(report),
      png: drawn.png,
      channel: post.channel,
      ...(post.lane ? { lane: post.lane } : {}),
      ...(post.requestedBy ? { requestedBy: post.requestedBy } : {}),
    };
    deps.state.transaction(() => deps.events.record({ type: 'chart-drawn', chart }, deps.clock()));
    return true;
  } catch (err) {
    deps.logger.warn({ err }, 'could not share the report chart');
    return false;
  }
}
