/**
 * What backups/ holds: the database backups (ours with their manifest, and any the service or a
 * person made), newest first; temporary files of a backup still running or killed are counted
 * apart and never listed as a backup. Reads only; bounded, so a runaway folder cannot stall the bot.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { databaseOfName, isTemporaryName, MANIFEST_NAME, type AtlasDatabaseName } from '../db/backup-names.js';

export const manifestFileSchema = z.object({
  file: z.string(),
  database: z.enum(['persistence', 'metrics']),
  source: z.string(),
  sourceBytes: z.object({ db: z.number(), wal: z.number() }),
  bytes: z.number(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  integrity: z.literal('ok'),
  pages: z.number(),
  pageSize: z.number(),
  rowCounts: z.record(z.string(), z.number()),
  /** What the source held at the backup's snapshot; equal to rowCounts, or the backup was not kept. */
  sourceRowCounts: z.record(z.string(), z.number()),
  copyMs: z.number(),
  verifyMs: z.number(),
});

export const manifestSchema = z.object({
  version: z.literal(1),
  stamp: z.string(),
  createdAt: z.string(),
  reason: z.string(),
  who: z.object({ source: z.enum(['slack', 'cli']), userId: z.string() }),
  host: z.string(),
  files: z.array(manifestFileSchema),
  jobs: z.object({ folder: z.string(), files: z.number(), bytes: z.number() }).nullable(),
});
export type BackupManifest = z.infer<typeof manifestSchema>;
export type ManifestFile = z.infer<typeof manifestFileSchema>;

export interface BackupEntry {
  /** Relative to backups/: "persistence-2026-11-26T12-00-00Z.db" or "daily/…". */
  name: string;
  database: AtlasDatabaseName | null;
  bytes: number;
  modifiedAt: string;
  ageMs: number;
  /** From our manifest; null for a backup the bot did not take (never verified by the bot). */
  manifest: { reason: string; who: string; createdAt: string; file: ManifestFile } | null;
}

export interface BackupCatalog {
  dir: string;
  /** null when the folder does not exist yet. */
  entries: BackupEntry[] | null;
  /** Unfinished files (a backup running now, or one killed mid-way): never backups. */
  temporary: { name: string; bytes: number }[];
  /** Manifests that could not be read. */
  badManifests: string[];
  truncated: boolean;
}

const MAX_ENTRIES = 10_000;
const MAX_DEPTH = 2;
const MAX_MANIFESTS = 500;
const DB_FILE = /\.(db|sqlite|sqlite3)$/;

interface Found {
  name: string;
  isDir: boolean;
}

async function walk(root: string, rel: string, depth: number, out: Found[], budget: { left: number }): Promise<void> {
  const entries: Dirent[] = await readdir(path.join(root, rel), { withFileTypes: true });
  for (const e of entries) {
    if (budget.left-- <= 0) return;
    const name = rel ? `${rel}/${e.name}` : e.name;
    if (e.isFile()) out.push({ name, isDir: false });
    else if (e.isDirectory()) {
      out.push({ name, isDir: true });
      // jobs-<stamp>/ holds job files, not backups of a database; temporary folders are not looked into.
      if (depth < MAX_DEPTH && !e.name.startsWith('jobs-') && !isTemporaryName(e.name)) await walk(root, name, depth + 1, out, budget).catch(() => undefined);
    }
  }
}

/** Reads backups/ and its manifests. Throws only when the folder exists but cannot be read. */
export async function readBackupCatalog(backupsDir: string, now: Date): Promise<BackupCatalog> {
  const found: Found[] = [];
  const budget = { left: MAX_ENTRIES };
  try {
    await walk(backupsDir, '', 1, found, budget);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return { dir: backupsDir, entries: null, temporary: [], badManifests: [], truncated: false };
    throw err;
  }
  const manifests = new Map<string, { manifest: BackupManifest; file: ManifestFile }>();
  const badManifests: string[] = [];
  const manifestNames = found
    .filter((f) => !f.isDir && !f.name.includes('/') && MANIFEST_NAME.test(f.name))
    .map((f) => f.name)
    .sort()
    .reverse()
    .slice(0, MAX_MANIFESTS);
  for (const name of manifestNames) {
    try {
      const manifest = manifestSchema.parse(JSON.parse(await readFile(path.join(backupsDir, name), 'utf8')));
      for (const file of manifest.files) manifests.set(file.file, { manifest, file });
    } catch {
      badManifests.push(name);
    }
  }
  const entries: BackupEntry[] = [];
  const temporary: BackupCatalog['temporary'] = [];
  for (const f of found) {
    if (f.isDir && !isTemporaryName(f.name)) continue;
    const s = await stat(path.join(backupsDir, f.name)).catch(() => null);
    if (!s) continue;
    if (isTemporaryName(f.name)) {
      if (!f.name.split('/').slice(0, -1).some((p) => isTemporaryName(p))) temporary.push({ name: f.name, bytes: s.isFile() ? s.size : 0 });
      continue;
    }
    if (!DB_FILE.test(f.name)) continue;
    const m = manifests.get(f.name);
    entries.push({
      name: f.name,
      database: m?.file.database ?? databaseOfName(f.name),
      bytes: s.size,
      modifiedAt: new Date(s.mtimeMs).toISOString(),
      ageMs: now.getTime() - (m ? Date.parse(m.manifest.createdAt) : s.mtimeMs),
      manifest: m ? { reason: m.manifest.reason, who: m.manifest.who.userId, createdAt: m.manifest.createdAt, file: m.file } : null,
    });
  }
  // Newest first: by the manifest's time when there is one, else the file's.
  entries.sort((a, b) => a.ageMs - b.ageMs || b.modifiedAt.localeCompare(a.modifiedAt) || b.name.localeCompare(a.name));
  return { dir: backupsDir, entries, temporary, badManifests, truncated: budget.left <= 0 };
}

/** One backup by its name in backups/, with its manifest; null when there is no such backup. */
export async function findBackup(backupsDir: string, name: string, now: Date): Promise<BackupEntry | null> {
  const catalog = await readBackupCatalog(backupsDir, now);
  return catalog.entries?.find((e) => e.name === name) ?? null;
}
