/**
 * The confirmed alert writes to metrics.db (`alert clear`, `alert ack`): the on-call guide's
 * "clear stuck alerts" and acknowledgement, in metrics.db's own timestamp format
 * (`YYYY-MM-DD HH:MM:SS`, UTC). Each is one immediate transaction that first re-reads the row and
 * changes nothing unless every column is what the plan read (AlertChangedError).
 */
import type { AtlasDatabase } from './atlas-database.js';
import { withAtlasWrite } from './atlas-write-lock.js';
import { toSqlTime } from '../time/atlas-time.js';

/** Every column of a metrics.db `alerts` row, as stored. */
export type AtlasAlertRow = Record<string, unknown> & { id: number; name: string; status: string };

export class AlertChangedError extends Error {
  override name = 'AlertChangedError';
}

/** The metrics.db row of this alert name (exact, one per name), null when none or no `alerts` table. */
export function readAtlasAlertRow(metrics: AtlasDatabase, name: string): AtlasAlertRow | null {
  if (!metrics.exists()) return null;
  const columns = metrics.liveSchema().get('alerts');
  if (!columns?.has('name') || !columns.has('status')) return null;
  return metrics.read((db) => (db.prepare('SELECT * FROM alerts WHERE name = ?').get(name) as AtlasAlertRow | undefined) ?? null);
}

const sameRow = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => Object.is(v, b[k]));

/** The columns an alert change sets: `resolve` (status, resolved_at) or `acknowledge` (acknowledged_at). */
export function alertChange(kind: 'resolve' | 'acknowledge', at: Date): Record<string, string> {
  return kind === 'resolve' ? { status: 'resolved', resolved_at: toSqlTime(at) } : { acknowledged_at: toSqlTime(at) };
}

/** Applies `alertChange(kind, at)` to the row if it is still `expected`; returns the row after. */
export async function writeAtlasAlert(
  metrics: AtlasDatabase,
  expected: AtlasAlertRow,
  kind: 'resolve' | 'acknowledge',
  at: Date,
  opts: { lockWaitMs?: number } = {},
): Promise<AtlasAlertRow> {
  const set = alertChange(kind, at);
  return withAtlasWrite(
    metrics,
    (db) => {
      const now = db.prepare('SELECT * FROM alerts WHERE id = ?').get(expected.id) as AtlasAlertRow | undefined;
      if (!now || !sameRow(now, expected)) throw new AlertChangedError(`the metrics.db alert ${expected.name} changed since the preview`);
      const columns = Object.keys(set);
      db.prepare(`UPDATE alerts SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`).run(...columns.map((c) => set[c]), expected.id);
      return db.prepare('SELECT * FROM alerts WHERE id = ?').get(expected.id) as AtlasAlertRow;
    },
    opts,
  );
}
