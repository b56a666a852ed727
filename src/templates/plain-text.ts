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

/** The narrowest a column is made when a table is fitted to the terminal. */
const MIN_COLUMN = 12;
const GAP = '  ';

/** `text` broken into lines of at most `width` characters, at spaces where it can. */
export function wrapText(text: string, width: number): string[] {
  if (text.length <= width) return [text];
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    let rest = word;
    // A word longer than the column is broken into pieces, after a `|` or `,` where it has one
    // (`[techlead|cto|…]`): nothing is ever dropped.
    while (rest.length > width) {
      if (line) lines.push(line);
      line = '';
      const at = Math.max(rest.lastIndexOf('|', width - 1), rest.lastIndexOf(',', width - 1));
      const cut = at > 0 ? at + 1 : width;
      lines.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    if (!line) line = rest;
    else if (line.length + 1 + rest.length <= width) line += ` ${rest}`;
    else {
      lines.push(line);
      line = rest;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * Column widths that fit `width` characters: the room is shared out evenly, a column narrower
 * than its share keeps its own width and leaves the rest to the others; none below MIN_COLUMN (a
 * table that cannot fit even so is as narrow as it gets).
 */
function fittedWidths(natural: number[], indent: number, width: number): number[] {
  let room = width - indent - GAP.length * (natural.length - 1);
  const widths = [...natural];
  const narrowestFirst = natural.map((_, i) => i).sort((a, b) => natural[a]! - natural[b]!);
  narrowestFirst.forEach((i, k) => {
    const share = Math.floor(room / (natural.length - k));
    widths[i] = Math.min(natural[i]!, Math.max(MIN_COLUMN, share));
    room -= widths[i]!;
  });
  return widths;
}

/**
 * Pads columns to their widest cell; the terminal is monospace. With `width` (the terminal's
 * columns), a table wider than that has its cells wrapped inside their columns instead of running
 * past the edge, where the terminal would cut or fold them.
 */
export function renderTable(table: ReportTable, indent = '  ', width?: number): string[] {
  const natural = table.columns.map((c, i) => Math.max(c.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const widths = width === undefined ? natural : fittedWidths(natural, indent.length, width);
  const line = (cells: string[]) =>
    indent +
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join(GAP)
      .trimEnd();
  const row = (cells: string[]): string[] => {
    const wrapped = cells.map((cell, i) => (widths[i] !== undefined && cell.length > widths[i]! ? wrapText(cell, widths[i]!) : [cell]));
    const height = Math.max(1, ...wrapped.map((w) => w.length));
    return Array.from({ length: height }, (_, k) => line(wrapped.map((w) => w[k] ?? '')));
  };
  return [...row(table.columns), line(widths.map((w) => '-'.repeat(w))), ...table.rows.flatMap(row)];
}

/** Slack's `<@U123>` mention and `<#C123>` channel markup, read in a terminal as `@U123` and `#C123`. */
const MENTION = /<([@#])([UWCG][A-Z0-9]+)>/g;

/** Where a report is shown: `width` is the terminal's columns (tables are fitted to it). */
export interface PlainTextOptions {
  width?: number;
}

/** A Report as terminal text: the verdict on the first line, then sections. */
export function renderPlainText(report: Report, options: PlainTextOptions = {}): string {
  if (report.plainText !== undefined) return report.plainText.endsWith('\n') ? report.plainText : `${report.plainText}\n`;
  const out = [`[${LEVEL_TAG[report.level]}] ${report.headline}`];
  for (const section of report.sections) {
    out.push('');
    if (section.title) out.push(section.title);
    for (const line of section.lines ?? []) out.push(`  ${line}`);
    if (section.table) out.push(...renderTable(section.table, '  ', options.width));
  }
  if (report.footer) out.push('', report.footer);
  return `${out.join('\n').replace(MENTION, '$1$2')}\n`;
}

/**
 * Text for the terminal: the subcommands it names are typed there as `atlas …`, not as the slash
 * command `/atlas …` that the same answers name in Slack.
 */
export function inTerminalWords(text: string): string {
  return text.replace(/(^|[\s`'"([])\/atlas\b/g, '$1atlas');
}
