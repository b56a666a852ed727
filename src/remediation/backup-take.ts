/**
 * Taking a backup: each database through SQLite's online backup API in a worker (consistent while
 * the service writes, WAL included) into a temporary name in backups/, then integrity_check, row
 * counts against the source's at the backup's snapshot, and sha256 of the copy; only when every
 * copy passed are they renamed to `<database>-<UTC timestamp>.db`, with `jobs/*.json` copied to
 * `jobs-<timestamp>/` and a manifest (reason, who, when, sizes, sha256). A failure, a full disk or
 * a kill mid-way leaves only temporary names, which are never listed as backups.
 */
import { copyFile, mkdir, readdir, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { AtlasDatabase, AtlasStores } from '../db/atlas-database.js';
import { backupInWorker, type BackupProgress, type WorkerFailure } from './backup-runner.js';
import type { BackupManifest, ManifestFile } from './backup-catalog.js';
import { backupFileName, backupStamp, jobsFolderName, manifestFileName, temporaryName, type AtlasDatabaseName } from '../db/backup-names.js';
import { RemediationRefusal } from './remediation-plan.js';

export type BackupWhich = AtlasDatabaseName | 'all';

/** Free bytes an unprivileged process may write in `dir` (df's "Avail"), as the disk check reads it. */
export type FreeSpaceReader = (dir: string) => Promise<number>;

export const statfsFreeSpace: FreeSpaceReader = async (dir) => {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
};

/** Headroom on top of the files' sizes: SQLite's own side files, the manifest, a little growth. */
const MARGIN_BYTES = 16 * 1024 * 1024;
const MARGIN_FACTOR = 1.05;

export interface SourceSize {
  database: AtlasDatabaseName;
  file: string;
  label: string;
  /** null when the file is missing (nothing to back up). */
  bytes: { db: number; wal: number } | null;
}

export interface BackupNeeds {
  sources: SourceSize[];
  jobs: { dir: string; files: number; bytes: number } | null;
  needBytes: number;
  freeBytes: number;
  /** Where the space is measured: backups/, or the data directory while backups/ does not exist. */
  where: string;
}

export function databasesOf(which: BackupWhich): AtlasDatabaseName[] {
  return which === 'all' ? ['persistence', 'metrics'] : [which];
}

const storeOf = (atlas: AtlasStores, name: AtlasDatabaseName): AtlasDatabase => atlas[name];

async function jobFiles(jobsDir: string): Promise<{ names: string[]; bytes: number } | null> {
  let names: string[];
  try {
    names = (await readdir(jobsDir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  } catch {
    return null;
  }
  let bytes = 0;
  for (const n of names) bytes += (await stat(path.join(jobsDir, n)).catch(() => null))?.size ?? 0;
  return { names, bytes };
}

/** What a backup of `which` needs on disk, and what is free there. */
export async function measureBackup(which: BackupWhich, atlas: AtlasStores, freeSpace: FreeSpaceReader): Promise<BackupNeeds> {
  const sources = databasesOf(which).map((database) => {
    const db = storeOf(atlas, database);
    return { database, file: db.file, label: db.label, bytes: db.sizeBytes() };
  });
  const jobs = await jobFiles(atlas.jobsDir);
  const dbBytes = sources.reduce((n, s) => n + (s.bytes ? s.bytes.db + s.bytes.wal : 0), 0);
  const needBytes = Math.ceil(dbBytes * MARGIN_FACTOR) + (jobs?.bytes ?? 0) + MARGIN_BYTES;
  const where = existsSync(atlas.backupsDir) ? atlas.backupsDir : atlas.dataDir;
  return { sources, jobs: jobs ? { dir: atlas.jobsDir, files: jobs.names.length, bytes: jobs.bytes } : null, needBytes, freeBytes: await freeSpace(where), where };
}

export const MB = 1024 * 1024;
export const shortBytes = (n: number) => (n >= 1024 * MB ? `${(n / 1024 / MB).toFixed(1)} GB` : n >= MB ? `${(n / MB).toFixed(1)} MB` : `${Math.max(0, Math.round(n / 1024))} KB`);

/** The refusal for too little space, or null. */
export function spaceProblem(needs: BackupNeeds): string | null {
  if (needs.freeBytes >= needs.needBytes) return null;
  return `Not enough free space for the backup: it needs ${shortBytes(needs.needBytes)} and ${needs.where} has ${shortBytes(needs.freeBytes)} free; free some space (old backups, \`disk\` shows what is big) and try again.`;
}

export interface TakeBackupOptions {
  reason: string;
  who: { source: 'slack' | 'cli'; userId: string };
  at: Date;
  freeSpace: FreeSpaceReader;
  logger: Logger;
  busyTimeoutMs?: number;
  onProgress?: (database: AtlasDatabaseName, p: BackupProgress) => void;
  /** Tests pass a worker that fails mid-way. */
  workerUrl?: URL;
}

export interface TakenBackup {
  stamp: string;
  manifest: string;
  files: ManifestFile[];
  jobs: BackupManifest['jobs'];
  /** Databases that did not exist, so were not backed up. */
  missing: string[];
}

/** One backup at a time per process: a second would race the first for the disk and the names. */
let running: string | null = null;

function sqliteCode(f: WorkerFailure): string {
  return f.code.toUpperCase();
}

function failureSentence(label: string, f: WorkerFailure, busyTimeoutMs: number): string {
  const code = sqliteCode(f);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return `${label} stayed locked by the service's writer for ${Math.round(busyTimeoutMs / 1000)} s, so no backup was taken; try again in a minute (\`jobs\` shows what is writing).`;
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || /disk is full|ENOSPC|no space/i.test(f.message)) {
    return `The disk filled up while ${label} was being copied; the partial copy was removed and nothing is listed as a backup. Free some space and try again.`;
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return `${label} could not be read for a backup (${f.message.slice(0, 120)}): it looks damaged; see \`integrity\` and the data-corruption runbook.`;
  }
  return `The backup of ${label} failed (${f.message.slice(0, 160)}); the partial copy was removed and nothing is listed as a backup.`;
}

const countsEqual = (a: Record<string, number>, b: Record<string, number>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/** A stamp whose names are all free in backups/ (two backups in one second get -2, -3, …). */
function freeStamp(backupsDir: string, at: Date, databases: AtlasDatabaseName[]): string {
  const base = backupStamp(at);
  for (let i = 1; i < 1000; i++) {
    const stamp = i === 1 ? base : `${base}-${i}`;
    const names = [...databases.map((d) => backupFileName(d, stamp)), manifestFileName(stamp), jobsFolderName(stamp)];
    if (names.every((n) => !existsSync(path.join(backupsDir, n)))) return stamp;
  }
  throw new RemediationRefusal(`Too many backups named ${base} in ${backupsDir}; try again in a second.`);
}

async function removeTemporary(file: string): Promise<void> {
  await Promise.all(['', '-journal', '-wal', '-shm'].map((s) => rm(`${file}${s}`, { force: true, recursive: true })));
}

async function writeAtomically(backupsDir: string, name: string, text: string): Promise<void> {
  const tmp = path.join(backupsDir, temporaryName(name));
  await writeFile(tmp, text, { flag: 'w' });
  await rename(tmp, path.join(backupsDir, name));
}

async function copyJobs(atlas: AtlasStores, stamp: string): Promise<BackupManifest['jobs']> {
  const files = await jobFiles(atlas.jobsDir);
  if (!files) return null;
  const folder = jobsFolderName(stamp);
  const tmp = path.join(atlas.backupsDir, temporaryName(folder));
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  let bytes = 0;
  let copied = 0;
  for (const n of files.names) {
    try {
      // The orchestrator writes job files atomically (temp + rename): each copy is one whole version.
      await copyFile(path.join(atlas.jobsDir, n), path.join(tmp, n));
      bytes += (await stat(path.join(tmp, n))).size;
      copied += 1;
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err; // A job file removed meanwhile is simply not copied.
    }
  }
  await rename(tmp, path.join(atlas.backupsDir, folder));
  return { folder, files: copied, bytes };
}

/**
 * Takes a verified backup of `which`. Throws RemediationRefusal with one sentence when it cannot;
 * then nothing is left under a backup's name.
 */
export async function takeBackup(which: BackupWhich, atlas: AtlasStores, opts: TakeBackupOptions): Promise<TakenBackup> {
  if (running) throw new RemediationRefusal(`A backup (${running}) is running already; wait for its result, then run \`backups\`.`);
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
  await mkdir(atlas.backupsDir, { recursive: true });
  const needs = await measureBackup(which, atlas, opts.freeSpace);
  const short = spaceProblem(needs);
  if (short) throw new RemediationRefusal(short);
  const present = needs.sources.filter((s) => s.bytes !== null);
  if (present.length === 0) throw new RemediationRefusal(`There is nothing to back up: ${needs.sources.map((s) => s.label).join(' and ')} not found in ${atlas.dataDir}; check ATLAS_DATA_DIR.`);
  const stamp = freeStamp(atlas.backupsDir, opts.at, present.map((s) => s.database));
  running = stamp;
  const temporaries: string[] = [];
  try {
    const files: ManifestFile[] = [];
    for (const s of present) {
      const finalName = backupFileName(s.database, stamp);
      const tmp = path.join(atlas.backupsDir, temporaryName(finalName));
      temporaries.push(tmp);
      await removeTemporary(tmp);
      opts.logger.info({ database: s.label, to: finalName }, 'backup started');
      let lastTenth = -1;
      const result = await backupInWorker(s.file, tmp, {
        busyTimeoutMs,
        ...(opts.workerUrl ? { workerUrl: opts.workerUrl } : {}),
        onProgress: (p) => {
          opts.onProgress?.(s.database, p);
          const tenth = p.total > 0 ? Math.floor((p.done / p.total) * 10) : 0;
          if (p.phase !== 'copy' || tenth !== lastTenth) opts.logger.info({ database: s.label, ...p }, 'backup progress');
          lastTenth = tenth;
        },
      });
      if (result.kind === 'error') throw new RemediationRefusal(failureSentence(s.label, result, busyTimeoutMs));
      const v = result.verification;
      if (!v.ok) throw new RemediationRefusal(`The copy of ${s.label} failed integrity_check (${v.problems[0]?.slice(0, 120) ?? 'no detail'}); it was removed and nothing is listed as a backup. Run \`integrity\` on the source.`);
      if (!countsEqual(v.counts, result.sourceCounts)) {
        const table = Object.keys(result.sourceCounts).find((t) => v.counts[t] !== result.sourceCounts[t]) ?? '?';
        throw new RemediationRefusal(`The copy of ${s.label} does not hold the rows the source held (${table}: ${v.counts[table] ?? 'missing'} vs ${result.sourceCounts[table] ?? 'missing'}); it was removed. The bot's log has the detail.`);
      }
      files.push({
        file: finalName,
        database: s.database,
        source: s.file,
        sourceBytes: s.bytes!,
        bytes: v.bytes,
        sha256: v.sha256,
        integrity: 'ok',
        pages: v.pages,
        pageSize: v.pageSize,
        rowCounts: v.counts,
        sourceRowCounts: result.sourceCounts,
        copyMs: result.copyMs,
        verifyMs: v.ms,
      });
    }
    const jobs = await copyJobs(atlas, stamp);
    const manifest: BackupManifest = {
      version: 1,
      stamp,
      createdAt: opts.at.toISOString(),
      reason: opts.reason,
      who: opts.who,
      host: hostname(),
      files,
      jobs,
    };
    const manifestName = manifestFileName(stamp);
    await writeAtomically(atlas.backupsDir, manifestName, `${JSON.stringify(manifest, null, 2)}\n`);
    // Last: the verified copies take their names (a kill before this leaves only temporary names).
    for (const f of files) await rename(path.join(atlas.backupsDir, temporaryName(f.file)), path.join(atlas.backupsDir, f.file));
    opts.logger.info({ stamp, files: files.map((f) => f.file) }, 'backup verified and kept');
    return { stamp, manifest: manifestName, files, jobs, missing: needs.sources.filter((s) => s.bytes === null).map((s) => s.label) };
  } catch (err) {
    for (const t of temporaries) await removeTemporary(t).catch(() => undefined);
    if (err instanceof RemediationRefusal) throw err;
    const code = (err as { code?: string }).code ?? '';
    if (code === 'ENOSPC') throw new RemediationRefusal('The disk filled up while the backup was being written; the partial files were removed and nothing is listed as a backup. Free some space and try again.');
    throw err;
  } finally {
    running = null;
  }
}
