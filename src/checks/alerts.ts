import { z } from 'zod';
import type { AtlasDatabase } from '../db/atlas-database.js';
import { DbProblemError } from '../db/sqlite-problem.js';
import { ageMs, formatDuration, parseAtlasTime, windowRanges } from '../time/atlas-time.js';
import { unknownItem, type CheckItem } from './check-item.js';

export interface AlertRow {
  name: string;
  status: 'firing' | 'resolved';
  message: string | null;
  firedAt: string;
  /** Since firedAt, ms; null when unparseable. */
  firingForMs: number | null;
  resolvedAt: string | null;
  acknowledgedAt: string | null;
  acknowledged: boolean;
  /** From the optional `severity` column, lower-cased ('critical', 'warning'); null when unknown. */
  severity: string | null;
}

export type AlertListing =
  | { available: false; label: string; missing: string[] }
  | {
      available: true;
      label: string;
      /** Whether this deployment's alerts table has a severity column. */
      hasSeverity: boolean;
      /** Newest first. */
      firing: AlertRow[];
      /** Resolved in the last `recentHours` (only with `all`), newest first. */
      recentlyResolved: AlertRow[];
      recentHours: number;
      all: boolean;
      /** Rows skipped because they do not have the contract's shape. */
      unreadableRows: number;
    };

const ALERT_NEEDS = { alerts: ['name', 'status', 'message', 'fired_at', 'resolved_at', 'acknowledged_at'] } as const;
/** The table holds one row per alert name; this bound only guards against a runaway writer. */
const MAX_ROWS = 500;
/** Rows resolved "in the future" by a small clock skew still count as recent. */
const SKEW_MS = 60_000;

const optionalText = z.string().nullable();

const alertRowSchema = z.object({
  name: z.string().min(1),
  status: z.enum(['firing', 'resolved']),
  message: optionalText,
  fired_at: z.string(),
  resolved_at: optionalText,
  acknowledged_at: optionalText,
  // The column is added by hand in some deployments: take whatever text it holds.
  severity: z
    .union([z.string(), z.number()])
    .nullable()
    .transform((s) => (s === null || String(s).trim() === '' ? null : String(s).trim().toLowerCase())),
});

function toAlertRow(row: z.infer<typeof alertRowSchema>, now: Date): AlertRow {
  return {
    name: row.name,
    status: row.status,
    message: row.message,
    firedAt: row.fired_at,
    firingForMs: ageMs(row.fired_at, now),
    resolvedAt: row.resolved_at,
    acknowledgedAt: row.acknowledged_at,
    acknowledged: row.acknowledged_at !== null && row.acknowledged_at.trim() !== '',
    severity: row.severity,
  };
}

function newestFirst(key: (a: AlertRow) => string | null) {
  return (a: AlertRow, b: AlertRow) =>
    (parseAtlasTime(key(b))?.getTime() ?? -Infinity) - (parseAtlasTime(key(a))?.getTime() ?? -Infinity) || a.name.localeCompare(b.name);
}

/** `alerts`: firing alerts newest first; with `all`, also those resolved in the last `recentHours`. */
export function listAlerts(metrics: AtlasDatabase, now: Date, opts: { all: boolean; recentHours: number }): AlertListing {
  const missing = metrics.missing(ALERT_NEEDS);
  if (missing.length > 0) return { available: false, label: metrics.label, missing };
  const hasSeverity = metrics.hasColumn('alerts', 'severity');
  const columns = `name, status, message, fired_at, resolved_at, acknowledged_at, ${hasSeverity ? 'severity' : 'NULL AS severity'}`;
  // Exact for every timestamp format: one text range per format and UTC day.
  const ranges = opts.all ? windowRanges(new Date(now.getTime() - opts.recentHours * 3_600_000), new Date(now.getTime() + SKEW_MS)) : [];
  const raw = metrics.read((db) => {
    const firing = db.prepare(`SELECT ${columns} FROM alerts WHERE status = 'firing' LIMIT ?`).all(MAX_ROWS);
    if (ranges.length === 0) return { firing, resolved: [] as unknown[] };
    const where = ranges.map(() => '(resolved_at >= ? AND resolved_at < ?)').join(' OR ');
    const resolved = db
      .prepare(`SELECT ${columns} FROM alerts WHERE status = 'resolved' AND (${where}) LIMIT ?`)
      .all(...ranges.flatMap((r) => [r.from, r.to]), MAX_ROWS);
    return { firing, resolved };
  });
  let unreadableRows = 0;
  const parse = (rows: unknown[]) =>
    rows.flatMap((r) => {
      const parsed = alertRowSchema.safeParse(r);
      if (parsed.success) return [toAlertRow(parsed.data, now)];
      unreadableRows++;
      return [];
    });
  return {
    available: true,
    label: metrics.label,
    hasSeverity,
    firing: parse(raw.firing).sort(newestFirst((a) => a.firedAt)),
    recentlyResolved: parse(raw.resolved).sort(newestFirst((a) => a.resolvedAt)),
    recentHours: opts.recentHours,
    all: opts.all,
    unreadableRows,
  };
}

/** crit, or warn when the deployment's severity column says 'warning'. */
export function alertLevel(alert: AlertRow): 'crit' | 'warn' {
  return alert.severity === 'warning' ? 'warn' : 'crit';
}

/** The verdict on a listing: one item per firing alert, or one ok item when none fires. */
export function alertItemsFrom(listing: AlertListing): CheckItem[] {
  if (!listing.available) {
    return [unknownItem('alerts', 'Firing alerts', `${listing.label} lacks ${listing.missing.join(', ')}; cannot read alerts.`, 'count')];
  }
  if (listing.firing.length === 0) {
    return [{ key: 'alerts', label: 'Firing alerts', level: 'ok', value: 0, unit: 'count', detail: 'no firing alerts' }];
  }
  return listing.firing.map((a) => ({
    key: `alert:${a.name}`,
    label: `Alert ${a.name}`,
    level: alertLevel(a),
    // How long it fires is in the detail, in words; a bare "0.8 h" next to it would be noise.
    value: null,
    unit: '',
    detail: [
      a.firingForMs === null ? `firing since ${a.firedAt}` : `firing for ${formatDuration(a.firingForMs)}`,
      a.acknowledged ? 'acknowledged' : 'NOT acknowledged',
      a.severity ?? undefined,
      a.message ?? undefined,
    ]
      .filter(Boolean)
      .join(', '),
  }));
}

/** Health: each firing alert is crit (warn for severity 'warning'); none firing is one ok item. */
export function alertHealthItems(metrics: AtlasDatabase, now: Date): CheckItem[] {
  try {
    return alertItemsFrom(listAlerts(metrics, now, { all: false, recentHours: 24 }));
  } catch (err) {
    if (err instanceof DbProblemError) return [unknownItem('alerts', 'Firing alerts', err.problem.message, 'count')];
    throw err;
  }
}
