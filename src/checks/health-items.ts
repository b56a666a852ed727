/**
 * The one composition of the on-call dashboard's items: `health` shows all of them, the
 * watchdog alerts on a subset (never on the firing-alert items: alerting on alerts would loop).
 */
import type { Config } from '../config.js';
import type { AtlasStores } from '../db/atlas-database.js';
import type { AlertStore } from '../db/state/alert-store.js';
import { DbProblemError } from '../db/sqlite-problem.js';
import { alertHealthItems } from './alerts.js';
import { backupHealthItem } from './backups.js';
import { unknownItem, type CheckItem } from './check-item.js';
import { diskHealthItems } from './disk.js';
import { quickCheckItems, type QuickCheckMemory } from './integrity.js';
import { ipfsRetrievalItem } from './ipfs-retrieval.js';
import { jobHealthItems } from './jobs.js';
import type { WindowCoverage } from './metric-window.js';
import { metricsReaders, type MetricsReaderPool } from './metrics-reader.js';
import { snapshotItemsFrom, snapshotStatus } from './snapshots.js';

/** The groups of dashboard items, in the order `health` lists them. */
export type HealthPart = 'alerts' | 'metrics' | 'integrity' | 'disk' | 'jobs' | 'backup' | 'ipfs' | 'snapshot';
export const HEALTH_PARTS: readonly HealthPart[] = ['alerts', 'metrics', 'integrity', 'disk', 'jobs', 'backup', 'ipfs', 'snapshot'];

export interface HealthItemsDeps {
  atlas: AtlasStores;
  /** The bot's alert list: the firing-alert items come from it, as every view's do. */
  state: { alerts: Pick<AlertStore, 'firing' | 'resolvedSince'>; integrityChecks?: QuickCheckMemory };
  config: Config;
  /** Outbound HTTP (the IPFS probe). */
  fetch: typeof fetch;
}

export interface HealthItemsOptions {
  /** The parts to measure (default all). */
  parts?: Iterable<HealthPart>;
  /**
   * What a part that fails other than by a database file problem answers: `throw` (health: the
   * registry answers with an error id and logs the stack) or an unknown item (the watchdog,
   * which must keep measuring the other parts).
   */
  onUnexpected?: 'throw' | 'unknown';
  /** Where the metric items are read (default the process's metrics readers). */
  readers?: MetricsReaderPool;
}

export interface HealthItems {
  items: CheckItem[];
  /** What the metric items cover; null when they were not measured or could not be read. */
  metricsCoverage: WindowCoverage | null;
}

/**
 * Measures the dashboard's parts at `now` over `windowMs`: the snapshot first (the IPFS probe
 * needs its CID), then the metric items (in a metrics reader's worker thread), the quick check
 * (in a worker thread), disk, jobs, backup and IPFS concurrently. A part that cannot read its
 * database answers unknown with the reason; the others still run.
 */
export async function healthItems(deps: HealthItemsDeps, now: Date, windowMs: number, opts: HealthItemsOptions = {}): Promise<HealthItems> {
  const parts = new Set(opts.parts ?? HEALTH_PARTS);
  const t = deps.config.thresholds;
  const { atlas } = deps;
  const guarded = async (key: string, label: string, part: () => CheckItem[] | Promise<CheckItem[]>, onUnexpected = opts.onUnexpected ?? 'throw') => {
    try {
      return await part();
    } catch (err) {
      if (err instanceof DbProblemError) return [unknownItem(key, label, err.problem.message)];
      if (onUnexpected === 'throw') throw err;
      return [unknownItem(key, label, `could not be measured: ${(err as Error).message}`)];
    }
  };

  let cid: string | null = null;
  const snapshot =
    parts.has('snapshot') || parts.has('ipfs')
      ? await guarded('snapshot_current', 'Current snapshot', () => {
          const status = snapshotStatus(atlas.persistence, now, 0);
          if (status.available) cid = status.current?.ipfsCid ?? null;
          return snapshotItemsFrom(status, t);
        })
      : [];

  let metricsCoverage: WindowCoverage | null = null;
  const readers = opts.readers ?? metricsReaders();
  const groups = await Promise.all([
    // chatops.db unreadable leaves the alert items unknown, never the dashboard unanswered.
    parts.has('alerts') ? guarded('alerts', 'Firing alerts', async () => await alertHealthItems(deps.state.alerts, now), 'unknown') : [],
    parts.has('metrics')
      ? // A reader that crashed or was stopped leaves the metric items unknown, never the dashboard unanswered.
        guarded(
          'metrics',
          'Metrics',
          async () => {
            const measured = await readers.thresholds(atlas.metrics, now, windowMs, t);
            metricsCoverage = measured.coverage;
            return measured.items;
          },
          'unknown',
        )
      : [],
    parts.has('integrity') ? guarded('quick_check', 'Database check', () => quickCheckItems(atlas, now, deps.state.integrityChecks)) : [],
    parts.has('disk') ? guarded('disk', 'Disk', () => diskHealthItems(atlas, t)) : [],
    parts.has('jobs') ? guarded('jobs', 'Jobs', () => jobHealthItems(atlas, now, t)) : [],
    parts.has('backup') ? guarded('backup', 'Newest backup', async () => [await backupHealthItem(atlas.backupsDir, now, t)]) : [],
    parts.has('ipfs')
      ? guarded('ipfs_retrieval', 'IPFS retrieval', async () => [await ipfsRetrievalItem(cid, deps.config.ipfs.gateways, deps.fetch, t)])
      : [],
  ]);
  return { items: [...groups.flat(), ...(parts.has('snapshot') ? snapshot : [])], metricsCoverage };
}
