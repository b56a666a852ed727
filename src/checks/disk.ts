import { lstat, readdir, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { Thresholds } from '../config.js';
import type { AtlasDatabase, AtlasStores } from '../db/atlas-database.js';
import { bandLevel, bandText, unknownItem, type CheckItem } from './check-item.js';

export const GB = 1024 ** 3;

export interface FilesystemUsage {
  totalBytes: number;
  /** What an unprivileged process may still write (df's "Avail"). */
  freeBytes: number;
  /** As df computes Use%: used / (used + available). */
  usedPct: number;
}

export interface DatabaseSize {
  label: string;
  file: string;
  /** null when the file is missing. */
  dbBytes: number | null;
  walBytes: number | null;
}

export interface FolderSize {
  bytes: number;
  files: number;
  /** The walk stopped at its bound; the size is a lower bound. */
  truncated: boolean;
}

export interface DiskUsage {
  dataDir: string;
  filesystem: FilesystemUsage | null;
  /** Why `filesystem` is null. */
  filesystemError: string | null;
  databases: DatabaseSize[];
  /** Sum of both databases with their WAL files, in bytes. */
  databaseBytes: number;
  /** null when backups/ cannot be read; `backupsError` says why. */
  backups: FolderSize | null;
  backupsError: string | null;
  backupsDir: string;
  items: CheckItem[];
}

/** Bounds for the backups/ walk: a runaway folder must not stall the bot. */
const MAX_ENTRIES = 20_000;
const MAX_DEPTH = 4;

function errorText(err: unknown): string {
  const code = typeof err === 'object' && err && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'is not readable (permissions)';
  return err instanceof Error ? err.message : String(err);
}

async function filesystemUsage(dir: string): Promise<FilesystemUsage> {
  const s = await statfs(dir);
  const total = s.blocks * s.bsize;
  const used = (s.blocks - s.bfree) * s.bsize;
  const avail = s.bavail * s.bsize;
  const usedPct = used + avail > 0 ? Math.round((used / (used + avail)) * 1000) / 10 : 0;
  return { totalBytes: total, freeBytes: avail, usedPct };
}

function databaseSize(db: AtlasDatabase): DatabaseSize {
  try {
    const size = db.sizeBytes();
    return { label: db.label, file: db.file, dbBytes: size?.db ?? null, walBytes: size?.wal ?? null };
  } catch {
    return { label: db.label, file: db.file, dbBytes: null, walBytes: null };
  }
}

/** Size of a folder tree without following links, bounded in entries and depth. */
export async function folderSize(dir: string, maxEntries = MAX_ENTRIES, maxDepth = MAX_DEPTH): Promise<FolderSize> {
  const out: FolderSize = { bytes: 0, files: 0, truncated: false };
  let seen = 0;
  const walk = async (current: string, depth: number): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true });
    for (const entry of entries) {
      if (++seen > maxEntries) {
        out.truncated = true;
        return;
      }
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (depth >= maxDepth) out.truncated = true;
        // An unreadable subfolder is skipped; the rest still counts.
        else await walk(full, depth + 1).catch(() => undefined);
      } else if (entry.isFile()) {
        const s = await lstat(full).catch(() => null);
        if (s) {
          out.bytes += s.size;
          out.files += 1;
        }
      }
    }
  };
  await walk(dir, 1);
  return out;
}

/** Filesystem use of the data directory, the databases with their WAL, and backups/. */
export async function diskUsage(stores: AtlasStores, thresholds: Thresholds): Promise<DiskUsage> {
  let filesystem: FilesystemUsage | null = null;
  let filesystemError: string | null = null;
  try {
    filesystem = await filesystemUsage(stores.dataDir);
  } catch (err) {
    filesystemError = `data directory ${stores.dataDir} ${errorText(err)}`;
  }
  const databases = [databaseSize(stores.persistence), databaseSize(stores.metrics)];
  const databaseBytes = databases.reduce((n, d) => n + (d.dbBytes ?? 0) + (d.walBytes ?? 0), 0);
  let backups: FolderSize | null = null;
  let backupsError: string | null = null;
  try {
    backups = await folderSize(stores.backupsDir);
  } catch (err) {
    backupsError = `${stores.backupsDir} ${errorText(err)}`;
  }
  const usage = {
    dataDir: stores.dataDir,
    filesystem,
    filesystemError,
    databases,
    databaseBytes,
    backups,
    backupsError,
    backupsDir: stores.backupsDir,
  };
  return { ...usage, items: diskItems(usage, thresholds) };
}

/** The two `health` rows: disk usage % and database size GB, against the guide's bands. */
export function diskItems(usage: Omit<DiskUsage, 'items'>, thresholds: Thresholds): CheckItem[] {
  const items: CheckItem[] = [];
  const disk = thresholds.diskUsagePct;
  if (usage.filesystem) {
    const fs = usage.filesystem;
    items.push({
      key: 'disk_usage',
      label: 'Disk usage',
      level: bandLevel(fs.usedPct, disk, 'lower'),
      value: fs.usedPct,
      unit: '%',
      ...bandText(disk, 'lower', '%'),
      detail: `${formatBytes(fs.freeBytes)} free of ${formatBytes(fs.totalBytes)}`,
    });
  } else {
    items.push(unknownItem('disk_usage', 'Disk usage', usage.filesystemError ?? 'could not read the filesystem', '%'));
  }
  const present = usage.databases.filter((d) => d.dbBytes !== null);
  const band = thresholds.databaseSizeGb;
  if (present.length === 0) {
    items.push(unknownItem('database_size', 'Database size', 'neither persistence.db nor metrics.db exists', 'GB'));
  } else {
    const gb = usage.databaseBytes / GB;
    const missing = usage.databases.filter((d) => d.dbBytes === null).map((d) => `${d.label} missing`);
    items.push({
      key: 'database_size',
      label: 'Database size',
      level: bandLevel(gb, band, 'lower'),
      value: gb,
      unit: 'GB',
      ...bandText(band, 'lower', 'GB'),
      detail: [...present.map((d) => `${d.label} ${formatBytes((d.dbBytes ?? 0) + (d.walBytes ?? 0))}${d.walBytes ? ` (WAL ${formatBytes(d.walBytes)})` : ''}`), ...missing].join(', '),
    });
  }
  return items;
}

/** Disk items for `health`. */
export async function diskHealthItems(stores: AtlasStores, thresholds: Thresholds): Promise<CheckItem[]> {
  return (await diskUsage(stores, thresholds)).items;
}

/** "1.2 GB", "340 MB", "12 KB": binary units, one decimal under 10. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = value >= 10 || unit === 0 ? Math.round(value) : Math.round(value * 10) / 10;
  return `${shown} ${units[unit]}`;
}
