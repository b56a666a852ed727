/** What `atlas state migrate` says: what was copied and what was verified, or why nothing was. */
import type { StateCopyResult } from '../db/state/postgres/copy-state-to-postgres.js';
import type { Report } from './report.js';

export function stateMigrateReport(result: StateCopyResult): Report {
  if (!result.ok) return { command: 'state migrate', level: 'error', headline: result.problem, sections: [] };
  const rows = result.tables.reduce((n, t) => n + t.rows, 0);
  const { audit } = result;
  const chain =
    audit.rows === 0
      ? 'Audit chain: empty in chatops.db and in PostgreSQL.'
      : `Audit chain: ${audit.rows} rows, verified in PostgreSQL from #1 to #${audit.head.seq} (head ${audit.head.hash.slice(0, 12)}…), the same head as chatops.db's.`;
  return {
    command: 'state migrate',
    level: 'ok',
    headline: `Copied chatops.db into ${result.target}: ${result.tables.length} tables, ${rows} rows, in one transaction; every table's row count matches.`,
    sections: [
      { lines: [chain, ...audit.anchors.map((a) => `chatops.db's chain checked against ${a}.`), ...audit.notes] },
      { title: 'Rows per table', table: { columns: ['table', 'rows'], rows: result.tables.map((t) => [t.name, String(t.rows)]) } },
    ],
    footer: 'The bot still runs on chatops.db: running on PostgreSQL is not built yet. Rows the running bot wrote after the copy began are not in PostgreSQL.',
    data: { target: result.target, tables: result.tables, audit: { rows: audit.rows, head: audit.head } },
  };
}
