/**
 * Watches metrics.db `alerts` (one row per alert name; a re-fire rewrites the row's fired_at)
 * and feeds what changed into `ingestAlert`. The scheduler calls `pollMetricsAlerts` every 30 s.
 */
import { z } from 'zod';
import type { DomainDeps } from '../incidents/incident-deps.js';
import type { AtlasDatabase } from '../db/atlas-database.js';
import { DbProblemError } from '../db/sqlite-problem.js';
import { parseAtlasTime } from '../time/atlas-time.js';
import { alertKey } from '../db/state/state-records.js';
import { AlertReportError, alertSources, ingestAlert, resolvedSourcesOf, type IngestAction } from './alert-ingest.js';

export type WatcherDeps = Pick<DomainDeps, 'atlas' | 'state' | 'clock' | 'config' | 'logger' | 'events'>;

export interface PollResult {
  /** One sentence when metrics.db could not be read (missing, locked, another schema); null otherwise. */
  problem: string | null;
  /** Rows read from metrics.db. */
  rows: number;
  /** What changed in the bot: new, refired and resolved alerts (duplicates are not listed). */
  changes: { name: string; action: IngestAction }[];
  /** Rows skipped because they do not have the contract's shape or a usable name. */
  skipped: number;
}

const NEEDS = { alerts: ['name', 'status', 'message', 'fired_at', 'resolved_at'] } as const;
/** One row per alert name: this bound only guards against a runaway writer (the newest rows are read). */
const MAX_ROWS = 2000;

const rowSchema = z.object({
  name: z.string().min(1),
  status: z.enum(['firing', 'resolved']),
  message: z.string().nullable(),
  fired_at: z.string().min(1),
  resolved_at: z.string().nullable(),
  // Added by hand in some deployments; any other value is no hint.
  severity: z
    .unknown()
    .transform((s) => (typeof s === 'string' ? s.trim().toLowerCase() : ''))
    .transform((s) => (s === 'critical' || s === 'warning' ? s : undefined)),
});

type MetricsAlertRow = z.infer<typeof rowSchema>;

/** The last problem logged per metrics.db, so a file missing for hours is logged once, not every 30 s. */
const lastLogged = new WeakMap<AtlasDatabase, string>();

function readRows(metrics: AtlasDatabase): { rows: MetricsAlertRow[]; skipped: number } {
  const severity = metrics.hasColumn('alerts', 'severity') ? 'severity' : 'NULL AS severity';
  // The newest rows (a runaway writer must not hide the latest firing), taken oldest first so that
  // ingestion, and the messages it posts, stay in the order the alerts were written.
  const raw = metrics.read((db) =>
    db
      .prepare(
        `SELECT name, status, message, fired_at, resolved_at, severity FROM (
           SELECT id, name, status, message, fired_at, resolved_at, ${severity} FROM alerts ORDER BY id DESC LIMIT ?
         ) ORDER BY id`,
      )
      .all(MAX_ROWS),
  );
  const rows: MetricsAlertRow[] = [];
  let skipped = 0;
  for (const r of raw) {
    const parsed = rowSchema.safeParse(r);
    if (parsed.success) rows.push(parsed.data);
    else skipped++;
  }
  return { rows, skipped };
}

function noteProblem(deps: WatcherDeps, problem: string | null): void {
  const metrics = deps.atlas.metrics;
  const previous = lastLogged.get(metrics);
  if (problem === null) {
    if (previous !== undefined) {
      lastLogged.delete(metrics);
      deps.logger.info({ file: metrics.label }, 'metrics.db alerts readable again; watching them');
    }
    return;
  }
  if (previous === problem) return;
  lastLogged.set(metrics, problem);
  deps.logger.warn({ file: metrics.label, problem }, 'cannot watch alerts in metrics.db');
}

/**
 * Reads metrics.db `alerts` and ingests: every firing row (a new alert, a duplicate, or a re-fire
 * when its fired_at differs from the one last seen), and every row resolved there whose alert
 * fires here because metrics.db reported it. Never throws for a missing, locked or different
 * metrics.db: the result carries the problem, logged once until it changes.
 */
export async function pollMetricsAlerts(deps: WatcherDeps): Promise<PollResult> {
  const metrics = deps.atlas.metrics;
  let read: { rows: MetricsAlertRow[]; skipped: number };
  try {
    const missing = metrics.missing(NEEDS);
    if (missing.length > 0) {
      const problem = `${metrics.label} lacks ${missing.join(', ')}; its alerts are not watched.`;
      noteProblem(deps, problem);
      return { problem, rows: 0, changes: [], skipped: 0 };
    }
    read = readRows(metrics);
  } catch (err) {
    if (!(err instanceof DbProblemError)) throw err;
    noteProblem(deps, err.problem.message);
    return { problem: err.problem.message, rows: 0, changes: [], skipped: 0 };
  }
  noteProblem(deps, null);

  const changes: PollResult['changes'] = [];
  let skipped = read.skipped;
  for (const row of read.rows) {
    try {
      if (row.status === 'firing') {
        const outcome = await ingestAlert(deps, {
          name: row.name,
          status: 'firing',
          message: row.message ?? '',
          firedAt: parseAtlasTime(row.fired_at) ?? undefined,
          source: 'metrics-db',
          severityHint: row.severity,
          sourceFiredAt: row.fired_at,
        });
        if (outcome.action !== 'duplicate' && outcome.action !== 'already-resolved') changes.push({ name: row.name, action: outcome.action });
        continue;
      }
      const known = await deps.state.alerts.get(alertKey(row.name));
      if (!known || known.status !== 'firing' || !alertSources(known).includes('metrics-db') || resolvedSourcesOf(known).includes('metrics-db')) continue;
      const outcome = await ingestAlert(deps, {
        name: row.name,
        status: 'resolved',
        message: row.message ?? '',
        resolvedAt: parseAtlasTime(row.resolved_at) ?? undefined,
        source: 'metrics-db',
      });
      if (outcome.action === 'resolved' || outcome.action === 'source-resolved') changes.push({ name: row.name, action: outcome.action });
    } catch (err) {
      if (!(err instanceof AlertReportError)) throw err;
      skipped++;
    }
  }
  for (const c of changes) deps.logger.info({ alert: c.name, action: c.action, source: 'metrics-db' }, 'alert from metrics.db');
  if (skipped > 0) deps.logger.debug({ skipped }, 'metrics.db alert rows skipped (not the contract shape)');
  return { problem: null, rows: read.rows.length, changes, skipped };
}
