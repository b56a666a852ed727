import type { CheckItem } from '../checks/check-item.js';
import type { HealthResult } from '../checks/health.js';
import { partialWindowText } from '../checks/metric-window.js';
import { formatDuration } from '../time/atlas-time.js';
import { LEVEL_EMOJI } from './block-kit.js';
import { clipText } from './clip-text.js';
import { checkItemsTable, countByLevel, formatValue, sortWorstFirst } from './check-items-report.js';
import type { Report, ReportLevel, ReportSection } from './report.js';

const LEVEL_OF: Record<HealthResult['status'], ReportLevel> = { healthy: 'ok', degraded: 'warn', unhealthy: 'crit' };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "Census TIGER availability 16.7 % (alert < 95 %)" for threshold items, else the detail. */
function describeWorst(item: CheckItem): string {
  const text = item.alert && item.value !== null ? `${item.label} ${formatValue(item)} (alert ${item.alert})` : `${item.label}: ${item.detail}`;
  return clipText(text, 160);
}

/** "16.7 % (target ≥ 95 %, alert < 95 %)": the value against what it should be. */
function valueAgainstTarget(item: CheckItem): string {
  if (item.value === null) return '';
  const bounds = [item.target && `target ${item.target}`, item.alert && `alert ${item.alert}`].filter(Boolean).join(', ');
  return bounds ? `${formatValue(item)} (${bounds})` : formatValue(item);
}

/** One item as a Slack line: status emoji, name in bold, value against target, the whole detail. */
function itemLine(item: CheckItem): string {
  return [`${LEVEL_EMOJI[item.level]} *${item.label}*`, valueAgainstTarget(item), item.detail].filter(Boolean).join(' · ');
}

/**
 * Slack's health, for a phone: one line per item that needs attention (nothing cut, so a stuck
 * job's id is whole), the unmeasured ones, then every OK item folded into one context line.
 */
function slackHealth(partial: string, attention: readonly CheckItem[], unknown: readonly CheckItem[], ok: readonly CheckItem[]): ReportSection[] {
  const sections: ReportSection[] = [];
  if (partial) sections.push({ lines: [`Metric items: ${partial}`] });
  if (attention.length > 0) sections.push({ title: 'Needs attention', lines: attention.map(itemLine) });
  if (unknown.length > 0) sections.push({ title: 'Not measured', lines: unknown.map(itemLine) });
  if (ok.length > 0) {
    const items = ok.map((i) => (i.value === null || !i.target ? i.label : `${i.label} ${formatValue(i)}`));
    sections.push({ context: true, lines: [`${LEVEL_EMOJI.ok} OK: ${items.join(' · ')}`] });
  }
  return sections;
}

/** `health`: the verdict first, then what needs attention, worst first. */
export function healthReport(result: HealthResult): Report {
  const counts = countByLevel(result.items);
  const sorted = sortWorstFirst(result.items);
  const attention = sorted.filter((i) => i.level === 'crit' || i.level === 'warn');
  const worst = attention[0];
  const tally = [counts.crit && `${counts.crit} critical`, counts.warn && plural(counts.warn, 'warning')].filter(Boolean).join(', ');
  // Metric items the time bound cut short: said in the headline and first, before any item.
  const coverage = result.metricsCoverage;
  const partial = coverage ? partialWindowText(coverage) : '';
  const partialNote = coverage && partial ? `; metrics partial: newest ${formatDuration(coverage.readMs)} of ${formatDuration(coverage.windowMs)}` : '';
  const headline =
    result.status === 'healthy'
      ? `healthy: all ${counts.ok} checks ok${counts.unknown ? `, ${counts.unknown} not measured` : ''}${partialNote}`
      : `${result.status}: ${tally}${partialNote}; worst: ${worst ? describeWorst(worst) : ''}`;

  const sections: ReportSection[] = [];
  if (partial) sections.push({ lines: [`Metric items: ${partial}`] });
  if (attention.length > 0) sections.push({ title: 'Needs attention', table: checkItemsTable(attention) });
  const unknown = sorted.filter((i) => i.level === 'unknown');
  if (unknown.length > 0) sections.push({ title: 'Not measured', lines: unknown.map((i) => `${i.label}: ${i.detail}`) });
  const ok = sorted.filter((i) => i.level === 'ok');
  if (ok.length > 0) sections.push({ title: 'OK', lines: [ok.map((i) => (i.value === null || !i.target ? i.label : `${i.label} ${formatValue(i)}`)).join(' · ')] });

  return {
    command: 'health',
    level: LEVEL_OF[result.status],
    headline,
    sections,
    slackSections: slackHealth(partial, attention, unknown, ok),
    footer: `Window ${formatDuration(result.windowMs)} · checked ${result.checkedAt} UTC · next: /atlas errors, /atlas providers, /atlas runbook <symptom>`,
    data: result,
  };
}
