/**
 * Restoring a database from a backup, only while writes are stopped (no orchestrator process, or
 * `--force` with a reason): the backup is verified first (integrity_check, and its sha256 against
 * its manifest), a verified backup of the current file is taken, then the backup is written into
 * the live file through SQLite's backup API (its pager writes it, WAL included: never a file copy
 * over a live WAL database), and the result is quick-checked.
 */
import { copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { AtlasStores } from '../db/atlas-database.js';
import { runIntegrityCheck } from '../db/integrity-check.js';
import { findBackup, type BackupEntry } from './backup-catalog.js';
import { backupNameProblem, backupStamp, DATABASE_NAMES, databaseOfName, type AtlasDatabaseName } from '../db/backup-names.js';
import { restoreInWorker, verifyInWorker } from './backup-runner.js';
import { shortBytes, spaceProblem, takeBackup, measureBackup, type FreeSpaceReader, type TakenBackup } from './backup-take.js';
import type { OrchestratorStatus } from './orchestrator-process.js';
import { RemediationRefusal } from './remediation-plan.js';

export interface RestoreRequest {
  backup: string;
  database: string | null;
  force: boolean;
  reason: string | null;
}

export interface RestoreTarget {
  entry: BackupEntry;
  database: AtlasDatabaseName;
  file: string;
  label: string;
}

/** The backup and the database a request names; a RemediationRefusal (one sentence) when it names none. */
export async function resolveRestore(req: RestoreRequest, atlas: AtlasStores, now: Date): Promise<RestoreTarget> {
  const problem = backupNameProblem(req.backup);
  if (problem) throw new RemediationRefusal(problem);
  if (req.database !== null && !(DATABASE_NAMES as readonly string[]).includes(req.database)) {
    throw new RemediationRefusal(`Restore into persistence or metrics (got "${req.database.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}").`);
  }
  const entry = await findBackup(atlas.backupsDir, req.backup, now);
  if (!entry) throw new RemediationRefusal(`There is no backup named ${req.backup} in ${atlas.backupsDir}; \`backups\` lists them.`);
  const named = (req.database as AtlasDatabaseName | null) ?? entry.database ?? databaseOfName(entry.name);
  if (!named) throw new RemediationRefusal(`Which database is ${entry.name} a backup of? Add persistence or metrics after its name.`);
  if (entry.database && req.database && entry.database !== req.database) {
    throw new RemediationRefusal(`${entry.name} is a backup of ${entry.database}.db, not ${req.database}.db; nothing was changed.`);
  }
  const db = atlas[named];
  return { entry, database: named, file: db.file, label: db.label };
}

/** The refusal when writes may be happening and the request does not force, or null. */
export function writesProblem(status: OrchestratorStatus, req: RestoreRequest): string | null {
  if (req.force && !req.reason) return '`--force` needs `--reason "why"` (it is written to the audit log and the pre-restore backup).';
  if (status.kind === 'not-running' || req.force) return null;
  const what =
    status.kind === 'alive'
      ? `the batch orchestrator is running (pid ${status.processes.map((p) => p.pid).slice(0, 3).join(', ')})`
      : `whether the batch orchestrator runs is unknown (${status.reason})`;
  return `A restore needs writes stopped, and ${what}: stop it first (\`stop-jobs\`), or add \`--force --reason "why"\` if you are sure nothing writes.`;
}

export interface RestoreOptions {
  who: { source: 'slack' | 'cli'; userId: string };
  at: Date;
  reason: string;
  freeSpace: FreeSpaceReader;
  logger: Logger;
  busyTimeoutMs?: number;
}

export interface RestoreResult {
  verifiedMs: number;
  sha256: string;
  /** The backup of the file as it was: its name in backups/, or the raw copies of a file too damaged to back up. */
  before: { kind: 'backup'; taken: TakenBackup } | { kind: 'raw-copy'; files: string[] } | { kind: 'none' };
  restoredPages: number;
  restoreMs: number;
  quickCheckOk: boolean;
}

/** Space for the pre-restore backup of the current file. */
export async function restoreSpace(target: RestoreTarget, atlas: AtlasStores, freeSpace: FreeSpaceReader) {
  const needs = await measureBackup(target.database, atlas, freeSpace);
  return { needs, problem: spaceProblem(needs) };
}

export async function restoreBackup(target: RestoreTarget, atlas: AtlasStores, opts: RestoreOptions): Promise<RestoreResult> {
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
  const backupFile = path.join(atlas.backupsDir, target.entry.name);
  // 1. The backup must be sound before anything is touched.
  const v = await verifyInWorker(backupFile, { busyTimeoutMs });
  if ('kind' in v) throw new RemediationRefusal(`${target.entry.name} cannot be read as a database (${v.message.slice(0, 120)}); nothing was changed. Choose another from \`backups\`.`);
  if (!v.ok) throw new RemediationRefusal(`${target.entry.name} is damaged (integrity_check: ${v.problems[0]?.slice(0, 120) ?? 'not ok'}); nothing was changed. Choose another from \`backups\`.`);
  const expected = target.entry.manifest?.file.sha256;
  if (expected && expected !== v.sha256) {
    throw new RemediationRefusal(`${target.entry.name} is not the file its manifest describes (sha256 differs: changed since it was taken); nothing was changed. Choose another from \`backups\`.`);
  }
  // 2. The current file, kept first.
  let before: RestoreResult['before'] = { kind: 'none' };
  if (existsSync(target.file)) {
    try {
      const taken = await takeBackup(target.database, atlas, { reason: opts.reason, who: opts.who, at: opts.at, freeSpace: opts.freeSpace, logger: opts.logger, busyTimeoutMs });
      before = { kind: 'backup', taken };
    } catch (err) {
      if (!(err instanceof RemediationRefusal) || !/looks damaged/.test(err.message)) throw err;
      // Too damaged for the backup API: keep its bytes as they are (writes are stopped), never listed as verified.
      const base = path.join(atlas.backupsDir, `${target.database}-${backupStamp(opts.at)}-damaged.db`);
      const files: string[] = [];
      for (const suffix of ['', '-wal']) {
        if (!existsSync(`${target.file}${suffix}`)) continue;
        await copyFile(`${target.file}${suffix}`, `${base}${suffix === '-wal' ? '.wal-copy' : ''}`);
        files.push(path.basename(`${base}${suffix === '-wal' ? '.wal-copy' : ''}`));
      }
      before = { kind: 'raw-copy', files };
    }
  }
  // 3. Through the backup API, into the live file.
  opts.logger.info({ backup: target.entry.name, into: target.label }, 'restore started');
  const r = await restoreInWorker(backupFile, target.file, { busyTimeoutMs });
  if ('kind' in r) {
    const locked = /BUSY|LOCKED/i.test(r.code);
    const kept = before.kind === 'backup' ? ` The file as it was is kept as ${before.taken.files[0]?.file}.` : '';
    throw new RemediationRefusal(
      locked
        ? `${target.label} stayed locked by another connection for ${Math.round(busyTimeoutMs / 1000)} s, so it was not restored; something still writes to it.${kept}`
        : `The restore of ${target.label} failed (${r.message.slice(0, 140)}).${kept}`,
    );
  }
  // The bot's own read connection reopens (the schema it cached may differ).
  atlas[target.database].close();
  const check = await runIntegrityCheck(target.file, 'quick');
  return { verifiedMs: v.ms, sha256: v.sha256, before, restoredPages: r.pages, restoreMs: r.ms, quickCheckOk: check.ok };
}

export { shortBytes };
