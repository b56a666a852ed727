/**
 * What a chart shows, as data: the series read from metrics.db over a window, the unit, and the
 * health threshold it is judged against. Built by chart-series.ts (in the metrics reader's
 * worker) and turned into a picture (charts/chart-spec.ts), alt text (charts/chart-alt-text.ts) or terminal
 * sparklines (charts/sparkline.ts), all pure.
 */

/** What can be charted, in the order the list of them is shown. */
export const CHART_KINDS = ['errors', 'providers', 'latency', 'jobs', 'proofs'] as const;
export type ChartKind = (typeof CHART_KINDS)[number];

/** One line per kind for the list an unknown <what> gets, and for help. */
export const CHART_KIND_SUMMARIES: Record<ChartKind, string> = {
  errors: 'errors per minute by family and provider',
  providers: 'availability per provider (health checks), with the alert line',
  latency: 'request latency p50 and p95, with the alert line',
  jobs: 'job duration (average and longest), with the alert line',
  proofs: 'proof generation success, with the alert line',
};

export function isChartKind(text: string): text is ChartKind {
  return (CHART_KINDS as readonly string[]).includes(text);
}

/** One bucket of a series: its start (epoch ms) and value; null when the bucket had no rows. */
export interface ChartPoint {
  at: number;
  value: number | null;
}

export interface ChartSeries {
  /** What the line is: a provider ("Census TIGER"), an error family, "p95". */
  name: string;
  points: ChartPoint[];
}

/** The health threshold a chart draws as a line: crossing it is what alerts. */
export interface ChartThreshold {
  value: number;
  /** Which side of the line is bad. */
  worse: 'above' | 'below';
}

export interface ChartData {
  kind: ChartKind;
  /** What the values measure, for the title and the alt text: "availability", "errors". */
  measure: string;
  /** The y axis's unit: "%", "errors/min", "ms", "s". */
  unit: string;
  /** The window, epoch ms: [from, to). */
  from: number;
  to: number;
  bucketMs: number;
  series: ChartSeries[];
  threshold: ChartThreshold | null;
  /** Which direction is bad when there is no threshold (errors: up). */
  worse: 'above' | 'below';
  /** Oldest bucket start actually read; below `from` nothing is missing. Set when a time bound cut the read short. */
  readFrom?: number;
}

/** Options of the picture that are not data: where times are shown, and the moment to mark. */
export interface ChartView {
  /** IANA zone the times are written in (the rotation's). */
  timeZone: string;
  /** An alert's moment (epoch ms), marked with a vertical line. */
  markAt?: number | null;
  markLabel?: string;
}
