import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Thresholds } from '../config.js';
import { formatDuration } from '../time/atlas-time.js';
import { unknownItem, type CheckItem } from './check-item.js';
import { isTemporaryName, MANIFEST_NAME } from '../db/backup-names.js';

export type BackupStatus =
  | { kind: 'no-folder'; dir: string }
  | { kind: 'empty'; dir: string }
  | { kind: 'unreadable'; dir: string; problem: string }
  | {
      kind: 'found';
      dir: string;
      /** Path relative to the backups folder: "persistence-2026-11-26.db" or "daily/…". */
      name: string;
      modifiedAt: string;
      ageMs: number;
      sizeBytes: number;
      /** Backup files seen in total. */
      files: number;
    };

/** Daily and emergency backups may sit in subfolders (daily/, emergency/, jobs-<unix>/). */
const MAX_DEPTH = 2;
/** Entries examined at most, so a runaway folder cannot stall the bot. */
const MAX_ENTRIES = 10_000;

function errorCode(err: unknown): string {
  return typeof err === 'object' && err && 'code' in err ? String((err as { code: unknown }).code) : 'error';
}

interface FoundFile {
  name: string;
  mtimeMs: number;
  size: number;
}

async function collectFiles(root: string, rel: string, depth: number, out: FoundFile[], budget: { left: number }): Promise<void> {
  const entries: Dirent[] = await readdir(path.join(root, rel), { withFileTypes: true });
  for (const e of entries) {
    if (budget.left-- <= 0) return;
    const name = rel ? `${rel}/${e.name}` : e.name;
    // A backup still being written or killed mid-way (a temporary name), and the bot's manifests, are not backups.
    if (isTemporaryName(name) || (!rel && MANIFEST_NAME.test(e.name))) continue;
    if (e.isFile()) {
      try {
        const s = await stat(path.join(root, name));
        out.push({ name, mtimeMs: s.mtimeMs, size: s.size });
      } catch {
        // Rotated away between readdir and stat: not a backup any more.
      }
    } else if (e.isDirectory() && depth < MAX_DEPTH) {
      try {
        await collectFiles(root, name, depth + 1, out, budget);
      } catch {
        // An unreadable subfolder does not hide the backups next to it.
      }
    }
  }
}

/** The newest file in `backups/` (by mtime), with its age and size; or why there is none. */
export async function newestBackup(backupsDir: string, now: Date): Promise<BackupStatus> {
  const files: FoundFile[] = [];
  try {
    await collectFiles(backupsDir, '', 1, files, { left: MAX_ENTRIES });
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') return { kind: 'no-folder', dir: backupsDir };
    if (code === 'ENOTDIR') return { kind: 'unreadable', dir: backupsDir, problem: `${backupsDir} is not a folder.` };
    return { kind: 'unreadable', dir: backupsDir, problem: `${backupsDir} cannot be read (${code}); check its permissions.` };
  }
  const newest = files.sort((a, b) => b.mtimeMs - a.mtimeMs || a.name.localeCompare(b.name))[0];
  if (!newest) return { kind: 'empty', dir: backupsDir };
  return {
    kind: 'found',
    dir: backupsDir,
    name: newest.name,
    modifiedAt: new Date(newest.mtimeMs).toISOString(),
    ageMs: now.getTime() - newest.mtimeMs,
    sizeBytes: newest.size,
    files: files.length,
  };
}

function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} B`;
}

/** The verdict on a backup status: older than backupMaxAgeHours, none, empty or no folder is warn. */
export function backupItemFrom(status: BackupStatus, thresholds: Pick<Thresholds, 'backupMaxAgeHours'>): CheckItem {
  const base = { key: 'backup', label: 'Newest backup', unit: 'h' as const, target: `≤ ${thresholds.backupMaxAgeHours} h`, alert: `> ${thresholds.backupMaxAgeHours} h` };
  switch (status.kind) {
    case 'no-folder':
      return { ...base, level: 'warn', value: null, detail: `no backups folder at ${status.dir}; no backup has been taken` };
    case 'empty':
      return { ...base, level: 'warn', value: null, detail: `no backup files in ${status.dir}` };
    case 'unreadable':
      return unknownItem('backup', 'Newest backup', status.problem, 'h');
    case 'found': {
      const hours = Math.round((status.ageMs / 3_600_000) * 10) / 10;
      const old = status.ageMs > thresholds.backupMaxAgeHours * 3_600_000;
      const empty = status.sizeBytes === 0;
      return {
        ...base,
        level: old || empty ? 'warn' : 'ok',
        value: hours,
        detail: `${status.name}, ${formatDuration(status.ageMs)} old, ${formatBytes(status.sizeBytes)}${empty ? ' (EMPTY file)' : ''}`,
      };
    }
  }
}

/** Health: the newest backup's age against backupMaxAgeHours. */
export async function backupHealthItem(backupsDir: string, now: Date, thresholds: Thresholds): Promise<CheckItem> {
  return backupItemFrom(await newestBackup(backupsDir, now), thresholds);
}
