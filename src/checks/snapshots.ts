import { z } from 'zod';
import type { Thresholds } from '../config.js';
import type { AtlasDatabase } from '../db/atlas-database.js';
import { DbProblemError } from '../db/sqlite-problem.js';
import { ageMs, formatDuration, parseAtlasTime } from '../time/atlas-time.js';
import { bandLevel, bandText, unknownItem, type CheckItem } from './check-item.js';

/** current = the newest active one; active = not deprecated and not archived. */
export type SnapshotState = 'current' | 'active' | 'deprecated' | 'archived';

export interface SnapshotRow {
  id: string;
  jobId: string | null;
  merkleRoot: string | null;
  /** null when not uploaded yet (the service stores ''). */
  ipfsCid: string | null;
  boundaryCount: number | null;
  createdAt: string | null;
  publishedAt: string | null;
  deprecatedAt: string | null;
  archivedAt: string | null;
  /** Since createdAt, ms; null when unparseable. */
  ageMs: number | null;
  state: SnapshotState;
}

export type SnapshotStatus =
  | { available: false; label: string; missing: string[] }
  | {
      available: true;
      label: string;
      total: number;
      /** The newest active snapshot, or null when none is active. */
      current: SnapshotRow | null;
      /** Every active snapshot (normally just the current one), newest first. */
      activeCount: number;
      /** The newest snapshots after the current one, at most `limit`. */
      previous: SnapshotRow[];
      /** Snapshots without an IPFS CID, newest first (at most 50 listed). */
      missingCid: SnapshotRow[];
      missingCidCount: number;
      /** Rows skipped because their id is not text (a damaged table). */
      unreadableRows: number;
    };

const SNAPSHOT_NEEDS = { snapshots: ['id', 'ipfs_cid', 'created_at', 'deprecated_at', 'archived_at'] } as const;
/** Columns read when present; another schema variant may lack them. */
const OPTIONAL_COLUMNS = ['job_id', 'merkle_root', 'boundary_count', 'published_at'] as const;
/** Snapshots are made a few times a quarter: this bound is never reached in practice. */
const MAX_ROWS = 2000;
const MAX_MISSING_CID_LISTED = 50;

const text = z.union([z.string(), z.number()]).nullable().transform((v) => (v === null ? null : String(v)));

const snapshotRowSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  ipfs_cid: text,
  created_at: text,
  deprecated_at: text,
  archived_at: text,
  job_id: text,
  merkle_root: text,
  boundary_count: z.unknown().transform((v) => (typeof v === 'number' && Number.isFinite(v) ? v : null)),
  published_at: text,
});

function timeOf(value: string | null): number {
  return parseAtlasTime(value)?.getTime() ?? -Infinity;
}

