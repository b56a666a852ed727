import type { CommandDeps } from '../commands/command-spec.js';
import { DbProblemError } from '../db/sqlite-problem.js';
import { toSqlTime } from '../time/atlas-time.js';
import { alertHealthItems } from './alerts.js';
import { backupHealthItem } from './backups.js';
import { unknownItem, type CheckItem } from './check-item.js';
import { diskHealthItems } from './disk.js';
import { quickCheckItems } from './integrity.js';
import { ipfsRetrievalItem } from './ipfs-retrieval.js';
import { jobHealthItems } from './jobs.js';
import { metricThresholdItems } from './metric-thresholds.js';
import { snapshotItemsFrom, snapshotStatus } from './snapshots.js';

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface HealthResult {
  status: HealthStatus;
  checkedAt: string;
  windowMs: number;
  items: CheckItem[];
}

/** critical anywhere: unhealthy; a warning: degraded. Unknown (nothing measured) degrades nothing. */
export function healthStatus(items: readonly CheckItem[]): HealthStatus {
  if (items.some((i) => i.level === 'crit')) return 'unhealthy';
  if (items.some((i) => i.level === 'warn')) return 'degraded';
  return 'healthy';
}

/** A part that cannot read its database answers unknown with the reason; the others still run. */
async function guarded(key: string, label: string, part: () => CheckItem[] | Promise<CheckItem[]>): Promise<CheckItem[]> {
  try {
    return await part();
  } catch (err) {
    if (err instanceof DbProblemError) return [unknownItem(key, label, err.problem.message)];
    throw err;
  }
}

/**
 * The on-call dashboard: every threshold of the guide, firing alerts, stuck jobs, the current
 * snapshot, the newest backup and a quick database check, in one pass. File and network
 * checks run concurrently; the integrity part runs in a worker thread.
 */
export async function health(deps: CommandDeps, windowMs: number): Promise<HealthResult> {
  const now = deps.clock();
  const t = deps.config.thresholds;
  const { atlas } = deps;

  let cid: string | null = null;
  const snapshotItems = await guarded('snapshot_current', 'Current snapshot', () => {
    const status = snapshotStatus(atlas.persistence, now, 0);
    if (status.available) cid = status.current?.ipfsCid ?? null;
    return snapshotItemsFrom(status, t);
  });
  const metricItems = await guarded('metrics', 'Metrics', () => metricThresholdItems(atlas.metrics, now, windowMs, t));
  const alertItems = alertHealthItems(atlas.metrics, now);

  const parallel = await Promise.all([
    guarded('quick_check', 'Database check', () => quickCheckItems(atlas, now)),
    guarded('disk', 'Disk', () => diskHealthItems(atlas, t)),
    guarded('jobs', 'Jobs', () => jobHealthItems(atlas, now, t)),
    guarded('backup', 'Newest backup', async () => [await backupHealthItem(atlas.backupsDir, now, t)]),
    guarded('ipfs', 'IPFS retrieval', async () => [await ipfsRetrievalItem(cid, deps.config.ipfs.gateways, deps.fetch, t)]),
  ]);

  const items = [...alertItems, ...metricItems, ...parallel.flat(), ...snapshotItems];
  return { status: healthStatus(items), checkedAt: toSqlTime(now), windowMs, items };
}

/** How long one health result answers everyone who asks for the same window. */
export const HEALTH_SHARE_MS = 5_000;

const recent = new WeakMap<CommandDeps['atlas'], Map<number, { at: number; result: Promise<HealthResult> }>>();

/**
 * `health` for a burst of callers: everyone who asks for the same window within
 * HEALTH_SHARE_MS of a run shares it (the answer shows when it was checked). During an incident
 * ten people run the dashboard at once; it need not be computed ten times.
 */
export function sharedHealth(deps: CommandDeps, windowMs: number): Promise<HealthResult> {
  const now = deps.clock().getTime();
  let byWindow = recent.get(deps.atlas);
  if (!byWindow) recent.set(deps.atlas, (byWindow = new Map()));
  const hit = byWindow.get(windowMs);
  if (hit && now - hit.at >= 0 && now - hit.at < HEALTH_SHARE_MS) return hit.result;
  const result = health(deps, windowMs);
  byWindow.set(windowMs, { at: now, result });
  // A failed run is not shared.
  result.catch(() => byWindow.delete(windowMs));
  return result;
}
