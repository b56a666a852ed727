/** Small statistics for benchmark samples: nearest-rank percentiles, so p99 is a real sample. */

export interface SampleSummary {
  n: number;
  min: number;
  median: number;
  p99: number;
  max: number;
  mean: number;
}

function sortedCopy(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Nearest-rank percentile (p in [0, 100]) of `values`; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile wants p in [0, 100] (got ${p})`);
  const sorted = sortedCopy(values);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** The middle value (mean of the two middle ones for an even count); NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = sortedCopy(values);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(values: readonly number[]): SampleSummary {
  const n = values.length;
  if (n === 0) return { n, min: Number.NaN, median: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN };
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { n, min, median: median(values), p99: percentile(values, 99), max, mean: sum / n };
}

/** "0.31 ms", "34.2 ms", "1.25 s": three significant figures, with the unit. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 1000) return `${(ms / 1000).toPrecision(3)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  return `${ms.toPrecision(3)} ms`;
}

/** "x 0.42" style ratio for the table; n/a when the baseline is zero or missing. */
export function formatRatio(value: number, baseline: number): string {
  if (!Number.isFinite(value) || !Number.isFinite(baseline) || baseline <= 0) return 'n/a';
  return `x ${(value / baseline).toFixed(2)}`;
}
