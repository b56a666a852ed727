/**
 * Charts in the incident flow, without asking: acknowledging an alert about a metric posts that
 * metric's chart of the 6 h before into the incident's thread, the alert's moment marked. Drawn
 * after the acknowledgement has answered (never in its way), recorded as a chart-drawn event for
 * the incident's anchor, uploaded by the outbox like any reply.
 */
import { drawAndShareChart } from '../charts/draw-chart.js';
import type { ChartKind } from '../checks/chart-data.js';
import type { Incident } from '../db/state/state-records.js';
import type { CommandDeps } from './command-spec.js';

/** How far back the chart posted at an acknowledgement looks. */
export const ACK_CHART_WINDOW_MS = 6 * 3_600_000;

/**
 * Which chart an alert is about, from its name and message (the service's alert names and the
 * Alertmanager rules name the metric); null when none fits, and then nothing is drawn.
 */
export function chartKindForAlert(name: string, message: string): ChartKind | null {
  const text = `${name} ${message}`.toLowerCase();
  if (/proof|merkle/.test(text)) return 'proofs';
  if (/provider|health.?check|availab|tiger|arcgis|outage/.test(text)) return 'providers';
  if (/latenc|slow|query/.test(text)) return 'latency';
  if (/\bjobs?\b|job_|duration|stuck/.test(text)) return 'jobs';
  if (/error|fail/.test(text)) return 'errors';
  return null;
}

/** Draws `kind` over [to - windowMs, to) with `markAt` marked into the incident's thread; never throws. */
export async function postIncidentChart(deps: CommandDeps, incident: Incident, kind: ChartKind, windowMs: number, markAt: Date | null): Promise<boolean> {
  const channel = deps.config.channels.incidents;
  if (!channel) return false;
  return drawAndShareChart(deps, { kind, windowMs, markAt, channel, anchor: incident.anchor });
}

/** The incident's window starts this long before it opened, so the chart shows the way in. */
export const INCIDENT_CHART_LEAD_MS = 30 * 60_000;

/**
 * The resolution's chart: the incident's alert's metric from a little before the incident opened
 * until now, the alert's moment marked. Nothing for an incident without an alert about a metric.
 */
export async function postResolutionChart(deps: CommandDeps, incident: Incident): Promise<boolean> {
  const alert = incident.alert_key ? await deps.state.alerts.get(incident.alert_key) : null;
  const kind = alert ? chartKindForAlert(alert.name, alert.message) : null;
  if (!alert || !kind) return false;
  const span = deps.clock().getTime() - Date.parse(incident.opened_at) + INCIDENT_CHART_LEAD_MS;
  // At least an hour (a short incident still shows its surroundings), at most the 30 days metrics.db keeps.
  const windowMs = Math.min(30 * 86_400_000, Math.max(3_600_000, Number.isFinite(span) ? span : 3_600_000));
  return postIncidentChart(deps, incident, kind, windowMs, new Date(alert.fired_at));
}
