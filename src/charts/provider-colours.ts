/**
 * The colour of a series by its name, the same in every chart: an engineer who learned that
 * Census TIGER is blue in one picture reads it blue in the next. Known providers and series have
 * fixed colours; any other name gets one from the palette by a hash of its name (stable across
 * processes and charts, whatever other series are drawn beside it).
 */

/** Tableau 10 (colour-blind friendly, distinct on a phone), red left out: red is the alert line. */
export const SERIES_PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'] as const;

/** The alert line and marker colour: no series uses it. */
export const ALERT_COLOUR = '#d62728';

/** Names with a colour of their own, lower case. */
const FIXED: Record<string, string> = {
  'census tiger': '#4e79a7',
  'census-tiger': '#4e79a7',
  'arcgis hub': '#f28e2b',
  'arcgis-hub': '#f28e2b',
  p50: '#59a14f',
  p95: '#b07aa1',
  average: '#4e79a7',
  longest: '#f28e2b',
  success: '#59a14f',
};

/** FNV-1a over the UTF-16 units of the name: small, stable, no dependency. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function seriesColour(name: string): string {
  const key = name.trim().toLowerCase();
  return FIXED[key] ?? SERIES_PALETTE[hash(key) % SERIES_PALETTE.length]!;
}