/** `snapshots`: the current snapshot, the ones before it, and those without an IPFS CID. */
export function snapshotStatus(persistence: AtlasDatabase, now: Date, limit: number): SnapshotStatus {
  const missing = persistence.missing(SNAPSHOT_NEEDS);
  if (missing.length > 0) return { available: false, label: persistence.label, missing };
  const optional = OPTIONAL_COLUMNS.map((c) => (persistence.hasColumn('snapshots', c) ? c : `NULL AS ${c}`)).join(', ');
  const raw = persistence.read((db) => {
    const total = (db.prepare('SELECT count(*) AS n FROM snapshots').get() as { n: number }).n;
    const rows = db
      .prepare(`SELECT id, ipfs_cid, created_at, deprecated_at, archived_at, ${optional} FROM snapshots ORDER BY created_at DESC LIMIT ?`)
      .all(MAX_ROWS);
    return { total, rows };
  });
  const rows: Omit<SnapshotRow, 'state'>[] = [];
  let unreadableRows = 0;
  for (const r of raw.rows) {
    const parsed = snapshotRowSchema.safeParse(r);
    if (!parsed.success) {
      unreadableRows++;
      continue;
    }
    const s = parsed.data;
    const cid = s.ipfs_cid?.trim() ?? '';
    rows.push({
      id: s.id,
      jobId: s.job_id,
      merkleRoot: s.merkle_root,
      ipfsCid: cid === '' ? null : cid,
      boundaryCount: s.boundary_count,
      createdAt: s.created_at,
      publishedAt: s.published_at,
      deprecatedAt: s.deprecated_at,
      archivedAt: s.archived_at,
      ageMs: ageMs(s.created_at, now),
    });
  }
  // SQL ordered by text, which is right only within one timestamp format; order exactly here.
  rows.sort((a, b) => timeOf(b.createdAt) - timeOf(a.createdAt) || a.id.localeCompare(b.id));
  const isActive = (r: Omit<SnapshotRow, 'state'>) => r.deprecatedAt === null && r.archivedAt === null;
  const currentId = rows.find(isActive)?.id ?? null;
  const withState: SnapshotRow[] = rows.map((r) => ({
    ...r,
    state: r.id === currentId ? 'current' : isActive(r) ? 'active' : r.archivedAt !== null ? 'archived' : 'deprecated',
  }));
  const current = withState.find((r) => r.state === 'current') ?? null;
  const missingCid = withState.filter((r) => r.ipfsCid === null);
  return {
    available: true,
    label: persistence.label,
    total: raw.total,
    current,
    activeCount: withState.filter((r) => r.state === 'current' || r.state === 'active').length,
    previous: withState.filter((r) => r.state !== 'current').slice(0, Math.max(0, limit)),
    missingCid: missingCid.slice(0, MAX_MISSING_CID_LISTED),
    missingCidCount: missingCid.length,
    unreadableRows,
  };
}

/** The verdict on a snapshot status: is there a current snapshot, does it have a CID, how old is it. */
export function snapshotItemsFrom(status: SnapshotStatus, thresholds: Pick<Thresholds, 'snapshotWarnAgeDays' | 'snapshotCritAgeDays'>): CheckItem[] {
  if (!status.available) {
    return [
      unknownItem(
        'snapshot_current',
        'Current snapshot',
        `${status.label} lacks ${status.missing.join(', ')} (another schema variant); cannot tell which snapshot is active.`,
      ),
    ];
  }
  const { current } = status;
  if (!current) {
    return [
      {
        key: 'snapshot_current',
        label: 'Current snapshot',
        level: 'crit',
        value: null,
        unit: '',
        detail:
          status.total === 0
            ? 'no snapshots at all'
            : `no active snapshot: all ${status.total} are deprecated or archived`,
      },
    ];
  }
  const currentItem: CheckItem = current.ipfsCid
    ? { key: 'snapshot_current', label: 'Current snapshot', level: 'ok', value: null, unit: '', detail: `${current.id}, CID ${current.ipfsCid}` }
    : {
        key: 'snapshot_current',
        label: 'Current snapshot',
        level: 'crit',
        value: null,
        unit: '',
        detail: `${current.id} has NO IPFS CID (not uploaded)`,
      };
  const band = { target: thresholds.snapshotWarnAgeDays, alert: thresholds.snapshotCritAgeDays };
  const ageItem: CheckItem =
    current.ageMs === null
      ? unknownItem('snapshot_age', 'Snapshot age', `${current.id} has an unreadable created_at (${current.createdAt ?? 'NULL'})`, 'd')
      : {
          key: 'snapshot_age',
          label: 'Snapshot age',
          level: bandLevel(current.ageMs / 86_400_000, band, 'lower'),
          value: Math.round((current.ageMs / 86_400_000) * 10) / 10,
          unit: 'd',
          ...bandText(band, 'lower', 'd'),
          detail: `${current.id} created ${formatDuration(current.ageMs)} ago`,
        };
  return [currentItem, ageItem];
}

/** Health: no active snapshot or a current one without CID is crit; age against warn/crit days. */
export function snapshotHealthItems(persistence: AtlasDatabase, now: Date, thresholds: Thresholds): CheckItem[] {
  try {
    return snapshotItemsFrom(snapshotStatus(persistence, now, 0), thresholds);
  } catch (err) {
    if (err instanceof DbProblemError) return [unknownItem('snapshot_current', 'Current snapshot', err.problem.message)];
    throw err;
  }
}
