import { ERROR_RATE_CRIT_PCT, ERROR_RATE_WARN_PCT, type ErrorTriage } from '../checks/error-triage.js';
import { inWindowText, partialWindowText } from '../checks/metric-window.js';
import { formatDuration } from '../time/atlas-time.js';
import type { Report, ReportSection } from './report.js';

const MAX_CELL = 80;

function cell(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Two decimals below 10 % so a rate just over a line does not read as the line itself. */
export function formatPct(pct: number): string {
  return `${pct < 10 ? pct.toFixed(2) : pct.toFixed(1)} %`;
}

function verdict(t: ErrorTriage): string {
  if (t.level === 'crit') return `above ${ERROR_RATE_CRIT_PCT} %`;
  if (t.level === 'warn') return `above ${ERROR_RATE_WARN_PCT} %`;
  return 'ok';
}

/** The `errors` answer: the rate first, then the families and the largest error groups. */
export function errorTriageReport(t: ErrorTriage, windowMs: number): Report {
  const window = formatDuration(windowMs);
  // A window the time bound cut short says so first, and every figure names the part read.
  const partial = partialWindowText(t.coverage);
  const partialSections: ReportSection[] = partial ? [{ lines: [partial] }] : [];
  const inWindow = t.coverage.complete ? `in the last ${window}` : `${inWindowText(t.coverage)} (partial)`;
  if (t.missing.length > 0) {
    return { command: 'errors', level: 'unknown', headline: `cannot count errors: ${t.detail}`, sections: [], data: t };
  }
  if (t.ratePct === null) {
    return {
      command: 'errors',
      level: 'unknown',
      headline: `${t.detail || `no metrics in the last ${window}`}: error rate unknown`,
      sections: [
        ...partialSections,
        {
          lines: [
            'No extraction, validation, provider check, request or proof rows were recorded in the window; is the service running?',
          ],
        },
      ],
      data: t,
    };
  }

  const sections: ReportSection[] = [...partialSections];
  const active = t.families.filter((f) => f.attempts > 0);
  sections.push({
    title: 'By family',
    table: {
      columns: ['family', 'errors', 'attempts', 'rate'],
      rows: active.map((f) => [f.label, count(f.errors), count(f.attempts), f.ratePct === null ? '-' : formatPct(f.ratePct)]),
    },
  });
  if (t.groups.length > 0) {
    sections.push({
      title: 'Top errors',
      table: { columns: ['metric', 'where', 'error', 'count'], rows: t.groups.map((g) => [g.type, cell(g.subject), cell(g.error), count(g.count)]) },
    });
  }
  const notes: string[] = [];
  if (t.moreGroups > 0) notes.push(`…and ${count(t.moreGroups)} more groups (${count(t.moreErrors)} errors)`);
  for (const f of active) {
    if ((f.key === 'proof' || f.key === 'merkle') && f.errors === f.attempts) {
      notes.push(`All ${count(f.attempts)} ${f.label} failed in the window: the severity matrix makes that P0 (respond within 15 min).`);
    }
  }
  if (t.malformedLabels > 0) notes.push(`${count(t.malformedLabels)} error rows had unreadable labels_json: counted, labels ignored.`);
  if (notes.length > 0) sections.push({ lines: notes });

  return {
    command: 'errors',
    level: t.level,
    headline: `error rate ${formatPct(t.ratePct)} ${inWindow} (${count(t.errors)} of ${count(t.attempts)} failed): ${verdict(t)}`,
    sections,
    footer: `crit above ${ERROR_RATE_CRIT_PCT} %, warn above ${ERROR_RATE_WARN_PCT} %. Errors are extraction_failure, validation_fail, provider_error, request_error and proofs with success=false (there is no metric type \`error\`).`,
    data: t,
  };
}
