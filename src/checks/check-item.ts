/** A check's verdict; `unknown` when nothing could be measured. */
export type Level = 'ok' | 'warn' | 'crit' | 'unknown';

/** One line of a diagnostic verdict: a value measured against the on-call guide's thresholds. */
export interface CheckItem {
  /** Stable key, e.g. "extraction_success" or "provider:Census TIGER". */
  key: string;
  /** What a person reads: "Extraction success". */
  label: string;
  level: Level;
  /** The measured value in `unit`, or null when it could not be measured. */
  value: number | null;
  unit: '%' | 's' | 'ms' | 'GB' | 'MB' | 'count' | 'h' | 'd' | '';
  /** "> 90 %" */
  target?: string;
  /** "< 80 %" */
  alert?: string;
  /** The evidence or the reason for `unknown`: "182 of 200 in the last 1 h". */
  detail: string;
}

export interface Band {
  target: number;
  alert: number;
}

/**
 * Level of a value against a target/alert band.
 * higher is better: below alert is crit, below target is warn.
 * lower is better: above alert is crit, above target is warn.
 */
export function bandLevel(value: number, band: Band, better: 'higher' | 'lower'): Level {
  if (better === 'higher') {
    if (value < band.alert) return 'crit';
    if (value < band.target) return 'warn';
    return 'ok';
  }
  if (value > band.alert) return 'crit';
  if (value > band.target) return 'warn';
  return 'ok';
}

/** "> 90 %" / "< 80 %" strings for a band, as the guide writes them. */
export function bandText(band: Band, better: 'higher' | 'lower', unit: string): { target: string; alert: string } {
  const u = unit ? ` ${unit}` : '';
  return better === 'higher'
    ? { target: `≥ ${band.target}${u}`, alert: `< ${band.alert}${u}` }
    : { target: `≤ ${band.target}${u}`, alert: `> ${band.alert}${u}` };
}

/** A check that could not be evaluated, with the reason. */
export function unknownItem(key: string, label: string, detail: string, unit: CheckItem['unit'] = ''): CheckItem {
  return { key, label, level: 'unknown', value: null, unit, detail };
}
