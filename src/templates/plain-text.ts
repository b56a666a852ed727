import type { Report, ReportLevel, ReportTable } from './report.js';

const LEVEL_TAG: Record<ReportLevel, string> = {
  ok: 'OK',
  warn: 'WARN',
  crit: 'CRIT',
  unknown: 'UNKNOWN',
  info: 'INFO',
  error: 'ERROR',
};

export function levelTag(level: ReportLevel): string {
  return LEVEL_TAG[level];
}

/** Pads columns to their widest cell; the terminal is monospace. */
export function renderTable(table: ReportTable, indent = '  '): string[] {
  const widths = table.columns.map((c, i) => Math.max(c.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    indent +
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(table.columns), line(widths.map((w) => '-'.repeat(w))), ...table.rows.map(line)];
}

/** Slack's `<@U123>` mention and `<#C123>` channel markup, read in a terminal as `@U123` and `#C123`. */
const MENTION = /<([@#])([UWCG][A-Z0-9]+)>/g;

/** A Report as terminal text: the verdict on the first line, then sections. */
export function renderPlainText(report: Report): string {
  if (report.plainText !== undefined) return report.plainText.endsWith('\n') ? report.plainText : `${report.plainText}\n`;
  const out = [`[${LEVEL_TAG[report.level]}] ${report.headline}`];
  for (const section of report.sections) {
    out.push('');
    if (section.title) out.push(section.title);
    for (const line of section.lines ?? []) out.push(`  ${line}`);
    if (section.table) out.push(...renderTable(section.table));
  }
  if (report.footer) out.push('', report.footer);
  return `${out.join('\n').replace(MENTION, '$1$2')}\n`;
}
