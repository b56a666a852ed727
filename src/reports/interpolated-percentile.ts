/**
 * Percentiles of response times, by linear interpolation between the closest ranks (Hyndman and
 * Fan's type 7, as in Excel's PERCENTILE.INC and NumPy's default): for n sorted values and p in
 * [0, 1], h = (n − 1)·p and the answer is x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]). The median is
 * p = 0.5 (the mean of the two middle values for an even count). With few incidents a week, a
 * nearest-rank p90 would simply be the worst one; interpolation says how far the tail reaches.
 */
export function interpolatedPercentile(values: readonly number[], p: number): number | null {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`interpolatedPercentile wants p in [0, 1] (got ${p})`);
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const below = sorted[lo]!;
  const above = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  return below + (h - lo) * (above - below);
}
