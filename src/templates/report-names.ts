/**
 * A report as read outside Slack (the terminal): every mention `<@U…>` and every bare user ID in
 * its words becomes the person's name, or the bare ID when no name is known. Done on the report,
 * before it is laid out, so that table columns are as wide as the names they hold.
 */
import { namedOutsideSlack, peopleIn, type PersonName } from './people.js';
import type { Report, ReportSection } from './report.js';

/** Every text of the report the terminal prints. */
function textsOf(report: Report): string[] {
  return [
    report.headline,
    report.footer ?? '',
    report.plainText ?? '',
    ...report.sections.flatMap((s) => [s.title ?? '', ...(s.lines ?? []), ...(s.table ? [...s.table.columns, ...s.table.rows.flat()] : [])]),
  ];
}

/** The Slack user IDs a report names (to look their names up once). */
export function peopleInReport(report: Report): string[] {
  return [...new Set(textsOf(report).flatMap(peopleIn))];
}

/** The report with people named by `name`; what Slack shows (blocks, slackSections) is left as it is. */
export function reportWithNames(report: Report, name: PersonName): Report {
  const named = (text: string) => namedOutsideSlack(text, name);
  const section = (s: ReportSection): ReportSection => ({
    ...s,
    ...(s.title !== undefined ? { title: named(s.title) } : {}),
    ...(s.lines ? { lines: s.lines.map(named) } : {}),
    ...(s.table ? { table: { columns: s.table.columns.map(named), rows: s.table.rows.map((r) => r.map(named)) } } : {}),
  });
  return {
    ...report,
    headline: named(report.headline),
    sections: report.sections.map(section),
    ...(report.footer !== undefined ? { footer: named(report.footer) } : {}),
    ...(report.plainText !== undefined ? { plainText: named(report.plainText) } : {}),
  };
}
