import type { CheckItem } from '../checks/check-item.js';
import { LEVEL_RANK, worstLevel, type Report } from './report.js';

const LEVEL_WORD = { crit: 'CRIT', warn: 'WARN', unknown: '?', ok: 'ok' } as const;

/** Worst first, so the eye lands on what needs doing. Stable for equal levels. */
export function sortWorstFirst(items: readonly CheckItem[]): CheckItem[] {
  return [...items].sort((a, b) => LEVEL_RANK[b.level] - LEVEL_RANK[a.level]);
}

export function formatValue(item: CheckItem): string {
  if (item.value === null) return '–';
  const v = item.value;
  const rounded = Math.abs(v) >= 100 ? Math.round(v) : Math.abs(v) >= 1 || v === 0 ? Math.round(v * 10) / 10 : Number(v.toPrecision(2));
  return item.unit === '' || item.unit === 'count' ? String(rounded) : `${rounded} ${item.unit}`;
}

/** A table of check items, worst first; columns that are empty in every row are left out. */
export function checkItemsTable(items: readonly CheckItem[]) {
  const sorted = sortWorstFirst(items);
  const columns = ['', 'check', 'value', 'target / alert', 'detail'];
  const rows = sorted.map((i) => [
    LEVEL_WORD[i.level],
    i.label,
    i.value === null ? '' : formatValue(i),
    i.target && i.alert ? `${i.target} / ${i.alert}` : '',
    i.detail,
  ]);
  const keep = columns.map((_, c) => c < 2 || rows.some((r) => r[c] !== ''));
  return {
    columns: columns.filter((_, c) => keep[c]),
    rows: rows.map((r) => r.filter((_, c) => keep[c])),
  };
}

export function countByLevel(items: readonly CheckItem[]) {
  const counts = { crit: 0, warn: 0, unknown: 0, ok: 0 };
  for (const i of items) counts[i.level]++;
  return counts;
}

/** `doctor`: the bot's own self-check. */
export function doctorReport(items: readonly CheckItem[]): Report {
  const counts = countByLevel(items);
  const level = worstLevel(items.map((i) => (i.level === 'unknown' ? 'ok' : i.level)));
  const worst = sortWorstFirst(items)[0];
  const headline =
    level === 'ok'
      ? `bot is fine: ${counts.ok} checks ok`
      : `bot needs attention: ${counts.crit} critical, ${counts.warn} warnings; first: ${worst?.label}: ${worst?.detail}`;
  return { command: 'doctor', level, headline, sections: [{ table: checkItemsTable(items) }], data: items };
}
