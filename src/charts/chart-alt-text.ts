/**
 * The alt text of a chart: the picture's point in one sentence, from the data alone (pure).
 * "Census TIGER availability fell from 100% to 70% at 02:14" tells a screen reader, a phone's
 * notification and a tired engineer what the lines would.
 */
import { formatDuration } from '../time/atlas-time.js';
import type { ChartData, ChartView } from '../checks/chart-data.js';
import { chartTimeText } from './chart-time.js';
import { firstValue, valueText, worstOverall } from './chart-values.js';

/** Slack's limit on alt_txt. */
export const ALT_TEXT_MAX = 1000;

function crossed(data: ChartData, value: number): boolean {
  const t = data.threshold;
  if (!t) return false;
  return t.worse === 'above' ? value > t.value : value < t.value;
}

export function chartAltText(data: ChartData, view: ChartView): string {
  const span = formatDuration(data.to - data.from);
  const at = (ms: number) => chartTimeText(ms, view.timeZone, data.to - data.from);
  const worst = worstOverall(data);
  let text: string;
  if (!worst) {
    text = `No ${data.measure} data in metrics.db in the last ${span}: nothing to draw.`;
  } else {
    const name = data.series.length > 1 || data.kind === 'providers' ? `${worst.series.name} ` : '';
    const v = valueText(worst.point.value, data.unit);
    const t = data.threshold;
    if (data.worse === 'below') {
      const first = firstValue(worst.series);
      if (t && crossed(data, worst.point.value)) {
        text = `${name}${data.measure} fell from ${valueText(first ?? worst.point.value, data.unit)} to ${v} at ${at(worst.point.at)}, below the ${valueText(t.value, data.unit)} alert line.`;
      } else if (t) {
        text = `${data.measure} stayed at or above the ${valueText(t.value, data.unit)} alert line for ${span} (lowest: ${name}${v} at ${at(worst.point.at)}).`;
      } else {
        text = `${name}${data.measure} was lowest at ${v} at ${at(worst.point.at)}.`;
      }
    } else if (t && crossed(data, worst.point.value)) {
      text = `${name}${data.measure} rose to ${v} at ${at(worst.point.at)}, above the ${valueText(t.value, data.unit)} alert line.`;
    } else if (t) {
      text = `${data.measure} stayed under the ${valueText(t.value, data.unit)} alert line for ${span} (peak: ${name}${v} at ${at(worst.point.at)}).`;
    } else if (worst.point.value < 1) {
      text = `${data.measure} stayed under ${valueText(1, data.unit)} for ${span}.`;
    } else {
      text = `${name}${data.measure} peaked at ${v} at ${at(worst.point.at)} in the last ${span}.`;
    }
  }
  text = text.charAt(0).toUpperCase() + text.slice(1);
  if (data.readFrom !== undefined && data.readFrom > data.from) text += ` Only the newest ${formatDuration(data.to - data.readFrom)} were read within the time bound.`;
  return text.length > ALT_TEXT_MAX ? `${text.slice(0, ALT_TEXT_MAX - 1)}…` : text;
}
