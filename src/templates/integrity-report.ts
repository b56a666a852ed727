import { integrityDetail, type IntegrityVerdict } from '../checks/integrity.js';
import { worstLevel, type Report } from './report.js';

const MAX_FIRST = 160;

function clip(text: string, max = MAX_FIRST): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

function pragmaName(v: IntegrityVerdict): string {
  return v.mode === 'full' ? 'integrity_check' : 'quick_check';
}

/** "persistence.db: ok (integrity_check 1.2 s)" / "metrics.db: 3 problems, first: …" / the problem. */
export function integrityVerdictLine(v: IntegrityVerdict): string {
  if (v.problem) return clip(v.problem.message, 200);
  if (v.ok) return `${v.label}: ok (${pragmaName(v)} ${formatMs(v.durationMs)})`;
  const n = v.problems.length;
  const count = v.truncated ? `${n}+ problems` : `${n} problem${n === 1 ? '' : 's'}`;
  return `${v.label}: ${count}, first: ${clip(v.problems[0] ?? '(no detail)')}`;
}

/** `integrity`: one verdict per file on the first line, SQLite's own lines below. */
export function integrityReport(verdicts: readonly IntegrityVerdict[], prefix = '/atlas'): Report {
  const level = worstLevel(verdicts.map((v) => v.level));
  const sections: Report['sections'] = [
    {
      table: {
        columns: ['file', 'check', 'result', 'time'],
        rows: verdicts.map((v) => [
          v.label,
          pragmaName(v),
          v.problem ? v.problem.kind : v.ok ? 'ok' : `${v.problems.length}${v.truncated ? '+' : ''} problems`,
          v.problem && v.problem.kind === 'missing' ? '' : formatMs(v.durationMs),
        ]),
      },
    },
  ];
  for (const v of verdicts) {
    if (v.problem || v.ok) continue;
    sections.push({
      title: `${v.label}: what ${pragmaName(v)} reported${v.truncated ? ` (first ${v.problems.length})` : ''}`,
      lines: v.problems.map((p) => clip(p, 300)),
    });
  }
  const bad = verdicts.some((v) => v.level === 'crit');
  return {
    command: 'integrity',
    level,
    headline: verdicts.map(integrityVerdictLine).join('; '),
    sections,
    footer: bad
      ? `Stop the writers and copy the files aside before anything else: \`${prefix} runbook data-corruption\``
      : verdicts.some((v) => v.mode === 'quick')
        ? `quick_check skips index checks; \`${prefix} integrity\` runs the full check.`
        : undefined,
    data: verdicts.map((v) => ({ ...v, detail: integrityDetail(v) })),
  };
}
